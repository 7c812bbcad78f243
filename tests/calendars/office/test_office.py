"""The office side of Microsoft 365 calendars: Integrations → Activate (the tenant checked live
with the sandbox over HTTP), the settings page (the office's settings, People's calendars:
health, never contents) and the generic screens and jobs with a connection that keeps no
object types in step."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection as db_connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.calendars.models import CalendarAccount, CalendarEvent
from apps.integrations import jobs, selectors
from apps.integrations.models import Connection, OutboxItem, SyncRun
from tests.accounts.factories import admin_user, employee
from tests.integrations.factories import connection_24so
from tests.integrations.graph import world

CONNECT = reverse("admin:integrations_connection_connect")
STEP = reverse("admin:integrations_connection_connect_step", args=["office"])
SETTINGS = reverse("admin:integrations_connection_settings")
SECRET_SUBJECT = "Salary talk with Kari (confidential)"


def _admin_client(user=None) -> Client:
    client = Client()
    client.force_login(user or admin_user())
    return client


# --- Activate ------------------------------------------------------------------------------


def test_integrations_page_offers_calendars_and_the_wizard_activates_them(graph_sandbox):
    from apps.sandbox.graph.runtime import tenant_id

    client = _admin_client()
    page = client.get(CONNECT).content.decode()
    assert "Microsoft 365 calendars" in page
    assert 'value="graph"' in page  # its Activate button
    assert "Each person connects their own calendar with their own sign-in" in page

    started = client.post(CONNECT, {"system": "graph"})
    assert started.status_code == 302 and started["Location"] == STEP
    step = client.get(STEP).content.decode()
    # One step, then it is active: no "what to connect", no first sync.
    assert "Your office" in step and "What to connect" not in step
    assert 'value="organizations"' in step  # the default tenant
    assert "People may save their hours in their calendar" in step
    assert "no password" in step
    assert "/integrations/oauth/graph/callback/" in step
    assert 'name="wizard_next" value="Activate"' in step  # its one step activates it

    done = client.post(STEP, {"tenant": tenant_id(), "allow_write": "on"})
    connection = Connection.objects.get(system="graph", is_active=True)
    assert done.status_code == 302
    assert done["Location"] == f"{SETTINGS}?connection={connection.pk}"
    assert connection.settings == {"tenant": tenant_id(), "allow_write": True}
    assert connection.credentials_doc == {}
    assert connection.connected == []
    assert not SyncRun.objects.filter(connection=connection).exists()

    landed = client.get(done["Location"]).content.decode()
    assert "Each person can now connect their own calendar" in landed
    again = client.get(CONNECT).content.decode()
    assert "is already connected" in again and f"?connection={connection.pk}" in again


def test_an_unknown_tenant_is_refused_on_the_form_and_nothing_is_saved(graph_sandbox):
    client = _admin_client()
    client.post(CONNECT, {"system": "graph"})
    # The sandbox (over HTTP, through the connector's routing session) knows one tenant.
    answer = client.post(STEP, {"tenant": "nosuch.example.no", "allow_write": "on"})
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "Microsoft does not know the tenant “nosuch.example.no”" in text
    assert not Connection.objects.filter(system="graph").exists()
    # Not a tenant at all: refused before asking Microsoft.
    text = client.post(STEP, {"tenant": "a b/../c"}).content.decode()
    assert "Enter the tenant" in text
    assert not Connection.objects.filter(system="graph").exists()


def test_organizations_without_hours_in_calendars(graph_sandbox):
    client = _admin_client()
    client.post(CONNECT, {"system": "graph"})
    done = client.post(STEP, {"tenant": "organizations"})
    assert done.status_code == 302
    connection = Connection.objects.get(system="graph")
    assert connection.settings == {"tenant": "organizations", "allow_write": False}


def test_microsoft_unreachable_is_said_and_nothing_saved(settings, db):
    settings.GRAPH_ROUTE_TO = "http://127.0.0.1:9/sandbox/graph"  # nothing listens there
    client = _admin_client()
    client.post(CONNECT, {"system": "graph"})
    text = client.post(STEP, {"tenant": "organizations"}).content.decode()
    assert "could not be reached" in text
    assert not Connection.objects.exists()


def test_employees_cannot_activate(db):
    client = _admin_client(employee())
    assert client.post(CONNECT, {"system": "graph"}).status_code == 403
    assert not Connection.objects.exists()


def test_the_command_line_activates_after_a_live_check(graph_sandbox):
    from django.core.management import CommandError, call_command

    from apps.sandbox.graph.runtime import tenant_id

    with pytest.raises(CommandError, match="does not know the tenant"):
        call_command("integrations_connect", "--system", "graph", "--graph-tenant", "nope.no")
    call_command(
        "integrations_connect",
        "--system",
        "graph",
        "--graph-tenant",
        tenant_id(),
        "--graph-allow-write",
    )
    assert Connection.objects.get(system="graph").settings == {
        "tenant": tenant_id(),
        "allow_write": True,
    }


# --- The settings page ---------------------------------------------------------------------


def _account(user, connection, **extra) -> CalendarAccount:
    account = CalendarAccount(
        user=user,
        connection=connection,
        account_email=extra.pop("account_email", user.email),
        **extra,
    )
    account.state_doc = {"refresh_token": "never-shown-refresh"}
    account.save()
    CalendarEvent.objects.create(
        account=account,
        event_id=f"evt-{user.pk}",
        subject=SECRET_SUBJECT,
        body_text="Private notes in the body",
        starts_at=timezone.now(),
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )
    return account


def test_people_calendars_show_health_and_never_contents(graph_sandbox, graph_connection):
    kari = world.person_make("kari@tidsbro.no", first_name="Kari", last_name="Hansen")
    lars = world.person_make("lars@tidsbro.no", first_name="Lars", last_name="Olsen")
    world.person_make("linnea@tidsbro.no", first_name="Linnea")
    # Kari's calendar through her real sign-in at the sandbox; Lars's must be connected again.
    connected = world.connect(kari, write=True)
    CalendarEvent.objects.create(
        account=connected,
        event_id="evt-kari",
        subject=SECRET_SUBJECT,
        body_text="Private notes in the body",
        starts_at=timezone.now(),
        ends_at=timezone.now() + dt.timedelta(hours=1),
    )
    synced = timezone.now() - dt.timedelta(minutes=3)
    CalendarAccount.objects.filter(pk=connected.pk).update(last_synced_at=synced, write_hours=True)
    _account(
        lars,
        graph_connection,
        account_email="lars.olsen@tidsbro.no",
        health=CalendarAccount.Health.RECONNECT,
        problem="Connect your calendar again: Microsoft no longer accepts Tidsbro's access.",
        problem_since=timezone.now(),
    )

    admin = admin_user(first_name="Ada", last_name="Admin")
    page = _admin_client(admin).get(f"{SETTINGS}?connection={graph_connection.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Microsoft 365 calendars settings" in text
    assert "General settings" not in text  # no hour transfer for calendars
    assert "Nothing is kept in step" not in text
    # The office's settings.
    assert 'name="tenant"' in text and graph_connection.settings["tenant"] in text
    # People's calendars: who, which account, health in words, last synchronised, writes.
    assert "People&#x27;s calendars" in text or "People's calendars" in text
    assert "2 of 4 people who register hours have connected a calendar." in text
    assert "1 calendar needs attention." in text
    assert "Kari Hansen" in text and "kari@tidsbro.no" in text
    assert "Lars Olsen" in text and "lars.olsen@tidsbro.no" in text
    assert "The person must connect their calendar again" in text
    assert "Microsoft no longer accepts" in text
    assert "Working" in text
    # Never a calendar's contents, nor a secret.
    assert SECRET_SUBJECT not in text and "Private notes" not in text
    assert "never-shown-refresh" not in text
    assert "refresh_token" not in text


def test_people_table_costs_the_same_queries_for_2_or_12_people(graph_connection):
    admin = admin_user()
    client = _admin_client(admin)
    url = f"{SETTINGS}?connection={graph_connection.pk}"

    def count() -> int:
        with CaptureQueriesContext(db_connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for i in range(2):
        _account(world.person_make(f"p{i}@tidsbro.no"), graph_connection)
    count()  # the first page of a session fills caches (the sidebar's flags)
    few = count()
    for i in range(2, 12):
        _account(world.person_make(f"p{i}@tidsbro.no"), graph_connection)
    assert count() == few


def test_employees_see_no_settings_page(graph_connection):
    person = world.person_make("kari@tidsbro.no")
    _account(person, graph_connection)
    page = _admin_client(person).get(f"{SETTINGS}?connection={graph_connection.pk}")
    assert page.status_code == 403


def test_office_settings_save_and_an_unknown_tenant_changes_nothing(
    graph_sandbox, graph_connection
):
    client = _admin_client()
    url = f"{SETTINGS}?connection={graph_connection.pk}"
    tenant = graph_connection.settings["tenant"]
    saved = client.post(url, {"action": "calendar_office", "tenant": tenant}, follow=True)
    assert "Tidsbro only reads people" in saved.content.decode()
    graph_connection.refresh_from_db()
    assert graph_connection.settings == {"tenant": tenant, "allow_write": False}

    refused = client.post(
        url, {"action": "calendar_office", "tenant": "nosuch.example.no", "allow_write": "on"}
    )
    assert refused.status_code == 200
    assert "Microsoft does not know the tenant" in refused.content.decode()
    graph_connection.refresh_from_db()
    assert graph_connection.settings == {"tenant": tenant, "allow_write": False}


# --- The generic screens and jobs with a calendar connection -------------------------------


def _unimicro_erp() -> Connection:
    """An ERP whose system name sorts after the calendar's (the first-connection trap)."""
    erp = Connection(
        system="unimicro",
        settings={"mode": "api", "company_name": "Fjordlys AS", "keys": [], "active_key": ""},
        connected=["customer"],
    )
    erp.credentials_doc = {}
    erp.save()
    return erp


