"""integrations_status: the hour backlog's progress under 24SO's request budget."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.integrations.models import OutboxItem, Watermark
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db


def test_status_shows_the_backlog_and_how_long_the_budget_needs_for_it(settings):
    settings.TWENTYFOURSEVEN_REQUESTS_PER_HOUR = 400
    settings.TWENTYFOURSEVEN_BUDGET_RESERVE = 360  # 40 requests an hour for the sync
    connection = connection_24so(username="api@example.no")
    Status = OutboxItem.Status
    states = [Status.DONE] * 5 + [Status.PENDING] * 100 + [Status.AMBIGUOUS] + [Status.DEAD] * 2
    OutboxItem.objects.bulk_create(
        OutboxItem(connection=connection, entity="hour", local_id=i, status=s)
        for i, s in enumerate(states, start=1)
    )

    out = StringIO()
    call_command("integrations_status", stdout=out)

    text = out.getvalue()
    assert "hour transfer: 5 done, 101 waiting (1 being checked), 2 failed" in text
    assert (
        "24SevenOffice requests in the last hour: 0 of 40; at this budget the backlog takes about 2 more hour(s)"
        in text
    )


def test_status_says_where_each_type_syncs_from_in_words():
    connection = connection_24so(username="api@example.no", connected=["customer", "project"])
    moment = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    Watermark.objects.create(connection=connection, entity="customer", cursor=moment.isoformat())
    Watermark.objects.create(connection=connection, entity="project", cursor="")

    out = StringIO()
    call_command("integrations_status", "--system", "24so", stdout=out)

    text = out.getvalue()
    shown = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    assert f"customer: after {shown}" in text
    assert "project: from the beginning" in text
    assert "+00:00" not in text  # the connector's words, not its raw cursor
