"""The Unimicro business API client: the only module that speaks `/api/biz/…` and
`/api/init/…` (API-NOTES §4–§10).

One `UnimicroClient` per connector, used by one thread at a time, on the shared HTTP base
(`connectors.http.RestClient`): timeouts and a call deadline, a size cap, the bearer token
redacted from every message and log line, 429 and `Retry-After`.

- Every call carries `Authorization: Bearer <access token of the connection's active key>`;
  `/api/biz/…` also `CompanyKey: <the key's company>`. The token is renewed (`auth.refresh`,
  under the connection's row lock) when it expires within 60 s, and once more after a 401
  (then the call is repeated once); a second 401 is `AuthFailed`.
- Lists are bare JSON arrays, paged with `top`/`skip` until a short page.
- Errors: `_validationResults` (possibly nested per child), `Messages: [{Message}]` and
  `Message` become `Rejected.messages` ("Property: message"); 404 on a read is None.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.conf import settings as django_settings

from apps.integrations.connectors.base import AuthFailed, Rejected
from apps.integrations.connectors.http import CallRecord, HttpLimits, Reply, RestClient
from apps.integrations.connectors.unimicro import SYSTEM, auth

log = logging.getLogger(__name__)

COMPANY_HEADER = "CompanyKey"
AUTH_HEADER = "Authorization"
PAGE_SIZE = 500
# ValidationMessage levels (API-NOTES §10): 1 info, 20 warning, 30 error.
LEVEL_ERROR = 30


def _setting(name: str, default: Any) -> Any:
    value = getattr(django_settings, name, None)
    return default if value in (None, "") else value


class TokenSource:
    """Where the client's bearer token comes from."""

    def token(self) -> str:
        raise NotImplementedError

    def renew(self, rejected: str) -> str:
        """A new token after the API refused `rejected` (AuthFailed when there is none)."""
        raise NotImplementedError

    def used(self) -> None:
        """The token was accepted by the API (for the key's "last used")."""


class StaticToken(TokenSource):
    """A token from a login not yet stored (the connect wizard)."""

    def __init__(self, access_token: str) -> None:
        self._token = access_token

    def token(self) -> str:
        return self._token

    def renew(self, rejected: str) -> str:
        raise AuthFailed("Log in to Unimicro again: Unimicro no longer accepts this login")


class ConnectionToken(TokenSource):
    """The access token of one key of a connection, renewed under the row lock."""

    # "Last used" is written at most this often (it costs a locked write).
    TOUCH_SECONDS = 300

    def __init__(self, connection: Any, key_id: str) -> None:
        self.connection = connection
        self.key_id = key_id
        self._touched = False

    def token(self) -> str:
        return auth.valid_access_token(self.connection, self.key_id)

    def renew(self, rejected: str) -> str:
        return auth.valid_access_token(self.connection, self.key_id, rejected=rejected)

    def used(self) -> None:
        if self._touched:
            return
        self._touched = True
        entry = auth.key_tokens(self.connection, self.key_id)
        from datetime import UTC, datetime

        try:
            last = datetime.fromisoformat(entry.get("last_used_at") or "")
        except ValueError:
            last = None
        if last is None or (datetime.now(UTC) - last).total_seconds() > self.TOUCH_SECONDS:
            auth.touch(self.connection, self.key_id)


def active_key(connection: Any) -> dict[str, Any]:
    """The connection's active key (its settings' entry); AuthFailed when revoked or gone."""
    settings = connection.settings or {}
    key_id = settings.get("active_key") or ""
    key = next((k for k in settings.get("keys") or [] if k.get("id") == key_id), None)
    if key is None or key.get("revoked_at"):
        raise AuthFailed(
            "Log in to Unimicro again: the key Tidsbro uses was revoked (invalid_grant)"
        )
    return key


