"""In a browser, in Norwegian at 1366 px: the home's health panel is red with counts and
links, the hour list's ERP column says a transfer failed (plain words, the ERP's text behind
"details") or waits for its project, and the history explains. Screenshots for a person to
look at go to test-artifacts/failures/."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.integrations.models import Binding, OutboxItem, SyncRun
from apps.integrations.services import DEFAULT_MASTERS
from apps.integrations.sync.waiting import marker
from tests.accounts.factories import admin_user
from tests.e2e.conftest import ARTIFACTS, admin_login
from tests.integrations.factories import connection_24so
from tests.timesheets.factories import TimeEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = ARTIFACTS / "failures"
NET_ERROR = (
    "SaveHour: Server was unable to process request. ---> System.Exception: "
    "Project 7012 does not exist"
)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def page(browser):
    context = browser.new_context(
        locale="nb-NO", timezone_id="Europe/Oslo", viewport={"width": 1366, "height": 768}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_failures_are_shown_on_the_home_the_hour_list_and_the_history(live_server, page):
    connection = connection_24so(
        username="api@example.no",
        password="secret",
        client_name="Fjordlys Rådgivning AS",
        connected=["customer", "project", "work_type", "task", "hour"],
        masters=dict(DEFAULT_MASTERS),
    )
    for entity in ("customer", "project", "work_type", "task"):
        SyncRun.objects.create(
            connection=connection,
            entity=entity,
            trigger="schedule",
            status="succeeded",
            finished_at=datetime.now(UTC),
        )
    SyncRun.objects.create(
        connection=connection,
        entity="hour",
        kind="push",
        trigger="push",
        status="failed",
        errors=1,
        error_text=NET_ERROR,
        finished_at=datetime.now(UTC),
    )
    office = admin_user(
        email="berit@fjordlys.no", first_name="Berit", last_name="Boss", language="nb"
    )
    office.set_password("Fjordlys-2026!")
    office.save()
    failed = TimeEntryFactory(user=office, description="Workshop")
    OutboxItem.objects.create(
        connection=connection,
        entity="hour",
        local_id=failed.pk,
        status=OutboxItem.Status.DEAD,
        attempts=8,
        last_error=NET_ERROR,
    )
    waiting = TimeEntryFactory(user=office, description="Analyse")
    waiting.project.number = 7012
    waiting.project.save(update_fields=["number"])
    OutboxItem.objects.create(
        connection=connection,
        entity="hour",
        local_id=waiting.pk,
        last_error=marker("project", waiting.project_id),
    )
    sent = TimeEntryFactory(user=office)
    Binding.objects.create(connection=connection, entity="hour", local_id=sent.pk, external_id="9")

    admin_login(page, live_server, "berit@fjordlys.no", "Fjordlys-2026!")
    page.goto(f"{live_server.url}/admin/")
    panel = page.locator("#integration-health")
    assert panel.get_attribute("data-level") == "error"
    assert panel.locator('[data-key="failed"] .hp-count').inner_text() == "1"
    assert panel.locator('[data-key="waiting"] .hp-count').inner_text() == "1"
    panel.scroll_into_view_if_needed()
    shot(page, "home-health-panel-nb-1366")

    page.goto(f"{live_server.url}/admin/timesheets/timeentry/")
    failed_cell = page.locator("details.erp-error").first
    failed_cell.locator("summary").first.click()
    assert failed_cell.locator("p").first.is_visible()
    assert page.locator(".erp-waiting").first.is_visible()
    shot(page, "hours-erp-column-nb-1366")

    page.goto(f"{live_server.url}/admin/integrations/syncrun/history/")
    raw = page.locator("#sc-dead details.sc-raw").first
    assert not raw.locator("pre").is_visible()  # the ERP's text only on request
    raw.locator("summary").click()
    assert "System.Exception" in raw.locator("pre").inner_text()
    shot(page, "history-nb-1366")
