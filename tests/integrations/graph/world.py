"""The Microsoft 365 sandbox world for calendar tests (apps/calendars/README.md §2), importable from any
test folder: the sandbox over real HTTP under its https name, the office's calendar
connection, and a person's REAL sign-in (Tidsbro's OAuth start → the sandbox's sign-in and
consent pages with `requests` → Tidsbro's callback → MSAL → the saved CalendarAccount).

Use the fixtures of `tests/integrations/graph/conftest.py` (`pytest_plugins =
["tests.integrations.graph.conftest"]`), or these functions directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

SANDBOX_NAME = "https://m365.sandbox.tidsbro.test"
PASSWORD = "tidsbro-demo"  # noqa: S105 - the sandbox's published demo login


@dataclass
class GraphSandbox:
    """The seeded sandbox at the live server (`url`); Graph and the login under `name`."""

    url: str
    name: str = SANDBOX_NAME

    @property
    def base(self) -> str:
        """The sandbox's real address (what the https name is routed to)."""
        return f"{self.url}/sandbox/graph"

    def mailbox(self, email: str) -> Any:
        from apps.sandbox.graph.models import Mailbox

        return Mailbox.objects.get(user_principal_name=email)

    def requests_since(self, mark: int, *, surface: str | None = None) -> list[Any]:
        """The sandbox's request log after `mark` (a RequestLog id), oldest first."""
        from apps.sandbox.graph.models import RequestLog

        rows = RequestLog.objects.filter(pk__gt=mark).order_by("pk")
        if surface:
            rows = rows.filter(surface=surface)
        return list(rows)

    def mark(self) -> int:
        from apps.sandbox.graph.models import RequestLog

        last = RequestLog.objects.order_by("-pk").values_list("pk", flat=True).first()
        return last or 0


def sandbox_start(live_server_url: str, settings: Any) -> GraphSandbox:
    """Routes the sandbox's https name to the live server and seeds it (idempotent)."""
    from apps.sandbox.graph.seed import seed

    settings.SANDBOX_GRAPH = {**settings.SANDBOX_GRAPH, "BASE_URL": SANDBOX_NAME}
    settings.GRAPH_ROUTE_FROM = SANDBOX_NAME
    settings.GRAPH_ROUTE_TO = f"{live_server_url}/sandbox/graph"
    settings.GRAPH_LOGIN_BASE = f"{SANDBOX_NAME}/login"
    settings.GRAPH_API_BASE = SANDBOX_NAME
    settings.TIDSBRO_BASE_URL = live_server_url
    seed()
    return GraphSandbox(url=live_server_url)


def connection_make(*, tenant: str | None = None, allow_write: bool = True) -> Any:
    """The office's active calendar connection (switches the integration on)."""
    from apps.integrations.models import Connection
    from apps.sandbox.graph.runtime import tenant_id

    connection = Connection(
        system="graph",
        settings={"tenant": tenant or tenant_id(), "allow_write": allow_write},
    )
    connection.credentials_doc = {}
    connection.save()
    return connection


def person_make(email: str = "kari@tidsbro.no", **extra: Any) -> Any:
    """A staff person who registers hours (may connect their calendar)."""
    user = get_user_model().objects.create_user(email=email, password="pw-" + email, **extra)
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="timesheets", codename="add_timeentry")
    )
    return user


class SignInFailed(AssertionError):
    pass


def browser_sign_in(
    authorize_url: str,
    *,
    email: str,
    password: str = PASSWORD,
    consent: bool = True,
    browser: requests.Session | None = None,
) -> str:
    """Walks the sandbox's sign-in and consent pages like a browser; returns where the
    sandbox redirects at the end (Tidsbro's callback with code and state, or an error)."""
    own = browser is None
    browser = browser or requests.Session()
    browser.trust_env = False
    try:
        return _walk(browser, authorize_url, email=email, password=password, consent=consent)
    finally:
        if own:
            browser.close()


