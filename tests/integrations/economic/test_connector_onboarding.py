"""Connecting e-conomic against the sandbox over real HTTP: the grant page, the token checked
with GET /self, the defaults from the agreement's lists, the connection stored."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.economic.onboarding import (
    ONBOARDING,
    economic_connect,
    grant_url,
)
from apps.integrations.models import Connection
from apps.integrations.registry import spec_for
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Grant

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = sandbox_seed.AGREEMENT_GRANT_TOKEN


@pytest.fixture
def sandbox(live_server: Any, transactional_db: None, settings: Any) -> str:
    sandbox_seed.seed()
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_GRANT_URL = f"{url}/requestaccess.aspx"
    settings.ECONOMIC_APP_PUBLIC_TOKEN = sandbox_seed.APP_PUBLIC_TOKEN
    return url


class Wizard:
    """The generic wizard's memory of the answers (as the session keeps them)."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.secrets: dict[str, str] = {}

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")

    def save(self, **values: Any) -> None:
        self.values.update(values)

    def save_secret(self, **values: str) -> None:
        self.secrets.update(values)


def test_connecting_checks_the_token_and_stores_the_agreement_and_the_defaults(
    sandbox: str,
) -> None:
    connection = economic_connect(
        grant_token=TOKEN,
        customer_group=2,
        payment_terms="5",
        vat_zone=1,
        currency="dkk",
        layout=19,
        master="both",
    )

    assert connection.system == "economic"
    assert connection.credentials_doc == {"agreement_grant_token": TOKEN}
    assert connection.settings["agreement_number"] == sandbox_seed.AGREEMENT_NUMBER
    assert connection.settings["company_name"] == "Tidsbro Demo ApS"
    assert connection.settings["user_name"] == "Demo Bruger"
    assert {k: connection.settings[k] for k in ("customer_group", "payment_terms")} == {
        "customer_group": 2,
        "payment_terms": 5,
    }
    assert (connection.settings["currency"], connection.settings["layout"]) == ("DKK", 19)
    assert connection.connected == ["customer"]
    assert connection.master_of("customer") == "both"
    assert str(connection) == f"e-conomic: Tidsbro Demo ApS ({sandbox_seed.AGREEMENT_NUMBER})"
    # The app secret is Tidsbro's own, from the environment: never stored per connection.
    assert "tidsbro-demo-app-secret" not in connection.credentials


def test_a_revoked_grant_is_refused_with_what_to_do_and_nothing_is_stored(sandbox: str) -> None:
    Grant.objects.filter(token=TOKEN).update(revoked=True)

    with pytest.raises(ApplicationError, match="Approve Tidsbro in e-conomic again") as caught:
        economic_connect(
            grant_token=TOKEN, customer_group=1, payment_terms=1, vat_zone=1, currency="DKK"
        )

    assert caught.value.field == "agreement_grant_token"
    assert TOKEN not in caught.value.message
    assert not Connection.objects.exists()


def test_a_default_the_agreement_does_not_have_is_refused_naming_its_choices(
    sandbox: str,
) -> None:
    with pytest.raises(ApplicationError, match="1 Danske kunder, 2 EU-kunder") as caught:
        economic_connect(
            grant_token=TOKEN, customer_group=9, payment_terms=1, vat_zone=1, currency="DKK"
        )

    assert caught.value.field == "customer_group"
    assert not Connection.objects.exists()


def test_the_grant_page_sends_the_user_back_with_a_token_that_connects(sandbox: str) -> None:
    back = "http://testserver/admin/integrations/connection/connect/step/agreement/"
    page = grant_url(back)
    assert page.startswith(f"{sandbox}/requestaccess.aspx?appPublicToken=")

    browser = requests.Session()
    shown = browser.get(page, timeout=10)  # the e-conomic user opens the approval page
    assert shown.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown.text)[1]
    answer = browser.post(
        page.split("?")[0],
        data={
            **{k: v[0] for k, v in parse_qs(urlsplit(page).query).items()},
            "csrfmiddlewaretoken": csrf,
            "login": sandbox_seed.DEMO_LOGIN,
            "password": sandbox_seed.DEMO_PASSWORD,
            "approve": "1",
        },
        allow_redirects=False,
        timeout=10,
    )

    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(back)
    token = parse_qs(urlsplit(location).query)["token"][0]
    connection = economic_connect(
        grant_token=token, customer_group=1, payment_terms=1, vat_zone=1, currency="DKK"
    )
    assert connection.settings["company_name"] == "Tidsbro Demo ApS"


