"""24SevenOffice's failures in words an office administrator can act on (pure).

24SO answers with .NET text ("Server was unable to process request. ---> System.Exception:
Project 7012 does not exist"); the texts known here name the record and the screen to fix it
in. `TwentyFourSevenSpec.explain` returns `explain(exc)`; anything else falls back to the
generic words of `apps.integrations.explain`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectorError,
    RateLimited,
    Rejected,
    Unavailable,
)


def _project(m: re.Match) -> str:
    return _(
        "24SevenOffice has no project %(number)s. Link the project to its partner in "
        "24SevenOffice, or create it there (Sync center → Projects), then retry."
    ) % {"number": m.group(1)}


def _customer(m: re.Match) -> str:
    return _(
        "24SevenOffice has no customer %(number)s. Link the customer to its partner in "
        "24SevenOffice (Sync center → Customers), then retry."
    ) % {"number": m.group(1)}


def _contact(m: re.Match) -> str:
    return _(
        "24SevenOffice has no user %(number)s. Map the person to their 24SevenOffice user "
        "(Settings → 24SevenOffice → User mapping), then retry."
    ) % {"number": m.group(1)}


def _work_type(m: re.Match) -> str:
    return _(
        "24SevenOffice has no work type %(number)s. Fetch the work types again (Sync "
        "center → Work types) and check the hour's work type, then retry."
    ) % {"number": m.group(1)}


def _task(m: re.Match) -> str:
    return _(
        "24SevenOffice has no task %(number)s. Fetch the tasks again (Sync center → Tasks) "
        "and check the hour's task, then retry."
    ) % {"number": m.group(1)}


def _unmapped(_m: re.Match) -> str:
    return _(
        "The person is not mapped to a 24SevenOffice user and no integration user is chosen. "
        "Map the person or choose an integration user (Settings → 24SevenOffice), then retry."
    )


def _approved(_m: re.Match) -> str:
    return _(
        "The hour is approved or locked in 24SevenOffice, so it cannot be changed there. "
        "Reopen it in 24SevenOffice, then retry."
    )


# 24SO's own texts, matched (case-insensitive) before the kind of failure; first match wins.
KNOWN: tuple[tuple[re.Pattern[str], Callable[[re.Match], str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words)
    for pattern, words in (
        (r"Project (\d+) does not exist", _project),
        (r"(?:Customer|Company) (\d+) does not exist", _customer),
        (r"Contact (\d+) does not exist", _contact),
        (r"Work type (\d+) does not exist", _work_type),
        (r"Task (\d+) does not exist", _task),
        (r"not mapped to a 24SevenOffice user", _unmapped),
        (r"approved or locked", _approved),
    )
)


def _by_kind(exc: ConnectorError) -> str | None:
    if isinstance(exc, AuthFailed):
        return _(
            "24SevenOffice did not accept the sync's login (or its session ended). Check the "
            "integration user under Settings → 24SevenOffice; the transfer is retried after "
            "that."
        )
    if isinstance(exc, RateLimited):
        return _(
            "24SevenOffice asked Tidsbro to slow down (too many requests). The transfer is "
            "retried by itself; nothing to do."
        )
    if isinstance(exc, Unavailable):
        return _(
            "24SevenOffice could not be reached. The transfer is retried by itself; if it keeps "
            "failing, check 24SevenOffice's status page."
        )
    if isinstance(exc, Rejected):
        return _(
            "24SevenOffice refused the transfer. The details say why; fix it in Tidsbro or "
            "24SevenOffice, then retry."
        )
    return None


def explain(exc: ConnectorError) -> str | None:
    """24SO's failure `exc` in plain, translated words, or None (the generic words then)."""
    text = str(exc)
    for pattern, words in KNOWN:
        match = pattern.search(text)
        if match:
            return words(match)
    return _by_kind(exc)
