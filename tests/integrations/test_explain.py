"""Failures in plain words: the connection's connector words what it knows, the generic words
name the system from the connection; the kind (retried by itself or act) follows the error."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apps.integrations.connectors.base import Capabilities, ConnectorError, ConnectorSpec
from apps.integrations.explain import explain, waiting_text


class QuietSpec(ConnectorSpec):
    """A system whose connector has no words of its own."""

    system = "quiet"
    display_name = "Quiet Ledger"
    capabilities = Capabilities(system="quiet", pull=frozenset())


class TalkativeSpec(QuietSpec):
    def explain(self, exc: ConnectorError) -> str | None:
        return "Ledger says: " + exc.message if "Invoice" in exc.message else None


QUIET = SimpleNamespace(spec=QuietSpec(), system_name="Quiet Ledger")
TALKATIVE = SimpleNamespace(spec=TalkativeSpec(), system_name="Quiet Ledger")


@pytest.mark.parametrize(
    "raw,words,kind",
    [
        ("read timed out", "Quiet Ledger could not be reached", "retry"),
        ("HTTP 429: too many requests", "Quiet Ledger asked Tidsbro to slow down", "retry"),
        ("401: login failed", "Quiet Ledger did not accept the sync's login", "act"),
        ("Invoice 12 is booked", "Quiet Ledger refused the transfer", "act"),
    ],
)
def test_without_words_of_its_own_the_system_is_named_from_the_connection(raw, words, kind):
    explanation = explain(raw, QUIET)

    assert words in explanation.plain
    assert "24SevenOffice" not in explanation.plain
    assert (explanation.raw, explanation.kind) == (raw, kind)


def test_the_connectors_own_words_come_first_and_the_rest_stays_generic():
    assert explain("Invoice 12 is booked", TALKATIVE).plain == "Ledger says: Invoice 12 is booked"
    assert "Quiet Ledger could not be reached" in explain("timed out", TALKATIVE).plain


def test_24so_texts_keep_their_words_through_its_connector():
    from apps.integrations.registry import spec_for

    connection = SimpleNamespace(spec=spec_for("24so"))

    assert explain("Task 5 does not exist", connection).plain.startswith(
        "24SevenOffice has no task 5."
    )
    assert "24SevenOffice could not be reached" in explain("Unavailable: reset", connection).plain


def test_waiting_names_the_system_of_the_connection():
    assert waiting_text("project", 7012, QUIET) == "waiting for project 7012 to reach Quiet Ledger"
    assert (
        waiting_text("customer", "Fjordlys", QUIET)
        == "waiting for customer Fjordlys to get its partner in Quiet Ledger"
    )


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("customers.create: HTTP 500 from the remote system", "retry"),
        ("customers.list: the remote system did not answer in time", "retry"),
        ("customers.list: could not reach the remote system", "retry"),
        ("customers.create: HTTP 401: the tokens were refused", "act"),
        ("customers.create: Customer number 17 is already in use", "act"),
    ],
)
def test_the_rest_base_words_read_as_what_they_are(raw: str, kind: str) -> None:
    explanation = explain(raw, QUIET)

    assert explanation.kind == kind
    if kind == "retry":
        assert "retried by itself" in explanation.plain


def test_a_system_named_in_lower_case_keeps_its_spelling_at_the_start() -> None:
    lower = SimpleNamespace(spec=type("Lower", (QuietSpec,), {"display_name": "e-ledger"})())

    assert explain("read timed out", lower).plain.startswith("e-ledger could not be reached")
