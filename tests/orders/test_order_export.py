"""Orders exported as the file an ERP imports (Unimicro in CSV mode): marked exported in the
same transaction as the file is built, never twice unless asked, refusals with the reason;
the Orders list's "Export for <system>" action in both passes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from apps.core.exceptions import ApplicationError
from apps.integrations import services as integration_services
from apps.integrations.connectors.unimicro.export import EXPORT, parse
from apps.orders.models import ExportedOrder, Order
from apps.orders.services import order_create, order_export, order_export_plan, order_problems
from apps.timesheets.models import TimeEntry
from tests.accounts.factories import admin_user, project_manager, support_user
from tests.customers.factories import CustomerFactory
from tests.integrations.factories import connection_24so
from tests.integrations.unimicro.test_export import csv_connection, make_order, two_orders
from tests.projects.factories import ProjectFactory
from tests.timesheets.factories import TimeEntryFactory
from tests.worktypes.factories import WorkTypeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:orders_order_changelist"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _action(connection) -> str:
    return f"export_for_{connection.pk}"


def _actions(page) -> dict[str, str]:
    """The list's actions by name (no action form at all when none is offered)."""
    form = page.context["action_form"]
    return {} if form is None else {k: str(v) for k, v in form.fields["action"].choices}


def api_settings() -> dict:
    """Valid settings of a Unimicro connection in API mode (logged in, one key): only what
    the schema asks, nothing here calls Unimicro."""
    key = "6f1c2d3e-0000-4000-8000-00000000000a"
    company = "4b3e9a10-0000-4000-8000-000000000001"
    return {
        "mode": "api",
        "auth": "login",
        "issuer": "http://127.0.0.1:9/sandbox/unimicro/identity",
        "api_base": "http://127.0.0.1:9/sandbox/unimicro",
        "company_key": company,
        "company_name": "Tidsbro Rådgivning AS",
        "keys": [
            {
                "id": key,
                "name": "Tidsbro",
                "company_key": company,
                "company_name": "Tidsbro Rådgivning AS",
                "created_at": "2026-12-01T09:00:00+00:00",
                "revoked_at": None,
            }
        ],
        "active_key": key,
    }


# --- the service ---------------------------------------------------------------------------


def test_export_builds_the_file_and_marks_the_orders_exported() -> None:
    actor = admin_user()
    connection = csv_connection()
    first, second = two_orders(connection, actor=actor)

    result = order_export(connection=connection, actor=actor, orders=[second, first])

    assert result.file_name.startswith("unimicro-") and result.file_name.endswith(".txt")
    assert result.content_type == "text/plain; charset=windows-1252"
    assert [row[:2] for row in parse(result.content) if row[0] == "80"] == [
        ["80", "5001"],
        ["80", "5002"],
    ]
    marks = list(ExportedOrder.objects.order_by("order_id"))
    assert [
        (m.order, m.connection, m.system, m.file_name, m.exported_by, m.again) for m in marks
    ] == [
        (first, connection, "unimicro", result.file_name, actor, False),
        (second, connection, "unimicro", result.file_name, actor, False),
    ]


def test_an_order_is_never_exported_twice_unless_asked() -> None:
    actor = admin_user()
    connection = csv_connection()
    first, second = two_orders(connection, actor=actor)
    order_export(connection=connection, actor=actor, orders=[first])

    with pytest.raises(ApplicationError, match="exported before"):
        order_export(connection=connection, actor=actor, orders=[first])
    result = order_export(connection=connection, actor=actor, orders=[first, second])

    assert [o.pk for o in result.plan.export] == [second.pk]
    assert [(o.pk, reason) for o, reason in result.plan.skipped] == [
        (first.pk, "Order 5001 was exported before.")
    ]
    assert [row[1] for row in parse(result.content) if row[0] == "80"] == ["5002"]
    assert ExportedOrder.objects.filter(order=first).count() == 1

    again = order_export(connection=connection, actor=actor, orders=[first], again=True)

    assert [row[1] for row in parse(again.content) if row[0] == "80"] == ["5001"]
    assert list(
        ExportedOrder.objects.filter(order=first).order_by("id").values_list("again", flat=True)
    ) == [False, True]


