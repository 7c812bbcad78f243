"""The shared admin base: its faster row checkbox and row links write what the theme writes."""

from types import SimpleNamespace

import pytest
from django.contrib import admin
from unfold.admin import ModelAdmin
from unfold.views import ChangeList

from apps.timesheets.models import TimeEntry
from tests.accounts.factories import admin_user
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db


def test_row_checkbox_is_the_same_html_as_the_themes_widget():
    entry = TimeEntryFactory()
    model_admin = admin.site._registry[TimeEntry]

    ours = model_admin.action_checkbox(entry)

    assert ours == ModelAdmin.action_checkbox(model_admin, entry)
    # The header's "select all" box stays the theme's too.
    assert model_admin.action_checkbox.short_description == (
        ModelAdmin.action_checkbox.short_description
    )
    assert 'name="_selected_action"' in ours and f'value="{entry.pk}"' in ours


@pytest.mark.parametrize("pk", [None, "a/b c_1", "æøå?&=#"])
def test_row_links_are_the_urls_django_reverses(rf, pk):
    entry = TimeEntryFactory()
    model_admin = admin.site._registry[TimeEntry]
    request = rf.get("/admin/timesheets/timeentry/")
    request.user = admin_user()
    changelist = model_admin.get_changelist_instance(request)
    row = entry if pk is None else SimpleNamespace(id=pk)

    first, again = changelist.url_for_result(row), changelist.url_for_result(row)

    assert first == again == ChangeList.url_for_result(changelist, row)
