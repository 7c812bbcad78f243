"""The Unimicro sandbox's entity catalogue: what each `/api/biz/<plural>` holds.

The API core (api.py/store.py) asks `by_plural(plural)` (or `by_name(EntityType)`) and calls,
for every write:

- `entity.prepare_create(company_key, data, caller) -> data` before a POST is stored: defaults
  filled in, numbers drawn from the company's number series, validation → `ValidationFailed`
  (a list of ValidationMessage dicts, the `_validationResults` shape of API-NOTES §10);
- `entity.prepare_update(company_key, old, new, caller) -> data` before a PUT is stored (`old`
  the stored fields, `new` the merged fields);
- `entity.after_write(company_key, record, op, caller)` inside the write's transaction once the
  record and its nested children are stored (`record` the entity's JSON with its children, op
  "C" or "U"); used by CustomerOrder to mark the work items its lines name as transferred
  (actions.mark_work_items, attached by the app's ready()).

Navigation properties: `expandable[name]` is a `Nav` (unpacks as `(entity, fk)`, plus `.many`).
`many=False`: `fk` is the id field on the parent (Customer.Info → `BusinessRelationID`);
`many=True`: `fk` is the field on each child naming the parent (CustomerOrder.Items →
`CustomerOrderID`). `children` is the subset that may be written nested inside the parent's
POST/PUT (`ID: 0` + `_createguid` creates; `Deleted: true` removes); every other navigation
property is read-only (expand only).

Status codes are Unimicro's enums (API-NOTES §5): see README "Entities, actions, webhooks, seed".
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# ---------------------------------------------------------------------------------------------
# Status codes (Unimicro's StatusCode enums, API-NOTES §5; [I] where the notes do not say)
CUSTOMER_ACTIVE = 30001
CUSTOMER_INACTIVE = 50001
CUSTOMER_DELETED = 90001
PROJECT_REGISTERED = 42201
PROJECT_OFFER = 42202
PROJECT_ONGOING = 42203
PROJECT_COMPLETED = 42204
PROJECT_ARCHIVED = 42205  # "Cancelled/Deleted" in Unimicro's enum; Tidsbro's "archived"
PRODUCT_ACTIVE = 35001
ORDER_DRAFT = 41001
ORDER_REGISTERED = 41002
ORDER_PARTLY_TRANSFERRED = 41003
ORDER_TRANSFERRED = 41004
ORDER_COMPLETED = 41005
ORDER_ITEM_DRAFT = 41101
ORDER_ITEM_REGISTERED = 41102
ORDER_ITEM_TRANSFERRED = 41103
INVOICE_DRAFT = 42001
INVOICE_INVOICED = 42002
# Timesheet workflow codes (API-NOTES §5.6), carried by WorkItemGroup and its WorkItems [I].
WORKFLOW_DRAFT = 1
WORKFLOW_AWAITING_APPROVAL = 5
WORKFLOW_REJECTED = 9
WORKFLOW_APPROVED = 10

# Where each number series starts (the first number it gives).
SERIES_START = {
    "CustomerNumber": 100000,
    "ProjectNumber": 100,
    "OrderNumber": 1,
    "InvoiceNumber": 1,
    "ProductNumber": 1,
}

LEVEL_ERROR = 30


class ValidationFailed(Exception):
    """A write the server refuses (400 with `_validationResults`); `messages` are
    ValidationMessage dicts: PropertyName, Message, Level, EntityType (EntityID, ID optional)."""

    def __init__(self, messages: list[dict[str, Any]]):
        super().__init__("; ".join(str(m.get("Message", "")) for m in messages))
        self.messages = messages


def message(entity: str, prop: str, text: str, *, entity_id: int | None = None) -> dict:
    """One ValidationMessage (Level 30 = error)."""
    return {
        "ID": 0,
        "EntityID": entity_id or 0,
        "EntityType": entity,
        "PropertyName": prop,
        "Message": text,
        "Level": LEVEL_ERROR,
    }


@dataclass(frozen=True)
class Nav:
    """A navigation property: the target entity, the id field that joins them, one or many."""

    entity: EntityDef = field(repr=False)
    fk: str
    many: bool = False

    def __iter__(self) -> Iterator[Any]:  # unpacks as (entity, fk), as the contract says
        return iter((self.entity, self.fk))


Hook = Callable[..., Any]


@dataclass
class EntityDef:
    """One entity type of the API (EntityType `name`, served at `/api/biz/<plural>`)."""

    name: str
    plural: str | None = None  # None: only reachable nested inside a parent
    defaults: dict[str, Any] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    unique: tuple[str, ...] = ()  # unique among the company's live records
    series: dict[str, str] = field(default_factory=dict)  # field → series name (on create)
    series_as_text: tuple[str, ...] = ()  # fields whose numbers are strings (ProjectNumber)
    references: dict[str, str] = field(default_factory=dict)  # id field → EntityType
    read_only: bool = False  # POST/PUT/DELETE refused (users)
    expandable: dict[str, Nav] = field(default_factory=dict, repr=False)
    writable_children: tuple[str, ...] = ()
    default_expand: tuple[str, ...] = ()
    validate: Hook | None = None  # (company_key, data, old|None, caller) -> list of messages
    before_create: Hook | None = None  # (company_key, data, caller) -> None (mutates data)
    after_write_hook: Hook | None = None
    delete_hook: Hook | None = None  # (company_key, old, caller) -> None; see prepare_delete

    @property
    def children(self) -> dict[str, EntityDef]:
        return {name: self.expandable[name].entity for name in self.writable_children}

    # -- the interface the API core calls ---------------------------------------------------
    def prepare_create(self, company_key: str, data: dict, caller: Any = None) -> dict:
        """The fields to store for a new record: defaults, numbers, checks (raises
        ValidationFailed)."""
        out = {**_copy(self.defaults), **data}
        problems = self._check(company_key, out, None, caller)
        if problems:
            raise ValidationFailed(problems)
        if self.before_create is not None:
            self.before_create(company_key, out, caller)
        for name, series in self.series.items():
            if out.get(name) in (None, "", 0):
                number = next_number(company_key, series)
                out[name] = str(number) if name in self.series_as_text else number
        return out

    def prepare_update(self, company_key: str, old: dict, new: dict, caller: Any = None) -> dict:
        """The fields to store for a changed record (raises ValidationFailed)."""
        out = dict(new)
        problems = self._check(company_key, out, old, caller)
        if problems:
            raise ValidationFailed(problems)
        return out

    def after_write(self, company_key: str, record: dict, op: str, caller: Any = None) -> None:
        if self.after_write_hook is not None:
            self.after_write_hook(company_key, record, op, caller)

    def prepare_delete(self, company_key: str, old: dict, caller: Any = None) -> None:
        """Before a DELETE, inside its transaction: raises ValidationFailed to refuse it (a
        work item on an order); an order frees the work items its lines named."""
        if self.delete_hook is not None:
            self.delete_hook(company_key, old, caller)

    # -- checks ----------------------------------------------------------------------------
    def _check(self, company_key: str, data: dict, old: dict | None, caller: Any) -> list[dict]:
        problems: list[dict] = []
        own_id = (old or {}).get("ID") or data.get("ID")
        for name in self.required:
            if _blank(_path(data, name)):
                problems.append(message(self.name, name, f"{name} is required"))
        for name in self.unique:
            value = data.get(name)
            if _blank(value):
                continue
            if old is not None and old.get(name) == value:
                continue
            if find(company_key, self.name, **{name: value}, exclude_id=own_id):
                problems.append(
                    message(self.name, name, f"{name} {value} is already in use", entity_id=own_id)
                )
        for name, target in self.references.items():
            value = data.get(name)
            if _blank(value):
                continue
            if old is not None and old.get(name) == value:
                continue
            if get(company_key, target, value) is None:
                problems.append(
                    message(self.name, name, f"{target} with ID {value} does not exist")
                )
        if self.validate is not None:
            problems.extend(self.validate(company_key, data, old, caller) or [])
        return problems


# ---------------------------------------------------------------------------------------------
# Store access (B1's BizRecord / NumberSeries; imported late so this module loads on its own)
def _models() -> Any:
    from . import models

    return models


def get(company_key: str, entity: str, record_id: Any) -> dict | None:
    """A live record's fields (with ID), or None."""
    try:
        record_id = int(record_id)
    except (TypeError, ValueError):
        return None
    row = (
        _models()
        .BizRecord.objects.filter(
            company_key=company_key, entity=entity, record_id=record_id, deleted=False
        )
        .first()
    )
    if row is None:
        return None
    return {**(row.data or {}), "ID": row.record_id}


