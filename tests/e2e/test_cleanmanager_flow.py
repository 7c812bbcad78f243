"""CleanManager's customer synchronisation with e-conomic, in a real browser against the live
server and the e-conomic sandbox, in Norwegian: connect e-conomic in the wizard; the customer
list's Synchronisation button; create partner with a typed number (a taken one refused);
create all partners of a search; choose partner from the suggestions; resolve the conflict by
clicking values (both systems then hold them); create in Tidsbro from e-conomic; stop the
sync and partner again later; no sync and undo. Screenshots of the screens
an office administrator sees go to /work/notes/shots/ (or $TIDSBRO_SHOTS)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from apps.customers.models import Customer
from apps.integrations.connectors.economic.connector import EconomicConnector
from apps.integrations.models import Binding, Connection, SyncRun
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Customer as ErpCustomer
from apps.sandbox.economic.resources import now_to_second
from tests.accounts.factories import PASSWORD, admin_user
from tests.e2e.conftest import admin_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TIDSBRO_SHOTS", "/work/notes/shots"))


@pytest.fixture
def sandbox(live_server: Any, settings: Any) -> Any:
    agreement = sandbox_seed.seed()
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_GRANT_URL = f"{url}/requestaccess.aspx"
    settings.ECONOMIC_APP_PUBLIC_TOKEN = sandbox_seed.APP_PUBLIC_TOKEN
    return agreement


@pytest.fixture
def page(browser, request) -> Any:
    """A Norwegian office administrator's browser, 1366 px wide."""
    context = browser.new_context(
        locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "cleanmanager-failed.png"), full_page=True)
    context.close()


def _tab(page, key: str) -> None:
    """Opens a sync center tab and waits for its page (the next step must not act on the old)."""
    with page.expect_navigation():
        page.click(f"a[data-tab={key}]")


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def erp_customer(agreement: Any, number: int, **values: Any) -> ErpCustomer:
    fields = {
        "name": f"Kunde {number}",
        "currency": "DKK",
        "customer_group_number": 1,
        "payment_terms_number": 1,
        "vat_zone_number": 1,
    }
    fields.update(values)
    return ErpCustomer.objects.create(
        agreement=agreement, customer_number=number, last_updated=now_to_second(), **fields
    )


def erp(number: int) -> ErpCustomer | None:
    return ErpCustomer.objects.filter(customer_number=number).first()