def _walk(
    browser: requests.Session, authorize_url: str, *, email: str, password: str, consent: bool
) -> str:
    page = browser.get(authorize_url, allow_redirects=False, timeout=20)
    if page.status_code == 200 and 'name="step" value="signin"' in page.text:
        page = browser.post(
            page.url,
            data={"step": "signin", "login": email, "password": password},
            allow_redirects=False,
            timeout=20,
        )
        if page.status_code == 200 and 'name="step" value="signin"' in page.text:
            raise SignInFailed("the sandbox refused the sign-in (account or password)")
    if page.status_code == 200 and 'value="consent"' in page.text:
        page = browser.post(
            page.url,
            data={"step": "consent", "accept": "yes" if consent else "no"},
            allow_redirects=False,
            timeout=20,
        )
    if page.status_code != 302:
        text = re.sub(r"\s+", " ", page.text)[:300]
        raise SignInFailed(f"the sandbox did not redirect back ({page.status_code}): {text}")
    return page.headers["Location"]


def start_url(client: Client, *, write: bool = False, next_url: str = "") -> Any:
    """POSTs Tidsbro's OAuth start for the client's person; the response."""
    data = {"purpose": "calendar_write" if write else "calendar"}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("integrations_oauth_start", args=["graph"]), data)


def callback(client: Client, location: str) -> Any:
    """GETs Tidsbro's callback (where the sandbox redirected) in the person's session."""
    split = urlsplit(location)
    return client.get(f"{split.path}?{split.query}")


def connect(
    user: Any,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    write: bool = False,
    client: Client | None = None,
) -> Any:
    """The person's real sign-in; returns their saved CalendarAccount."""
    from apps.calendars.models import CalendarAccount

    if client is None:
        client = Client()
        client.force_login(user)
    started = start_url(client, write=write)
    if started.status_code != 302:
        raise SignInFailed(f"Tidsbro's OAuth start answered {started.status_code}")
    location = browser_sign_in(started["Location"], email=email or user.email, password=password)
    done = callback(client, location)
    if done.status_code != 302:
        raise SignInFailed(f"Tidsbro's callback answered {done.status_code}")
    account = CalendarAccount.objects.filter(user=user).first()
    if account is None:
        raise SignInFailed(f"no calendar account was saved ({_messages(client, done)})")
    return account


def _messages(client: Client, response: Any) -> str:
    from django.contrib.messages import get_messages

    request = getattr(response, "wsgi_request", None)
    return "; ".join(str(m) for m in get_messages(request)) if request else ""


def client_for(account: Any, **kwargs: Any) -> Any:
    """The production client of the person's calendar (the account read again)."""
    from apps.calendars.models import CalendarAccount
    from apps.integrations.connectors.graph.provider import PROVIDER

    return PROVIDER.client(CalendarAccount.objects.get(pk=account.pk), **kwargs)


def window(weeks_back: int = 4, weeks_ahead: int = 13) -> tuple[Any, Any]:
    """The window of apps/calendars/README.md: Monday `weeks_back` weeks ago to `weeks_ahead` weeks ahead (UTC
    midnights)."""
    import datetime as dt

    today = dt.datetime.now(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    start = dt.datetime.combine(monday - dt.timedelta(weeks=weeks_back), dt.time(), dt.UTC)
    end = dt.datetime.combine(monday + dt.timedelta(weeks=weeks_ahead), dt.time(), dt.UTC)
    return start, end


def full_round(client: Any, *, link: str = "", win: tuple[Any, Any] | None = None):
    """Pages until a delta link: (items, delta link, pages)."""
    items: list[Any] = []
    pages = 0
    win = win or window()
    while True:
        page = client.delta_page(link=link, window=win)
        pages += 1
        items.extend(page.items)
        if page.delta_link:
            return items, page.delta_link, pages
        link = page.next_link


def knobs(**values: Any) -> Any:
    """Sets the sandbox's knobs (faults, page sizes …) for the test."""
    from apps.sandbox.graph.runtime import knobs_get

    row = knobs_get()
    for name, value in values.items():
        setattr(row, name, value)
    row.save()
    return row