def find(company_key: str, entity: str, *, exclude_id: Any = None, **fields: Any) -> list[dict]:
    """Live records whose fields equal `fields` (numbers and their text alike, text in any
    case), narrowed in the database by JSON key lookups."""
    from django.db.models import Q

    rows = _models().BizRecord.objects.filter(company_key=company_key, entity=entity, deleted=False)
    for name, value in fields.items():
        if isinstance(value, bool):
            rows = rows.filter(**{f"data__{name}": value})
        elif isinstance(value, int):
            rows = rows.filter(Q(**{f"data__{name}": value}) | Q(**{f"data__{name}": str(value)}))
        elif isinstance(value, str) and value.strip():
            rows = rows.filter(**{f"data__{name}__iexact": value.strip()})
    if exclude_id:
        rows = rows.exclude(record_id=int(exclude_id))
    found = []
    for row in rows.only("record_id", "data").order_by("record_id"):
        data = row.data or {}
        if all(_same(data.get(k), v) for k, v in fields.items()):
            found.append({**data, "ID": row.record_id})
    return found


def next_number(company_key: str, series: str) -> int:
    """The next number of the company's series (locked row; starts at SERIES_START)."""
    from django.db import transaction

    NumberSeries = _models().NumberSeries
    with transaction.atomic():
        row, _ = NumberSeries.objects.select_for_update().get_or_create(
            company_key=company_key,
            name=series,
            defaults={"next": SERIES_START.get(series, 1)},
        )
        number = row.next
        row.next = number + 1
        row.save(update_fields=["next"])
    return number


