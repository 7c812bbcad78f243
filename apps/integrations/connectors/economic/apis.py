"""The client of e-conomic's OpenAPI services (projects, quotes-to-cash, webhooks).

The newer per-service APIs (`https://apis.e-conomic.com/<service>api/v<x>/<path>`, API-NOTES
§3) take the same two tokens as the classic REST API and spend the same token bucket, so
`EconomicApis` tracks its budget under the classic client's key (`client.budget_key`): both
surfaces of one agreement share one budget in this process.

Their rules, as this client applies them:
- collections are read with the cursor (`?cursor=` until the reply has none; up to 1,000
  items a page; `sort` is not supported with a cursor, so none is sent) — `iter_pages`;
  `/count` answers a bare integer — `count`;
- create = POST with an `Idempotency-Key` (a repeat within the hour replays the first answer,
  `X-ResultFromCache: true`); the answer is `{"number": …}` only — `create`;
- update = PUT of the whole object with the `objectVersion` read before; a stale version is
  409 → `StaleVersion` (re-read and try again) — `replace`;
- errors are `application/problem+json` (`title`, `detail`, `errorCode`, `errors[]` of
  `{message, errorCode, property}`) → `Rejected.messages`; 403
  `AccessDeniedAgreementMissingModules` (the agreement has no Project module) → `ModuleMissing`;
  other 401/403 → `AuthFailed`, 5xx and timeouts → `Unavailable` (ambiguous for a write once
  sent), 429 → `RateLimited`, as the shared HTTP base does.

Paths are relative to the service: `apis.get(PROJECTS, "Projects/42")`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

from requests.structures import CaseInsensitiveDict

from apps.integrations.connectors.base import Rejected, Unavailable
from apps.integrations.connectors.economic import DEFAULT_API_BASE
from apps.integrations.connectors.economic.client import AgreementRestClient, _setting
from apps.integrations.connectors.http import (
    Reply,
)

log = logging.getLogger(__name__)

PROJECTS = "projectsapi/v1.1.0"
Q2C = "q2capi/v5.3.0"
WEBHOOKS = "webhooksapi/v1.0.0"
SERVICES = (PROJECTS, Q2C, WEBHOOKS)
DEFAULT_APIS_BASE = "https://apis.e-conomic.com"
# The error code of a service the agreement has not bought (e.g. the Project module).
MODULE_MISSING_CODE = "AccessDeniedAgreementMissingModules"
# A cursor walk longer than this is a server that never ends its list.
MAX_PAGES = 100_000


class StaleVersion(Rejected):
    """e-conomic refused a PUT: the object changed since it was read (409, `objectVersion`).
    Read it again, apply the change to what it holds now and write once more."""


class ModuleMissing(Rejected):
    """The agreement lacks the e-conomic module a service belongs to (403
    `AccessDeniedAgreementMissingModules`; e.g. no Project module: no projects, activities,
    employees or time entries through the API). Retrying does not help."""


def apis_base() -> str:
    """Where the services live: `ECONOMIC_APIS_BASE`, or (empty, local and test) the classic
    API's base — the sandbox serves both under one prefix."""
    return _setting("ECONOMIC_APIS_BASE", "") or _setting("ECONOMIC_API_BASE", DEFAULT_API_BASE)


