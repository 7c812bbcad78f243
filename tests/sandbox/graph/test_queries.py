"""A delta page costs the same few queries however many events the mailbox holds."""

from __future__ import annotations

import pytest

from apps.sandbox.graph.dataset import dataset
from apps.sandbox.graph.models import Token
from apps.sandbox.graph.seed import apps_seed, mailbox_for
from apps.sandbox.graph.tokens import _new_token

pytestmark = pytest.mark.django_db


def test_a_delta_page_and_a_round_of_changes_have_pinned_query_counts(
    client, django_assert_max_num_queries
):
    app, _public = apps_seed()
    mailbox = mailbox_for("Bench", "Person", "bench@tidsbro.no", "Europe/Oslo")
    dataset(mailbox=mailbox, events=400, start=None)
    token = _new_token(Token.Kind.ACCESS, app, mailbox, ["Calendars.Read"], 3600)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_PREFER": "odata.maxpagesize=100"}
    url = "/sandbox/graph/v1.0/me/calendarView/delta"
    params = {"startDateTime": "2020-01-01T00:00:00Z", "endDateTime": "2030-01-01T00:00:00Z"}
    client.get(url, params, **headers)  # the knobs row and the signing key exist from here on
    with django_assert_max_num_queries(8):
        page = client.get(url, params, **headers).json()
    assert len(page["value"]) == 100
    pages = 1
    while "@odata.nextLink" in page:
        with django_assert_max_num_queries(8):
            page = client.get(page["@odata.nextLink"], **headers).json()
        pages += 1
    assert pages >= 4
    with django_assert_max_num_queries(8):
        unchanged = client.get(page["@odata.deltaLink"], **headers).json()
    assert unchanged["value"] == []