def test_the_wizard_steps_check_the_token_offer_the_agreements_lists_and_make_documents(
    sandbox: str,
) -> None:
    wizard = Wizard()
    agreement_step, defaults_step = ONBOARDING.steps
    assert not defaults_step.ready(wizard)

    form = agreement_step.form(wizard, {"agreement_grant_token": f"  {TOKEN} "})
    assert form.is_valid(), form.errors
    agreement_step.accept(wizard, form)

    assert wizard.secret("agreement_grant_token") == TOKEN
    assert wizard.get("agreement")["company_name"] == "Tidsbro Demo ApS"
    assert TOKEN not in repr(wizard.values)
    assert defaults_step.ready(wizard)
    form = defaults_step.form(wizard, None)
    assert form.initial["currency"] == "DKK"
    assert ("2", "2 – EU-kunder") in form.fields["customer_group"].choices
    # Only VAT zones e-conomic allows for customers are offered.
    assert [c for c, _n in form.fields["vat_zone"].choices] == ["1", "2", "3", "4"]
    form = defaults_step.form(
        wizard,
        {
            "customer_group": "1",
            "payment_terms": "2",
            "vat_zone": "1",
            "currency": "DKK",
            "layout": "",
            # The demo agreement has the Project module.
            "project_group": "1",
            "activity_group": "1",
            "integration_employee": "1",
        },
    )
    assert form.is_valid(), form.errors
    defaults_step.accept(wizard, form)

    documents = ONBOARDING.documents(wizard)
    assert documents.credentials == {"agreement_grant_token": TOKEN}
    assert documents.settings["payment_terms"] == 2
    assert documents.settings["layout"] is None
    assert documents.settings["project_module"] is True
    assert documents.settings["integration_employee"] == 1
    summary = ONBOARDING.summary(wizard)
    assert summary["customer_group"] == "1 Danske kunder"
    assert summary["payment_terms"] == "2 Netto 14 dage"


def test_a_wrong_pasted_token_is_refused_on_the_field(sandbox: str) -> None:
    wizard = Wizard()
    step = ONBOARDING.steps[0]
    form = step.form(wizard, {"agreement_grant_token": "not-a-grant"})
    assert form.is_valid()

    with pytest.raises(ApplicationError) as caught:
        step.accept(wizard, form)

    assert caught.value.field == "agreement_grant_token"
    assert wizard.secrets == {}


def test_the_command_line_reads_the_token_from_the_environment(
    sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", TOKEN)
    out = io.StringIO()

    documents = ONBOARDING.documents_from_options(
        {"customer_group": "1", "payment_terms": "1", "vat_zone": "1"}, out=out
    )

    assert "Tidsbro Demo ApS" in out.getvalue()
    assert documents.settings["currency"] == "DKK"  # the agreement's base currency
    assert documents.credentials["agreement_grant_token"] == TOKEN


def test_e_conomic_is_registered_with_its_wizard() -> None:
    spec = spec_for("economic")

    assert spec.display_name == "e-conomic"
    assert [s.name for s in spec.onboarding.steps] == ["agreement", "defaults"]
    assert spec.capabilities.can_push("customer")
    assert not spec.capabilities.can_delete("customer")


def test_integrations_connect_connects_e_conomic_from_the_command_line(
    sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command

    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", TOKEN)
    out = io.StringIO()

    call_command(
        "integrations_connect",
        "--system=economic",
        "--connect=customers",
        "--customer-group=1",
        "--payment-terms=2",
        "--vat-zone=1",
        stdout=out,
    )

    connection = Connection.objects.get(system="economic")
    assert connection.connected == ["customer"]
    assert connection.settings["payment_terms"] == 2
    assert "Tidsbro Demo ApS" in out.getvalue()
    assert TOKEN not in out.getvalue()


def test_integrations_connect_sets_the_master_per_type_and_refuses_a_typo(
    sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command
    from django.core.management.base import CommandError

    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", TOKEN)
    options = ["--system=economic", "--connect=customers", "--customer-group=1"]
    options += ["--payment-terms=2", "--vat-zone=1"]

    with pytest.raises(CommandError, match="customers=both"):
        call_command("integrations_connect", *options, "--master=customers", stdout=io.StringIO())
    assert not Connection.objects.filter(system="economic").exists()

    out = io.StringIO()
    call_command("integrations_connect", *options, "--master=customers=both", stdout=out)

    assert Connection.objects.get(system="economic").master_of("customer") == "both"
    assert "customer=both" in out.getvalue()