def test_the_cleanmanager_customer_flow_with_e_conomic(page, live_server, sandbox) -> None:
    base = live_server.url
    admin = admin_user(language="nb")
    erp_customer(sandbox, 11, name="Vesterhav Software ApS", city="Esbjerg")
    fjordlys = Customer.objects.create(name="Fjordlys Rengøring", city="Aarhus")
    Customer.objects.bulk_create(
        [Customer(name=f"Nyhavn Kontorservice {i}", number=str(300 + i)) for i in (1, 2, 3)]
    )
    kattegat = Customer.objects.create(
        name="Kattegat Vind", city="Aarhus", email="faktura@kattegatvind.dk"
    )
    admin_login(page, live_server, admin.email, PASSWORD)

    # 1. Connect e-conomic: the grant token pasted, defaults from the agreement, customers
    #    kept in step both ways; the first sync fetches e-conomic's customers.
    page.goto(f"{base}/admin/integrations/connection/connect/?system=economic")
    page.fill("#id_agreement_grant_token", sandbox_seed.AGREEMENT_GRANT_TOKEN)
    page.click("input[name=wizard_next]")
    page.wait_for_selector("text=Tidsbro Demo ApS")
    page.click("input[name=wizard_next]")
    page.check("input[name=connected][value=customer]")
    page.select_option("select[name=master_customer]", "both")
    page.click("input[name=connect]")
    page.wait_for_selector("#first-sync-done")
    connection = Connection.objects.get(system="economic", is_active=True)
    assert Customer.objects.filter(name="Vesterhav Software ApS", number="11").exists()

    # 2. Customers → Synchronisation opens the sync center's customers.
    page.goto(f"{base}/admin/customers/customer/")
    shot(page, "cleanmanager-0-customers")
    page.click("a.sync-center-link")
    page.wait_for_selector("tr.sc-row:has-text('Vesterhav Software ApS')")
    _tab(page, "local_only")
    page.wait_for_selector("tr.sc-row:has-text('Fjordlys Rengøring')")
    shot(page, "cleanmanager-1-sync-center")

    # 3. Create partner with a typed number: a taken one is refused with the reason.
    page.locator("tr.sc-row", has_text="Fjordlys Rengøring").locator("button.sc-create").click()
    field = page.locator(f"input[name=number-{fjordlys.pk}]")
    assert field.input_value() == "304"  # the next free number (e-conomic 11, Tidsbro 301-303)
    field.fill("11")
    page.click("#sc-confirm-yes")
    page.wait_for_selector("#sc-number-error")
    assert "11" in page.inner_text("#sc-number-error")
    page.locator(f"input[name=number-{fjordlys.pk}]").fill("8001")
    shot(page, "cleanmanager-2-create-partner")
    page.click("#sc-confirm-yes")
    page.wait_for_selector(".messagelist")
    assert erp(8001) is not None and erp(8001).name == "Fjordlys Rengøring"
    fjordlys.refresh_from_db()
    assert fjordlys.number == "8001"

    # 4. Create all partners of a search, keeping their numbers, in the background.
    page.fill("#searchbar", "Nyhavn")
    page.press("#searchbar", "Enter")
    page.click("#sc-create-all button")
    page.wait_for_selector("#sc-create-all-count")
    assert "3" in page.inner_text("#sc-create-all-count")
    page.check("input[name=numbers][value=keep]")
    shot(page, "cleanmanager-3a-create-all-confirm")
    page.click("#sc-create-all-yes")
    page.wait_for_selector("#sc-create-all-done")
    assert page.inner_text("#sc-done-count").strip() == "3 / 3"
    shot(page, "cleanmanager-3-create-all-progress")
    assert {c.customer_number for c in ErpCustomer.objects.filter(name__startswith="Nyhavn")} == {
        301,
        302,
        303,
    }
    run = SyncRun.objects.get(connection=connection, kind="partners_remote")
    assert (run.created, run.errors) == (3, 0)

    # 5. Choose partner: e-conomic's customer with the same e-mail is suggested; the fields
    #    that differ open the conflict screen.
    erp_customer(
        sandbox,
        5001,
        name="Kattegat Vindkraft A/S",
        city="Aarhus C",
        email="faktura@kattegatvind.dk",
    )
    record = EconomicConnector(connection).fetch_one("customer", "5001")
    Binding.objects.create(
        connection=connection,
        entity="customer",
        external_id="5001",
        state=Binding.State.REMOTE_ONLY,
        remote_values=record.values,
    )
    page.goto(f"{base}/admin/customers/customer/")
    page.click("a.sync-center-link")
    _tab(page, "local_only")
    page.locator("tr.sc-row", has_text="Kattegat Vind").locator("a.sc-choose").click()
    suggestion = page.locator("tr.sc-candidate").first
    assert "Kattegat Vindkraft A/S" in suggestion.inner_text()
    shot(page, "cleanmanager-5-choose-partner")
    suggestion.locator("button.sc-pick").click()

    # 6. Resolve the conflict by clicking the values to keep: e-conomic's name, our city.
    page.wait_for_selector("#conflict-table")
    name = page.locator("tr[data-field=name] td[data-side=remote]")
    city = page.locator("tr[data-field=city] td[data-side=local]")
    name.click()
    city.click()
    page.locator("tr[data-field=country] td[data-side=local]").click()
    assert "sc-chosen" in name.get_attribute("class")
    assert "sc-chosen" in city.get_attribute("class")
    shot(page, "cleanmanager-4-conflict")
    page.click("#conflict-submit")
    page.wait_for_selector(".messagelist")
    kattegat.refresh_from_db()
    assert (kattegat.name, kattegat.city) == ("Kattegat Vindkraft A/S", "Aarhus")
    assert (erp(5001).name, erp(5001).city) == ("Kattegat Vindkraft A/S", "Aarhus")
    binding = Binding.objects.get(connection=connection, entity="customer", external_id="5001")
    assert binding.state == Binding.State.LINKED

    # 7. Create in Tidsbro from e-conomic: e-conomic's number, its key there, is kept.
    erp_customer(sandbox, 6001, name="Skagen Fiskeeksport A/S", city="Skagen")
    Binding.objects.create(
        connection=connection,
        entity="customer",
        external_id="6001",
        state=Binding.State.REMOTE_ONLY,
        remote_values=EconomicConnector(connection).fetch_one("customer", "6001").values,
    )
    page.goto(f"{base}/admin/customers/customer/")
    page.click("a.sync-center-link")
    _tab(page, "remote_only")
    page.locator("tr.sc-row", has_text="Skagen Fiskeeksport").locator("button.sc-create").click()
    assert page.locator("input.sc-number").input_value() == "6001"
    assert page.locator("input.sc-number").get_attribute("readonly") is not None
    shot(page, "cleanmanager-6-create-in-tidsbro")
    page.click("#sc-confirm-yes")
    page.wait_for_selector(".messagelist")
    skagen = Customer.objects.get(name="Skagen Fiskeeksport A/S")
    assert (skagen.number, skagen.city) == ("6001", "Skagen")

    # 8. Stop the sync, then partner them again later.
    _tab(page, "linked")
    page.locator("tr.sc-row", has_text="Skagen Fiskeeksport").locator(
        "input[name=selected]"
    ).check()
    page.select_option("select[name=action]", "unlink")
    page.click("button[name=index]")
    page.click("#sc-confirm-yes")
    page.wait_for_selector(".messagelist")
    assert not Binding.objects.filter(local_id=skagen.pk, external_id="6001").exists()
    _tab(page, "excluded")
    row = page.locator("tr.sc-row", has_text="Skagen Fiskeeksport").filter(
        has=page.locator("td.sc-local:has-text('Skagen')")
    )
    row.locator("a.sc-choose").click()
    page.locator("tr.sc-candidate", has_text="Skagen Fiskeeksport").locator(
        "button.sc-pick"
    ).click()
    page.wait_for_selector(".messagelist")
    relinked = Binding.objects.get(connection=connection, entity="customer", external_id="6001")
    assert (relinked.local_id, relinked.state) == (skagen.pk, Binding.State.LINKED)

    # 9. No sync, then undo.
    _tab(page, "linked")
    page.locator("tr.sc-row", has_text="Vesterhav Software").locator("input[name=selected]").check()
    page.select_option("select[name=action]", "exclude")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    vesterhav = Binding.objects.get(connection=connection, entity="customer", external_id="11")
    assert vesterhav.state == Binding.State.EXCLUDED
    _tab(page, "excluded")
    page.locator("tr.sc-row", has_text="Vesterhav Software").locator("input[name=selected]").check()
    page.select_option("select[name=action]", "include")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    vesterhav.refresh_from_db()
    assert vesterhav.state == Binding.State.LINKED