def test_the_erp_stays_the_erp_next_to_calendars(graph_connection):
    erp = _unimicro_erp()
    assert selectors.connection_active() == erp
    assert selectors.health_panel().connection == erp
    from apps.integrations.explain import system_name

    assert system_name() == "Unimicro"  # "the ERP" in messages is still the ERP
    client = _admin_client()
    home = client.get(reverse("admin:index"))
    assert home.status_code == 200
    center = client.get(reverse("admin:integrations_sync_center"), follow=True)
    assert center.status_code == 200
    assert "Microsoft 365 calendars" not in center.content.decode()
    history = client.get(reverse("admin:integrations_sync_history"))
    assert history.status_code == 200
    assert "Microsoft 365 calendars" not in history.content.decode()
    general = client.get(reverse("admin:integrations_connection_general"))
    assert general.status_code == 200
    assert "Unimicro" in general.content.decode()
    change = client.get(reverse("admin:integrations_connection_change", args=[graph_connection.pk]))
    assert change.status_code == 200
    # The connections list links both settings pages.
    listing = client.get(reverse("admin:integrations_connection_changelist")).content.decode()
    assert "Microsoft 365 calendars settings" in listing


def test_screens_and_jobs_with_only_calendars(graph_connection):
    client = _admin_client()
    assert selectors.connection_active() is None
    assert client.get(reverse("admin:index")).status_code == 200
    center = client.get(reverse("admin:integrations_sync_center"), follow=True)
    assert center.status_code == 200
    history = client.get(reverse("admin:integrations_sync_history"))
    assert history.status_code == 200
    # The schedules' jobs find nothing to pull, push or reconcile for it.
    assert jobs.pull_all() == "nothing connected"
    assert jobs.pull_all(full=True) == "nothing connected"
    jobs.sweep_outbox()
    jobs.reconcile_all()
    assert not SyncRun.objects.filter(connection=graph_connection).exists()


