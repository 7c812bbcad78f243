"""InvoiceService: SaveInvoices (orders, per-item APIException) and GetInvoices."""

import datetime as dt

from django.utils import timezone

from apps.sandbox.twentyfourseven.models import InvoiceOrder

ROWS = {
    "InvoiceRow": [
        {"ProductId": 501, "Name": "Rådgivning", "Price": "1250.00", "Quantity": "4"},
        {
            "ProductId": 502,
            "Name": "Utvikling",
            "Price": "1100.00",
            "Quantity": "2.5",
            "DiscountRate": "10",
        },
    ]
}


def test_save_invoices_creates_orders_and_reports_errors_per_item(logged_in):
    result = logged_in.invoice.SaveInvoices(
        invoices={
            "InvoiceOrder": [
                {
                    "CustomerId": 10001,
                    "ProjectId": 1001,
                    "OrderStatus": "Draft",
                    "IncludeVAT": None,
                    "InvoiceRows": ROWS,
                },
                {"CustomerId": 99999, "IncludeVAT": None},
                {"CustomerId": 10002, "ProjectId": 4242, "IncludeVAT": None},
            ]
        }
    )
    ok, unknown_customer, unknown_project = result
    assert ok.APIException is None and ok.OrderId == 10001
    assert ok.OrderTotalVat > 0 and ok.CustomerName == "Havbris AS"
    assert "Customer 99999" in unknown_customer.APIException.Message
    assert "Project 4242" in unknown_project.APIException.Message
    assert InvoiceOrder.objects.count() == 1


def test_get_invoices_reads_orders_back_with_rows(logged_in):
    saved = logged_in.invoice.SaveInvoices(
        invoices={
            "InvoiceOrder": [
                {
                    "CustomerId": 10001,
                    "IncludeVAT": None,
                    "InvoiceRows": ROWS,
                    "OrderStatus": "ForInvoicing",
                }
            ]
        }
    )
    order_id = saved[0].OrderId
    orders = logged_in.invoice.GetInvoices(
        searchParams={"OrderIds": {"int": [order_id]}},
        invoiceReturnProperties={"string": ["OrderId", "CustomerId", "OrderStatus"]},
        rowReturnProperties={"string": ["Name", "Quantity", "Price"]},
    )
    assert len(orders) == 1
    order = orders[0]
    assert (order.OrderId, order.CustomerId, order.OrderStatus) == (order_id, 10001, "ForInvoicing")
    assert order.DateOrdered is None  # not requested
    assert [r.Name for r in order.InvoiceRows.InvoiceRow] == ["Rådgivning", "Utvikling"]
    assert order.InvoiceRows.InvoiceRow[0].ProductId is None
    by_state = logged_in.invoice.GetInvoices(
        searchParams={"OrderStates": {"OrderSlipStateType": ["Draft"]}}
    )
    assert by_state is None
    changed = logged_in.invoice.GetInvoices(
        searchParams={"ChangedAfter": timezone.now() - dt.timedelta(minutes=1)}
    )
    assert [o.OrderId for o in changed] == [order_id]


def test_save_invoices_updates_an_existing_order(logged_in):
    first = logged_in.invoice.SaveInvoices(
        invoices={"InvoiceOrder": [{"CustomerId": 10001, "IncludeVAT": None}]}
    )[0]
    again = logged_in.invoice.SaveInvoices(
        invoices={
            "InvoiceOrder": [
                {
                    "OrderId": first.OrderId,
                    "CustomerId": 10001,
                    "IncludeVAT": None,
                    "OrderStatus": "ForInvoicing",
                }
            ]
        }
    )[0]
    assert again.OrderId == first.OrderId and again.OrderStatus == "ForInvoicing"
    missing = logged_in.invoice.SaveInvoices(
        invoices={"InvoiceOrder": [{"OrderId": 777, "CustomerId": 10001, "IncludeVAT": None}]}
    )[0]
    assert "Order 777" in missing.APIException.Message
