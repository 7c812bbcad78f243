"""A Unimicro connection's keys: one login (refresh token) per company, named by the office.

Services (the Keys box and the OAuth callback call them; the rules live here): rename,
re-authorise (a new login replaces the key's tokens), revoke (told to Unimicro, tokens
forgotten; the active key revoked stops the sync until someone logs in again). Each writes
the key list (settings) and the tokens (encrypted state) together under the connection's row
lock, and an audit entry that never holds a token.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import jsonschema
from django.db import transaction
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectorError
from apps.integrations.connectors.unimicro import auth

SERVER_KEY_NAME = "Tidsbro server access"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _moment(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def new_key(
    *,
    name: str,
    company_key: str,
    company_name: str,
    organisation_name: str,
    user_name: str,
) -> dict[str, Any]:
    """A key's entry in the connection's settings (its tokens go to the state)."""
    return {
        "id": str(uuid.uuid4()),
        "name": name,
        "company_key": company_key,
        "company_name": company_name,
        "organisation_name": organisation_name,
        "user_name": user_name,
        "created_at": _now_iso(),
        "revoked_at": None,
    }


@dataclass(frozen=True)
class KeyRow:
    """One key as the Keys box shows it."""

    id: str
    name: str
    company_name: str
    company_key: str
    organisation_name: str
    user_name: str
    created_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool
    has_tokens: bool

    @property
    def working(self) -> bool:
        """Whether the sync can reach Unimicro with this key now."""
        return self.revoked_at is None and self.has_tokens

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return _("Revoked")
        if not self.has_tokens:
            return _("Log in to Unimicro again")
        return _("In use") if self.active else _("Not in use")


def key_list(*, connection: Any) -> list[KeyRow]:
    """The connection's keys, the one in use first, then newest first."""
    settings = connection.settings or {}
    tokens = (connection.state_doc or {}).get("tokens") or {}
    active = settings.get("active_key") or ""
    rows = [
        KeyRow(
            id=k["id"],
            name=k.get("name") or "",
            company_name=k.get("company_name") or "",
            company_key=k.get("company_key") or "",
            organisation_name=k.get("organisation_name") or "",
            user_name=k.get("user_name") or "",
            created_at=_moment(k.get("created_at")),
            last_used_at=_moment((tokens.get(k["id"]) or {}).get("last_used_at")),
            revoked_at=_moment(k.get("revoked_at")),
            active=k["id"] == active,
            has_tokens=bool((tokens.get(k["id"]) or {}).get("access_token")),
        )
        for k in settings.get("keys") or []
    ]
    rows.sort(key=lambda r: (not r.active, -(r.created_at.timestamp() if r.created_at else 0)))
    return rows


def _locked(connection: Any) -> Any:
    return type(connection).objects.select_for_update().get(pk=connection.pk)


def _find(settings: Mapping[str, Any], key_id: str) -> dict[str, Any]:
    for key in settings.get("keys") or []:
        if key.get("id") == key_id:
            return key
    raise ApplicationError(_("This connection has no such key."))


def _save(row: Any, connection: Any, settings: dict[str, Any], state: dict | None) -> None:
    spec = row.spec
    try:
        jsonschema.validate(settings, dict(spec.settings_schema))
    except jsonschema.ValidationError:
        raise ApplicationError(_("The key list would not be valid; nothing was changed.")) from None
    row.settings = settings
    fields = ["settings", "updated_at"]
    if state is not None:
        row.state_doc = state
        fields.append("state")
    row.save(update_fields=fields)
    connection.settings = row.settings
    connection.state = row.state


def key_rename(*, connection: Any, key_id: str, name: str, actor: Any) -> dict[str, Any]:
    """Renames a key; audit-logged."""
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(_("Name the key."))
    with transaction.atomic():
        row = _locked(connection)
        settings = dict(row.settings or {})
        settings["keys"] = [dict(k) for k in settings.get("keys") or []]
        key = _find(settings, key_id)
        old = key.get("name") or ""
        if old == name:
            return key
        key["name"] = name
        _save(row, connection, settings, None)
        audit.record(
            actor,
            row,
            _("Renamed the Unimicro key “%(old)s” to “%(new)s”.") % {"old": old, "new": name},
        )
    return key


def key_revoke(*, connection: Any, key_id: str, actor: Any) -> bool:
    """Revokes a key: Unimicro is told (RFC 7009), the tokens are forgotten and the key
    marked revoked; audit-logged. Returns whether Unimicro confirmed the revocation."""
    with transaction.atomic():
        row = _locked(connection)
        settings = dict(row.settings or {})
        settings["keys"] = [dict(k) for k in settings.get("keys") or []]
        key = _find(settings, key_id)
        if key.get("revoked_at"):
            raise ApplicationError(_("This key is revoked already."))
        state = dict(row.state_doc)
        tokens = dict(state.get("tokens") or {})
        entry = tokens.pop(key_id, None) or {}
        issuer = auth.connection_issuer(row)
        state["tokens"] = tokens
        key["revoked_at"] = _now_iso()
        _save(row, connection, settings, state)
        audit.record(
            actor,
            row,
            _("Revoked the Unimicro key “%(name)s” (%(company)s).")
            % {"name": key.get("name"), "company": key.get("company_name")},
        )
    # Told after the commit: no transaction waits for Unimicro's answer, and the tokens are
    # forgotten here whatever it says.
    return auth.revoke(issuer, entry) if entry else False


def key_reauthorise(
    *, connection: Any, key_id: str, login: auth.LoginResult, actor: Any
) -> dict[str, Any]:
    """A new login for a key replaces its tokens (a revoked key is in use again). The login
    must reach the key's company; audit-logged (never the tokens)."""
    from apps.integrations.connectors.unimicro.client import UnimicroClient

    current = _find(connection.settings or {}, key_id)
    try:
        with UnimicroClient(
            access_token=login.access_token, api_base=connection.settings.get("api_base")
        ) as client:
            companies = client.companies()
    except ConnectorError as exc:
        raise ApplicationError(
            _("Unimicro could not list the companies of this login: %(reason)s")
            % {"reason": exc.message}
        ) from None
    if not any(_company_key(c) == current.get("company_key") for c in companies):
        raise ApplicationError(
            _(
                "This Unimicro login cannot reach %(company)s. Log in as a user of that "
                "company (and choose its organisation)."
            )
            % {"company": current.get("company_name")}
        )
    with transaction.atomic():
        row = _locked(connection)
        settings = dict(row.settings or {})
        settings["keys"] = [dict(k) for k in settings.get("keys") or []]
        key = _find(settings, key_id)
        key["revoked_at"] = None
        key["user_name"] = login.user_name or key.get("user_name") or ""
        active = _find_or_none(settings, settings.get("active_key"))
        if active is None or active.get("revoked_at"):
            settings["active_key"] = key_id
        state = dict(row.state_doc)
        tokens = dict(state.get("tokens") or {})
        tokens[key_id] = login.token_entry()
        state["tokens"] = tokens
        _save(row, connection, settings, state)
        audit.record(
            actor,
            row,
            _("Re-authorised the Unimicro key “%(name)s” (logged in as %(user)s).")
            % {"name": key.get("name"), "user": key.get("user_name")},
        )
    return key


def _find_or_none(settings: Mapping[str, Any], key_id: str | None) -> dict[str, Any] | None:
    try:
        return _find(settings, key_id or "")
    except ApplicationError:
        return None


def _company_key(company: Mapping[str, Any]) -> str:
    return str(company.get("Key") or company.get("CompanyKey") or "")