class EconomicApis(AgreementRestClient):
    """Calls to e-conomic's OpenAPI services for one agreement (one thread at a time); the
    tokens, limits and token bucket are the classic client's (`AgreementRestClient`)."""

    def default_base_url(self) -> str:
        return apis_base()

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        # Whether the last `create` was answered from e-conomic's idempotency cache.
        self.replayed = False

    # READS
    # --------------------------------------------------------------------------
    def iter_pages(
        self, service: str, path: str, *, filter: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every item of a collection, a page (up to 1,000) per request, following the cursor
        until a reply has none. `filter` is e-conomic's filter expression (API-NOTES §8)."""
        target = _path(service, path)
        operation = f"GET /{target}"
        params: dict[str, Any] = {"filter": filter} if filter else {}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            reply = self.request("GET", target, params=params or None, operation=operation)
            items, cursor = _page(operation, reply.data)
            yield items
            if not cursor:
                return
            if cursor in seen:
                # The same cursor again would loop for ever.
                raise Unavailable(
                    "e-conomic kept announcing more items without moving on",
                    operation=operation,
                )
            seen.add(cursor)
            params = {**params, "cursor": cursor}
        raise Unavailable("e-conomic's list did not end", operation=operation)

    def get(self, service: str, path: str, **_: Any) -> dict[str, Any] | None:  # type: ignore[override]
        """One object, or None when e-conomic has none there (404)."""
        target = _path(service, path)
        reply = self.request("GET", target, allow_not_found=True)
        return reply.data if reply.status != 404 else None

    def count(self, service: str, path: str, *, filter: str | None = None) -> int:
        """How many items a collection holds (matching `filter`): one request."""
        target = _path(service, f"{path.rstrip('/')}/count")
        reply = self.request(
            "GET", target, params={"filter": filter} if filter else None, expect=int
        )
        if isinstance(reply.data, bool):
            raise Unavailable(
                "e-conomic sent a reply that is not what was asked for", operation=f"GET /{target}"
            )
        return int(reply.data)

    # WRITES
    # --------------------------------------------------------------------------
    def create(self, service: str, path: str, body: Mapping[str, Any], *, key: str) -> int:
        """POST a new object; returns the number e-conomic gave it.

        Keep `key` with the pending write and send the same one when repeating it: within the
        hour e-conomic answers with what the first request made instead of a second object.
        """
        if not key:
            raise ValueError("creating in e-conomic needs an idempotency key")
        target = _path(service, path)
        self.replayed = False
        reply = self.request("POST", target, json_body=_body(body), idempotency_key=key)
        if reply.headers.get("X-ResultFromCache", "").lower() == "true":
            # The answer to an earlier request with this key: made from that request's body.
            self.replayed = True
            log.info("e-conomic replayed an earlier create (idempotency key): %s", target)
        number = reply.data.get("number") if isinstance(reply.data, Mapping) else None
        if isinstance(number, bool) or not isinstance(number, int):
            raise Unavailable(
                "e-conomic sent a reply that does not match its schema",
                operation=f"POST /{target}",
                ambiguous=True,
            )
        return number

    def replace(self, service: str, path: str, body: Mapping[str, Any]) -> None:
        """PUT the whole object (what it omits is cleared); `body` carries the `objectVersion`
        read with it. A stale version raises `StaleVersion`."""
        if not (body or {}).get("objectVersion"):
            raise ValueError("a PUT to e-conomic needs the objectVersion read with the object")
        self.request("PUT", _path(service, path), json_body=_body(body), expect=None)

    def delete(self, service: str, path: str, *, key: str = "") -> bool:
        """DELETE one object; False when it was not there (404)."""
        reply = self.request(
            "DELETE",
            _path(service, path),
            idempotency_key=key or None,
            expect=None,
            allow_not_found=True,
        )
        return reply.status != 404

    def post(self, service: str, path: str, body: Any, *, key: str = "") -> Any:
        """POST an action (`TimeEntries/approve`, `invoices/drafts/{n}/lines/bulk`); returns
        the decoded answer (None when empty)."""
        reply = self.request(
            "POST",
            _path(service, path),
            json_body=_body(body),
            idempotency_key=key or None,
            expect=None,
        )
        return reply.data

    # ERRORS
    # --------------------------------------------------------------------------
    def error_messages(self, status: int, body: Any) -> tuple[str, ...]:
        """Reasons from a problem+json body: each `errors[]` entry as "property: message
        (code)", else `detail`/`title` (with the top `errorCode`); the 409 body of the docs
        (`message`, `developerHint`) too."""
        return problem_messages(body)

    def _judge(
        self,
        status: int,
        headers: CaseInsensitiveDict[str],
        body: bytes,
        operation: str,
        write: bool,
        *,
        expect: type | tuple[type, ...] | None,
        allow_nf: bool,
    ) -> Reply:
        if status in (403, 409):
            problem = _json(body)
            if status == 409 or (status == 403 and problem_code(problem) == MODULE_MISSING_CODE):
                self.budget.observe(status, headers)
                messages = self._messages(status, body)
                detail = f"HTTP {status} from {self.label}"
                text = f"{detail}: {messages[0]}" if messages else detail
                kind = StaleVersion if status == 409 else ModuleMissing
                raise kind(text, operation=operation, messages=messages)
        return super()._judge(
            status, headers, body, operation, write, expect=expect, allow_nf=allow_nf
        )


def apis_for(connection: Any, **overrides: Any) -> EconomicApis:
    """The services' client for a connection's agreement (the app secret from the settings).

    Takes the classic client's overrides (`limits`, `buckets`, `on_request`, …); a
    `base_url` meant for the classic API is used only when `ECONOMIC_APIS_BASE` is empty (as
    the settings do), `apis_base_url` always."""
    credentials = getattr(connection, "credentials_doc", None) or {}
    options = dict(overrides)
    classic_base = options.pop("base_url", None)
    base = options.pop("apis_base_url", None) or _setting("ECONOMIC_APIS_BASE", "") or classic_base
    options.setdefault("agreement_grant_token", credentials.get("agreement_grant_token", ""))
    return EconomicApis(base_url=base or None, **options)


# WIRE HELPERS (pure)
# ------------------------------------------------------------------------------
def _path(service: str, path: str) -> str:
    if service not in SERVICES:
        raise ValueError(f"unknown e-conomic service {service!r}")
    return f"{service}/{path.lstrip('/')}"


def _body(body: Any) -> Any:
    """e-conomic refuses null where a property is not nullable and clears what is omitted: a
    None is left out (the way to clear it)."""
    if isinstance(body, Mapping):
        return {k: _body(v) for k, v in body.items() if v is not None}
    if isinstance(body, list | tuple):
        return [_body(v) for v in body]
    return body


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body.strip() else None
    except (ValueError, RecursionError):
        return None


def _page(operation: str, data: Any) -> tuple[list[dict[str, Any]], str]:
    """(items, next cursor or "") of a cursor page; a reply of another shape is Unavailable."""
    if not isinstance(data, Mapping):
        raise Unavailable(
            "e-conomic sent a reply that does not match its schema", operation=operation
        )
    items = data.get("items") or []
    cursor = data.get("cursor")
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise Unavailable(
            "e-conomic sent a reply that does not match its schema", operation=operation
        )
    if cursor is not None and not isinstance(cursor, str | int):
        raise Unavailable(
            "e-conomic sent a reply that does not match its schema", operation=operation
        )
    return [dict(i) for i in items], str(cursor) if cursor not in (None, "") else ""


def problem_code(body: Any) -> str:
    """The problem's top `errorCode`, else the first entry's ("" when none)."""
    if not isinstance(body, Mapping):
        return ""
    code = body.get("errorCode")
    if isinstance(code, str) and code.strip():
        return code.strip()
    for entry in body.get("errors") or ():
        if isinstance(entry, Mapping) and isinstance(entry.get("errorCode"), str):
            return entry["errorCode"].strip()
    return ""


def problem_messages(body: Any) -> tuple[str, ...]:
    """The reasons a problem+json body gives, each "property: message (code)" (pure)."""
    if not isinstance(body, Mapping):
        return ()
    found: list[str] = []
    errors = body.get("errors")
    if isinstance(errors, list):
        for entry in errors:
            if not isinstance(entry, Mapping):
                continue
            message = _text(entry.get("message")) or _text(entry.get("developerHint"))
            if not message:
                continue
            prop = _text(entry.get("property"))
            found.append(
                _with_code(f"{prop}: {message}" if prop else message, entry.get("errorCode"))
            )
    if not found:
        top = _text(body.get("detail")) or _text(body.get("title")) or _text(body.get("message"))
        if top:
            prop = _text(body.get("property"))
            text = f"{prop}: {top}" if prop and not body.get("title") else top
            found.append(_with_code(text, body.get("errorCode")))
    return tuple(dict.fromkeys(m for m in found if m))


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _with_code(message: str, code: Any) -> str:
    code = _text(code)
    return f"{message} ({code})" if code and code not in message else message
