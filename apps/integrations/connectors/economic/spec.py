"""What Tidsbro knows about e-conomic: customers both ways, a time cursor, its words.

e-conomic (Visma) is reached through its classic REST API with two tokens: the app secret
token (Tidsbro's, from the environment, `ECONOMIC_APP_SECRET_TOKEN`) and the agreement grant
token (the office's, given by e-conomic when an e-conomic user approves Tidsbro; stored per
connection, encrypted). See ../shared/reference/economic/API-NOTES.md.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    ConnectorSpec,
    RateLimited,
    Rejected,
    Unavailable,
)
from apps.integrations.connectors.economic import SYSTEM
from apps.integrations.connectors.economic.rules import (  # noqa: F401 - spec names them
    CAPABILITIES,
    OVERLAP,
    WITHOUT_PROJECT_MODULE,
    cursor_text,
    parse_time,
)

# e-conomic's property names → the canonical fields, for refusals in the office's words.
FIELD_LABELS: dict[str, Any] = {
    "customerNumber": _("customer number"),
    "name": _("name"),
    "corporateIdentificationNumber": _("organisation number"),
    "email": _("e-mail"),
    "telephoneAndFaxNumber": _("phone"),
    "address": _("address"),
    "zip": _("postal code"),
    "city": _("city"),
    "country": _("country"),
    "currency": _("currency"),
    "customerGroup": _("customer group"),
    "paymentTerms": _("payment terms"),
    "vatZone": pgettext_lazy("inside a sentence", "VAT zone"),
    "layout": _("layout"),
    "barred": _("active"),
}

CREDENTIALS_SCHEMA = {
    "type": "object",
    "properties": {
        "agreement_grant_token": {"type": "string", "minLength": 1, "maxLength": 200},
    },
    "required": ["agreement_grant_token"],
    "additionalProperties": False,
}

_NUMBER = {"type": "integer", "minimum": 1}
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "agreement_number": _NUMBER,
        "company_name": {"type": "string", "maxLength": 255},
        "user_name": {"type": "string", "maxLength": 255},
        "user_email": {"type": "string", "maxLength": 255},
        # What a new e-conomic customer gets (e-conomic requires all but the layout).
        "customer_group": _NUMBER,
        "payment_terms": _NUMBER,
        "vat_zone": _NUMBER,
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "layout": {"anyOf": [_NUMBER, {"type": "null"}]},
        # Hours transferred are approved in e-conomic too (then they cannot change there).
        "approve_hours": {"type": "boolean"},
        # Whether the agreement has e-conomic's Project module (projects, activities,
        # employees and time entries through its Projects service); absent = not known to.
        "project_module": {"type": "boolean"},
        # Where a project, and a work type (activity), made in Tidsbro goes in e-conomic.
        "project_group": {"anyOf": [_NUMBER, {"type": "null"}]},
        "activity_group": {"anyOf": [_NUMBER, {"type": "null"}]},
        # The employee whose name hours of people not linked to an employee go under (flagged).
        "integration_employee": {"anyOf": [_NUMBER, {"type": "null"}]},
    },
    "required": ["agreement_number", "customer_group", "payment_terms", "vat_zone", "currency"],
    "additionalProperties": False,
}

_MODULE_MISSING = re.compile(r"AccessDeniedAgreementMissingModules")
_STALE_VERSION = re.compile(r"\bHTTP 409\b|UpdateConflict|[Vv]ersion does not match")
_HTTP_401 = re.compile(r"\bHTTP 401\b")
_HTTP_403 = re.compile(r"\bHTTP 403\b")
_HTTP_429 = re.compile(r"\bHTTP 429\b|asks to slow down")
# The shared REST base's words for no (usable) answer.
_UNREACHED = re.compile(
    r"\bHTTP 5\d\d\b|did not answer|could not reach|not what was asked|does not match its "
    r"schema|timed? ?out",
    re.IGNORECASE,
)
_FIELD_IN_MESSAGE = re.compile(r"\b(" + "|".join(map(re.escape, FIELD_LABELS)) + r")\b")
_NUMBER_TAKEN = re.compile(r"E06100|already (?:in use|exists|used)|is taken", re.IGNORECASE)


def field_named(text: str) -> str | None:
    """The office's word for the first e-conomic property a refusal names, or None."""
    found = _FIELD_IN_MESSAGE.search(text or "")
    return str(FIELD_LABELS[found.group(1)]) if found else None


