"""A person connects their Outlook calendar through the real sign-in (sandbox over HTTP)."""

from __future__ import annotations

import pytest

from tests.integrations.graph import world

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_and_consent_save_the_tokens_encrypted(calendar_account):
    from apps.calendars.models import CalendarAccount

    user = world.person_make("kari@tidsbro.no")
    account = calendar_account(user)
    assert account.account_email == "kari@tidsbro.no"
    assert account.tenant_id == "5d7c3f1a-2b4e-4c6d-8e9f-0a1b2c3d4e5f"
    assert account.account_id
    assert any(s.endswith("Calendars.Read") for s in account.scopes)
    assert not account.can_write
    doc = account.state_doc
    assert doc["refresh_token"] and doc["access_token"] and doc["access_expires_at"]
    raw = CalendarAccount.objects.filter(pk=account.pk).values_list("state", flat=True)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT state FROM calendars_calendaraccount WHERE id = %s", [account.pk])
        stored = cursor.fetchone()[0]
    assert doc["refresh_token"] not in stored
    assert list(raw)
