"""Every admin list, searched and filtered with values far longer than anyone types: no 500.

Generated from the admin's registry, so an admin added later is covered without touching
this file. A 50,000-character search made SQLite refuse the `LIKE` ("pattern too complex");
the middleware in apps/core/middleware.py now drops over-long parameters with a message.
"""

import pytest
from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.test import RequestFactory
from django.urls import reverse

from apps.core.middleware import MAX_LIST_PARAMETER_LENGTH
from tests.accounts.factories import UserFactory
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db

LONG = "x" * 50_000
# Too long (dropped), and the longest let through: many words (a LIKE each), wildcards.
SEARCHES = [
    LONG,
    "a " * (MAX_LIST_PARAMETER_LENGTH // 2),
    "%_\\" * (MAX_LIST_PARAMETER_LENGTH // 3),
]
# Too long, a number no column holds, dates at the ends of the calendar.
FILTER_VALUES = [LONG, "9" * MAX_LIST_PARAMETER_LENGTH, "0001-01-01", "9999-12-31 23:59:59"]


def _changelists() -> list:
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _filter_parameters(model_admin, user) -> list[str]:
    """The query parameters the list's filters and date hierarchy read."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = [name for spec in changelist.filter_specs for name in spec.expected_parameters()]
    if model_admin.date_hierarchy:
        field = model_admin.date_hierarchy
        names += [f"{field}__year", f"{field}__month", f"{field}__day"]
    return names


@pytest.fixture
def root(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return user


def test_every_admin_list_survives_over_long_searches_and_filters(client, root):
    checked = 0
    for model, model_admin in _changelists():
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        requests = [{SEARCH_VAR: value} for value in SEARCHES]
        for name in _filter_parameters(model_admin, root):
            requests += [{name: value} for value in FILTER_VALUES]
        requests += [{"o": LONG}, {"o": "9" * 100}, {"p": "9" * 100}, {"p": "-1"}]
        for params in requests:
            response = client.get(url, params)
            assert response.status_code < 500, (model._meta.label, list(params))
            checked += 1
    assert checked > 100


def test_an_over_long_search_is_left_out_with_a_message(client, root):
    url = reverse("admin:customers_customer_changelist")

    response = client.get(url, {SEARCH_VAR: LONG, "is_active__exact": "1"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == f"{url}?is_active__exact=1"
    assert f"The search is too long: at most {MAX_LIST_PARAMETER_LENGTH} characters." in [
        str(m) for m in response.context["messages"]
    ]


def test_an_over_long_filter_is_named_in_the_message(client, root):
    url = reverse("admin:customers_customer_changelist")

    response = client.get(url, {"city": LONG}, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "These filters were left out: city. A filter has at most 200 characters" in messages[0]


def test_a_date_filter_at_the_ends_of_the_calendar_is_left_out_by_its_label(client, root):
    url = reverse("admin:customers_customer_changelist")

    response = client.get(url, {"created_at__gte": "0001-01-01"}, follow=True)

    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0].startswith("These filters were left out: created.")
    assert "dates are from 1900 to 2199" in messages[0]


def test_a_search_of_ordinary_length_still_works(client, root):
    url = reverse("admin:customers_customer_changelist")

    response = client.get(url, {SEARCH_VAR: "x" * MAX_LIST_PARAMETER_LENGTH})

    assert response.status_code == 200


def test_the_admin_autocomplete_refuses_an_over_long_term(client, root):
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": LONG,
            "app_label": "timesheets",
            "model_name": "timeentry",
            "field_name": "project",
        },
    )

    assert response.status_code == 400
    assert "too long" in response.json()["error"]


def test_the_sync_centers_own_lists_refuse_an_over_long_search(client, root):
    from apps.integrations.services import DEFAULT_MASTERS

    connection_24so(
        username="demo",
        password="secret-Pa55",
        client_name="Fjordlys Rådgivning AS",
        client_id="2400101",
        connected=["customer", "project"],
        masters=dict(DEFAULT_MASTERS),
    )
    url = reverse("admin:integrations_sync_center_list", args=["customer"])

    response = client.get(url, {SEARCH_VAR: LONG, "tab": "only_local"}, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0] == f"{url}?tab=only_local"
    assert f"The search is too long: at most {MAX_LIST_PARAMETER_LENGTH} characters." in [
        str(m) for m in response.context["messages"]
    ]