def test_orders_that_cannot_be_exported_are_listed_with_the_reason() -> None:
    actor = admin_user()
    connection = csv_connection()
    other = connection_24so(username="u", password="p")
    good, _second = two_orders(connection, actor=actor)
    work_type = WorkTypeFactory(name="Kurs", product_number="")
    no_product = make_order(
        connection,
        customer=CustomerFactory(number="3101"),
        number="9001",
        lines=[(work_type, "1.00", "10", "x")],
    )
    elsewhere = make_order(
        other,
        customer=CustomerFactory(number="3102"),
        number="9002",
        lines=[(WorkTypeFactory(product_number="1"), "1.00", "10", "x")],
    )

    result = order_export(connection=connection, actor=actor, orders=[good, no_product, elsewhere])

    assert [o.pk for o in result.plan.export] == [good.pk]
    assert dict((o.pk, reason) for o, reason in result.plan.refused) == {
        no_product.pk: "Order 9001: No product number on Kurs; Unimicro matches a line's "
        "product by its number.",
        elsewhere.pk: "Order 9002 belongs to 24SevenOffice, not to this export.",
    }
    assert set(ExportedOrder.objects.values_list("order_id", flat=True)) == {good.pk}


def test_nothing_is_marked_when_the_file_cannot_be_built(monkeypatch) -> None:
    actor = admin_user()
    connection = csv_connection()
    first, _second = two_orders(connection, actor=actor)

    def broken(connection, orders):
        raise RuntimeError("disk full")

    monkeypatch.setattr(EXPORT, "build", broken)
    with pytest.raises(RuntimeError):
        order_export(connection=connection, actor=actor, orders=[first])

    assert not ExportedOrder.objects.exists()


def test_only_those_allowed_to_bill_can_export() -> None:
    connection = csv_connection()
    first, _second = two_orders(connection)

    with pytest.raises(ApplicationError, match="not allowed"):
        order_export(connection=connection, actor=project_manager(), orders=[first])
    assert not ExportedOrder.objects.exists()


def test_an_api_mode_connection_takes_no_file() -> None:
    connection = integration_services.connection_create(
        system="unimicro", credentials={}, settings=api_settings(), connected=[]
    )
    first, _second = two_orders(connection)

    with pytest.raises(ApplicationError, match="takes no order files"):
        order_export_plan(connection=connection, orders=[first])


def test_orders_of_a_csv_mode_connection_are_numbered_here_and_exported_later() -> None:
    actor = admin_user()
    connection = csv_connection()
    project = ProjectFactory(
        customer=CustomerFactory(name="Ærlig Øl AS", number="20003"),
        default_work_type=WorkTypeFactory(product_number="1001", price=Decimal("1000")),
    )
    entries = [
        TimeEntryFactory(
            project=project,
            hours=Decimal("2.00"),
            billable_hours=Decimal("2.00"),
            status=TimeEntry.Status.USER_APPROVED,
        )
        for _ in range(3)
    ]

    first = order_create(connection=connection, actor=actor, entries=entries[:2], project=project)
    second = order_create(connection=connection, actor=actor, entries=entries[2:], project=project)

    assert (first.external_id, second.external_id) == ("1", "2")
    assert [e.order_id for e in TimeEntry.objects.order_by("id")] == [first.pk, first.pk, second.pk]
    rows = parse(order_export(connection=connection, actor=actor, orders=[first, second]).content)
    assert [row[:4] for row in rows if row[0] in ("80", "81")] == [
        ["80", "1", "20003", rows[1][3]],
        ["81", "1", "1", "1001"],
        ["81", "1", "2", "1001"],
        ["80", "2", "20003", rows[4][3]],
        ["81", "2", "1", "1001"],
    ]
    assert rows[0][2] == "Ærlig Øl AS"


# --- the admin action ----------------------------------------------------------------------


def test_the_action_is_absent_without_a_csv_mode_connection() -> None:
    client = _client(admin_user())
    page = client.get(reverse(CHANGELIST))
    assert not [name for name in _actions(page) if name.startswith("export_for")]
    assert "exported" not in page.context["cl"].list_display  # no column for nothing

    connection = integration_services.connection_create(
        system="unimicro", credentials={}, settings=api_settings(), connected=[]
    )
    page = client.get(reverse(CHANGELIST))
    assert _action(connection) not in _actions(page)


