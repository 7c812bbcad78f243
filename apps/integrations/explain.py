"""What a failed transfer means, in plain words that say what to do (pure but for the
connection it may look up).

The outbox and the sync runs keep the system's own text (e.g. "Server was unable to process
request. ---> System.Exception: Project 7012 does not exist"); screens show `explain(text,
connection)` first and the raw text behind a "details" toggle. The text is read as one of the
four connector errors (unavailable, login refused, rate-limited, refused); the connection's
connector words it first (`ConnectorSpec.explain`), else the generic words here name the
system from the connection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
    Unavailable,
)
from apps.integrations.sync import waiting


@dataclass(frozen=True)
class Explanation:
    """A failure in words (`plain`) and the system's own text (`raw`, for the details)."""

    plain: str
    raw: str
    # "retry": it is retried by itself; "act": a person must fix something first.
    kind: str = "act"


# How a stored error text reads as a connector error; first match wins, case-insensitive;
# anything else was refused.
# The REST base's own words count too ("HTTP 401", "did not answer in time", "could not reach").
_AUTH = re.compile(
    r"session|not authenticated|AuthFailed|password|login (?:failed|refused)|\bHTTP 40[13]\b",
    re.IGNORECASE,
)
_RATE = re.compile(r"rate.?limit|too many requests|quarantin|request budget|\b429\b", re.IGNORECASE)
_UNAVAILABLE = re.compile(
    r"timed? ?out|cannot be reached|could not reach|did not answer|not what was asked|"
    r"connection (?:refused|reset)|Unavailable|\b50[0234]\b|\bHTTP 5\d\d\b",
    re.IGNORECASE,
)


def as_error(text: str) -> ConnectorError:
    """The stored failure `text` as the connector error it was (by its words)."""
    if _AUTH.search(text):
        return AuthFailed(text)
    if _RATE.search(text):
        return RateLimited(text, retry_after=0)
    if _UNAVAILABLE.search(text):
        return Unavailable(text)
    return Rejected(text)


def _spec(connection: Any) -> Any:
    """The connector spec naming the system: the connection's; without one, the only system
    registered or the only active connection's; None when that is not one system."""
    if connection is not None:
        return connection.spec
    from apps.integrations.registry import spec_for, specs

    registered = specs()
    if len(registered) == 1:
        return registered[0]
    from apps.integrations.models import Connection

    active = set(Connection.objects.filter(is_active=True).values_list("system", flat=True))
    # A connection that only switches a feature on (each person's calendar) is no ERP.
    systems = {
        spec.system
        for spec in registered
        if spec.system in active and (spec.capabilities.pull or spec.capabilities.push)
    }
    if len(systems) == 1:
        try:
            return spec_for(systems.pop())
        except LookupError:
            return None
    return None


def system_name(connection: Any = None) -> str:
    """The connected system as people know it ("the ERP" when it is not one system)."""
    spec = _spec(connection)
    return str(spec.display_name) if spec is not None else _("the ERP")


def generic_words(exc: ConnectorError, system: str) -> str:
    """`exc` in words that fit any system, naming it."""
    if isinstance(exc, AuthFailed):
        text = _(
            "%(system)s did not accept the sync's login (or its session ended). Check the "
            "connection's login under its settings; the transfer is retried after that."
        )
    elif isinstance(exc, RateLimited):
        text = _(
            "%(system)s asked Tidsbro to slow down (too many requests). The transfer is "
            "retried by itself; nothing to do."
        )
    elif isinstance(exc, Unavailable):
        text = _(
            "%(system)s could not be reached. The transfer is retried by itself; if it keeps "
            "failing, check the status page of %(system)s."
        )
    else:
        text = _(
            "%(system)s refused the transfer. The details say why; fix it in Tidsbro or "
            "%(system)s, then retry."
        )
    text = text % {"system": system}
    # A system's own name keeps its spelling (a brand written in lower case); "the ERP" starts a sentence.
    return text if text.startswith(system) and system != _("the ERP") else capfirst(text)


def explain_error(exc: ConnectorError, connection: Any = None, *, raw: str = "") -> Explanation:
    """The connector error `exc` in plain, translated words for the screens."""
    spec = _spec(connection)
    words = spec.explain(exc) if spec is not None else None
    if not words:
        words = generic_words(exc, str(spec.display_name) if spec is not None else _("the ERP"))
    kind = "retry" if isinstance(exc, (Unavailable, RateLimited)) else "act"
    return Explanation(plain=str(words), raw=raw or str(exc), kind=kind)


def explain(text: str | None, connection: Any = None) -> Explanation:
    """The failure `text` (an outbox item's or a run's error) in plain, translated words."""
    raw = (text or "").strip()
    return explain_error(as_error(raw), connection, raw=raw)


def waiting_text(entity: str, record: object, connection: Any = None) -> str:
    """ "waiting for project 7012 to reach <system>" (translated)."""
    values = {"record": record, "system": system_name(connection)}
    if entity == "project":
        return _("waiting for project %(record)s to reach %(system)s") % values
    if entity == "customer":
        return _("waiting for customer %(record)s to get its partner in %(system)s") % values
    return _("waiting for %(record)s to reach %(system)s") % values


def is_waiting(text: str | None) -> bool:
    return waiting.parse(text) is not None