def _same(a: Any, b: Any) -> bool:
    if a == b:
        return True
    return a is not None and b is not None and str(a).strip().lower() == str(b).strip().lower()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _path(data: dict, dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# Validation hooks
def _customer_validate(company_key: str, data: dict, old: dict | None, caller: Any) -> list:
    problems = []
    info = data.get("Info")
    has_relation = data.get("BusinessRelationID") or (old or {}).get("BusinessRelationID")
    if old is None and not has_relation:
        if not isinstance(info, dict) or _blank(info.get("Name")):
            problems.append(message("Customer", "Info.Name", "Name is required"))
    elif isinstance(info, dict) and "Name" in info and _blank(info.get("Name")):
        problems.append(message("Customer", "Info.Name", "Name is required"))
    return problems


def _work_item_validate(company_key: str, data: dict, old: dict | None, caller: Any) -> list:
    problems = []
    if old is not None and old.get("TransferedToOrder"):
        # [I] Unimicro locks hours that an order has taken; the sandbox refuses any change
        # except the transfer marks themselves (set by the server).
        changed = {
            k
            for k in set(data) | set(old)
            if k not in _STAMPS and not _same(data.get(k), old.get(k))
        }
        if changed - {"TransferedToOrder", "CustomerOrderID", "OrderItemId"}:
            problems.append(
                message(
                    "WorkItem",
                    "TransferedToOrder",
                    "The work item is transferred to an order and can no longer be changed",
                    entity_id=old.get("ID"),
                )
            )
    _fill_minutes(data)
    if data.get("Minutes") is not None:
        try:
            if float(data["Minutes"]) < 0:
                problems.append(message("WorkItem", "Minutes", "Minutes cannot be negative"))
        except (TypeError, ValueError):
            problems.append(message("WorkItem", "Minutes", "Minutes must be a number"))
    return problems


def _work_item_delete(company_key: str, old: dict, caller: Any) -> None:
    if old.get("TransferedToOrder"):
        raise ValidationFailed(
            [
                message(
                    "WorkItem",
                    "TransferedToOrder",
                    "The work item is transferred to an order and cannot be deleted",
                    entity_id=old.get("ID"),
                )
            ]
        )


_STAMPS = {"ID", "CreatedAt", "UpdatedAt", "CreatedBy", "UpdatedBy", "_createguid", "_links"}


def _minutes_of(value: Any) -> int | None:
    """Minutes since midnight of an ISO date-time or HH:MM[:SS] text."""
    if not isinstance(value, str) or not value:
        return None
    text = value.split("T", 1)[1] if "T" in value else value
    try:
        hours, minutes = text[:5].split(":")
        return int(hours) * 60 + int(minutes)
    except ValueError:
        return None


def _fill_minutes(data: dict) -> None:
    """Minutes absent: (EndTime − StartTime) − LunchInMinutes, wrapping past midnight, as
    Unimicro's web client computes it (the sandbox does it server-side) [I]."""
    if data.get("Minutes") not in (None, ""):
        return
    start, end = _minutes_of(data.get("StartTime")), _minutes_of(data.get("EndTime"))
    if start is None or end is None:
        return
    span = end - start
    if span < 0:
        span += 24 * 60
    data["Minutes"] = max(0, span - int(data.get("LunchInMinutes") or 0))


def _order_validate(company_key: str, data: dict, old: dict | None, caller: Any) -> list:
    """Refuses lines whose ItemSource names a work item that is unknown or already on
    another order."""
    problems = []
    order_id = (old or {}).get("ID") or data.get("ID")
    for detail in order_sources(data):
        item = get(company_key, "WorkItem", detail.get("SourceFK"))
        if item is None:
            problems.append(
                message(
                    "ItemSourceDetail",
                    "SourceFK",
                    f"WorkItem with ID {detail.get('SourceFK')} does not exist",
                )
            )
            continue
        taken_by = item.get("CustomerOrderID")
        if item.get("TransferedToOrder") and taken_by and taken_by != order_id:
            problems.append(
                message(
                    "ItemSourceDetail",
                    "SourceFK",
                    f"WorkItem {item['ID']} is already transferred to order {taken_by}",
                )
            )
    if old is not None and old.get("StatusCode", ORDER_DRAFT) >= ORDER_TRANSFERRED:
        if data.get("Items") and any(
            isinstance(i, dict) and (not i.get("ID") or i.get("Deleted"))
            for i in data.get("Items") or []
        ):
            problems.append(
                message(
                    "CustomerOrder",
                    "Items",
                    "The order is transferred to invoice; its lines can no longer change",
                )
            )
    return problems


def order_sources(order: dict) -> Iterator[dict]:
    """The ItemSource details of an order's live lines that name work items."""
    for item in order.get("Items") or []:
        if not isinstance(item, dict) or item.get("Deleted"):
            continue
        source = item.get("ItemSource") or {}
        for detail in source.get("Details") or [] if isinstance(source, dict) else []:
            if isinstance(detail, dict) and not detail.get("Deleted"):
                if str(detail.get("SourceType", "")).lower() == "workitem":
                    yield {**detail, "_item": item}


def _eventplan_create(company_key: str, data: dict, caller: Any) -> None:
    if _blank(data.get("SigningKey")):
        data["SigningKey"] = secrets.token_hex(32)


def _eventplan_validate(company_key: str, data: dict, old: dict | None, caller: Any) -> list:
    problems = []
    ops = str(data.get("OperationFilter") or "")
    if any(c not in "CUD" for c in ops.replace(",", "").replace(" ", "").upper()):
        problems.append(
            message("Eventplan", "OperationFilter", "OperationFilter takes C, U and D only")
        )
    if data.get("PlanType", 0) not in (0, 1, 2, 3):
        problems.append(message("Eventplan", "PlanType", "Unknown PlanType"))
    for sub in data.get("Subscribers") or []:
        new = isinstance(sub, dict) and not sub.get("ID") and not sub.get("Deleted")
        if new and _blank(sub.get("Endpoint")):
            problems.append(message("EventSubscriber", "Endpoint", "Endpoint is required"))
    return problems


# ---------------------------------------------------------------------------------------------
# The catalogue
Address = EntityDef("Address", "addresses")
Email = EntityDef("Email", "emails")
Phone = EntityDef("Phone", "phones", defaults={"Type": 150101})
BusinessRelation = EntityDef(
    "BusinessRelation",
    "business-relations",
    required=("Name",),
)
BusinessRelation.expandable.update(
    {
        "InvoiceAddress": Nav(Address, "InvoiceAddressID"),
        "ShippingAddress": Nav(Address, "ShippingAddressID"),
        "DefaultEmail": Nav(Email, "DefaultEmailID"),
        "DefaultPhone": Nav(Phone, "DefaultPhoneID"),
        "Addresses": Nav(Address, "BusinessRelationID", many=True),
        "Emails": Nav(Email, "BusinessRelationID", many=True),
        "Phones": Nav(Phone, "BusinessRelationID", many=True),
    }
)
BusinessRelation.writable_children = (
    "InvoiceAddress",
    "ShippingAddress",
    "DefaultEmail",
    "DefaultPhone",
    "Addresses",
    "Emails",
    "Phones",
)

Dimensions = EntityDef(
    "Dimensions",
    "dimensions",
    references={"ProjectID": "Project", "ProjectTaskID": "ProjectTask"},
)

Customer = EntityDef(
    "Customer",
    "customers",
    defaults={"StatusCode": CUSTOMER_ACTIVE, "OrgNumber": None, "IsPrivate": False},
    unique=("CustomerNumber",),
    series={"CustomerNumber": "CustomerNumber"},
    validate=_customer_validate,
)
Customer.expandable.update(
    {
        "Info": Nav(BusinessRelation, "BusinessRelationID"),
        "Dimensions": Nav(Dimensions, "DimensionsID"),
    }
)
Customer.writable_children = ("Info", "Dimensions")

ProjectTask = EntityDef(
    "ProjectTask",
    "projecttasks",
    defaults={"StatusCode": PROJECT_REGISTERED},
    required=("Name",),
    references={"ProjectID": "Project"},
)
Project = EntityDef(
    "Project",
    "projects",
    defaults={"StatusCode": PROJECT_REGISTERED, "Description": ""},
    required=("Name",),
    unique=("ProjectNumber",),
    series={"ProjectNumber": "ProjectNumber"},
    series_as_text=("ProjectNumber",),
    references={"ProjectCustomerID": "Customer"},
)
Project.expandable.update(
    {
        "ProjectCustomer": Nav(Customer, "ProjectCustomerID"),
        "ProjectTasks": Nav(ProjectTask, "ProjectID", many=True),
        "Tasks": Nav(ProjectTask, "ProjectID", many=True),
    }
)
Project.writable_children = ("ProjectTasks", "Tasks")
ProjectTask.expandable["Project"] = Nav(Project, "ProjectID")
Dimensions.expandable.update(
    {"Project": Nav(Project, "ProjectID"), "ProjectTask": Nav(ProjectTask, "ProjectTaskID")}
)

Product = EntityDef(
    "Product",
    "products",
    defaults={"StatusCode": PRODUCT_ACTIVE, "Unit": "", "PriceExVat": 0, "Type": 3},
    unique=("PartName",),
    series={"PartName": "ProductNumber"},
    series_as_text=("PartName",),
)
WorkType = EntityDef(
    "WorkType",
    "worktypes",
    defaults={"SystemType": 1, "Description": "", "Price": 0},
    required=("Name",),
    references={"ProductID": "Product"},
)
WorkType.expandable["Product"] = Nav(Product, "ProductID")

User = EntityDef("User", "users", read_only=True)
Worker = EntityDef("Worker", "workers", references={"UserID": "User"})
WorkRelation = EntityDef(
    "WorkRelation",
    "workrelations",
    defaults={"WorkPercentage": 100, "IsActive": True, "Description": ""},
    required=("WorkerID",),
    references={"WorkerID": "Worker"},
)
Worker.expandable.update(
    {
        "User": Nav(User, "UserID"),
        "Info": Nav(BusinessRelation, "BusinessRelationID"),
        "Relations": Nav(WorkRelation, "WorkerID", many=True),
    }
)
Worker.writable_children = ("Info",)
WorkRelation.expandable["Worker"] = Nav(Worker, "WorkerID")

WorkItemGroup = EntityDef(
    "WorkItemGroup",
    "workitemgroups",
    defaults={"StatusCode": WORKFLOW_DRAFT},
    references={"WorkRelationID": "WorkRelation"},
)
CustomerOrder = EntityDef("CustomerOrder", "orders")  # filled in below (refers to WorkItem)
WorkItem = EntityDef(
    "WorkItem",
    "workitems",
    defaults={
        "Invoiceable": True,
        "TransferedToOrder": False,
        "TransferedToPayroll": False,
        "CustomerOrderID": None,
        "OrderItemId": None,
        "LunchInMinutes": 0,
        "Description": "",
    },
    required=("WorkRelationID", "WorkTypeID", "Date"),
    references={
        "WorkRelationID": "WorkRelation",
        "WorkTypeID": "WorkType",
        "CustomerID": "Customer",
        "WorkItemGroupID": "WorkItemGroup",
        "DimensionsID": "Dimensions",
    },
    validate=_work_item_validate,
)
WorkItem.expandable.update(
    {
        "WorkRelation": Nav(WorkRelation, "WorkRelationID"),
        "WorkType": Nav(WorkType, "WorkTypeID"),
        "Worktype": Nav(WorkType, "WorkTypeID"),
        "Dimensions": Nav(Dimensions, "DimensionsID"),
        "Customer": Nav(Customer, "CustomerID"),
        "CustomerOrder": Nav(CustomerOrder, "CustomerOrderID"),
    }
)
WorkItem.writable_children = ("Dimensions",)
WorkItem.delete_hook = _work_item_delete
WorkRelation.expandable["Items"] = Nav(WorkItem, "WorkRelationID", many=True)
WorkItemGroup.expandable.update(
    {
        "Items": Nav(WorkItem, "WorkItemGroupID", many=True),
        "WorkRelation": Nav(WorkRelation, "WorkRelationID"),
    }
)

ItemSourceDetail = EntityDef("ItemSourceDetail", None, defaults={"SourceType": "WorkItem"})
ItemSource = EntityDef("ItemSource", None)
ItemSource.expandable["Details"] = Nav(ItemSourceDetail, "ItemSourceID", many=True)
ItemSource.writable_children = ("Details",)
CustomerOrderItem = EntityDef(
    "CustomerOrderItem",
    "orderitems",
    defaults={"StatusCode": ORDER_ITEM_DRAFT, "NumberOfItems": 0, "PriceExVat": 0},
    references={"ProductID": "Product"},
)
CustomerOrderItem.expandable.update(
    {
        "Product": Nav(Product, "ProductID"),
        "Dimensions": Nav(Dimensions, "DimensionsID"),
        "ItemSource": Nav(ItemSource, "ItemSourceID"),
    }
)
CustomerOrderItem.writable_children = ("Dimensions", "ItemSource")
CustomerOrder.defaults.update(
    {"StatusCode": ORDER_DRAFT, "OrderNumber": None, "OurReference": "", "CustomerName": ""}
)
CustomerOrder.required = ("CustomerID",)
CustomerOrder.references.update({"CustomerID": "Customer"})
CustomerOrder.validate = _order_validate
# CustomerOrder.after_write_hook = actions.mark_work_items, set by apps.ready() (actions
# writes through the store, which imports this module).
CustomerOrder.expandable.update(
    {
        "Items": Nav(CustomerOrderItem, "CustomerOrderID", many=True),
        "Customer": Nav(Customer, "CustomerID"),
        "DefaultDimensions": Nav(Dimensions, "DefaultDimensionsID"),
    }
)
CustomerOrder.writable_children = ("Items", "DefaultDimensions")

CustomerInvoiceItem = EntityDef(
    "CustomerInvoiceItem",
    "invoiceitems",
    references={"ProductID": "Product"},
)
CustomerInvoiceItem.expandable.update(
    {"Product": Nav(Product, "ProductID"), "Dimensions": Nav(Dimensions, "DimensionsID")}
)
CustomerInvoiceItem.writable_children = ("Dimensions",)
CustomerInvoice = EntityDef(
    "CustomerInvoice",
    "invoices",
    defaults={"StatusCode": INVOICE_DRAFT, "InvoiceNumber": None},
    required=("CustomerID",),
    references={"CustomerID": "Customer"},
)
CustomerInvoice.expandable.update(
    {
        "Items": Nav(CustomerInvoiceItem, "CustomerInvoiceID", many=True),
        "Customer": Nav(Customer, "CustomerID"),
    }
)
CustomerInvoice.writable_children = ("Items",)

EventSubscriber = EntityDef(
    "EventSubscriber",
    "eventsubscribers",
    defaults={"Active": True, "Authorization": "", "Headers": ""},
    required=("Endpoint",),
)
ExpressionFilter = EntityDef("ExpressionFilter", None)
Eventplan = EntityDef(
    "Eventplan",
    "eventplans",
    defaults={
        "Active": True,
        "PlanType": 0,
        "ModelFilter": "*",
        "OperationFilter": "CUD",
        "SigningKey": "",
        "IsSystemPlan": False,
    },
    required=("Name",),
    validate=_eventplan_validate,
    before_create=_eventplan_create,
)
Eventplan.expandable.update(
    {
        "Subscribers": Nav(EventSubscriber, "EventplanID", many=True),
        "ExpressionFilters": Nav(ExpressionFilter, "EventplanID", many=True),
    }
)
Eventplan.writable_children = ("Subscribers", "ExpressionFilters")
Eventplan.default_expand = ("Subscribers", "ExpressionFilters")

ENTITIES: tuple[EntityDef, ...] = (
    Customer,
    BusinessRelation,
    Address,
    Email,
    Phone,
    Dimensions,
    Project,
    ProjectTask,
    Product,
    WorkType,
    User,
    Worker,
    WorkRelation,
    WorkItem,
    WorkItemGroup,
    CustomerOrder,
    CustomerOrderItem,
    ItemSource,
    ItemSourceDetail,
    CustomerInvoice,
    CustomerInvoiceItem,
    Eventplan,
    EventSubscriber,
    ExpressionFilter,
)
_BY_PLURAL = {e.plural: e for e in ENTITIES if e.plural}
_BY_PLURAL["projects-tasks"] = ProjectTask  # the path the notes give (§5.2)
_BY_NAME = {e.name: e for e in ENTITIES}


def by_plural(plural: str) -> EntityDef | None:
    """The entity served at `/api/biz/<plural>` (case-insensitive), or None."""
    return _BY_PLURAL.get((plural or "").lower())


def by_name(name: str) -> EntityDef | None:
    """The entity of EntityType `name` (case-insensitive), or None."""
    entity = _BY_NAME.get(name)
    if entity is None:
        lowered = (name or "").lower()
        entity = next((e for e in ENTITIES if e.name.lower() == lowered), None)
    return entity