def test_the_action_is_labelled_with_the_system_for_those_allowed_to_bill() -> None:
    connection = csv_connection()

    page = _client(admin_user()).get(reverse(CHANGELIST))
    assert _actions(page)[_action(connection)] == "Export for Unimicro"
    assert "exported" in page.context["cl"].list_display

    page = _client(support_user()).get(reverse(CHANGELIST))  # sees orders, cannot bill
    assert page.status_code == 200
    assert _action(connection) not in _actions(page)


def test_export_in_two_passes_downloads_the_file_and_marks_the_orders() -> None:
    actor = admin_user()
    connection = csv_connection()
    first, second = two_orders(connection, actor=actor)
    refused = make_order(
        connection,
        customer=CustomerFactory(name="Ingen Nummer AS", number=""),
        number="9101",
        lines=[(WorkTypeFactory(product_number="1"), "1.00", "10", "x")],
    )
    client = _client(actor)
    selected = {
        "action": _action(connection),
        ACTION_CHECKBOX_NAME: [first.pk, second.pk, refused.pk],
    }

    page = client.post(reverse(CHANGELIST), selected)

    assert page.status_code == 200
    assert [o.pk for o in page.context["plan"].export] == [first.pk, second.pk]
    assert "Ingen Nummer AS has no customer number" in page.content.decode()
    assert "Download the file" in page.content.decode()
    assert not ExportedOrder.objects.exists()  # nothing is marked before the confirmation

    download = client.post(reverse(CHANGELIST), {**selected, "post": "yes"})

    assert download.status_code == 200
    assert download["Content-Type"] == "text/plain; charset=windows-1252"
    assert download["Content-Disposition"].startswith('attachment; filename="unimicro-')
    rows = parse(download.content)
    assert [row[1] for row in rows if row[0] == "30"] == ["20001", "20002"]
    assert "Blåbærlia Barnehage" in rows[1]
    assert set(ExportedOrder.objects.values_list("order_id", flat=True)) == {first.pk, second.pk}

    listing = client.get(reverse(CHANGELIST))
    text = listing.content.decode()
    assert "1 refused" not in text  # the message says it in words:
    assert "2 orders were exported to unimicro-" in text
    assert "Ingen Nummer AS has no customer number" in text
    change = client.get(reverse("admin:orders_order_change", args=[first.pk])).content.decode()
    assert "order-export" in change and ExportedOrder.objects.get(order=first).file_name in change


def test_exported_orders_are_skipped_unless_export_again_is_ticked() -> None:
    actor = admin_user()
    connection = csv_connection()
    first, second = two_orders(connection, actor=actor)
    order_export(connection=connection, actor=actor, orders=[first])
    client = _client(actor)
    selected = {"action": _action(connection), ACTION_CHECKBOX_NAME: [first.pk, second.pk]}

    page = client.post(reverse(CHANGELIST), selected)
    assert [o.pk for o, _reason in page.context["plan"].skipped] == [first.pk]
    assert 'name="again"' in page.content.decode()

    plain = client.post(reverse(CHANGELIST), {**selected, "post": "yes"})
    assert [row[1] for row in parse(plain.content) if row[0] == "80"] == ["5002"]

    again = client.post(reverse(CHANGELIST), {**selected, "post": "yes", "again": "1"})
    assert [row[1] for row in parse(again.content) if row[0] == "80"] == ["5001", "5002"]
    assert ExportedOrder.objects.filter(order=first, again=True).count() == 1


def test_exporting_only_exported_orders_says_so_and_downloads_nothing() -> None:
    actor = admin_user()
    connection = csv_connection()
    first, _second = two_orders(connection, actor=actor)
    order_export(connection=connection, actor=actor, orders=[first])
    client = _client(actor)

    response = client.post(
        reverse(CHANGELIST),
        {"action": _action(connection), ACTION_CHECKBOX_NAME: [first.pk], "post": "yes"},
        follow=True,
    )

    assert "Content-Disposition" not in response
    assert "None of the selected orders can be exported" in response.content.decode()
    assert ExportedOrder.objects.count() == 1


