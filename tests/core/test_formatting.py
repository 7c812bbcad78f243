"""Hours in the reader's format, and the language switcher in the admin header."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from apps.core.formatting import format_hours, neutralise_formula
from tests.accounts.factories import admin_user, employee
from tests.timesheets.factories import TimeEntryFactory

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        ("nb", Decimal("7.50"), "7,5 t"),
        ("da", Decimal("7.50"), "7,5 t"),
        ("sv", Decimal("7.50"), "7,5 h"),
        ("en", Decimal("7.50"), "7.5 h"),
        ("nb", Decimal("8.00"), "8 t"),
        ("en", Decimal("10"), "10 h"),
        ("nb", Decimal("0.25"), "0,25 t"),
        ("en", 1.5, "1.5 h"),
    ],
)
def test_hours_are_written_the_way_the_language_writes_them(language, value, shown):
    assert format_hours(value, language=language) == shown.replace(" ", NBSP)


def test_the_hours_filter_follows_the_active_language():
    template = Template("{% load tidsbro %}{{ value|hours }}")
    with translation.override("nb"):
        assert template.render(Context({"value": Decimal("7.5")})) == f"7,5{NBSP}t"
    with translation.override("en"):
        assert template.render(Context({"value": None})) == ""


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+47 55 00 00 00", "'+47 55 00 00 00"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Fjordlys AS", "Fjordlys AS"),
        (Decimal("-7.5"), Decimal("-7.5")),
    ],
)
def test_text_that_starts_like_a_formula_is_neutralised(value, safe):
    assert neutralise_formula(value) == safe


@pytest.mark.django_db
def test_time_entry_list_shows_hours_and_the_total_in_norwegian(client):
    office = admin_user(language="nb")
    TimeEntryFactory(hours=Decimal("7.50"), billable_hours=Decimal("7.50"))
    TimeEntryFactory(hours=Decimal("1.00"), billable_hours=Decimal("0"))
    client.force_login(office)

    page = client.get(reverse("admin:timesheets_timeentry_changelist")).content.decode()

    assert f"7,5{NBSP}t" in page
    assert f"8,5{NBSP}t" in page  # the total of the list


@pytest.mark.django_db
def test_the_header_switcher_saves_the_language_on_the_profile(client):
    user = employee(language="")
    client.force_login(user)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="language-switcher"' in page and 'value="nb"' in page

    response = client.post(
        reverse("language_set"), {"language": "nb", "next": reverse("admin:index")}
    )

    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    user.refresh_from_db()
    assert user.language == "nb"
    page = client.get(reverse("admin:index"))
    # The theme's page opens with blank lines (its template tags), then the doctype.
    assert page.content.decode().lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="nb"' in page.content.decode()


@pytest.mark.django_db
def test_the_switcher_works_before_login_with_the_cookie_only(client):
    response = client.post(
        reverse("language_set"), {"language": "sv", "next": reverse("admin:login")}
    )

    assert response.cookies["django_language"].value == "sv"
    page = client.get(reverse("admin:login")).content.decode()
    assert '<html lang="sv"' in page
    assert 'id="language-switcher"' in page


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing_on_the_profile(client):
    user = employee(language="da")
    client.force_login(user)

    client.post(reverse("language_set"), {"language": "xx", "next": "/admin/"})

    user.refresh_from_db()
    assert user.language == "da"
