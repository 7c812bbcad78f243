"""The 24SevenOffice SOAP client: the only module that speaks zeep and requests to 24SO.

One `TwentyFourSevenClient` per connection (credential × identity), used by one thread at a
time. It owns one `requests.Session`, so one 24SO session cookie never reaches another
connection's calls.

- WSDLs come from the vendored files beside this module, parsed once per process; each
  service's address is the configured base (`TWENTYFOURSEVEN_API_BASE` or
  `TWENTYFOURSEVEN_WEBSERVICES_BASE`, by the host the WSDL names) plus the real path.
- Session: `Login` once, keep the id in the caller's `SessionStore`, send it as the
  `ASP.NET_SessionId` cookie to both hosts; on a "not authenticated" fault log in again once
  and retry the call once.
- Budget: every HTTP request (Login included) is counted against the hourly budget before it
  is sent; `RateLimited` is raised before 24SO's quarantine would trip, and a quarantine fault
  is recorded so that every client sharing the budget waits.
- Errors: only `Unavailable`, `AuthFailed`, `RateLimited` and `Rejected` leave this module,
  with messages free of credentials, session ids and envelopes. Replies are read with a size
  cap and a total deadline, refused if they carry a DTD or are not well-formed XML.
"""

from __future__ import annotations

import functools
import http.client
import http.cookiejar
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit
from uuid import UUID

import requests
import urllib3.exceptions
import zeep
import zeep.exceptions
from django.conf import settings as django_settings
from lxml import etree
from requests.structures import CaseInsensitiveDict
from zeep.plugins import Plugin
from zeep.transports import Transport

from apps.integrations.connectors.http import (
    FixedWindowPolicy,
    RequestBudget,
    redact,
    retry_after_seconds,
    safe_text,
)

from . import CAPABILITIES
from .errors import (
    AuthFailed,
    FaultKind,
    RateLimited,
    Rejected,
    Unavailable,
    classify_fault,
    quarantine_end,
)
from .types import (
    Address,
    CallRecord,
    ClientInfo,
    Company,
    CompanySyncPage,
    Credentials,
    Hour,
    HourSearch,
    Identity,
    InvoiceOrder,
    InvoiceOrderLine,
    Participant,
    Person,
    Project,
    ProjectRole,
    ProjectStatus,
    SaveResult,
    SyncCompany,
    Task,
    User,
    WorkType,
)

log = logging.getLogger(__name__)

WSDL_DIR = Path(__file__).resolve().parent / "wsdl"
NAMESPACE = "http://24sevenOffice.com/webservices"
SESSION_COOKIE = "ASP.NET_SessionId"
DEFAULT_API_BASE = "https://api.24sevenoffice.com"
DEFAULT_WEBSERVICES_BASE = "https://webservices.24sevenoffice.com"
# The sentinel several integrations send for "no identity chosen: use the default".
NO_IDENTITY = UUID(int=0)
# GetCompanies returns only the properties asked for.
COMPANY_PROPERTIES: tuple[str, ...] = (
    "Id",
    "ExternalId",
    "Name",
    "FirstName",
    "OrganizationNumber",
    "Type",
    "EmailAddresses",
    "PhoneNumbers",
    "Addresses",
    "Url",
    "Country",
    "Note",
    "Status",
    "DateCreated",
    "DateChanged",
)
INVOICE_PROPERTIES: tuple[str, ...] = (
    "OrderId",
    "CustomerId",
    "CustomerName",
    "OrderStatus",
    "InvoiceId",
    "DateOrdered",
    "DateInvoiced",
    "DateChanged",
    "ProjectId",
    "DepartmentId",
    "OurReference",
    "YourReference",
    "CustomerReferenceNo",
    "InvoiceTitle",
    "InvoiceText",
    "OrderTotalIncVat",
    "OrderTotalVat",
    "InvoiceRows",
)
INVOICE_ROW_PROPERTIES: tuple[str, ...] = (
    "ProductId",
    "RowId",
    "Name",
    "Quantity",
    "Price",
    "DiscountRate",
    "VatRate",
    "ProjectId",
    "DepartmentId",
    "Type",
)
# When no filter is given, "changed after the epoch" lists everything (GetCompanies needs one).
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Each service: vendored WSDL and SOAP 1.1 binding; the host and path come from the WSDL.
_SERVICES: dict[str, tuple[str, str]] = {
    "auth": ("authService.wsdl", "AuthenticateSoap"),
    "client": ("clientService.wsdl", "ClientServiceSoap"),
    "company": ("companyService.wsdl", "CompanyServiceSoap"),
    "person": ("personService.wsdl", "PersonServiceSoap"),
    "project": ("projectService.wsdl", "ProjectServiceSoap"),
    "time": ("timeService.wsdl", "TimeServiceSoap"),
    "invoice": ("invoiceService.wsdl", "InvoiceServiceSoap"),
}

# strict=False: 24SO's live schema has grown since some vendored WSDLs (TimeService is from
# 2018), and strict zeep refuses unknown elements. Well-formedness is still enforced: the
# transport parses every reply strictly before zeep sees it. Never a DTD, never entities,
# libxml2's size and depth limits kept.
ZEEP_SETTINGS = zeep.Settings(
    strict=False,
    forbid_dtd=True,
    forbid_entities=True,
    forbid_external=True,
    xml_huge_tree=False,
    force_https=False,
)

T = TypeVar("T")


