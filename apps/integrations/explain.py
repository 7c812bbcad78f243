"""What a failed transfer means, in plain words that say what to do (pure).

The outbox and the sync runs keep the ERP's own text (e.g. "Server was unable to process
request. ---> System.Exception: Project 7012 does not exist"); screens show `explain(text)`
first and the raw text behind a "details" toggle. Known texts of 24SevenOffice are matched
here; anything else says that the ERP refused and points at the details.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.integrations.sync import waiting


@dataclass(frozen=True)
class Explanation:
    """A failure in words (`plain`) and the ERP's own text (`raw`, for the details)."""

    plain: str
    raw: str
    # "retry": it is retried by itself; "act": a person must fix something first.
    kind: str = "act"


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


def _session(_m: re.Match) -> str:
    return _(
        "24SevenOffice did not accept the sync's login (or its session ended). Check the "
        "integration user under Settings → 24SevenOffice; the transfer is retried after that."
    )


def _rate(_m: re.Match) -> str:
    return _(
        "24SevenOffice asked Tidsbro to slow down (too many requests). The transfer is "
        "retried by itself; nothing to do."
    )


def _unreachable(_m: re.Match) -> str:
    return _(
        "24SevenOffice could not be reached. The transfer is retried by itself; if it keeps "
        "failing, check 24SevenOffice's status page."
    )


def _approved(_m: re.Match) -> str:
    return _(
        "The hour is approved or locked in 24SevenOffice, so it cannot be changed there. "
        "Reopen it in 24SevenOffice, then retry."
    )


# (pattern, words, kind) — first match wins; patterns are case-insensitive.
KNOWN: tuple[tuple[re.Pattern[str], Callable[[re.Match], str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), words, kind)
    for pattern, words, kind in (
        (r"Project (\d+) does not exist", _project, "act"),
        (r"(?:Customer|Company) (\d+) does not exist", _customer, "act"),
        (r"Contact (\d+) does not exist", _contact, "act"),
        (r"Work type (\d+) does not exist", _work_type, "act"),
        (r"Task (\d+) does not exist", _task, "act"),
        (r"not mapped to a 24SevenOffice user", _unmapped, "act"),
        (r"approved or locked", _approved, "act"),
        (
            r"session|not authenticated|AuthFailed|password|login (?:failed|refused)",
            _session,
            "act",
        ),
        (r"rate.?limit|too many requests|quarantin|request budget|\b429\b", _rate, "retry"),
        (
            r"timed? ?out|cannot be reached|connection (?:refused|reset)|Unavailable"
            r"|\b50[234]\b",
            _unreachable,
            "retry",
        ),
    )
)


def explain(text: str | None) -> Explanation:
    """The failure `text` (an outbox item's or a run's error) in plain, translated words."""
    raw = (text or "").strip()
    for pattern, words, kind in KNOWN:
        match = pattern.search(raw)
        if match:
            return Explanation(plain=words(match), raw=raw, kind=kind)
    return Explanation(
        plain=_(
            "24SevenOffice refused the transfer. The details say why; fix it in Tidsbro or "
            "24SevenOffice, then retry."
        ),
        raw=raw,
    )


def waiting_text(entity: str, record: object) -> str:
    """ "waiting for project 7012 to reach 24SevenOffice" (translated)."""
    if entity == "project":
        return _("waiting for project %(record)s to reach 24SevenOffice") % {"record": record}
    if entity == "customer":
        return _("waiting for customer %(record)s to get its partner in 24SevenOffice") % {
            "record": record
        }
    return _("waiting for %(record)s to reach 24SevenOffice") % {"record": record}


def is_waiting(text: str | None) -> bool:
    return waiting.parse(text) is not None