def test_approved_hours_are_not_queued_for_the_calendar_connection(graph_connection):
    from apps.core import hooks

    hooks.local_change("hour", 4711, "user_approved")
    hooks.local_change("hour", 4711, "project_approved")
    assert not OutboxItem.objects.filter(connection=graph_connection).exists()


def test_an_erp_and_calendars_side_by_side_queue_hours_for_the_erp_only(graph_connection):
    from apps.core import hooks

    erp = connection_24so(username="api@example.no", password="pw", connected=["customer", "hour"])
    hooks.local_change("hour", 4711, "user_approved")
    assert list(OutboxItem.objects.values_list("connection_id", flat=True)) == [erp.pk]


# --- The demo -------------------------------------------------------------------------------


def test_the_demo_office_has_calendars_switched_on_once(settings, db):
    from apps.demo.sandboxes import about_lines, connect_office
    from apps.sandbox.graph.runtime import tenant_id
    from config.settings.local import SANDBOXES

    settings.SANDBOXES = SANDBOXES
    [line] = connect_office()
    assert "Microsoft 365 calendars: active for the office" in line
    connection = Connection.objects.get(system="graph", is_active=True)
    assert connection.settings == {"tenant": tenant_id(), "allow_write": True}
    assert connection.credentials_doc == {}
    # Running the demo again changes nothing.
    assert connect_office() == ["Microsoft 365 calendars: already active."]
    assert Connection.objects.filter(system="graph").count() == 1
    printed = "\n".join(about_lines("http://127.0.0.1:8392"))
    assert "My calendar → Connect my Outlook calendar" in printed
    assert "tidsbro-demo" in printed


def test_orders_offer_the_erp_only_next_to_calendars(graph_connection):
    from apps.orders.admin import ChooseForm

    erp = connection_24so(username="api@example.no", password="pw", connected=["customer"])
    form = ChooseForm()
    assert list(form.fields["connection"].queryset) == [erp]
    assert form.fields["connection"].initial == erp.pk