class UnimicroClient(RestClient):
    """Calls to Unimicro's API for one connection (or, in the wizard, one login's token)."""

    system = SYSTEM
    label = "Unimicro"
    user_agent = "Tidsbro Unimicro connector"
    idempotency_header = "X-Tidsbro-Idempotency-Key"
    # 401 is handled here (renew once, retry once); 403 is a refusal a human must act on.
    auth_statuses = frozenset({401, 403})

    def __init__(
        self,
        connection: Any = None,
        *,
        api_base: str | None = None,
        company_key: str | None = None,
        tokens: TokenSource | None = None,
        access_token: str | None = None,
        timeout: float | None = None,
        limits: HttpLimits | None = None,
        on_request: Callable[[CallRecord], None] | None = None,
        **_ignored: Any,
    ) -> None:
        settings = (connection.settings if connection is not None else None) or {}
        if tokens is None:
            if access_token is not None:
                tokens = StaticToken(access_token)
            elif connection is not None:
                key = active_key(connection)
                tokens = ConnectionToken(connection, key["id"])
                company_key = company_key or key.get("company_key")
            else:
                raise ValueError("a connection or an access token is required")
        self.connection = connection
        self.tokens = tokens
        self.company_key = company_key or settings.get("company_key") or ""
        if limits is None:
            limits = HttpLimits(
                connect_timeout=float(_setting("UNIMICRO_CONNECT_TIMEOUT", 5.0)),
                read_timeout=float(timeout or _setting("UNIMICRO_READ_TIMEOUT", 30.0)),
                deadline=float(_setting("UNIMICRO_CALL_DEADLINE", 60.0)),
                max_bytes=int(_setting("UNIMICRO_MAX_RESPONSE_BYTES", 20 * 1024 * 1024)),
            )
        super().__init__(
            base_url=api_base or settings.get("api_base") or auth.configured_api_base(),
            limits=limits,
            on_request=on_request,
        )
        self._bearer = ""

    # ERRORS
    # --------------------------------------------------------------------------
    def error_messages(self, status: int, body: Any) -> tuple[str, ...]:
        return error_messages(body)

    # TRANSPORT
    # --------------------------------------------------------------------------
    def _use(self, token: str) -> None:
        self._bearer = token
        self._http.headers[AUTH_HEADER] = f"Bearer {token}"
        if token not in self._secrets:
            # Earlier tokens stay redacted too (a reply may quote them).
            self._secrets = (*self._secrets, token)

    def request(self, method: str, path: str, **kwargs: Any) -> Reply:  # type: ignore[override]
        """One call with the key's bearer (and CompanyKey for /api/biz); after a 401 the token
        is renewed and the call repeated once."""
        company = kwargs.pop("company", True)
        if company and self.company_key:
            self._http.headers[COMPANY_HEADER] = self.company_key
        else:
            self._http.headers.pop(COMPANY_HEADER, None)
        self._use(self.tokens.token())
        try:
            reply = super().request(method, path, **kwargs)
        except AuthFailed as exc:
            if self._status != 401:
                raise
            log.info("unimicro: %s refused the token; renewing it once", exc.operation)
            self._use(self.tokens.renew(self._bearer))
            reply = super().request(method, path, **kwargs)
        self.tokens.used()
        return reply

    # CALLS
    # --------------------------------------------------------------------------
    def companies(self) -> list[dict]:
        """The companies the login may act on (`/api/init/companies`, no CompanyKey)."""
        data = self.request("GET", "api/init/companies", expect=list, company=False).data
        return [c for c in data if isinstance(c, dict)]

    def list(
        self,
        plural: str,
        *,
        filter: str | None = None,
        select: str | None = None,
        expand: str | None = None,
        orderby: str | None = "ID",
        top: int = PAGE_SIZE,
    ) -> Iterator[dict]:
        """Every record of `plural` matching `filter`, a page (`top`) per request."""
        skip = 0
        while True:
            params: dict[str, Any] = {"top": top, "skip": skip}
            for name, value in (
                ("filter", filter),
                ("select", select),
                ("expand", expand),
                ("orderby", orderby),
            ):
                if value:
                    params[name] = value
            page = self.request("GET", f"api/biz/{plural}", params=params, expect=list).data
            yield from (r for r in page if isinstance(r, dict))
            if len(page) < top:
                return
            skip += len(page)

    def get(  # type: ignore[override]
        self, plural: str, id: Any, *, expand: str | None = None
    ) -> dict | None:
        """One record, or None when Unimicro has none with this id."""
        params = {"expand": expand} if expand else None
        reply = self.request("GET", f"api/biz/{plural}/{id}", params=params, allow_not_found=True)
        return None if reply.status == 404 else reply.data

    def create(
        self,
        plural: str,
        body: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict:
        return self.request(
            "POST",
            f"api/biz/{plural}",
            params=params,
            json_body=dict(body),
            idempotency_key=idempotency_key,
        ).data

    def update(
        self,
        plural: str,
        id: Any,
        body: Mapping[str, Any],
        *,
        params: Mapping[str, Any] | None = None,
    ) -> dict:
        return self.request(
            "PUT", f"api/biz/{plural}/{id}", params=params, json_body=dict(body)
        ).data

    def delete(self, plural: str, id: Any) -> None:
        self.request("DELETE", f"api/biz/{plural}/{id}", expect=None)

    def action(
        self,
        plural: str,
        id_or_none: Any,
        action: str,
        *,
        method: str = "PUT",
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """`<METHOD> /api/biz/<plural>[/<id>]?action=<name>` (a transition or a command)."""
        path = f"api/biz/{plural}" if id_or_none in (None, "") else f"api/biz/{plural}/{id_or_none}"
        return self.request(
            method,
            path,
            params={**(params or {}), "action": action},
            json_body=body,
            expect=None,
        ).data


# ERROR BODIES
# ------------------------------------------------------------------------------
def error_messages(body: Any) -> tuple[str, ...]:
    """Readable reasons from Unimicro's error shapes: `_validationResults` (at any depth,
    errors first), `Messages: [{Message}]`, `Message`/`message`, or a bare string."""
    if isinstance(body, str):
        return (body,) if body.strip() else ()
    found: list[tuple[int, str]] = []
    _validation(body, found)
    if found:
        errors = [text for level, text in found if level >= LEVEL_ERROR]
        return tuple(dict.fromkeys(errors or [text for _level, text in found]))
    if not isinstance(body, Mapping):
        return ()
    messages: list[str] = []
    for entry in body.get("Messages") or body.get("messages") or []:
        if isinstance(entry, Mapping):
            text = entry.get("Message") or entry.get("message")
            if isinstance(text, str) and text.strip():
                messages.append(text)
        elif isinstance(entry, str) and entry.strip():
            messages.append(entry)
    for key in ("Message", "message", "ExceptionMessage", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value.strip() and value not in messages:
            messages.append(value)
    return tuple(messages)


def _validation(node: Any, found: list[tuple[int, str]]) -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "_validationResults":
                _results(value, found)
            elif isinstance(value, Mapping | list):
                _validation(value, found)
    elif isinstance(node, list):
        for item in node:
            _validation(item, found)


def _results(value: Any, found: list[tuple[int, str]]) -> None:
    if isinstance(value, Mapping):
        for inner in value.values():
            _results(inner, found)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping) and "Message" in item:
                text = str(item.get("Message") or "").strip()
                prop = str(item.get("PropertyName") or "").strip()
                try:
                    level = int(item.get("Level") or LEVEL_ERROR)
                except (TypeError, ValueError):
                    level = LEVEL_ERROR
                if text:
                    found.append((level, f"{prop}: {text}" if prop else text))
            else:
                _results(item, found)


__all__ = ["UnimicroClient", "Rejected", "active_key", "error_messages"]
