"""What Tidsbro offers to create locally while 24SO keeps a type in step (its capabilities)."""

import pytest
from django.urls import reverse

from tests.accounts.factories import admin_user
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

NOTE = "24SevenOffice&#x27;s API cannot create or change work types"


def test_work_types_are_not_created_here_while_24so_keeps_them_and_the_list_says_why(client):
    client.force_login(admin_user())
    changelist = reverse("admin:worktypes_worktype_changelist")
    assert client.get(reverse("admin:worktypes_worktype_add")).status_code == 200
    assert NOTE not in client.get(changelist).content.decode()

    connection_24so(username="u", connected=["work_type"])

    assert client.get(reverse("admin:worktypes_worktype_add")).status_code == 403
    page = client.get(changelist).content.decode()
    assert NOTE in page
    assert reverse("admin:worktypes_worktype_add") not in page
