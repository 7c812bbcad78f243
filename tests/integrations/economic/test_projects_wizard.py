"""Connecting e-conomic with and without its Project module: the wizard says what the agreement
allows and offers only that (the admin against the sandbox over real HTTP)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.integrations.models import Connection
from apps.sandbox.economic import seed as sandbox_seed

pytestmark = pytest.mark.django_db(transaction=True)
NO_MODULE = "This e-conomic agreement has no Project module"


@pytest.fixture
def sandbox(live_server: Any, transactional_db: None, settings: Any) -> Any:
    agreement = sandbox_seed.seed()
    settings.ECONOMIC_API_BASE = f"{live_server.url}/sandbox/economic"
    return agreement


def step(name: str) -> str:
    return reverse("admin:integrations_connection_connect_step", args=[name])


def step_label_and_heading(html: str) -> tuple[str, str]:
    """The current step's label in the step list (without its number) and the page's heading."""
    label = re.search(r'<li class="current">\d+\. ([^<]*)</li>', html)
    heading = re.search(r"<h2>([^<]*)</h2>", html)
    assert label and heading, html[:3000]
    return label.group(1).strip(), heading.group(1).strip()


def offered(html: str) -> set[str]:
    return {
        entity
        for entity in ("customer", "user", "work_type", "project", "hour", "task", "participant")
        if f'name="connected" value="{entity}"' in html
    }


def through_defaults(admin_client: Any, token: str, **extra: str) -> str:
    admin_client.get(reverse("admin:integrations_connection_connect") + "?system=economic")
    accepted = admin_client.post(step("agreement"), {"agreement_grant_token": token})
    assert accepted.status_code == 302, accepted.content.decode()[:1500]
    defaults = {"customer_group": "1", "payment_terms": "2", "vat_zone": "1", "currency": "DKK"}
    chosen = admin_client.post(step("defaults"), {**defaults, **extra})
    assert chosen.status_code == 302, chosen.content.decode()[:3000]
    return chosen["Location"]


def test_without_the_project_module_the_wizard_says_so_and_offers_customers_only(
    sandbox: Any, admin_client: Any
) -> None:
    admin_client.get(reverse("admin:integrations_connection_connect") + "?system=economic")
    admin_client.post(step("agreement"), {"agreement_grant_token": sandbox_seed.SALES_GRANT_TOKEN})
    defaults = admin_client.get(step("defaults")).content.decode()
    assert NO_MODULE in defaults
    assert 'name="project_group"' not in defaults
    # Only customers are made in e-conomic from Tidsbro: the step list and the heading say so
    # alike, and the missing module is a notice box, as on the next step.
    assert step_label_and_heading(defaults) == (
        "Defaults for new customers",
        "Defaults for new customers",
    )
    assert re.search(r'<p class="errornote[^"]*" id="project-module-no">', defaults)

    objects_url = through_defaults(admin_client, sandbox_seed.SALES_GRANT_TOKEN)
    page = admin_client.get(objects_url).content.decode()
    assert NO_MODULE in page
    assert "3. Defaults for new customers" in page
    # No layout chosen: the summary names e-conomic's own, not a dash.
    assert '<span id="summary-layout">e-conomic\'s own layout</span>' in page
    assert "layout —" not in page
    # Who is master is explained once, in its own paragraph (not the summary's run-on text).
    assert page.count("its values always win") == 1
    assert re.search(r"<p[^>]*>\s*<p", page) is None
    assert offered(page) == {"customer"}
    assert 'name="hour_transfer"' not in page

    # Posting another type anyway is refused, nothing is stored.
    refused = admin_client.post(objects_url, {"connected": ["customer", "project"]})
    assert refused.status_code == 200
    assert not Connection.objects.exists()

    done = admin_client.post(objects_url, {"connected": ["customer"], "master_customer": "both"})
    assert done.status_code == 302
    connection = Connection.objects.get(system="economic")
    assert connection.connected == ["customer"]
    assert connection.settings["project_module"] is False
    assert "project_group" not in connection.settings


def test_with_the_project_module_every_type_is_offered_with_its_defaults(
    sandbox: Any, admin_client: Any
) -> None:
    admin_client.get(reverse("admin:integrations_connection_connect") + "?system=economic")
    admin_client.post(
        step("agreement"), {"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN}
    )
    defaults = admin_client.get(step("defaults")).content.decode()
    assert NO_MODULE not in defaults
    assert step_label_and_heading(defaults) == (
        "Defaults for new records",
        "Defaults for new records",
    )
    assert "1 – Kundeprojekter" in defaults and "1 – Fakturerbare" in defaults
    assert "2 – Anders Holm" in defaults

    missing = admin_client.post(
        step("defaults"),
        {"customer_group": "1", "payment_terms": "2", "vat_zone": "1", "currency": "DKK"},
    )
    assert missing.status_code == 200  # the project and activity groups are required

    objects_url = through_defaults(
        admin_client,
        sandbox_seed.AGREEMENT_GRANT_TOKEN,
        project_group="1",
        activity_group="1",
        integration_employee="1",
        layout="19",
    )
    page = admin_client.get(objects_url).content.decode()
    assert NO_MODULE not in page
    assert "3. Defaults for new records" in page
    assert '<span id="summary-layout">layout 19 Standardlayout</span>' in page
    assert page.count("its values always win") == 1
    assert offered(page) == {"customer", "user", "work_type", "project", "hour"}
    assert 'name="hour_transfer"' in page

    done = admin_client.post(
        objects_url,
        {
            "connected": ["customer", "user", "work_type", "project", "hour"],
            "master_customer": "both",
            "master_project": "both",
            "master_work_type": "erp",
            "hour_transfer": "on_approval",
        },
    )
    assert done.status_code == 302, done.content.decode()[:3000]
    connection = Connection.objects.get(system="economic")
    assert set(connection.connected) == {"customer", "user", "work_type", "project", "hour"}
    assert connection.settings["project_module"] is True
    assert (connection.settings["project_group"], connection.settings["activity_group"]) == (1, 1)
    assert connection.settings["integration_employee"] == 1


def test_the_command_line_connects_customers_only_without_the_module(
    sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECONOMIC_AGREEMENT_GRANT_TOKEN", sandbox_seed.SALES_GRANT_TOKEN)
    options = dict(
        system="economic", customer_group="1", payment_terms="1", vat_zone="1", currency="DKK"
    )
    with pytest.raises(CommandError) as caught:
        call_command(
            "integrations_connect", connect="customers,projects", stdout=io.StringIO(), **options
        )
    assert "cannot keep project" in str(caught.value)

    out = io.StringIO()
    call_command("integrations_connect", connect="customers", stdout=out, **options)
    assert NO_MODULE in out.getvalue()
    assert Connection.objects.get(system="economic").connected == ["customer"]


# THE SETTINGS BOX
# ------------------------------------------------------------------------------
def _projects_box() -> Any:
    from apps.integrations.registry import spec_for

    return {s.name: s for s in spec_for("economic").settings.sections}["projects"]


def test_a_module_bought_after_connecting_is_found_by_the_settings_box(sandbox: Any) -> None:
    from apps.integrations.admin_views.settings import ConnectedForm
    from apps.integrations.connectors.economic.onboarding import economic_connect

    # Connected for customers only (as before the Project module was known to Tidsbro).
    connection = economic_connect(
        grant_token=sandbox_seed.AGREEMENT_GRANT_TOKEN,
        customer_group=1,
        payment_terms=1,
        vat_zone=1,
        currency="DKK",
    )
    assert dict(ConnectedForm(connection=connection).fields["connected"].choices).keys() == {
        "customer"
    }
    box = _projects_box()
    shown = box.form(connection, None)
    assert ("2", "2 – Ikke fakturerbare") in shown.fields["activity_group"].choices

    form = box.form(
        connection, {"project_group": "2", "activity_group": "1", "integration_employee": "3"}
    )
    assert form.is_valid(), form.errors
    message = box.save(connection, form, actor=None)

    assert "Project module now" in message
    connection.refresh_from_db()
    assert connection.settings["project_module"] is True
    assert connection.settings["project_group"] == 2
    assert connection.settings["integration_employee"] == 3
    choices = dict(ConnectedForm(connection=connection).fields["connected"].choices)
    assert {"customer", "user", "work_type", "project", "hour"} <= choices.keys()


def test_without_the_module_the_settings_box_only_says_so(sandbox: Any) -> None:
    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.SALES_GRANT_TOKEN},
        settings={
            "agreement_number": sandbox_seed.SALES_AGREEMENT_NUMBER,
            "customer_group": 1,
            "payment_terms": 1,
            "vat_zone": 1,
            "currency": "DKK",
        },
        connected=["customer"],
    )
    box = _projects_box()
    form = box.form(connection, {})
    assert form.lists is None and not form.fields
    assert form.is_valid()
    assert "still has no Project module" in box.save(connection, form, actor=None)
    connection.refresh_from_db()
    assert connection.settings["project_module"] is False


def test_the_settings_screen_shows_the_projects_box(sandbox: Any, admin_client: Any) -> None:
    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN},
        settings={
            "agreement_number": sandbox_seed.AGREEMENT_NUMBER,
            "customer_group": 1,
            "payment_terms": 1,
            "vat_zone": 1,
            "currency": "DKK",
            "project_module": True,
            "project_group": 1,
            "activity_group": 1,
        },
        connected=["customer", "user", "project"],
    )
    url = reverse("admin:integrations_connection_settings") + f"?connection={connection.pk}"
    page = admin_client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert "Projects, work types and hours" in html and 'id="project-module-yes"' in html
    assert 'name="integration_employee"' in html


def test_the_projects_box_switches_approval_in_e_conomic_on_and_off(sandbox: Any) -> None:
    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN},
        settings={
            "agreement_number": sandbox_seed.AGREEMENT_NUMBER,
            "customer_group": 1,
            "payment_terms": 1,
            "vat_zone": 1,
            "currency": "DKK",
            "project_module": True,
            "project_group": 1,
            "activity_group": 1,
        },
        connected=["customer", "user", "project", "hour"],
    )
    box = _projects_box()
    assert box.form(connection, None)["approve_hours"].value() is True  # on unless switched off

    form = box.form(connection, {"project_group": "1", "activity_group": "1"})  # box unticked
    assert form.is_valid(), form.errors
    box.save(connection, form, actor=None)
    connection.refresh_from_db()
    assert connection.settings["approve_hours"] is False
    assert box.form(connection, None)["approve_hours"].value() is False

    data = {"project_group": "1", "activity_group": "1", "approve_hours": "on"}
    form = box.form(connection, data)
    assert form.is_valid(), form.errors
    box.save(connection, form, actor=None)
    connection.refresh_from_db()
    assert connection.settings["approve_hours"] is True