# LOGGING
# ------------------------------------------------------------------------------
# zeep logs whole envelopes (with the Login password) at DEBUG: keep it quiet whatever the
# project's logging says. Values of the wrong type are logged by zeep (with the value) and
# turned into None; the filter counts them so the call can fail instead of returning holes.
class _WrongTypeCounter(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self._local = threading.local()

    def reset(self) -> None:
        self._local.count = 0

    @property
    def count(self) -> int:
        return getattr(self._local, "count", 0)

    def filter(self, record: logging.LogRecord) -> bool:
        self._local.count = self.count + 1
        return True  # let other filters see it too; the logger itself goes nowhere


_wrong_types = _WrongTypeCounter()
_simple_logger = logging.getLogger("zeep.xsd.types.simple")
# First in line, so no other filter can swallow the record before it is counted.
_simple_logger.filters.insert(0, _wrong_types)
_simple_logger.propagate = False
_simple_logger.addHandler(logging.NullHandler())
for _name in ("zeep", "zeep.transports", "zeep.wsdl.bindings.soap"):
    _logger = logging.getLogger(_name)
    if _logger.level < logging.WARNING:
        _logger.setLevel(logging.WARNING)
_simple_logger.setLevel(logging.ERROR)


# PROTOCOLS THE CALLER PROVIDES
# ------------------------------------------------------------------------------
class SessionStore(Protocol):
    """Where the 24SO session id lives between runs (the caller encrypts it)."""

    def get(self) -> str | None: ...

    def set(self, session_id: str | None) -> None: ...


class MemorySessionStore:
    """Keeps the session id in this object only: for tests and one-off calls."""

    def __init__(self, session_id: str | None = None) -> None:
        self._session_id = session_id

    def get(self) -> str | None:
        return self._session_id

    def set(self, session_id: str | None) -> None:
        self._session_id = session_id

    def __repr__(self) -> str:
        return f"MemorySessionStore(has_session={self._session_id is not None})"


class InMemoryRequestBudget:
    """A sliding-window log per key, for one process (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: dict[str, deque[datetime]] = {}
        self._blocked: dict[str, datetime] = {}

    def try_acquire(
        self, key: str, *, limit: int, window: timedelta, now: datetime
    ) -> float | None:
        with self._lock:
            blocked_until = self._blocked.get(key)
            if blocked_until is not None:
                if blocked_until > now:
                    return (blocked_until - now).total_seconds()
                del self._blocked[key]
            entries = self._log.setdefault(key, deque())
            while entries and entries[0] <= now - window:
                entries.popleft()
            if len(entries) >= max(limit, 0):
                if not entries:
                    return window.total_seconds()
                return max((entries[0] + window - now).total_seconds(), 0.001)
            entries.append(now)
            return None

    def block(self, key: str, *, until: datetime) -> None:
        with self._lock:
            current = self._blocked.get(key)
            if current is None or until > current:
                self._blocked[key] = until

    def used(self, key: str, *, window: timedelta, now: datetime) -> int:
        with self._lock:
            return sum(1 for at in self._log.get(key, ()) if at > now - window)

    def release(self, key: str) -> None:
        """Nothing to give back: requests are logged one by one as they are sent."""


# One per process, so every client in a worker shares the count for its key.
DEFAULT_BUDGET = InMemoryRequestBudget()


# WSDL DOCUMENTS
# ------------------------------------------------------------------------------
class _OfflineTransport(Transport):
    """Loads the vendored WSDL files; refuses to fetch anything over the network."""

    def __init__(self) -> None:
        super().__init__(timeout=1, operation_timeout=(1, 1))

    def load(self, url: str) -> bytes:
        if urlsplit(url).scheme in ("http", "https"):
            raise zeep.exceptions.Error("refusing to fetch a remote schema document")
        return super().load(url)

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> Any:
        raise zeep.exceptions.Error("the offline transport cannot send requests")


@functools.cache
def _document(filename: str) -> zeep.wsdl.Document:
    """Parse a vendored WSDL once per process (parsing costs milliseconds, reuse costs none)."""
    return zeep.wsdl.Document(str(WSDL_DIR / filename), _OfflineTransport(), settings=ZEEP_SETTINGS)


def _service_address(document: zeep.wsdl.Document, binding: str, *, api: str, web: str) -> str:
    """The configured base for the WSDL's host, plus the real path."""
    for service in document.services.values():
        for port in service.ports.values():
            if port.binding.name.localname == binding:
                real = urlsplit(port.binding_options["address"])
                base = web if real.hostname and real.hostname.startswith("webservices.") else api
                return base.rstrip("/") + real.path
    raise LookupError(binding)


# TRANSPORT
# ------------------------------------------------------------------------------
class _ReplyProblem(Exception):
    """The reply could not be accepted: too slow, too large, not XML, or hostile XML."""


class _NoServerCookies(http.cookiejar.DefaultCookiePolicy):
    """Our session cookie is the only truth: the server may not replace or shadow it."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        if cookie.name == SESSION_COOKIE:
            return False
        return super().set_ok(cookie, request)


class _GuardedTransport(Transport):
    """POSTs with (connect, read) timeouts, a total deadline and a size cap; no logging."""

    def __init__(
        self,
        *,
        session: requests.Session,
        timeout: tuple[float, float],
        deadline: float,
        max_bytes: int,
    ) -> None:
        super().__init__(session=session, timeout=timeout[0], operation_timeout=timeout)
        self._deadline = deadline
        self._max_bytes = max_bytes
        # Whether the current call got as far as sending, and the reply's headers.
        self.sent = False
        self.last_headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()

    def load(self, url: str) -> bytes:
        raise zeep.exceptions.Error("refusing to load documents at call time")

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        started = time.monotonic()
        self.sent = True
        response = self.session.post(
            address,
            data=message,
            headers=headers,
            timeout=self.operation_timeout,
            stream=True,
            # A redirect would carry the session cookie to wherever it points.
            allow_redirects=False,
        )
        # Header names in any casing (HTTP/2 lower-cases them).
        self.last_headers = CaseInsensitiveDict(response.headers)
        try:
            body = self._read(response, started)
        except (urllib3.exceptions.HTTPError, http.client.HTTPException, OSError) as exc:
            raise _ReplyProblem("the reply was cut off or timed out") from exc
        finally:
            response.close()
        response._content = body
        # The reply is parsed once here; large list replies are read from this tree (`_RAW`).
        response.tidsbro_root = _check_reply(response)
        return response

    def _read(self, response: requests.Response, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            if time.monotonic() - started > self._deadline:
                raise _ReplyProblem("the reply took longer than the call deadline")
            chunk = response.raw.read1(65536, decode_content=True)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > self._max_bytes:
                raise _ReplyProblem("the reply is larger than allowed")
            chunks.append(chunk)


def _reply_parser() -> etree.XMLParser:
    # A parser per call: lxml parsers must not be shared between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        recover=False,
        load_dtd=False,
        remove_comments=True,
    )


class _HttpStatus(Exception):
    """An HTTP error status without a SOAP fault to explain it."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


_FAULT = "{http://schemas.xmlsoap.org/soap/envelope/}Body/{http://schemas.xmlsoap.org/soap/envelope/}Fault"


def _check_reply(response: requests.Response) -> Any:
    """Refuse malformed or hostile XML before zeep (which parses leniently) ever sees it.

    Only a well-formed envelope without a DTD reaches zeep: on HTTP 200 the result, on an
    error status a SOAP fault; any other error reply is judged by its status alone.
    """
    status = response.status_code
    root = None
    if response.content:
        try:
            root = etree.fromstring(response.content, parser=_reply_parser())
        except (etree.XMLSyntaxError, ValueError):
            root = None
    if root is not None:
        docinfo = root.getroottree().docinfo
        if docinfo.doctype or docinfo.internalDTD is not None:
            raise _ReplyProblem("the reply carries a DTD")
    if status != 200:
        if root is None or root.find(_FAULT) is None:
            raise _HttpStatus(status)
        return root
    if not response.content:
        raise _ReplyProblem("the reply was empty")
    if root is None:
        raise _ReplyProblem("the reply is not well-formed XML")
    return root


class _AppendElements(Plugin):
    """Adds elements the live 24SO schema has but the vendored 2018 TimeService WSDL lacks.

    They are appended after the existing children: fields added to a .NET class serialize
    after the old ones.
    """

    def __init__(self) -> None:
        self.pending: dict[str, tuple[str, list[tuple[str, Any]]]] = {}

    def egress(
        self, envelope: Any, http_headers: dict[str, str], operation: Any, binding_options: Any
    ) -> tuple[Any, dict[str, str]]:
        extra = self.pending.pop(operation.name, None)
        if extra:
            parent_name, children = extra
            parent = envelope.find(f".//{{{NAMESPACE}}}{parent_name}")
            if parent is not None:
                for name, value in children:
                    element = etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")
                    if isinstance(value, list | tuple):
                        for item in value:
                            etree.SubElement(element, f"{{{NAMESPACE}}}int").text = str(item)
                    else:
                        element.text = value
        return envelope, http_headers


# THE CLIENT
# ------------------------------------------------------------------------------
class _SessionRefused(Exception):
    """24SO no longer knows our session: log in again (once)."""


@dataclass(frozen=True)
class _Config:
    application_id: UUID
    api_base: str
    webservices_base: str
    timeout: tuple[float, float]
    deadline: float
    max_bytes: int
    requests_per_hour: int
    reserve: int


def _setting(name: str, default: T) -> T:
    return getattr(django_settings, name, default)


class TwentyFourSevenClient:
    """Typed calls to 24SO for one connection; see the module docstring for the guarantees."""

    capabilities = CAPABILITIES
    BUDGET_WINDOW = timedelta(hours=1)

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        session_store: SessionStore | None = None,
        application_id: UUID | str | None = None,
        base_url: str | None = None,
        api_base: str | None = None,
        webservices_base: str | None = None,
        timeout: tuple[float, float] | None = None,
        deadline: float | None = None,
        max_response_bytes: int | None = None,
        budget: RequestBudget | None = None,
        budget_key: str | None = None,
        requests_per_hour: int | None = None,
        budget_reserve: int | None = None,
        on_request: Callable[[CallRecord], None] | None = None,
    ) -> None:
        app_id = application_id or _setting("TWENTYFOURSEVEN_APPLICATION_ID", "")
        if not app_id:
            raise ValueError("a 24SevenOffice ApplicationId is required")
        self._config = _Config(
            application_id=UUID(str(app_id)),
            api_base=api_base or base_url or _setting("TWENTYFOURSEVEN_API_BASE", DEFAULT_API_BASE),
            webservices_base=webservices_base
            or base_url
            or _setting("TWENTYFOURSEVEN_WEBSERVICES_BASE", DEFAULT_WEBSERVICES_BASE),
            timeout=timeout
            or (
                float(_setting("TWENTYFOURSEVEN_CONNECT_TIMEOUT", 5.0)),
                float(_setting("TWENTYFOURSEVEN_READ_TIMEOUT", 60.0)),
            ),
            deadline=float(deadline or _setting("TWENTYFOURSEVEN_CALL_DEADLINE", 120.0)),
            max_bytes=int(
                max_response_bytes
                or _setting("TWENTYFOURSEVEN_MAX_RESPONSE_BYTES", 50 * 1024 * 1024)
            ),
            requests_per_hour=int(
                requests_per_hour or _setting("TWENTYFOURSEVEN_REQUESTS_PER_HOUR", 7200)
            ),
            reserve=int(
                budget_reserve
                if budget_reserve is not None
                else _setting("TWENTYFOURSEVEN_BUDGET_RESERVE", 360)
            ),
        )
        self._credentials = credentials
        self._identity_id = credentials.identity_id if credentials else None
        self._store: SessionStore = session_store or MemorySessionStore()
        # The hourly budget (shared by every client of the key), on the REST clients' policy.
        self._policy = FixedWindowPolicy(
            budget=budget or DEFAULT_BUDGET,
            key=budget_key or f"24so:{self._config.application_id}",
            limit=self._config.requests_per_hour,
            reserve=self._config.reserve,
            window=self.BUDGET_WINDOW,
            label="24SevenOffice",
            spent_message="the hourly request budget for 24SevenOffice is spent",
        )
        self._http = requests.Session()
        # Never pick up proxies or CA bundles from the environment by accident.
        self._http.trust_env = False
        self._http.cookies.set_policy(_NoServerCookies())
        self._http.headers["User-Agent"] = "Tidsbro 24SO connector"
        self._transport = _GuardedTransport(
            session=self._http,
            timeout=self._config.timeout,
            deadline=self._config.deadline,
            max_bytes=self._config.max_bytes,
        )
        self._additions = _AppendElements()
        # Told about every HTTP request (for run histories); never sees payloads or secrets.
        self._on_request = on_request
        self._requests = 0
        self._proxies: dict[str, Any] = {}
        self._cookie_session: str | None = None
        self._raw_reply = False  # whether the last reply was read from the tree (_RAW_REPLIES)

    # LIFECYCLE
    # --------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connections (the stored session stays valid) and give back the
        requests the budget reserved for this client and did not send."""
        try:
            self._policy.release()
        except Exception:  # closing never fails; unspent reservations then age out in an hour
            log.warning("could not give back the unspent request budget", exc_info=True)
        finally:
            self._http.close()

    def __enter__(self) -> TwentyFourSevenClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        user = self._credentials.username if self._credentials else None
        return f"<TwentyFourSevenClient user={user!r} api={self._config.api_base!r}>"

    @property
    def budget_key(self) -> str:
        return self._policy.key

    @property
    def requests(self) -> int:
        """HTTP requests this client has sent so far (Logins included)."""
        return self._requests

    # AUTHENTICATION
    # --------------------------------------------------------------------------
    def login(self) -> None:
        """Log in with the credentials and store the new session id (one request)."""
        self._login()

    def logout_locally(self) -> None:
        """Forget the session id here and in the store (24SO has no Logout operation)."""
        self._forget_session()

    def has_session(self) -> bool:
        """Ask 24SO whether the stored session is still alive (one request, no re-login)."""
        session_id = self._store.get()
        if not session_id:
            return False
        self._use_cookie(session_id)
        try:
            result = self._send("auth", "HasSession", {})
        except _SessionRefused:
            return False
        return bool(result)

    def get_identity(self) -> Identity | None:
        """The identity (client) the session currently works in."""
        result = self._call("auth", "GetIdentity", {})
        return self._map("GetIdentity", _identity_or_none, result)

    def get_identities(self) -> tuple[Identity, ...]:
        """The identities the logged-in user may switch to."""
        result = self._call("auth", "GetIdentities", {})
        return self._map("GetIdentities", _identities, result)

    def set_identity(self, identity_id: UUID) -> None:
        """Switch the session to another client; `Rejected` if 24SO refuses.

        Later logins of this client ask for the same identity, so an expired session never
        lands silently in the default client. Persist the choice as `Credentials.identity_id`.
        """
        ok = self._call("auth", "SetIdentityById", {"identityId": str(identity_id)})
        if not ok:
            raise Rejected(
                "24SevenOffice refused to switch to that identity", operation="SetIdentityById"
            )
        self._identity_id = identity_id

    def get_identities_with_credential(self) -> tuple[Identity, ...]:
        """The clients the credentials can reach, without a session (onboarding wizard).

        Raises `AuthFailed` when 24SO knows no identity for them (wrong username or password).
        """
        result = self._send(
            "auth",
            "GetIdentitiesWithCredential",
            {"credential": self._credential_payload()},
            auth_call=True,
        )
        identities = self._map("GetIdentitiesWithCredential", _identities, result)
        if not identities:
            raise AuthFailed(
                "24SevenOffice refused the username or password",
                operation="GetIdentitiesWithCredential",
            )
        return identities

    # CLIENT
    # --------------------------------------------------------------------------
    def get_client_information(self) -> ClientInfo:
        result = self._call("client", "GetClientInformation", {})
        return self._map("GetClientInformation", _client_info, result)

    def get_users(self) -> tuple[User, ...]:
        result = self._call("client", "GetUsers", {})
        return self._map("GetUsers", lambda r: tuple(_user(u) for u in _items(r, "User")), result)

    # COMPANIES
    # --------------------------------------------------------------------------
    def get_companies(
        self,
        *,
        changed_after: datetime | None = None,
        company_ids: Sequence[int] = (),
        external_id: str | None = None,
        name: str | None = None,
        organization_number: str | None = None,
        return_properties: Sequence[str] = COMPANY_PROPERTIES,
    ) -> tuple[Company, ...]:
        """Companies matching the filters (all when none); only `return_properties` are filled.

        `changed_after` is compared at minute resolution: pass the watermark minus an overlap.
        """
        search = _compact(
            {
                "ChangedAfter": _out_dt(changed_after),
                "CompanyIds": _array_of_int(company_ids),
                "ExternalId": external_id,
                "CompanyName": name,
                "OrganizationNumber": organization_number,
            }
        )
        if not search:
            search = {"ChangedAfter": _out_dt(EPOCH)}
        result = self._call(
            "company",
            "GetCompanies",
            {"searchParams": search, "returnProperties": {"string": list(return_properties)}},
        )
        items = _items(result, "Company")
        problems = self._map("GetCompanies", _api_exceptions, items)
        if problems:
            raise Rejected(problems[0], operation="GetCompanies", messages=problems)
        return self._map("GetCompanies", lambda r: tuple(_company(c) for c in r), items)

    def iter_company_sync_list(
        self,
        *,
        changed_after: datetime | None = None,
        registered_after: datetime | None = None,
        active: bool | None = None,
    ) -> Iterator[SyncCompany]:
        """Every line of the company sync feed, page after page (one request per page)."""
        page = 1
        while True:
            result = self.get_company_sync_list(
                changed_after=changed_after,
                registered_after=registered_after,
                page=page,
                active=active,
            )
            yield from result.items
            if not result.has_next or not result.items:
                return
            page += 1

    def get_company_sync_list(
        self,
        *,
        changed_after: datetime | None = None,
        registered_after: datetime | None = None,
        page: int = 1,
        active: bool | None = None,
    ) -> CompanySyncPage:
        """One page (1-based, 1000 per page) of ids changed after; `active=False` = deleted."""
        search = _compact(
            {
                "Page": page,
                "ChangedAfter": _out_dt(changed_after),
                "RegisteredAfter": _out_dt(registered_after),
            }
        )
        search["Active"] = active  # required but nillable: nil means active and deleted
        result = self._call("company", "GetCompanySyncList", {"syncSearchParameters": search})
        return self._map("GetCompanySyncList", lambda r: _sync_page(r, page), result)

    def save_companies(self, companies: Sequence[Company]) -> tuple[SaveResult, ...]:
        """Create (id None) or update companies; one result per input, in order."""
        if not companies:
            return ()
        payload = {"Company": [_company_payload(c) for c in companies]}
        result = self._call("company", "SaveCompanies", {"companies": payload})
        return self._map(
            "SaveCompanies",
            lambda r: _save_results(_items(r, "Company"), "Id", len(companies)),
            result,
        )

    # PERSONS
    # --------------------------------------------------------------------------
    def get_persons(
        self,
        *,
        changed_after: datetime | None = None,
        is_employee: bool | None = None,
        person_id: int | None = None,
        email: str | None = None,
        customer_id: int | None = None,
        name: str | None = None,
    ) -> tuple[Person, ...]:
        search = _compact(
            {
                "ChangedAfter": _out_dt(changed_after),
                "IsEmployee": _out_tri(is_employee),
                "Id": person_id,
                "Email": email,
                "CustomerId": customer_id,
                "Name": name,
            }
        )
        result = self._call("person", "GetPersons", {"personSearch": search})
        return self._map(
            "GetPersons", lambda r: tuple(_person(p) for p in _items(r, "PersonItem")), result
        )

    # PROJECTS
    # --------------------------------------------------------------------------
    def get_project_list(
        self,
        *,
        changed_after: datetime | None = None,
        project_ids: Sequence[int] = (),
        customer_id: int | None = None,
        all_open: bool | None = None,
    ) -> tuple[Project, ...]:
        """Active projects (changed after, minute resolution)."""
        return self._projects(
            "GetProjectList", "Ps", changed_after, project_ids, customer_id, all_open
        )

    def get_projects_detailed(
        self,
        *,
        changed_after: datetime | None = None,
        project_ids: Sequence[int] = (),
        customer_id: int | None = None,
        all_open: bool | None = None,
    ) -> tuple[Project, ...]:
        """Active projects with participants and the other "detailed" fields."""
        return self._projects(
            "GetProjectsDetailed", "Ps", changed_after, project_ids, customer_id, all_open
        )

    def get_deactivated_projects(
        self,
        *,
        changed_after: datetime | None = None,
        project_ids: Sequence[int] = (),
        customer_id: int | None = None,
    ) -> tuple[Project, ...]:
        """Inactive projects (24SO has no "active" flag: they come from their own list)."""
        return self._projects(
            "GetDeactivatedProjects", "ps", changed_after, project_ids, customer_id, None
        )

    def _projects(
        self,
        operation: str,
        argument: str,
        changed_after: datetime | None,
        project_ids: Sequence[int],
        customer_id: int | None,
        all_open: bool | None,
    ) -> tuple[Project, ...]:
        search = _compact(
            {
                "ChangedAfter": _out_dt(changed_after),
                "ProjectIds": _array_of_int(project_ids),
                "CustomerId": customer_id,
                "AllOpenProjects": all_open,
            }
        )
        result = self._call("project", operation, {argument: search})
        # 24SO has no "active" flag: the list a project comes from says it.
        active = operation != "GetDeactivatedProjects"
        return self._map(
            operation,
            lambda r: tuple(replace(_project(p), active=active) for p in _items(r, "Project")),
            result,
        )

    def get_single_project(self, project_id: int) -> Project | None:
        result = self._call("project", "GetSingleProject", {"projectId": project_id})
        return self._map(
            "GetSingleProject", lambda r: _project(r) if _present(r, "Id") else None, result
        )

    def save_project(self, project: Project) -> int:
        """Create (id None) or update a project; returns the project number 24SO holds.

        Send the whole project: .NET fills elements left out with defaults, so 24SO may reset
        what an update omits.
        """
        result = self._call("project", "SaveProject", {"project": _project_payload(project)})
        return self._map("SaveProject", _saved_id, result)

    def get_project_statuses(self) -> tuple[ProjectStatus, ...]:
        result = self._call("project", "GetProjectStatuses", {})
        return self._map(
            "GetProjectStatuses",
            lambda r: tuple(
                ProjectStatus(
                    id=_req_int(_get(s, "Id")),
                    name=_str(_get(s, "Name")),
                    active=_bool(_get(s, "Active"), default=True),
                )
                for s in _items(r, "Status")
            ),
            result,
        )

    def get_project_roles(self) -> tuple[ProjectRole, ...]:
        result = self._call("project", "GetProjectRoles", {})
        return self._map(
            "GetProjectRoles", lambda r: tuple(_role(x) for x in _items(r, "Role")), result
        )

    def get_project_tasks(self, project_id: int) -> tuple[Task, ...]:
        result = self._call("project", "GetProjectTasks", {"projectId": project_id})
        return self._map(
            "GetProjectTasks", lambda r: tuple(_task(t) for t in _items(r, "Task")), result
        )

    def save_project_task(self, task: Task) -> int:
        """Create (id None) or update a task; 24SO needs name, project, start and stop.

        Send the whole task (see `save_project`); `participants` replaces the assignees.
        """
        result = self._call("project", "SaveProjectTask", {"task": _task_payload(task)})
        return self._map("SaveProjectTask", _saved_id, result)

    def get_project_participants(
        self, *, project_ids: Sequence[int], changed_after: datetime | None = None
    ) -> tuple[Participant, ...]:
        """Members of the projects, flattened; `changed_after` at minute resolution."""
        result = self._call(
            "project",
            "GetProjectParticipants",
            {
                "ProjectIds": {"int": list(project_ids)},
                "ChangedAfter": _out_dt(changed_after or EPOCH),
            },
        )
        return self._map("GetProjectParticipants", _participants, result)

    # TIME
    # --------------------------------------------------------------------------
    def get_work_types(
        self, *, active: bool | None = None, project_id: int | None = None
    ) -> tuple[WorkType, ...]:
        """Work types; with `project_id` those allowed on it (24SO then ignores `active`)."""
        search = _compact({"Active": _out_tri(active, unknown="none"), "ProjectId": project_id})
        result = self._call("time", "GetWorkTypeList", {"Wts": search})
        return self._map(
            "GetWorkTypeList", lambda r: tuple(_work_type(w) for w in _items(r, "WorkType")), result
        )

    def get_hours(self, search: HourSearch) -> tuple[Hour, ...]:
        """Hours matching the search. ChangedAfter/RegisteredAfter ignore seconds (see HourSearch)."""
        if len(search.hour_ids) > 1000:
            raise ValueError("24SevenOffice accepts at most 1000 hour ids per search")
        payload = _compact(
            {
                "Status": search.status,
                "IncludeSalaryType": search.include_salary_type,
                "StartTime": _out_dt(search.start_time),
                "StopTime": _out_dt(search.stop_time),
            }
        )
        # Required by the vendored WSDL; 0 means "any".
        payload["ContactId"] = search.contact_id or 0
        payload["ProjectId"] = search.project_id or 0
        extra: list[tuple[str, Any]] = []
        if search.type_of_work_id is not None:
            extra.append(("TypeOfWorkId", str(search.type_of_work_id)))
        if search.changed_after is not None:
            extra.append(("ChangedAfter", _iso(search.changed_after)))
        if search.registered_after is not None:
            extra.append(("RegisteredAfter", _iso(search.registered_after)))
        if search.hour_ids:
            extra.append(("HourIds", list(search.hour_ids)))
        result = self._call("time", "GetHours", {"hs": payload}, extra=("hs", extra))
        return self._map("GetHours", lambda r: tuple(_hour(h) for h in _items(r, "Hour")), result)

    def get_hours_by_ids(self, hour_ids: Iterable[int], *, chunk: int = 1000) -> tuple[Hour, ...]:
        """The hours with these ids that still exist (for reconciling deletions), in chunks
        of at most 1000 ids per request."""
        ids = list(dict.fromkeys(int(i) for i in hour_ids))
        size = max(1, min(chunk, 1000))
        found: list[Hour] = []
        for start in range(0, len(ids), size):
            found.extend(self.get_hours(HourSearch(hour_ids=tuple(ids[start : start + size]))))
        return tuple(found)

    def save_hour(self, hour: Hour) -> int:
        """Create (id None) or update an hour; returns its id.

        Send the whole hour (see `save_project`). 24SO has no idempotency key for hours: after
        an ambiguous `Unavailable` look the hour up before saving it again.
        """
        extra: list[tuple[str, Any]] = []
        if hour.internal_note:
            extra.append(("InternalNote", hour.internal_note))
        result = self._call(
            "time", "SaveHour", {"Hour": _hour_payload(hour)}, extra=("Hour", extra)
        )
        return self._map("SaveHour", _saved_id, result)

    def delete_hour(self, hour_id: int) -> bool:
        """Delete an hour; False when 24SO did not delete it (already gone, locked …)."""
        result = self._call("time", "DeleteHour", {"Hour": {"Id": hour_id}})
        return self._map("DeleteHour", lambda r: bool(r), result)

    # ORDERS
    # --------------------------------------------------------------------------
    def save_invoices(self, orders: Sequence[InvoiceOrder]) -> tuple[SaveResult, ...]:
        """Create (order_id None) orders; one result (the order id) per input, in order."""
        if not orders:
            return ()
        payload = {"InvoiceOrder": [_invoice_payload(o) for o in orders]}
        result = self._call("invoice", "SaveInvoices", {"invoices": payload})
        return self._map(
            "SaveInvoices",
            lambda r: _save_results(_items(r, "InvoiceOrder"), "OrderId", len(orders)),
            result,
        )

    def get_invoices(
        self,
        *,
        order_ids: Sequence[int] = (),
        invoice_ids: Sequence[int] = (),
        customer_ids: Sequence[int] = (),
        changed_after: datetime | None = None,
        invoice_properties: Sequence[str] = INVOICE_PROPERTIES,
        row_properties: Sequence[str] = INVOICE_ROW_PROPERTIES,
    ) -> tuple[InvoiceOrder, ...]:
        search = _compact(
            {
                "OrderIds": _array_of_int(order_ids),
                "InvoiceIds": _array_of_int(invoice_ids),
                "CustomerIds": _array_of_int(customer_ids),
                "ChangedAfter": _out_dt(changed_after),
            }
        )
        if not search:
            search = {"ChangedAfter": _out_dt(EPOCH)}
        result = self._call(
            "invoice",
            "GetInvoices",
            {
                "searchParams": search,
                "invoiceReturnProperties": {"string": list(invoice_properties)},
                "rowReturnProperties": {"string": list(row_properties)},
            },
        )
        return self._map(
            "GetInvoices", lambda r: tuple(_invoice(o) for o in _items(r, "InvoiceOrder")), result
        )

    # PLUMBING
    # --------------------------------------------------------------------------
    def _call(
        self,
        service: str,
        operation: str,
        arguments: dict[str, Any],
        *,
        extra: tuple[str, list[tuple[str, Any]]] | None = None,
    ) -> Any:
        """Send with a session: log in when there is none, and when 24SO refuses the session
        retry once — with a session another worker stored meanwhile, else after one new Login.
        At most one Login per call."""
        logged_in = adopted = False
        while True:
            session_id, fresh = self._ensure_session()
            logged_in = logged_in or fresh
            if extra and extra[1]:
                self._additions.pending[operation] = extra
            try:
                return self._send(service, operation, arguments)
            except _SessionRefused:
                stored = self._store.get()
                if stored and stored != session_id and not adopted:
                    adopted = True  # renewed by another worker: no need to log in again
                    continue
                self._drop_session(session_id)
                if logged_in or self._credentials is None:
                    raise AuthFailed(
                        "24SevenOffice does not accept the session", operation=operation
                    ) from None
                log.info("24SO session expired during %s; logging in again", operation)
            finally:
                self._additions.pending.pop(operation, None)

    def _ensure_session(self) -> tuple[str, bool]:
        """The session to use (stored, or from a new Login) and whether it is brand new."""
        session_id = self._store.get()
        if session_id:
            self._use_cookie(session_id)
            return session_id, False
        if self._credentials is None:
            raise AuthFailed("no 24SevenOffice session and no credentials to log in")
        return self._login(), True

    def _login(self) -> str:
        if self._credentials is None:
            raise AuthFailed("no 24SevenOffice credentials to log in with", operation="Login")
        self._http.cookies.clear()
        self._cookie_session = None
        result = self._send(
            "auth", "Login", {"credential": self._credential_payload()}, auth_call=True
        )
        session_id = result.strip() if isinstance(result, str) else ""
        if not session_id:
            raise AuthFailed("24SevenOffice refused the username or password", operation="Login")
        self._store.set(session_id)
        self._use_cookie(session_id)
        log.info("Logged in to 24SO as %s", self._credentials.username)
        return session_id

    def _drop_session(self, session_id: str) -> None:
        """Forget a session 24SO refused (in the store only if nobody replaced it yet)."""
        if self._store.get() == session_id:
            self._store.set(None)
        self._http.cookies.clear()
        self._cookie_session = None

    def _credential_payload(self) -> dict[str, Any]:
        if self._credentials is None:
            raise AuthFailed("no 24SevenOffice credentials")
        payload: dict[str, Any] = {
            "ApplicationId": str(self._config.application_id),
            "Username": self._credentials.username,
            "Password": self._credentials.password,
        }
        if self._identity_id is not None:
            payload["IdentityId"] = str(self._identity_id)
        return payload

    def _use_cookie(self, session_id: str) -> None:
        if self._cookie_session == session_id:
            return
        self._http.cookies.clear()
        # No domain: the jar sends it to both 24SO hosts (and only they are ever called).
        self._http.cookies.set(SESSION_COOKIE, session_id)
        self._cookie_session = session_id

    def _forget_session(self) -> None:
        self._store.set(None)
        self._http.cookies.clear()
        self._cookie_session = None

    def _proxy(self, service: str) -> Any:
        proxy = self._proxies.get(service)
        if proxy is None:
            filename, binding = _SERVICES[service]
            document = _document(filename)
            client = zeep.Client(
                document,
                transport=self._transport,
                settings=ZEEP_SETTINGS,
                plugins=[self._additions],
            )
            address = _service_address(
                document,
                binding,
                api=self._config.api_base,
                web=self._config.webservices_base,
            )
            proxy = client.create_service(f"{{{NAMESPACE}}}{binding}", address)
            self._proxies[service] = proxy
        return proxy

    def _spend(self, operation: str) -> None:
        """Count one request against the hourly budget less the reserve, or `RateLimited`."""
        self._policy.acquire(operation)

    def _send(
        self,
        service: str,
        operation: str,
        arguments: dict[str, Any],
        *,
        auth_call: bool = False,
    ) -> Any:
        """One HTTP request: budget, call, errors mapped, one log line, the observer told."""
        proxy = self._proxy(service)
        self._spend(operation)
        self._requests += 1
        started_at = datetime.now(UTC)
        started = time.monotonic()
        error: BaseException | None = None
        try:
            return self._exchange(proxy, operation, arguments, auth_call=auth_call)
        except BaseException as exc:
            error = exc
            raise
        finally:
            elapsed_ms = int((time.monotonic() - started) * 1000)
            self._honour_limit_headers()
            self._record(service, operation, started_at, elapsed_ms, error)

    def _exchange(
        self, proxy: Any, operation: str, arguments: dict[str, Any], *, auth_call: bool
    ) -> Any:
        _wrong_types.reset()
        self._transport.sent = False
        self._transport.last_headers = CaseInsensitiveDict()
        try:
            self._raw_reply = operation in _RAW_REPLIES
            if self._raw_reply:
                with proxy._client.settings(raw_response=True):
                    response = getattr(proxy, operation)(**arguments)
                result = _raw_result(proxy, operation, response)
            else:
                result = getattr(proxy, operation)(**arguments)
        except zeep.exceptions.Fault as exc:
            raise self._fault(exc, operation, auth_call=auth_call) from None
        except zeep.exceptions.TransportError as exc:
            raise self._http_status(exc.status_code, operation) from None
        except _HttpStatus as exc:
            raise self._http_status(exc.status, operation) from None
        except _ReplyProblem as exc:
            raise Unavailable(str(exc), operation=operation, ambiguous=True) from None
        except requests.exceptions.ConnectTimeout:
            raise Unavailable(
                "24SevenOffice did not accept the connection in time", operation=operation
            ) from None
        except requests.exceptions.ReadTimeout:
            raise Unavailable(
                "24SevenOffice did not answer in time", operation=operation, ambiguous=True
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise Unavailable(
                "could not reach 24SevenOffice",
                operation=operation,
                ambiguous=not _never_connected(exc),
            ) from None
        except requests.exceptions.RequestException:
            raise Unavailable(
                "the request to 24SevenOffice failed", operation=operation, ambiguous=True
            ) from None
        except (
            zeep.exceptions.Error,
            etree.LxmlError,
            ValueError,
            TypeError,
            LookupError,
            AttributeError,
        ) as exc:
            if not self._transport.sent:
                # Raised while building the envelope: nothing was sent.
                raise Rejected(
                    f"the request could not be built: {_safe_text(exc)}", operation=operation
                ) from None
            raise Unavailable(
                "24SevenOffice sent a reply that could not be read",
                operation=operation,
                ambiguous=True,
            ) from None
        if _wrong_types.count:
            raise Unavailable(
                "24SevenOffice sent values of the wrong type", operation=operation, ambiguous=True
            )
        return result

    def _redact(self, text: str) -> str:
        """A server text with our password and session id blanked, should it echo them."""
        secrets = [self._cookie_session or ""]
        if self._credentials is not None:
            secrets.append(self._credentials.password)
        return redact(text, secrets)

    def _honour_limit_headers(self) -> None:
        """24SO may report the requests left this hour; stop at the reserve like our own count."""
        headers = self._transport.last_headers
        remaining = headers.get("APILimitRemaining")
        if remaining is None:
            return
        try:
            left = int(remaining)
        except ValueError:
            return
        if left > self._config.reserve:
            return
        now = datetime.now(UTC)
        until = quarantine_end(f"Quarantine ends at {headers.get('APILimitReset', '')}", now=now)
        self._policy.block(until=until)

    def _record(
        self,
        service: str,
        operation: str,
        started_at: datetime,
        elapsed_ms: int,
        error: BaseException | None,
    ) -> None:
        if error is None:
            log.debug("24SO %s ok in %d ms", operation, elapsed_ms)
            kind = message = ""
        else:
            kind = "SessionExpired" if isinstance(error, _SessionRefused) else type(error).__name__
            message = str(error) if not isinstance(error, _SessionRefused) else ""
            log.warning("24SO %s failed in %d ms: %s %s", operation, elapsed_ms, kind, message)
        if self._on_request is not None:
            self._on_request(
                CallRecord(
                    service=service,
                    operation=operation,
                    started_at=started_at,
                    duration_ms=elapsed_ms,
                    error=kind,
                    message=message,
                )
            )

    def _fault(self, exc: zeep.exceptions.Fault, operation: str, *, auth_call: bool) -> Exception:
        text = self._redact(_safe_text(exc.message))
        kind = classify_fault(text)
        if kind is FaultKind.QUARANTINE:
            now = datetime.now(UTC)
            until = quarantine_end(text, now=now)
            self._policy.block(until=until)
            return RateLimited(
                "24SevenOffice has put the integration in quarantine",
                operation=operation,
                retry_after=(until - now).total_seconds(),
                until=until,
            )
        if kind is FaultKind.IDENTITY:
            return AuthFailed(text or "the identity is blocked", operation=operation)
        if kind is FaultKind.SESSION:
            if auth_call:
                return AuthFailed(text or "not authenticated", operation=operation)
            return _SessionRefused()
        if kind is FaultKind.TRANSIENT:
            return Unavailable(text, operation=operation, ambiguous=True)
        if auth_call:
            # Any other refusal of a login ("The username or password is incorrect.").
            return AuthFailed(text or "24SevenOffice refused the login", operation=operation)
        return Rejected(text or "24SevenOffice refused the request", operation=operation)

    def _http_status(self, status: int | None, operation: str) -> Exception:
        if status == 429:
            retry_after = retry_after_seconds(self._transport.last_headers.get("Retry-After"))
            return RateLimited(
                "24SevenOffice asks to slow down", operation=operation, retry_after=retry_after
            )
        if status in (401, 403):
            return AuthFailed(f"HTTP {status} from 24SevenOffice", operation=operation)
        if status is None or status >= 500 or status in (404, 408) or status < 400:
            return Unavailable(
                f"HTTP {status} from 24SevenOffice", operation=operation, ambiguous=True
            )
        return Rejected(f"HTTP {status} from 24SevenOffice", operation=operation)

    def _map(self, operation: str, mapper: Callable[[Any], T], result: Any) -> T:
        """Turn a zeep reply into records; a reply that does not fit is `Unavailable`."""
        try:
            return mapper(result)
        except (TypeError, ValueError, ArithmeticError):
            # A reply read from the tree meets its values' types here, not in zeep's parse.
            if self._raw_reply:
                raise Unavailable(
                    "24SevenOffice sent values of the wrong type",
                    operation=operation,
                    ambiguous=True,
                ) from None
            raise Unavailable(
                "24SevenOffice sent a reply that does not match its schema",
                operation=operation,
                ambiguous=True,
            ) from None
        except (AttributeError, KeyError, IndexError):
            raise Unavailable(
                "24SevenOffice sent a reply that does not match its schema",
                operation=operation,
                ambiguous=True,
            ) from None


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection was never made (so nothing reached 24SO)."""
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(
        reason, urllib3.exceptions.NewConnectionError | urllib3.exceptions.NameResolutionError
    )


