"""The "e-conomic sandbox" admin section: play e-conomic, read the log, turn the knobs."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.sandbox.economic.models import Customer, Grant, Knobs, RequestLog
from apps.sandbox.economic.runtime import knobs_get
from apps.sandbox.economic.seed import seed
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "customer",
    "customergroup",
    "paymentterms",
    "vatzone",
    "currency",
    "layout",
    "product",
    "employee",
    "agreement",
    "grant",
    "app",
    "requestlog",
]


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True)


@pytest.fixture
def staff_without_permission():
    return UserFactory(is_superuser=False)


@pytest.fixture
def office():
    return seed(demo_office=True)


def test_models_say_e_conomic_sandbox_in_their_names():
    from django.apps import apps

    config = apps.get_app_config("sandbox_economic")
    assert str(config.verbose_name) == "e-conomic sandbox"
    for model in config.get_models():
        assert str(model._meta.verbose_name_plural).startswith("e-conomic sandbox"), model


@pytest.mark.parametrize("name", LISTS)
def test_sandbox_lists_render_for_a_superuser(client, superuser, office, name):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:sandbox_economic_{name}_changelist")).status_code == 200


@pytest.mark.parametrize("name", ["customer", "grant", "requestlog", "knobs"])
def test_sandbox_pages_are_forbidden_without_permission(
    client, staff_without_permission, office, name
):
    client.force_login(staff_without_permission)
    response = client.get(reverse(f"admin:sandbox_economic_{name}_changelist"))
    assert response.status_code == 403


def test_customer_list_uses_a_constant_number_of_queries(
    client, superuser, office, django_assert_max_num_queries
):
    client.force_login(superuser)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("admin:sandbox_economic_customer_changelist"))
    assert response.status_code == 200
    assert b"Kattegat Vindkraft" in response.content


def _form(customer: Customer, **changes) -> dict:
    data = {
        "agreement": customer.agreement_id,
        "customer_number": customer.customer_number,
        "name": customer.name,
        "address": customer.address,
        "zip": customer.zip,
        "city": customer.city,
        "country": customer.country,
        "email": customer.email,
        "telephone_and_fax_number": customer.telephone_and_fax_number,
        "mobile_phone": "",
        "website": "",
        "corporate_identification_number": customer.corporate_identification_number,
        "p_number": "",
        "vat_number": "",
        "ean": "",
        "public_entry_number": "",
        "currency": customer.currency,
        "customer_group_number": customer.customer_group_number,
        "payment_terms_number": customer.payment_terms_number,
        "vat_zone_number": customer.vat_zone_number,
        "layout_number": customer.layout_number or "",
        "sales_person_number": customer.sales_person_number or "",
        "credit_limit": "",
        "attention_number": "",
        "customer_contact_number": "",
        "default_delivery_location_number": "",
    }
    data.update(changes)
    return data


def test_editing_a_customer_moves_last_updated(client, superuser, office):
    customer = Customer.objects.get(customer_number=1)
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Customer.objects.filter(pk=customer.pk).update(last_updated=old)
    client.force_login(superuser)
    url = reverse("admin:sandbox_economic_customer_change", args=[customer.pk])
    response = client.post(url, _form(customer, name="Kattegat Vindkraft Holding A/S"))
    assert response.status_code == 302, response.content
    customer.refresh_from_db()
    assert customer.name == "Kattegat Vindkraft Holding A/S"
    assert customer.last_updated > old
    assert customer.last_updated.microsecond == 0


def test_adding_a_customer_without_number_gets_the_lowest_free(client, superuser, office):
    Customer.objects.filter(customer_number=3).delete()
    client.force_login(superuser)
    template = Customer.objects.get(customer_number=1)
    response = client.post(
        reverse("admin:sandbox_economic_customer_add"),
        _form(template, customer_number="", name="Fra admin ApS"),
    )
    assert response.status_code == 302, response.content
    assert Customer.objects.get(name="Fra admin ApS").customer_number == 3


def test_barring_from_the_list_moves_last_updated(client, superuser, office):
    old = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    Customer.objects.update(last_updated=old)
    client.force_login(superuser)
    target = Customer.objects.get(customer_number=2)
    response = client.post(
        reverse("admin:sandbox_economic_customer_changelist"),
        {"action": "bar", "_selected_action": [target.pk]},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.barred and target.last_updated > old
    assert Customer.objects.filter(barred=True).count() == 1


def test_revoking_a_grant_from_the_admin(client, superuser, office):
    client.force_login(superuser)
    grant = Grant.objects.get(agreement__demo_access=True)
    response = client.post(
        reverse("admin:sandbox_economic_grant_changelist"),
        {"action": "revoke", "_selected_action": [grant.pk]},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked


def test_tokens_are_not_shown_in_the_admin(client, superuser, office):
    client.force_login(superuser)
    app_page = client.get(reverse("admin:sandbox_economic_app_change", args=[1]))
    assert b"tidsbro-demo-app-secret" not in app_page.content


def test_request_log_is_read_only(client, superuser, office):
    entry = RequestLog.objects.create(method="GET", path="/sandbox/economic/self", http_status=200)
    client.force_login(superuser)
    assert client.get(reverse("admin:sandbox_economic_requestlog_add")).status_code == 403
    url = reverse("admin:sandbox_economic_requestlog_change", args=[entry.pk])
    assert client.get(url).status_code == 200


def test_knobs_list_goes_straight_to_the_single_row_and_saves(client, superuser, office):
    client.force_login(superuser)
    response = client.get(reverse("admin:sandbox_economic_knobs_changelist"))
    knobs = Knobs.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:sandbox_economic_knobs_change", args=[knobs.pk])
    response = client.post(
        response.url,
        {
            "latency_ms": 250,
            "fault_rate": 0.25,
            "fault_http500": "on",
            "fault_429": "on",
            "hang_seconds": 35,
            "fault_seed": 99,
            "rate_limit": 100,
            "rate_window_seconds": 60,
            "grants_revoked": "on",
            "numbering": "max",
            "cursor_page_size": 1000,
        },
    )
    assert response.status_code == 302, response.content
    knobs = knobs_get()
    assert (knobs.latency_ms, knobs.fault_rate, knobs.fault_429, knobs.fault_drop) == (
        250,
        0.25,
        True,
        False,
    )
    assert (knobs.rate_limit, knobs.grants_revoked, knobs.numbering) == (100, True, "max")


def test_deleting_a_customer_in_the_admin_frees_its_number(client, superuser, office):
    customer = Customer.objects.get(customer_number=4)
    client.force_login(superuser)
    url = reverse("admin:sandbox_economic_customer_delete", args=[customer.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Customer.objects.filter(customer_number=4).exists()
