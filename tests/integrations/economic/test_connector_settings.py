"""e-conomic's boxes on the settings screen, against the sandbox over real HTTP: the defaults
for new customers from the agreement's lists, a new grant token after a withdrawn approval."""

from __future__ import annotations

from typing import Any

import pytest

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.economic.onboarding import economic_connect
from apps.integrations.models import Connection
from apps.integrations.registry import spec_for
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Agreement, App, Grant

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = sandbox_seed.AGREEMENT_GRANT_TOKEN


@pytest.fixture
def connection(live_server: Any, transactional_db: None, settings: Any) -> Connection:
    sandbox_seed.seed()
    settings.ECONOMIC_API_BASE = f"{live_server.url}/sandbox/economic"
    return economic_connect(
        grant_token=TOKEN, customer_group=1, payment_terms=1, vat_zone=1, currency="DKK"
    )


def sections() -> dict[str, Any]:
    return {s.name: s for s in spec_for("economic").settings.sections}


def test_the_defaults_box_offers_the_agreements_lists_and_saves_a_choice(
    connection: Connection,
) -> None:
    box = sections()["defaults"]
    shown = box.form(connection, None)
    assert shown.initial["payment_terms"] == 1
    assert ("5", "5 – Netto 30 dage") in shown.fields["payment_terms"].choices

    form = box.form(
        connection,
        {
            "customer_group": "2",
            "payment_terms": "5",
            "vat_zone": "2",
            "currency": "EUR",
            "layout": "19",
        },
    )
    assert form.is_valid(), form.errors
    box.save(connection, form, actor=None)

    connection.refresh_from_db()
    assert {k: connection.settings[k] for k in ("customer_group", "payment_terms", "vat_zone")} == {
        "customer_group": 2,
        "payment_terms": 5,
        "vat_zone": 2,
    }
    assert (connection.settings["currency"], connection.settings["layout"]) == ("EUR", 19)
    assert connection.settings["company_name"] == "Tidsbro Demo ApS"  # the rest kept


def test_a_new_token_for_the_same_agreement_replaces_a_withdrawn_one(
    connection: Connection,
) -> None:
    grant = Grant.objects.get(token=TOKEN)
    Grant.objects.filter(pk=grant.pk).update(revoked=True)
    Grant.objects.create(
        agreement=grant.agreement, app=grant.app, token="approved-again-token", roles=["SuperUser"]
    )
    box = sections()["grant"]
    form = box.form(connection, {"agreement_grant_token": "approved-again-token"})
    assert form.is_valid()

    box.save(connection, form, actor=None)

    connection.refresh_from_db()
    assert connection.credentials_doc == {"agreement_grant_token": "approved-again-token"}


def test_a_token_of_another_agreement_is_refused(connection: Connection) -> None:
    other = Agreement.objects.create(
        agreement_number=7_999_001,
        company_name="Andet Firma ApS",
        user_login="andet@example.dk",
        user_password="!",
        user_name="Anden Bruger",
    )
    Grant.objects.create(
        agreement=other, app=App.objects.get(), token="other-agreement-token", roles=["SuperUser"]
    )
    box = sections()["grant"]
    form = box.form(connection, {"agreement_grant_token": "other-agreement-token"})
    assert form.is_valid()

    with pytest.raises(ApplicationError, match="7999001") as caught:
        box.save(connection, form, actor=None)

    assert caught.value.field == "agreement_grant_token"
    connection.refresh_from_db()
    assert connection.credentials_doc == {"agreement_grant_token": TOKEN}


def test_the_settings_summary_names_the_agreement(connection: Connection) -> None:
    summary = spec_for("economic").settings.summary(connection)

    assert summary == {
        "agreement_number": sandbox_seed.AGREEMENT_NUMBER,
        "company": "Tidsbro Demo ApS",
        "user": "Demo Bruger",
    }


def test_the_access_box_links_to_e_conomics_approval_page(
    connection: Connection, admin_client: Any, settings: Any
) -> None:
    import re
    from html import unescape
    from urllib.parse import urlsplit

    from django.urls import reverse

    settings.ECONOMIC_GRANT_URL = f"{settings.ECONOMIC_API_BASE}/requestaccess.aspx"
    settings.ECONOMIC_APP_PUBLIC_TOKEN = sandbox_seed.APP_PUBLIC_TOKEN
    page = admin_client.get(
        reverse("admin:integrations_connection_settings") + f"?connection={connection.pk}"
    ).content.decode()
    box = page[page.index('id="grant"') :]
    found = re.search(r'<a id="economic-grant" href="([^"]+)"', box)
    assert found, box[:2000]

    # The link opens e-conomic's approval page for Tidsbro; approving there shows the token.
    link = urlsplit(unescape(found.group(1)))
    approval = admin_client.get(f"{link.path}?{link.query}")
    assert approval.status_code == 200
    approved = admin_client.post(
        f"{link.path}?{link.query}",
        {
            "appPublicToken": sandbox_seed.APP_PUBLIC_TOKEN,
            "login": sandbox_seed.DEMO_LOGIN,
            "password": sandbox_seed.DEMO_PASSWORD,
            "approve": "1",
        },
    )
    assert approved.status_code == 200
    assert TOKEN in approved.content.decode()