def test_the_order_list_shows_exported_orders_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
) -> None:
    actor = admin_user()
    connection = csv_connection()
    orders = list(two_orders(connection, actor=actor))
    work_type = WorkTypeFactory(product_number="77")
    orders += [
        make_order(
            connection,
            customer=CustomerFactory(number=str(4000 + i)),
            number=str(9200 + i),
            lines=[(work_type, "1.00", "10", "x")],
        )
        for i in range(6)
    ]
    order_export(connection=connection, actor=actor, orders=orders[:5])
    client = _client(actor)
    client.get(reverse(CHANGELIST))  # warm caches (permissions, session)

    with django_assert_max_num_queries(14):
        page = client.get(reverse(CHANGELIST))

    rows = list(page.context["cl"].result_list)
    assert sum(1 for o in rows if o.last_export is not None) == 5
    assert Decimal(page.context["cl"].result_count) == 8

    waiting = client.get(reverse(CHANGELIST), {"exported": "no"})
    assert {o.external_id for o in waiting.context["cl"].result_list} == {"9203", "9204", "9205"}
    done = client.get(reverse(CHANGELIST), {"exported": "yes"})
    assert done.context["cl"].result_count == 5


def test_in_csv_mode_an_order_is_made_on_the_create_screen_and_exported_from_the_list() -> None:
    actor = admin_user()
    connection = csv_connection()
    project = ProjectFactory(
        customer=CustomerFactory(name="Ærlig Øl AS", number="20004"),
        default_work_type=WorkTypeFactory(product_number="1001", price=Decimal("900")),
    )
    entry = TimeEntryFactory(
        project=project,
        hours=Decimal("3.00"),
        billable_hours=Decimal("3.00"),
        status=TimeEntry.Status.USER_APPROVED,
    )
    client = _client(actor)
    picked = {
        "connection": connection.pk,
        "project": project.pk,
        "title": "Desember",
        "entry": [entry.pk],
    }

    page = client.post(
        reverse("admin:orders_order_create"), {**picked, "step": "send"}, follow=True
    )

    order = Order.objects.get()
    assert order.external_id == "1"
    assert "Order 1 for Unimicro (file export) was created with 1 line" in page.content.decode()
    download = client.post(
        reverse(CHANGELIST),
        {"action": _action(connection), ACTION_CHECKBOX_NAME: [order.pk], "post": "yes"},
    )
    rows = parse(download.content)
    assert rows[1][:3] == ["80", "1", "20004"] and rows[1][7] == "Desember"
    assert rows[2][3:7] == ["1001", rows[2][4], "3.00", "900.00"]


def test_in_csv_mode_a_customer_without_a_number_is_the_problem_to_fix() -> None:
    connection = csv_connection()
    customer = CustomerFactory(name="Nummerløs AS", number="")
    entry = TimeEntryFactory(
        project=ProjectFactory(
            customer=customer, default_work_type=WorkTypeFactory(product_number="1")
        ),
        status=TimeEntry.Status.USER_APPROVED,
    )

    problems = order_problems(connection=connection, customer=customer, entries=[entry])

    assert [(p.kind, p.fix, p.message) for p in problems] == [
        (
            "customer_number",
            customer,
            "Nummerløs AS has no customer number: enter the number the ERP knows it by (the "
            "exported file names the customer by it).",
        )
    ]


@pytest.mark.django_db(transaction=True)
def test_two_administrators_exporting_at_once_write_each_order_once(monkeypatch) -> None:
    import threading
    import time

    from django.db import OperationalError, connection

    actor = admin_user()
    unimicro = csv_connection()
    orders = list(two_orders(unimicro, actor=actor))
    build = EXPORT.build

    def slow_build(connection_, orders_):
        time.sleep(0.3)  # the first export holds its locks while the second one arrives
        return build(connection_, orders_)

    monkeypatch.setattr(EXPORT, "build", slow_build)
    outcomes: list[str] = []

    def export() -> None:
        try:
            result = order_export(connection=unimicro, actor=actor, orders=orders)
            outcomes.append(f"file with {len(result.plan.export)}")
        except ApplicationError as exc:
            outcomes.append(exc.message)
        except OperationalError as exc:  # SQLite's shared in-memory test database: locked
            outcomes.append(f"locked: {exc}")
        finally:
            connection.close()

    threads = [threading.Thread(target=export) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ExportedOrder.objects.count() == 2  # each order once
    assert outcomes.count("file with 2") == 1
    other = next(o for o in outcomes if o != "file with 2")
    if connection.vendor == "postgresql":  # waited for the first, then found them exported
        assert other.startswith("None of the selected orders can be exported")
    else:
        assert other.startswith(("locked", "None of the selected orders can be exported"))
