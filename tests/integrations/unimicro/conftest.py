"""Unimicro test fixtures: the sandbox served by live_server, its login page driven over real
HTTP (requests posting its forms), and a connected Unimicro connection made from a real login.

    def test_something(unimicro_connection):         # api mode, company ...0001, key "Tidsbro"
        client = UnimicroClient(unimicro_connection)
        client.list("customers")

`unimicro_sandbox` (the URLs, seeded), `unimicro_login(...)` (a LoginResult from the real
authorization-code flow) and `make_unimicro_connection(...)` are there for variations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests

from apps.integrations import services
from apps.integrations.connectors.unimicro import auth, onboarding

USER = "regnskap@tidsbro.no"
READER = "les@tidsbro.no"
PASSWORD = "tidsbro-demo"
ORG_1 = "Tidsbro Rådgivning AS"
ORG_2 = "Tidsbro Holding AS"
COMPANY_1 = "4b3e9a10-0000-4000-8000-000000000001"
COMPANY_1_TEST = "4b3e9a10-0000-4000-8000-000000000002"
COMPANY_2 = "4b3e9a10-0000-4000-8000-000000000003"
# Tidsbro's host as the sandbox sees it (loopback: the demo client accepts any port).
TIDSBRO_HOST = "127.0.0.1"
CALLBACK_PATH = "/integrations/oauth/unimicro/callback/"


# HTML FORMS OF THE SANDBOX'S LOGIN PAGES
# ------------------------------------------------------------------------------
@dataclass
class Field:
    name: str
    kind: str
    value: str
    label: str = ""
    checked: bool = False


@dataclass
class Form:
    action: str
    method: str
    fields: list[Field]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._label: list[str] | None = None
        self._labelled: list[Field] = []
        self._select: Field | None = None
        self._option: tuple[str, bool] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), []))
        elif not self.forms:
            return
        elif tag == "label":
            self._label, self._labelled = [], []
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            field = Field(a["name"], kind, a.get("value", ""), checked="checked" in a)
            self.forms[-1].fields.append(field)
            if self._label is not None:
                self._labelled.append(field)
        elif tag == "button" and a.get("name"):
            self.forms[-1].fields.append(Field(a["name"], "submit", a.get("value", "")))
            self._label, self._labelled = [], [self.forms[-1].fields[-1]]
        elif tag == "select" and a.get("name"):
            self._select = Field(a["name"], "select", "")
            self.forms[-1].fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value", ""), "selected" in a)
            if not self._select.value or "selected" in a:
                self._select.value = a.get("value", "")

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._label.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("label", "button") and self._label is not None:
            text = " ".join("".join(self._label).split())
            for field in self._labelled:
                field.label = field.label or text
            self._label, self._labelled = None, []


def forms_of(html: str) -> list[Form]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


ACCEPT = re.compile(
    r"accept|allow|yes|consent|godta|tillat|continue|fortsett|log ?in|logg inn|next|choose|velg|sign",
    re.I,
)
DENY = re.compile(r"deny|decline|cancel|avbryt|nei|no\b|reject|avslå", re.I)


def _fill(form: Form, *, username: str, password: str, organisation: str, deny: bool) -> dict:
    data: dict[str, str] = {}
    radios: dict[str, list[Field]] = {}
    submits: list[Field] = []
    for field in form.fields:
        if field.kind == "hidden":
            data[field.name] = field.value
        elif field.kind in ("text", "email") and re.search(
            r"user|mail|login|name", field.name, re.I
        ):
            data[field.name] = username
        elif field.kind == "password":
            data[field.name] = password
        elif field.kind == "radio":
            radios.setdefault(field.name, []).append(field)
        elif field.kind == "checkbox":
            data[field.name] = field.value or "on"
        elif field.kind == "select":
            data[field.name] = field.value
        elif field.kind == "submit":
            submits.append(field)
    for name, options in radios.items():
        chosen = next((o for o in options if organisation and organisation in o.label), None)
        chosen = chosen or next((o for o in options if o.checked), options[0])
        data[name] = chosen.value
    if submits:
        wanted = DENY if deny else ACCEPT
        button = next(
            (s for s in submits if wanted.search(f"{s.name} {s.value} {s.label}")),
            None,
        )
        if button is None and not deny:
            button = next(
                (s for s in submits if not DENY.search(f"{s.name} {s.value} {s.label}")),
                submits[0],
            )
        if button is not None:
            data[button.name] = button.value
    return data


def sandbox_authorize(
    authorization_url: str,
    *,
    username: str = USER,
    password: str = PASSWORD,
    organisation: str = ORG_1,
    deny: bool = False,
    max_pages: int = 8,
) -> str:
    """Drives the sandbox's login → organisation → consent pages with requests, posting each
    form as a person would; returns the URL Unimicro sends the browser back to (Tidsbro's
    callback with code/state/iss, or error)."""
    http = requests.Session()
    http.trust_env = False
    response = http.get(authorization_url, allow_redirects=False, timeout=30)
    for _page in range(max_pages):
        if response.status_code in (301, 302, 303, 307, 308):
            location = urljoin(response.url, response.headers["Location"])
            if CALLBACK_PATH in urlsplit(location).path:
                return location
            response = http.get(location, allow_redirects=False, timeout=30)
            continue
        assert response.status_code == 200, (response.status_code, response.text[:500])
        forms = [f for f in forms_of(response.text) if f.method == "post"]
        assert forms, f"no form on the sandbox page: {response.text[:500]}"
        form = forms[0]
        data = _fill(
            form, username=username, password=password, organisation=organisation, deny=deny
        )
        response = http.post(
            urljoin(response.url, unescape(form.action) or response.url),
            data=data,
            allow_redirects=False,
            timeout=30,
        )
    raise AssertionError("the sandbox's login did not come back to Tidsbro")


def callback_request(url: str, session: dict) -> Any:
    """The callback as Tidsbro's view receives it (its query and the admin's session)."""
    query = {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}
    return SimpleNamespace(GET=query, session=session)


# SANDBOX AND CONNECTION
# ------------------------------------------------------------------------------
def _seed_sandbox() -> None:
    """The sandbox's fixed coordinates (users, organisations, companies, clients); the API's
    seed seeds the identity server first."""
    from apps.sandbox.unimicro.seed import seed

    seed()


@pytest.fixture
def unimicro_sandbox(live_server, settings) -> SimpleNamespace:
    """The sandbox at live_server, seeded; Tidsbro's settings point at it."""
    settings.UNIMICRO_ISSUER = f"{live_server.url}/sandbox/unimicro/identity"
    settings.UNIMICRO_API_BASE = f"{live_server.url}/sandbox/unimicro"
    settings.UNIMICRO_CLIENT_ID = "tidsbro-demo"
    settings.UNIMICRO_CLIENT_SECRET = "tidsbro-demo-secret"  # noqa: S105 - the sandbox's
    auth.forget_providers()
    _seed_sandbox()
    yield SimpleNamespace(
        url=live_server.url,
        issuer=settings.UNIMICRO_ISSUER,
        api_base=settings.UNIMICRO_API_BASE,
        callback=f"http://{TIDSBRO_HOST}{CALLBACK_PATH}",
    )
    auth.forget_providers()