# A fault or error text cut to size, on one line (the REST clients' helper).
_safe_text = safe_text


# OUTBOUND HELPERS
# ------------------------------------------------------------------------------
def _compact(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _out_dt(value: datetime | None) -> datetime | None:
    """An aware datetime in UTC (zeep writes it with Z); naive datetimes are ambiguous."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("24SevenOffice needs timezone-aware datetimes")
    return value.astimezone(UTC).replace(microsecond=0)


def _iso(value: datetime) -> str:
    out = _out_dt(value)
    assert out is not None
    return out.strftime("%Y-%m-%dT%H:%M:%SZ")


def _out_tri(value: bool | None, unknown: str | None = None) -> str | None:
    if value is None:
        return unknown
    return "True" if value else "False"


def _array_of_int(values: Iterable[int]) -> dict[str, list[int]] | None:
    items = [int(v) for v in values]
    return {"int": items} if items else None


def _address_payload(address: Address | None) -> dict[str, Any] | None:
    if address is None:
        return None
    return {
        "Street": address.street,
        "PostalCode": address.postal_code,
        "PostalArea": address.postal_area,
        "City": address.city,
        "State": address.state,
        "Country": address.country,
        "Name": address.name,
    }


def _company_payload(company: Company) -> dict[str, Any]:
    addresses = _compact(
        {
            "Post": _address_payload(company.post_address),
            "Visit": _address_payload(company.visit_address),
            "Invoice": _address_payload(company.invoice_address),
        }
    )
    emails = _compact(
        {
            "Primary": {"Value": company.email} if company.email else None,
            "Invoice": {"Value": company.invoice_email} if company.invoice_email else None,
        }
    )
    phones = _compact(
        {
            "Primary": {"Value": company.phone} if company.phone else None,
            "Mobile": {"Value": company.mobile} if company.mobile else None,
        }
    )
    return _compact(
        {
            "Id": company.id,
            "ExternalId": company.external_id or None,
            "Name": company.name or None,
            "FirstName": company.first_name or None,
            "OrganizationNumber": company.organization_number or None,
            # A new company must have a type; an update keeps the one it has.
            "Type": company.type or ("Business" if company.id is None else None),
            "Url": company.url or None,
            "Country": company.country or None,
            "Note": company.note or None,
            "Status": company.status,
            "Addresses": addresses or None,
            "EmailAddresses": emails or None,
            "PhoneNumbers": phones or None,
        }
    )


def _project_payload(project: Project) -> dict[str, Any]:
    payload = _compact(
        {
            "Id": project.id,
            "Name": project.name or None,
            "CustomerId": project.customer_id,
            "Description": project.description or None,
            "StatusId": project.status_id,
            "TypeId": project.type_id,
            "DateStart": _out_dt(project.date_start),
            "DateStop": _out_dt(project.date_stop),
            "WorkTypeId": project.work_type_id,
            "NeedApproval": _out_tri(project.need_approval),
            "Version": project.version,
            "DepartmentId": project.department_id,
            "Participants": _array_of_int(project.participants),
            "BudgetHour": project.budget_hours,
            "FixedPrice": project.fixed_price,
        }
    )
    # Required by 24SO (WSDL minOccurs=1) even though they only shape how names display.
    payload["NameDisplay"] = project.name_display
    payload["TimeReg"] = project.time_reg
    return payload


def _task_payload(task: Task) -> dict[str, Any]:
    payload = _compact(
        {
            "Id": task.id,
            "Name": task.name or None,
            "Description": task.description or None,
            "Project": task.project_id,
            "DateStart": _out_dt(task.date_start),
            "DateStop": _out_dt(task.date_stop),
            "Priority": task.priority,
            "WorkTypeId": task.work_type_id,
            "Estimate": task.estimate,
            "Parent": task.parent_id,
            "CategoryId": task.category_id,
            "SubStatus": task.sub_status or None,
            "Participants": _array_of_int(task.participants),
        }
    )
    payload["Status"] = task.status  # required but nillable
    return payload


def _hour_payload(hour: Hour) -> dict[str, Any]:
    return _compact(
        {
            "Id": hour.id,
            "TypeOfWorkId": hour.type_of_work_id,
            "StartTime": _out_dt(hour.start_time),
            "StopTime": _out_dt(hour.stop_time),
            "TotalHours": _float(hour.total_hours),
            "TotalHoursInvoice": _float(hour.total_hours_invoice),
            "ContactId": hour.contact_id,
            "ProjectId": hour.project_id,
            "Description": hour.description,
            "Locked": _out_tri(hour.locked),
            "Approved": _out_tri(hour.approved),
            "ApprovedBy": hour.approved_by,
            "ProjectTaskId": hour.task_id,
            "NeedApproval": hour.need_approval,
            "SalaryTypeId": hour.salary_type_id,
            "CustomerId": hour.customer_id,
            "Price": hour.price,
        }
    )


def _float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _invoice_payload(order: InvoiceOrder) -> dict[str, Any]:
    rows = [
        _compact(
            {
                "ProductId": line.product_id,
                "RowId": line.row_id,
                "Name": line.name or None,
                "Quantity": line.quantity,
                "Price": line.price,
                "DiscountRate": line.discount_rate,
                "VatRate": line.vat_rate,
                "ProjectId": line.project_id,
                "DepartmentId": line.department_id,
                "Type": line.type,
            }
        )
        for line in order.lines
    ]
    payload = _compact(
        {
            "OrderId": order.order_id,
            "CustomerId": order.customer_id,
            "OrderStatus": order.order_status,
            "ProjectId": order.project_id,
            "DepartmentId": order.department_id,
            "DateOrdered": _out_dt(order.date_ordered),
            "OurReference": order.our_reference,
            "YourReference": order.your_reference or None,
            "CustomerReferenceNo": order.customer_reference_no or None,
            "InvoiceTitle": order.invoice_title or None,
            "InvoiceText": order.invoice_text or None,
            "InvoiceRows": {"InvoiceRow": rows} if rows else None,
        }
    )
    payload["IncludeVAT"] = None  # required but nillable: the customer's default
    return payload


# INBOUND HELPERS
# ------------------------------------------------------------------------------
class _Raw:
    """Read access to an element zeep could not place (unknown or out of order), or to a
    large list reply read straight from the XML (`_RAW_REPLIES`)."""

    __slots__ = ("_children", "element")

    def __init__(self, element: Any) -> None:
        self.element = element
        self._children: dict[str, list[Any]] | None = None

    def children(self, name: str) -> list[Any]:
        if self._children is None:
            index: dict[str, list[Any]] = {}
            for child in self.element:
                if isinstance(child.tag, str):
                    index.setdefault(etree.QName(child).localname, []).append(child)
            self._children = index
        return self._children.get(name, [])


# Replies of hundreds of records: zeep's typed parse costs about 70 µs per record (see
# reliability-performance.md §5.3), three times reading the same values from the tree that
# `_check_reply` already parsed. The record mappers read both (`_get`), with the same checks.
_RAW_REPLIES = frozenset(
    {
        "GetCompanies",
        "GetCompanySyncList",
        "GetUsers",
        "GetPersons",
        "GetProjectList",
        "GetProjectsDetailed",
        "GetDeactivatedProjects",
        "GetProjectTasks",
        "GetHours",
    }
)
_SOAP_BODY = "{http://schemas.xmlsoap.org/soap/envelope/}Body"


def _raw_result(proxy: Any, operation: str, response: Any) -> Any:
    """The `<operation>Result` element of a raw reply (None when absent or nil); a fault is
    raised by zeep exactly as on the typed path."""
    root = getattr(response, "tidsbro_root", None)
    if response.status_code != 200 or root is None or root.find(_FAULT) is not None:
        binding = proxy._binding
        return binding.process_reply(proxy._client, binding.get(operation), response)
    body = root.find(_SOAP_BODY)
    reply = next((e for e in body if isinstance(e.tag, str)), None) if body is not None else None
    if reply is None or etree.QName(reply).localname != f"{operation}Response":
        raise zeep.exceptions.Error(f"no {operation}Response in the reply")
    for element in reply:
        if isinstance(element.tag, str) and etree.QName(element).localname == f"{operation}Result":
            return _raw_value(element)
    return None


_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"


def _raw_value(element: Any) -> Any:
    if element.get(_NIL) in ("true", "1"):
        return None
    if len(element):
        return _Raw(element)
    return element.text


def _get(obj: Any, name: str) -> Any:
    """A field of a zeep object — or of the raw elements zeep kept when the schema drifted."""
    if obj is None:
        return None
    if isinstance(obj, _Raw):
        found = obj.children(name)
        if not found:
            return None
        if len(found) == 1:
            return _raw_value(found[0])
        return [_raw_value(e) for e in found]
    value = None
    try:
        value = obj[name]
    except (KeyError, TypeError, AttributeError):
        value = getattr(obj, name, None)
    if value is None:
        raw = getattr(obj, "_raw_elements", None)
        if raw:
            for element in raw:
                if isinstance(element.tag, str) and etree.QName(element).localname == name:
                    return _raw_value(element)
    return value


def _present(obj: Any, name: str) -> bool:
    return _get(obj, name) is not None


def _items(container: Any, name: str) -> list[Any]:
    """The items of an ArrayOfX wrapper (`None`, a single item or a list: always a list)."""
    if container is None:
        return []
    if isinstance(container, list):
        return container
    value = _get(container, name)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _str(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, float | Decimal | _Raw):
        raise TypeError("expected an integer")
    return int(value)


def _req_int(value: Any) -> int:
    result = _int(value)
    if result is None:
        raise ValueError("missing id")
    return result


def _id(value: Any) -> int | None:
    """24SO leaves unset ids at 0 or Int32.MinValue."""
    result = _int(value)
    return result if result is not None and result > 0 else None


def _dec(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool | _Raw):
        raise TypeError("expected a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    result = Decimal(str(value).strip())
    if not result.is_finite():
        raise InvalidOperation("not a finite number")
    return result


def _bool(value: Any, *, default: bool = False) -> bool:
    result = _opt_bool(value)
    return default if result is None else result


def _opt_bool(value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    raise ValueError("expected a boolean")


def _tri(value: Any) -> bool | None:
    """TriState: `True`/`False` (any casing) or none/unknown = no answer."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered in ("none", "unknown", ""):
        return None
    raise ValueError("expected a TriState")


def _dt(value: Any) -> datetime | None:
    """UTC-aware; 24SO's unset DateTime (year 1) is None; naive values are UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = _parse_iso(value)
    if not isinstance(value, datetime):
        raise TypeError("expected a datetime")
    if value.year <= 1:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _parse_iso(text: str) -> datetime:
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    # .NET writes up to seven fractional digits; Python reads six.
    if "." in text:
        head, _, tail = text.partition(".")
        digits = "".join(c for c in tail[:7] if c.isdigit())
        zone = tail[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text)


def _uuid(value: Any) -> UUID | None:
    if value is None or value == "":
        return None
    if isinstance(value, UUID):
        return value
    if not isinstance(value, str):
        raise TypeError("expected a guid")
    result = UUID(value)
    return None if result == NO_IDENTITY else result


def _int_tuple(value: Any) -> tuple[int, ...]:
    return tuple(_req_int(v) for v in _items(value, "int"))


def _saved_id(result: Any) -> int:
    saved = _int(result)
    if saved is None or saved <= 0:
        raise ValueError("no id returned")
    return saved


def _identity(value: Any) -> Identity:
    user = _get(value, "User")
    client = _get(value, "Client")
    identity_id = _uuid(_get(value, "Id"))
    if identity_id is None:
        raise ValueError("identity without id")
    return Identity(
        id=identity_id,
        client_id=_req_int(_get(client, "Id")),
        client_name=_str(_get(client, "Name")),
        user_id=_uuid(_get(user, "Id")),
        user_name=_str(_get(user, "Name")),
        contact_id=_id(_get(user, "ContactId")),
        employee_id=_id(_get(user, "EmployeeId")),
        is_current=_bool(_get(value, "IsCurrent")),
        is_default=_bool(_get(value, "IsDefault")),
        is_disabled=_bool(_get(value, "IsDisabled")),
    )


def _identity_or_none(value: Any) -> Identity | None:
    if value is None or _uuid(_get(value, "Id")) is None:
        return None
    return _identity(value)


def _identities(value: Any) -> tuple[Identity, ...]:
    return tuple(_identity(i) for i in _items(value, "Identity"))


def _address(value: Any) -> Address | None:
    if value is None:
        return None
    address = Address(
        street=_str(_get(value, "Street")),
        postal_code=_str(_get(value, "PostalCode")),
        postal_area=_str(_get(value, "PostalArea")),
        city=_str(_get(value, "City")),
        state=_str(_get(value, "State")),
        country=_str(_get(value, "Country")),
        name=_str(_get(value, "Name")),
    )
    return None if address == Address() else address


def _value_of(container: Any, kind: str) -> str:
    return _str(_get(_get(container, kind), "Value"))


def _client_info(value: Any) -> ClientInfo:
    if value is None:
        raise ValueError("no client information")
    return ClientInfo(
        name=_str(_get(value, "Name")),
        organization_number=_str(_get(value, "OrganizationNumber")),
        country=_str(_get(value, "Country")),
        default_currency=_str(_get(value, "DefaultCurrency")),
        email=_value_of(_get(value, "EmailAddressList"), "Primary"),
        phone=_value_of(_get(value, "PhoneNumberList"), "Primary"),
        user_id=_id(_get(value, "UserId")),
        post_address=_address(_get(_get(value, "AddressList"), "Post")),
    )


def _user(value: Any) -> User:
    return User(
        id=_uuid(_get(value, "Id")),
        contact_id=_id(_get(value, "ContactId")),
        name=_str(_get(value, "Name")),
        employee_id=_id(_get(value, "EmployeeId")),
    )


def _company(value: Any) -> Company:
    addresses = _get(value, "Addresses")
    emails = _get(value, "EmailAddresses")
    phones = _get(value, "PhoneNumbers")
    company_type = _get(value, "Type")
    return Company(
        id=_id(_get(value, "Id")),
        name=_str(_get(value, "Name")),
        external_id=_str(_get(value, "ExternalId")),
        organization_number=_str(_get(value, "OrganizationNumber")),
        type=company_type if company_type else None,
        first_name=_str(_get(value, "FirstName")),
        email=_value_of(emails, "Primary"),
        invoice_email=_value_of(emails, "Invoice"),
        phone=_value_of(phones, "Primary") or _value_of(phones, "Work"),
        mobile=_value_of(phones, "Mobile"),
        url=_str(_get(value, "Url")),
        country=_str(_get(value, "Country")),
        note=_str(_get(value, "Note")),
        status=_int(_get(value, "Status")),
        post_address=_address(_get(addresses, "Post")),
        visit_address=_address(_get(addresses, "Visit")),
        invoice_address=_address(_get(addresses, "Invoice")),
        date_created=_dt(_get(value, "DateCreated")),
        date_changed=_dt(_get(value, "DateChanged")),
    )


def _sync_page(value: Any, page: int) -> CompanySyncPage:
    if value is None:
        return CompanySyncPage(items=(), page=page, total_pages=0, total_items=0, items_per_page=0)
    items = tuple(
        SyncCompany(
            id=_req_int(_get(item, "CompanyId")),
            external_id=_str(_get(item, "ExternalId")),
            active=_bool(_get(item, "Active"), default=True),
            date_changed=_dt(_get(item, "DateChanged")),
            date_registered=_dt(_get(item, "DateRegistered")),
        )
        for item in _items(_get(value, "Items"), "SyncCompany")
    )
    return CompanySyncPage(
        items=items,
        page=_int(_get(value, "CurrentPage")) or page,
        total_pages=_int(_get(value, "TotalPages")) or 0,
        total_items=_int(_get(value, "TotalItems")) or 0,
        items_per_page=_int(_get(value, "ItemsPerPage")) or 0,
    )


def _api_exception(item: Any) -> str:
    exception = _get(item, "APIException")
    if exception is None:
        return ""
    return _str(_get(exception, "Message")).strip() or _str(_get(exception, "Type")).strip()


def _api_exceptions(items: list[Any]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(m for m in (_api_exception(i) for i in items) if m))


def _save_results(items: list[Any], id_field: str, expected: int) -> tuple[SaveResult, ...]:
    results = []
    for item in items:
        message = _api_exception(item)
        results.append(
            SaveResult(id=_id(_get(item, id_field)), messages=(message,) if message else ())
        )
    if len(results) != expected:
        raise ValueError("24SO returned a different number of items than it was sent")
    return tuple(results)


def _person(value: Any) -> Person:
    email = ""
    for address in _items(_get(value, "EmailAddresses"), "EmailAddress"):
        if not email or _get(address, "Type") == "Primary":
            email = _str(_get(address, "Value")) or email
    phone = mobile = ""
    for number in _items(_get(value, "PhoneNumbers"), "PhoneNumber"):
        if _get(number, "Type") == "Mobile":
            mobile = _str(_get(number, "Value"))
        else:
            phone = phone or _str(_get(number, "Value"))
    return Person(
        id=_req_int(_get(value, "Id")),
        first_name=_str(_get(value, "FirstName")),
        last_name=_str(_get(value, "LastName")),
        email=email,
        phone=phone,
        mobile=mobile,
        customer_id=_id(_get(value, "CustomerId")),
        employee_id=_id(_get(value, "EmployeeId")),
        employee_number=_id(_get(value, "EmployeeNumber")),
        date_changed=_dt(_get(value, "DateChanged")),
    )


def _project(value: Any) -> Project:
    name_display = _get(value, "NameDisplay")
    time_reg = _get(value, "TimeReg")
    return Project(
        id=_id(_get(value, "Id")),
        name=_str(_get(value, "Name")),
        customer_id=_id(_get(value, "CustomerId")),
        customer_name=_str(_get(value, "CustomerName")),
        description=_str(_get(value, "Description")),
        status_id=_id(_get(value, "StatusId")),
        status_name=_str(_get(value, "StatusName")),
        type_id=_id(_get(value, "TypeId")),
        date_start=_dt(_get(value, "DateStart")),
        date_stop=_dt(_get(value, "DateStop")),
        work_type_id=_id(_get(value, "WorkTypeId")),
        need_approval=_tri(_get(value, "NeedApproval")),
        name_display=name_display
        if name_display in ("Plain", "Company_Project", "Project_Company")
        else "Plain",
        time_reg=time_reg if time_reg in ("WorkType", "Task") else "WorkType",
        version=_int(_get(value, "Version")),
        department_id=_id(_get(value, "DepartmentId")),
        owner_id=_id(_get(value, "Owner")),
        participants=_int_tuple(_get(value, "Participants")),
        budget_hours=_dec(_get(value, "BudgetHour")),
        fixed_price=_opt_bool(_get(value, "FixedPrice")),
        date_changed=_dt(_get(value, "DateChanged")),
        date_registered=_dt(_get(value, "DateRegistered")),
    )


def _role(value: Any) -> ProjectRole:
    return ProjectRole(
        id=_req_int(_get(value, "Id")),
        name=_str(_get(value, "Name")),
        parent_id=_id(_get(value, "Parent")),
    )


def _task(value: Any) -> Task:
    return Task(
        id=_id(_get(value, "Id")),
        project_id=_id(_get(value, "Project")),
        name=_str(_get(value, "Name")),
        description=_str(_get(value, "Description")),
        date_start=_dt(_get(value, "DateStart")),
        date_stop=_dt(_get(value, "DateStop")),
        status=_int(_get(value, "Status")),
        priority=_int(_get(value, "Priority")),
        work_type_id=_id(_get(value, "WorkTypeId")),
        estimate=_int(_get(value, "Estimate")),
        registered_hours=_dec(_get(value, "Registered")),
        parent_id=_id(_get(value, "Parent")),
        category_id=_id(_get(value, "CategoryId")),
        sub_status=_str(_get(value, "SubStatus")),
        participants=_int_tuple(_get(value, "Participants")),
        project_name=_str(_get(value, "ProjectName")),
    )


def _participants(value: Any) -> tuple[Participant, ...]:
    result = []
    for group in _items(value, "ProjectParticipants"):
        project_id = _req_int(_get(group, "ProjectId"))
        for member in _items(_get(group, "Participants"), "Participant"):
            role = _get(member, "Role")
            result.append(
                Participant(
                    project_id=project_id,
                    contact_id=_req_int(_get(member, "ContactId")),
                    name=_str(_get(member, "Name")),
                    role=_role(role) if role is not None and _id(_get(role, "Id")) else None,
                    state=_int(_get(member, "State")),
                    state_name=_str(_get(member, "StateName")),
                )
            )
    return tuple(result)


def _work_type(value: Any) -> WorkType:
    return WorkType(
        id=_req_int(_get(value, "Id")),
        name=_str(_get(value, "Name")),
        description=_str(_get(value, "Description")),
        invoiceable=_bool(_get(value, "Invoiceable")),
        price=_dec(_get(value, "Price")),
        product_id=_id(_get(value, "ProductId")),
    )


def _hour(value: Any) -> Hour:
    need_approval = _get(value, "NeedApproval")
    return Hour(
        id=_id(_get(value, "Id")),
        contact_id=_id(_get(value, "ContactId")),
        project_id=_id(_get(value, "ProjectId")),
        type_of_work_id=_id(_get(value, "TypeOfWorkId")),
        task_id=_id(_get(value, "ProjectTaskId")),
        customer_id=_id(_get(value, "CustomerId")),
        start_time=_dt(_get(value, "StartTime")),
        stop_time=_dt(_get(value, "StopTime")),
        total_hours=_dec(_get(value, "TotalHours")),
        total_hours_invoice=_dec(_get(value, "TotalHoursInvoice")),
        description=_str(_get(value, "Description")),
        internal_note=_str(_get(value, "InternalNote")),
        locked=_tri(_get(value, "Locked")),
        approved=_tri(_get(value, "Approved")),
        approved_by=_id(_get(value, "ApprovedBy")),
        need_approval=_opt_bool(need_approval),
        salary_type_id=_id(_get(value, "SalaryTypeId")),
        order_id=_id(_get(value, "OrderId")),
        price=_dec(_get(value, "Price")),
    )


def _invoice(value: Any) -> InvoiceOrder:
    lines = tuple(
        InvoiceOrderLine(
            product_id=_id(_get(row, "ProductId")),
            name=_str(_get(row, "Name")),
            quantity=_dec(_get(row, "Quantity")),
            price=_dec(_get(row, "Price")),
            discount_rate=_dec(_get(row, "DiscountRate")),
            row_id=_id(_get(row, "RowId")),
            project_id=_id(_get(row, "ProjectId")),
            department_id=_id(_get(row, "DepartmentId")),
            vat_rate=_dec(_get(row, "VatRate")),
            type=_get(row, "Type") if _get(row, "Type") in ("Text", "TextBold") else "Normal",
        )
        for row in _items(_get(value, "InvoiceRows"), "InvoiceRow")
    )
    return InvoiceOrder(
        order_id=_id(_get(value, "OrderId")),
        customer_id=_id(_get(value, "CustomerId")),
        customer_name=_str(_get(value, "CustomerName")),
        project_id=_id(_get(value, "ProjectId")),
        department_id=_id(_get(value, "DepartmentId")),
        order_status=_str(_get(value, "OrderStatus")),
        invoice_id=_id(_get(value, "InvoiceId")),
        date_ordered=_dt(_get(value, "DateOrdered")),
        date_invoiced=_dt(_get(value, "DateInvoiced")),
        date_changed=_dt(_get(value, "DateChanged")),
        our_reference=_id(_get(value, "OurReference")),
        your_reference=_str(_get(value, "YourReference")),
        customer_reference_no=_str(_get(value, "CustomerReferenceNo")),
        invoice_title=_str(_get(value, "InvoiceTitle")),
        invoice_text=_str(_get(value, "InvoiceText")),
        total_inc_vat=_dec(_get(value, "OrderTotalIncVat")),
        total_vat=_dec(_get(value, "OrderTotalVat")),
        lines=lines,
    )
