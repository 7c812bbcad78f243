"""The Unimicro sandbox's actions: `PUT|POST /api/biz/<plural>[/<id>]?action=<name>`.

`run(company_key, entity, record_id, action, params, body, caller) -> (status, json)` is what
the API core calls; action names are matched case-insensitively. Every write goes through the
same store as the API (`store.py`), so the events and eventplan deliveries follow.

| plural | action | params | does |
|---|---|---|---|
| customers | activate / deactivate | `ID` (or the path's id) | StatusCode 30001 / 50001 |
| orders | register | — | Draft → Registered (41002), gives `OrderNumber` |
| orders | transfer-to-invoice | — | registers a draft first; makes a CustomerInvoice draft (42001) with the order's lines; order → 41004 |
| invoices | invoice | — | Draft → Invoiced (42002), gives `InvoiceNumber`, `InvoiceDate` |
| workers | create-worker-from-user | `userid` | the user's Worker (existing one returned) with an active WorkRelation [I] |
| workitemgroups | create-from-items | `workrelationid`, `fromdate`, `todate` | groups the relation's ungrouped items of the period |
| workitemgroups | Assign / Approve / Reject | — | StatusCode 5 / 10 / 9 on the group and its items |
| users | current-session | — | the caller's User record |
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import entities
from .entities import (
    CUSTOMER_ACTIVE,
    CUSTOMER_INACTIVE,
    INVOICE_DRAFT,
    INVOICE_INVOICED,
    ORDER_DRAFT,
    ORDER_ITEM_REGISTERED,
    ORDER_ITEM_TRANSFERRED,
    ORDER_REGISTERED,
    ORDER_TRANSFERRED,
    WORKFLOW_APPROVED,
    WORKFLOW_AWAITING_APPROVAL,
    WORKFLOW_DRAFT,
    WORKFLOW_REJECTED,
    EntityDef,
    ValidationFailed,
    message,
)


class ActionError(Exception):
    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


# ---------------------------------------------------------------------------------------------
# Store access: the API core's write path (events fire), read with children. Expected of
# store.py (B1): read(company_key, entity_def, record_id, *, expand="") -> dict | None;
# create(company_key, entity_def, data, caller, *, internal=False) -> dict (internal: allowed on
# read-only entities); update(company_key, entity_def, record_id, changes, caller) -> dict
# (partial: nested children by ID as in a PUT). Both run prepare_*, stamp, emit.
def _store() -> Any:
    from . import store

    return store


def read(company_key: str, entity: EntityDef | str, record_id: Any, expand: str = "") -> dict:
    """The record as the API returns it (children in `expand`); ActionError 404 when absent."""
    entity = _def(entity)
    found = _store().read(company_key, entity, int(record_id), expand=expand)
    if found is None:
        raise ActionError(404, f"{entity.name} with ID {record_id} not found")
    return found


def create(company_key: str, entity: EntityDef | str, data: dict, caller: Any = None) -> dict:
    return _store().create(company_key, _def(entity), data, caller)


def update(
    company_key: str, entity: EntityDef | str, record_id: int, changes: dict, caller: Any = None
) -> dict:
    return _store().update(company_key, _def(entity), int(record_id), changes, caller)


def _def(entity: EntityDef | str) -> EntityDef:
    if isinstance(entity, EntityDef):
        return entity
    found = entities.by_name(entity)
    assert found is not None, entity
    return found


# ---------------------------------------------------------------------------------------------
def run(
    company_key: str,
    entity: EntityDef,
    record_id: int | None,
    action: str,
    params: dict[str, Any],
    body: Any,
    caller: Any,
) -> tuple[int, Any]:
    """Runs `action` on `entity` (and record `record_id`); (HTTP status, JSON answer).
    Refusals: (400, {"Message": …}) or ValidationFailed; unknown action 400; absent record 404."""
    params = {str(k).lower(): v for k, v in (params or {}).items()}
    handler = _ACTIONS.get((entity.name, (action or "").lower()))
    if handler is None:
        return 400, {"Message": f"Unknown action '{action}' on {entity.name}"}
    if record_id is None and params.get("id") not in (None, ""):
        record_id = int(params["id"])
    try:
        with transaction.atomic():
            if entity.name in _SAVE_BODY_FIRST and record_id is not None and _has_fields(body):
                # Unimicro's web client PUTs the order with the transition: saved first.
                update(company_key, entity, record_id, body, caller)
            return 200, handler(company_key, record_id, params, body, caller)
    except ActionError as error:
        return error.status, {"Message": error.text}


_SAVE_BODY_FIRST = {"CustomerOrder", "CustomerInvoice"}


def _has_fields(body: Any) -> bool:
    return isinstance(body, dict) and any(k not in ("ID", "_links") for k in body)


def _need_id(record_id: int | None, entity: str) -> int:
    if record_id is None:
        raise ActionError(400, f"The action needs the {entity}'s ID")
    return int(record_id)


def _refuse(entity: str, prop: str, text: str, record_id: int | None = None) -> None:
    raise ValidationFailed([message(entity, prop, text, entity_id=record_id)])


# -- customers --------------------------------------------------------------------------------
def _customer_status(code: int):
    def act(company_key: str, record_id: int | None, params: dict, body: Any, caller: Any):
        record_id = _need_id(record_id, "customer")
        read(company_key, "Customer", record_id)
        return update(company_key, "Customer", record_id, {"StatusCode": code}, caller)

    return act


# -- orders and invoices ----------------------------------------------------------------------
def _register(company_key: str, record_id: int | None, params: dict, body: Any, caller: Any):
    record_id = _need_id(record_id, "order")
    order = read(company_key, "CustomerOrder", record_id, expand="Items")
    if order.get("StatusCode", ORDER_DRAFT) != ORDER_DRAFT:
        _refuse("CustomerOrder", "StatusCode", "Only a draft order can be registered", record_id)
    return _do_register(company_key, order, caller)


def _do_register(company_key: str, order: dict, caller: Any) -> dict:
    changes: dict[str, Any] = {"StatusCode": ORDER_REGISTERED}
    if not order.get("OrderNumber"):
        changes["OrderNumber"] = entities.next_number(company_key, "OrderNumber")
    if not order.get("OrderDate"):
        changes["OrderDate"] = timezone.localdate().isoformat()
    changes["Items"] = [
        {"ID": item["ID"], "StatusCode": ORDER_ITEM_REGISTERED}
        for item in order.get("Items") or []
        if item.get("ID")
    ]
    return update(company_key, "CustomerOrder", order["ID"], changes, caller)


def _transfer_to_invoice(
    company_key: str, record_id: int | None, params: dict, body: Any, caller: Any
):
    record_id = _need_id(record_id, "order")
    order = read(company_key, "CustomerOrder", record_id, expand="Items,Items.Dimensions")
    if order.get("StatusCode", ORDER_DRAFT) >= ORDER_TRANSFERRED:
        _refuse(
            "CustomerOrder",
            "StatusCode",
            "The order is already transferred to invoice",
            record_id,
        )
    if order.get("StatusCode", ORDER_DRAFT) == ORDER_DRAFT:
        order = {**order, **_do_register(company_key, order, caller)}
        order = read(company_key, "CustomerOrder", record_id, expand="Items,Items.Dimensions")
    items = []
    for item in order.get("Items") or []:
        line = {
            key: item.get(key)
            for key in (
                "ProductID",
                "ItemText",
                "Unit",
                "NumberOfItems",
                "PriceExVat",
                "VatTypeID",
                "Discount",
                "DiscountPercent",
                "SortIndex",
            )
            if key in item
        }
        line["OrderItemId"] = item["ID"]
        dims = item.get("Dimensions") or {}
        if isinstance(dims, dict) and (dims.get("ProjectID") or dims.get("ProjectTaskID")):
            line["Dimensions"] = {
                "ProjectID": dims.get("ProjectID"),
                "ProjectTaskID": dims.get("ProjectTaskID"),
            }
        items.append(line)
    invoice = create(
        company_key,
        "CustomerInvoice",
        {
            "CustomerID": order.get("CustomerID"),
            "CustomerName": order.get("CustomerName", ""),
            "OurReference": order.get("OurReference", ""),
            "YourReference": order.get("YourReference", ""),
            "StatusCode": INVOICE_DRAFT,
            "InvoiceNumber": None,
            "CustomerOrderID": record_id,
            "Items": items,
        },
        caller,
    )
    update(
        company_key,
        "CustomerOrder",
        record_id,
        {
            "StatusCode": ORDER_TRANSFERRED,
            "Items": [
                {"ID": item["ID"], "StatusCode": ORDER_ITEM_TRANSFERRED}
                for item in order.get("Items") or []
            ],
        },
        caller,
    )
    return invoice


def _invoice(company_key: str, record_id: int | None, params: dict, body: Any, caller: Any):
    record_id = _need_id(record_id, "invoice")
    invoice = read(company_key, "CustomerInvoice", record_id)
    if invoice.get("StatusCode", INVOICE_DRAFT) != INVOICE_DRAFT:
        _refuse("CustomerInvoice", "StatusCode", "The invoice is already invoiced", record_id)
    return update(
        company_key,
        "CustomerInvoice",
        record_id,
        {
            "StatusCode": INVOICE_INVOICED,
            "InvoiceNumber": str(entities.next_number(company_key, "InvoiceNumber")),
            "InvoiceDate": invoice.get("InvoiceDate") or timezone.localdate().isoformat(),
        },
        caller,
    )


def mark_work_items(company_key: str, order: dict, op: str = "U", caller: Any = None) -> None:
    """Marks the work items the order's live lines name (ItemSource.Details) as transferred
    to that order and line, and frees those it no longer names (a line removed): the order's
    after_write hook, inside its write. Items already so marked are left alone."""
    order_id = order.get("ID")
    if not order_id:
        return
    full = _store().read(
        company_key,
        entities.CustomerOrder,
        order_id,
        expand="Items,Items.ItemSource,Items.ItemSource.Details",
    )
    named: set[int] = set()
    for detail in entities.order_sources(full or {}):
        item_id = detail["_item"].get("ID")
        work_item = entities.get(company_key, "WorkItem", detail.get("SourceFK"))
        if work_item is None:
            continue
        named.add(work_item["ID"])
        wanted = {"TransferedToOrder": True, "CustomerOrderID": order_id, "OrderItemId": item_id}
        if all(work_item.get(k) == v for k, v in wanted.items()):
            continue
        update(company_key, "WorkItem", work_item["ID"], wanted, caller)
    for work_item in entities.find(company_key, "WorkItem", CustomerOrderID=order_id):
        if work_item["ID"] not in named and work_item.get("TransferedToOrder"):
            free = {"TransferedToOrder": False, "CustomerOrderID": None, "OrderItemId": None}
            update(company_key, "WorkItem", work_item["ID"], free, caller)


def free_work_items(company_key: str, order: dict, caller: Any = None) -> None:
    """Frees the work items a deleted order had taken (the order's delete hook)."""
    free = {"TransferedToOrder": False, "CustomerOrderID": None, "OrderItemId": None}
    for work_item in entities.find(company_key, "WorkItem", CustomerOrderID=order.get("ID")):
        update(company_key, "WorkItem", work_item["ID"], free, caller)


# -- workers ----------------------------------------------------------------------------------
def _create_worker_from_user(
    company_key: str, record_id: int | None, params: dict, body: Any, caller: Any
):
    user_id = params.get("userid")
    if user_id in (None, ""):
        raise ActionError(400, "The action needs the parameter userid")
    user = entities.get(company_key, "User", user_id)
    if user is None:
        raise ActionError(404, f"User with ID {user_id} not found")
    existing = entities.find(company_key, "Worker", UserID=user["ID"])
    if existing:
        worker = existing[0]
    else:
        worker = create(
            company_key,
            "Worker",
            {"UserID": user["ID"], "Info": {"Name": user.get("DisplayName") or user.get("Email")}},
            caller,
        )
    # [I] The sandbox gives a new worker an active work relation (100 %, from today), so
    # hours can be registered at once; a client may add others through /workrelations.
    if not entities.find(company_key, "WorkRelation", WorkerID=worker["ID"]):
        create(
            company_key,
            "WorkRelation",
            {
                "WorkerID": worker["ID"],
                "Description": "Fast ansatt",
                "WorkPercentage": 100,
                "StartDate": timezone.localdate().isoformat(),
                "IsActive": True,
                "CompanyName": "",
            },
            caller,
        )
    return read(company_key, "Worker", worker["ID"], expand="Info,Relations")


# -- work item groups -------------------------------------------------------------------------
def _day(value: Any, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ActionError(400, f"The parameter {name} must be a date (YYYY-MM-DD)") from None


def _create_from_items(
    company_key: str, record_id: int | None, params: dict, body: Any, caller: Any
):
    relation_id = params.get("workrelationid")
    if relation_id in (None, ""):
        raise ActionError(400, "The action needs the parameter workrelationid")
    if entities.get(company_key, "WorkRelation", relation_id) is None:
        raise ActionError(404, f"WorkRelation with ID {relation_id} not found")
    start, end = _day(params.get("fromdate"), "fromdate"), _day(params.get("todate"), "todate")
    items = [
        item
        for item in entities.find(company_key, "WorkItem", WorkRelationID=int(relation_id))
        if not item.get("WorkItemGroupID")
        and item.get("Date")
        and start <= _day(item["Date"], "Date") <= end
    ]
    if not items:
        _refuse("WorkItemGroup", "Items", "No work items to group in the period")
    group = create(
        company_key,
        "WorkItemGroup",
        {"WorkRelationID": int(relation_id), "StatusCode": WORKFLOW_DRAFT},
        caller,
    )
    for item in items:
        update(company_key, "WorkItem", item["ID"], {"WorkItemGroupID": group["ID"]}, caller)
    return read(company_key, "WorkItemGroup", group["ID"], expand="Items")


def _group_status(code: int, allowed_from: tuple[int, ...]):
    def act(company_key: str, record_id: int | None, params: dict, body: Any, caller: Any):
        record_id = _need_id(record_id, "work item group")
        group = read(company_key, "WorkItemGroup", record_id)
        if group.get("StatusCode", WORKFLOW_DRAFT) not in allowed_from:
            _refuse(
                "WorkItemGroup",
                "StatusCode",
                f"The group's status {group.get('StatusCode')} does not allow this",
                record_id,
            )
        update(company_key, "WorkItemGroup", record_id, {"StatusCode": code}, caller)
        for item in entities.find(company_key, "WorkItem", WorkItemGroupID=record_id):
            if item.get("StatusCode") != code and not item.get("TransferedToOrder"):
                update(company_key, "WorkItem", item["ID"], {"StatusCode": code}, caller)
        return read(company_key, "WorkItemGroup", record_id, expand="Items")

    return act


# -- users ------------------------------------------------------------------------------------
def _current_session(company_key: str, record_id: int | None, params: dict, body: Any, caller: Any):
    subject = getattr(caller, "subject", "") or ""
    found = entities.find(company_key, "User", GlobalIdentity=subject) if subject else []
    if found:
        return found[0]
    name = getattr(caller, "user_name", "") or subject
    # The company has not met this user yet: the sandbox adds them, as Unimicro lists every
    # user with access to the company [I]. Written straight to the store: /users is read-only.
    return _store().create(
        company_key,
        entities.User,
        {"DisplayName": name, "Email": name if "@" in name else "", "GlobalIdentity": subject},
        caller,
        internal=True,
    )


_ACTIONS = {
    ("Customer", "activate"): _customer_status(CUSTOMER_ACTIVE),
    ("Customer", "deactivate"): _customer_status(CUSTOMER_INACTIVE),
    ("CustomerOrder", "register"): _register,
    ("CustomerOrder", "transfer-to-invoice"): _transfer_to_invoice,
    ("CustomerInvoice", "invoice"): _invoice,
    ("Worker", "create-worker-from-user"): _create_worker_from_user,
    ("WorkItemGroup", "create-from-items"): _create_from_items,
    ("WorkItemGroup", "assign"): _group_status(
        WORKFLOW_AWAITING_APPROVAL, (WORKFLOW_DRAFT, WORKFLOW_REJECTED)
    ),
    ("WorkItemGroup", "approve"): _group_status(
        WORKFLOW_APPROVED, (WORKFLOW_DRAFT, WORKFLOW_AWAITING_APPROVAL)
    ),
    ("WorkItemGroup", "reject"): _group_status(
        WORKFLOW_REJECTED, (WORKFLOW_DRAFT, WORKFLOW_AWAITING_APPROVAL)
    ),
    ("User", "current-session"): _current_session,
}


def names(entity: EntityDef) -> list[str]:
    """The actions an entity offers (for hateoas `_links.actions`)."""
    return [action for (name, action) in _ACTIONS if name == entity.name]