@pytest.fixture
def unimicro_login(unimicro_sandbox) -> Callable[..., auth.LoginResult]:
    """A real login: authorization URL → the sandbox's pages → callback → code exchange."""

    def login(
        *,
        username: str = USER,
        password: str = PASSWORD,
        organisation: str = ORG_1,
        purpose: str = "wizard",
    ) -> auth.LoginResult:
        session: dict = {}
        url = auth.login_start(
            SimpleNamespace(session=session),
            purpose=purpose,
            redirect_uri=unimicro_sandbox.callback,
        )
        back = sandbox_authorize(
            url, username=username, password=password, organisation=organisation
        )
        return auth.login_finish(callback_request(back, session))

    return login


class DictWizard:
    """The wizard's answers as a plain dict (the generic wizard keeps them in the session)."""

    def __init__(self, **values: Any) -> None:
        self.data = dict(values)
        self.secrets: dict[str, str] = {}

    def get(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def secret(self, name: str) -> str:
        return self.secrets.get(name, "")

    def save(self, **values: Any) -> None:
        self.data.update(values)

    def save_secret(self, **values: str) -> None:
        self.secrets.update(values)


@pytest.fixture
def make_unimicro_connection(unimicro_login) -> Callable[..., Any]:
    """A connected Unimicro connection (api mode) from a real login, created by the services
    (no first sync); keyword arguments choose the user, organisation, company, key name and
    what is connected."""

    def make(
        *,
        username: str = USER,
        organisation: str = ORG_1,
        company_key: str = COMPANY_1,
        key_name: str = "Tidsbro",
        connected: tuple[str, ...] = ("customer", "project", "task", "work_type", "user", "hour"),
        actor: Any = None,
    ) -> Any:
        result = unimicro_login(username=username, organisation=organisation)
        companies = onboarding.list_companies(result.access_token)
        company = next(c for c in companies if c["key"] == company_key)
        wizard = DictWizard(
            system="unimicro",
            mode="api",
            auth="login",
            login={"user_name": result.user_name, "subject": result.subject},
            access_expires_at=result.access_expires_at,
            companies=companies,
            company_key=company["key"],
            company_name=company["name"],
            company_org_number=company["org_number"],
            organisation_name=company["organisation_name"],
            key_name=key_name,
        )
        wizard.save_secret(access_token=result.access_token, refresh_token=result.refresh_token)
        documents = onboarding.wizard_documents(wizard)
        return services.connection_create(
            system="unimicro",
            credentials=documents.credentials,
            settings=documents.settings,
            state=documents.state,
            connected=list(connected),
            actor=actor,
        )

    return make


@pytest.fixture
def unimicro_connection(make_unimicro_connection) -> Any:
    """A connected Unimicro connection: regnskap@tidsbro.no, organisation 1, company
    "Tidsbro Rådgivning AS" (…0001), key "Tidsbro"."""
    return make_unimicro_connection()