class EconomicSpec(ConnectorSpec):
    system = SYSTEM
    display_name = "e-conomic"
    description = _(
        "Customers kept in step with e-conomic both ways, and with its Project module also "
        "projects, activities (work types) and employees, hours sent as time entries and "
        "orders as draft invoices."
    )
    capabilities = CAPABILITIES
    credentials_schema = CREDENTIALS_SCHEMA
    settings_schema = SETTINGS_SCHEMA
    cursor_is_time = True

    def connector(self, connection: Any, **overrides: Any) -> Any:
        from apps.integrations.connectors.economic.connector import EconomicConnector

        return EconomicConnector(connection, **overrides)

    def describe(self, connection: Any) -> str:
        settings = getattr(connection, "settings", None) or {}
        company = settings.get("company_name") or ""
        agreement = settings.get("agreement_number")
        if company and agreement:
            return f"{self.display_name}: {company} ({agreement})"
        return f"{self.display_name}: {company}" if company else str(self.display_name)

    @property
    def onboarding(self) -> Any:  # type: ignore[override]
        """The connect wizard's steps: the agreement (grant token), the defaults."""
        from apps.integrations.connectors.economic.onboarding import ONBOARDING

        return ONBOARDING

    @property
    def settings(self) -> Any:  # type: ignore[override]
        """The settings screen's boxes: defaults for new customers, a new grant token."""
        from apps.integrations.connectors.economic.screens import SETTINGS

        return SETTINGS

    @property
    def webhooks(self) -> Any:  # type: ignore[override]
        """Instant updates: e-conomic's webhooks call Tidsbro's receiver (webhooks.py)."""
        from apps.integrations.connectors.economic.webhooks import WEBHOOKS

        return WEBHOOKS

    @property
    def orders(self) -> Any:  # type: ignore[override]
        """Orders become draft invoices in e-conomic (never booked by Tidsbro)."""
        from apps.integrations.connectors.economic.orders import ORDERS

        return ORDERS

    def connectable(self, settings: Any) -> frozenset[str] | None:
        """Customers alone unless the agreement has the Project module (checked when
        connecting, `project_module`): e-conomic refuses its Projects service otherwise."""
        if (settings or {}).get("project_module") is True:
            return None
        return WITHOUT_PROJECT_MODULE

    def request_budget(self, connection: Any) -> tuple[int, int] | None:
        """Tokens used and the size of e-conomic's tightest bucket window, as its last reply in
        this process reported them (`X-RateLimiting`); None when no reply said so yet."""
        from django.conf import settings

        from apps.integrations.connectors.economic.client import budget_key
        from apps.integrations.connectors.http import DEFAULT_TOKEN_BUCKETS

        grant = (getattr(connection, "credentials_doc", None) or {}).get("agreement_grant_token")
        secret = getattr(settings, "ECONOMIC_APP_SECRET_TOKEN", "")
        if not grant or not secret:
            return None
        with DEFAULT_TOKEN_BUCKETS.lock:
            windows = dict(DEFAULT_TOKEN_BUCKETS.bucket(budget_key(secret, grant)).windows)
        if not windows:
            return None
        (limit, _seconds), (used, _seen) = min(
            windows.items(), key=lambda item: item[0][0] - item[1][0]
        )
        return used, limit

    def cursor_from_time(self, moment: datetime) -> str:
        return cursor_text(moment)

    def cursor_as_time(self, cursor: str) -> datetime | None:
        return parse_time(cursor) if cursor else None

    def explain(self, exc: ConnectorError) -> str | None:
        text = exc.message if isinstance(exc, ConnectorError) else str(exc)
        # Before the generic statuses: a missing module is a 403 that is not lost access,
        # and a stale object version a 409 that is not a refusal of the values.
        if _MODULE_MISSING.search(text):
            return gettext(
                "Your e-conomic agreement has no Project module: e-conomic refuses projects, "
                "activities, employees and time entries to other programs without it. Add the "
                "module to the agreement in e-conomic, or keep only customers in step with "
                "Tidsbro (Connections → e-conomic settings)."
            )
        if _STALE_VERSION.search(text):
            return gettext(
                "The record was changed in e-conomic while Tidsbro was writing it. Tidsbro "
                "reads it again and writes the change over what e-conomic holds now; nothing "
                "is lost."
            )
        # A stored failure comes back as text: its HTTP status says what it was.
        if _HTTP_401.search(text) or _HTTP_403.search(text):
            exc = AuthFailed(text)
        elif _HTTP_429.search(text) and not isinstance(exc, RateLimited):
            exc = RateLimited(text, retry_after=0)
        elif _UNREACHED.search(text) and not isinstance(exc, Unavailable):
            exc = Unavailable(text)
        if isinstance(exc, AuthFailed):
            if _HTTP_403.search(text) or re.search(
                r"\brole|forbidden|access denied", text, re.IGNORECASE
            ):
                return gettext(
                    "e-conomic refused Tidsbro access to customers: the e-conomic user who "
                    "approved Tidsbro needs the Sales or Super user role. Ask them, then "
                    "connect e-conomic again."
                )
            return gettext(
                "e-conomic no longer accepts Tidsbro's access (the approval was withdrawn in "
                "e-conomic, or the token is wrong). Approve Tidsbro again: Connections → e-conomic "
                "settings → Access to e-conomic."
            )
        if isinstance(exc, RateLimited):
            seconds = int(round(exc.retry_after))
            if seconds > 0:
                return gettext(
                    "e-conomic asked Tidsbro to slow down (too many requests in a short time). "
                    "The sync continues by itself in about %(seconds)d seconds; nothing is lost."
                ) % {"seconds": seconds}
            return gettext(
                "e-conomic asked Tidsbro to slow down (too many requests in a short time). "
                "The sync continues by itself in a minute; nothing is lost."
            )
        if isinstance(exc, Rejected):
            messages = "; ".join(exc.messages) if exc.messages else text
            if "projectsapi" in f"{exc.operation} {text}":
                # Projects, activities, time entries: not a customer's fields.
                return gettext(
                    "e-conomic refused it: %(reason)s. Correct it here and it is sent again."
                ) % {"reason": messages[:300]}
            if _NUMBER_TAKEN.search(messages):
                return gettext(
                    "e-conomic already has a customer with this customer number. Choose "
                    "another number (or leave it empty for e-conomic's next free one), or "
                    "choose that e-conomic customer as the partner."
                )
            name = field_named(messages)
            if name:
                return gettext(
                    "e-conomic refused the customer's %(field)s: %(reason)s. Correct it here "
                    "and the customer is sent again."
                ) % {"field": name, "reason": messages[:300]}
            return None
        if isinstance(exc, Unavailable):
            return gettext(
                "e-conomic could not be reached or did not answer in time. Tidsbro tries "
                "again by itself; a customer whose creation may have reached e-conomic is "
                "looked up there first, never created twice."
            )
        return None


SPEC = EconomicSpec()
