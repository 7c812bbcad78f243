"""A known 24SO password and session id never show up where people or logs can read them.

One story against the sandbox over real HTTP, with every logger at DEBUG: connect through the
admin's wizard (a wrong password first), replace the password, sync, a wrong 24SO password
in the services, a failed admin login. Then the captured logs, the stored sessions, django-q's
task, queue and schedule tables, the admin history, the login-attempt tables, sync runs,
outbox, admin pages and the error reports (what ADMINS would get by e-mail) are searched.
"""

import logging
import sys

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter
from django_q.models import OrmQ, Schedule, Task

from apps.core.exceptions import ApplicationError
from apps.integrations import services
from apps.integrations.connectors.twentyfourseven import onboarding as checks
from apps.integrations.models import Connection, OutboxItem, SyncRun
from apps.sandbox.twentyfourseven.models import Identity as SandboxIdentity
from apps.sandbox.twentyfourseven.models import Login
from apps.sandbox.twentyfourseven.seed import DEMO_USERNAME, seed
from tests.accounts.factories import admin_user

pytestmark = pytest.mark.django_db(transaction=True)

# Distinctive, so a hit can only be a leak.
PASSWORD = "Kj3lleR-Sekret-24so-pw"
NEW_PASSWORD = "Ny-Hemmelig-24so-pw-77"
WRONG_PASSWORD = "Feil-Passord-24so-pw-11"
ADMIN_WRONG_PASSWORD = "Admin-Feil-Passord-99"


@pytest.fixture
def sandbox(live_server, settings):
    seed()
    # The demo login with a password only this test knows.
    login = Login.objects.get(username=DEMO_USERNAME)
    Login.objects.filter(pk=login.pk).update(password=make_password(PASSWORD))
    base = f"{live_server.url}/sandbox/24so"
    settings.TWENTYFOURSEVEN_API_BASE = base
    settings.TWENTYFOURSEVEN_WEBSERVICES_BASE = base
    return login


def _error_report(call) -> str:
    """The report Django would e-mail to ADMINS (and show with DEBUG on) for this failure.

    Run in a frame of its own, so the test's own variables are not part of the report.
    """
    try:
        call()
    except ApplicationError:
        reporter = ExceptionReporter(None, *sys.exc_info())
        return reporter.get_traceback_text() + reporter.get_traceback_html()
    pytest.fail("the call did not fail")


def _sessions() -> str:
    """Every stored session, decoded (what a database reader sees)."""
    return repr([row.get_decoded() for row in Session.objects.all()])


def test_passwords_and_session_ids_never_leak(sandbox, client, caplog):
    caplog.set_level(logging.DEBUG)  # the root: every logger that propagates
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(("apps", "django", "django_q", "axes", "urllib3", "requests")):
            caplog.set_level(logging.DEBUG, logger=name)
    office = admin_user(email="office@example.no")
    reports = []

    # Connect through the admin's wizard, as a person would (a wrong password first).
    client.force_login(office)
    client.post(reverse("admin:integrations_connection_connect"), {"system": "24so"})
    start = reverse("admin:integrations_connection_connect_step", args=["credentials"])
    wrong = client.post(start, {"username": DEMO_USERNAME, "password": WRONG_PASSWORD})
    assert wrong.status_code == 200  # the step again, saying what went wrong
    assert client.post(start, {"username": DEMO_USERNAME, "password": PASSWORD}).status_code == 302
    fjordlys = SandboxIdentity.objects.get(login=sandbox, client__client_id=2400101)
    client.post(
        reverse("admin:integrations_connection_connect_step", args=["client"]),
        {"identity_id": str(fjordlys.identity_id)},
    )
    session_while_connecting = _sessions()
    client.post(
        reverse("admin:integrations_connection_connect_step", args=["integration_user"]),
        {"mode": "same"},
    )
    client.post(
        reverse("admin:integrations_connection_connect_objects"),
        {"connected": ["customer", "project", "work_type"], "sso": "on"},
    )
    connection = Connection.objects.get()
    first_session = Connection.objects.get(pk=connection.pk).state_doc.get("session_id")
    # The password changed in 24SO: the new one, on the settings screen.
    Login.objects.filter(pk=sandbox.pk).update(password=make_password(NEW_PASSWORD))
    settings_url = reverse("admin:integrations_connection_settings")
    changed = client.post(settings_url, {"action": "passwords", "replace_password": NEW_PASSWORD})
    assert changed.status_code == 302
    services.connection_sync_now(connection=connection, full=True, actor=office)
    assert SyncRun.objects.filter(connection=connection).exists()
    second_session = Connection.objects.get(pk=connection.pk).state_doc.get("session_id")
    assert first_session and second_session

    # A wrong 24SO password, as the wizard and as a credential change, in error reports.
    reports.append(
        _error_report(lambda: checks.identities(username=DEMO_USERNAME, password=WRONG_PASSWORD))
    )
    reports.append(
        _error_report(
            lambda: checks.replace_credentials(
                connection=Connection.objects.get(), password=WRONG_PASSWORD
            )
        )
    )

    # A failed admin login (another browser), and the admin's own connection pages.
    response = Client().post(
        reverse("admin:login"), {"username": office.email, "password": ADMIN_WRONG_PASSWORD}
    )
    assert response.status_code == 200
    pages = [
        client.get(reverse("admin:integrations_connection_change", args=[connection.pk])),
        client.get(settings_url),
        client.get(reverse("admin:core_auditrecord_changelist")),
        client.get(reverse("admin:django_q_success_changelist")),
    ]

    secrets = {
        "password": PASSWORD,
        "new password": NEW_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "admin password": ADMIN_WRONG_PASSWORD,
        "session id": first_session,
        "new session id": second_session,
    }
    places = {
        "logs": "\n".join(
            f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
        ),
        "django-q tasks": repr(
            list(Task.objects.values_list("name", "func", "args", "kwargs", "result"))
        ),
        "django-q queue": repr(list(OrmQ.objects.values_list("payload", flat=True))),
        "django-q schedules": repr(list(Schedule.objects.values_list("func", "args", "kwargs"))),
        "sessions": session_while_connecting + _sessions(),
        "admin history": repr(list(LogEntry.objects.values_list("object_repr", "change_message"))),
        "login attempts": repr(
            list(AccessAttempt.objects.values_list("post_data", "get_data", "username"))
            + list(AccessLog.objects.values_list("username", "path_info"))
        ),
        "sync runs": repr(list(SyncRun.objects.values())),
        "outbox": repr(list(OutboxItem.objects.values())),
        "error reports": "\n".join(reports),
        "admin pages": "\n".join(p.content.decode() for p in pages),
    }
    assert len(caplog.records) > 20  # the story was logged, at DEBUG
    assert Task.objects.exists()  # the sync ran as a django-q task
    assert len(reports) == 2
    # The credential change is in the audit trail by name, not by value.
    history = [e.get_change_message() for e in LogEntry.objects.filter(user=office)]
    assert "Changed password." in history, history
    leaks = [
        f"{secret} in {place}"
        for place, text in places.items()
        for secret, value in secrets.items()
        if value in text
    ]
    for record in caplog.records:  # which records, for the failure message
        text = f"{record.name} {record.getMessage()} {record.args!r} {record.exc_text or ''}"
        leaks += [
            f"{name} in log {record.name}: {text[:300]}"
            for name, value in secrets.items()
            if value in text
        ]
    assert not leaks, "\n".join(leaks)
