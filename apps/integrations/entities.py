"""The object types the sync moves, in one place: canonical fields, words, local model, order,
default master and the directions Tidsbro allows for each.

A connector maps its records to and from these canonical records (the keys below); the local
adapters (`apps.integrations.adapters.*`) read and write the same keys. A system that does not
hold a field leaves it out of its records: the merge then never compares it, and the value
Tidsbro has is kept (see `sync/merge.py`).

Canonical values
----------------
- Text is stripped; absent text is "" (never None) — `text()`.
- Decimals are strings quantised to two places ("1250.00"); absent amounts are None — `money()`.
- Dates are ISO strings "YYYY-MM-DD" (the day in `settings.TIME_ZONE`), or None.
- References to other records are the **remote ids as strings** (a project's `customer` is the
  customer's id in the other system); the adapters translate them to local foreign keys through
  the bindings of the referenced object type (`apps.integrations.bindings`), one query per batch.
  `references` below says which field points at which type; the sync order follows them.

Nothing here imports the database models: `labels`, `models` and every connector can read it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from apps.integrations.connectors.base import Entity

# Who owns an object type's records (the values of `Master` in models.py).
ERP, TIDSBRO, BOTH = "erp", "tidsbro", "both"
PULL, PUSH = "pull", "push"

# Canonical project statuses.
ACTIVE = "active"
ARCHIVED = "archived"
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class EntityType:
    """One object type as the sync engine knows it, whatever system is connected."""

    key: str
    label: Any  # plural, for lists and filters ("work types")
    singular: Any  # one record, for sentences ("waiting for work type 12")
    # Canonical fields (the binding's snapshot keys), in the order screens show them.
    fields: tuple[str, ...] = ()
    # "app_label.ModelName" of the local record, or "" when Tidsbro keeps none.
    model: str = ""
    # Canonical field → the object type it refers to (by remote id).
    references: Mapping[str, str] = field(default_factory=dict)
    # Who owns the records on a new connection unless the office says otherwise.
    default_master: str = BOTH
    # What Tidsbro allows for the type at all (a connector may offer less).
    directions: frozenset[str] = frozenset({PULL})
    # Kept in step by the hourly and daily pull (in the sync order), with a local adapter.
    pulled: bool = False
    # Records matched by hand in the sync center (choose partner, no sync, create partner).
    matchable: bool = False


def _entity(key: Entity, **kwargs: Any) -> EntityType:
    return EntityType(key=str(key), **kwargs)


# In the sync order: what others point at comes first (see `test_entities.py`).
ENTITIES: dict[str, EntityType] = {
    e.key: e
    for e in (
        _entity(Entity.CLIENT, label=_("client"), singular=_("client"), default_master=ERP),
        _entity(
            Entity.USER,
            label=_("users"),
            singular=_("user"),
            fields=("name", "first_name", "last_name", "email", "user_id", "employee_id"),
            model="accounts.User",
            default_master=ERP,
            pulled=True,
            matchable=True,
        ),
        _entity(
            Entity.CUSTOMER,
            label=_("customers"),
            singular=_("customer"),
            fields=(
                "name",
                "number",
                "organisation_number",
                "email",
                "phone",
                "address_line1",
                "address_line2",
                "postal_code",
                "city",
                "country",
                "visiting_address",
                # Systems that can bar a customer hold it (as a "barred" flag); others leave
                # it out, and the customer's active flag stays Tidsbro's own.
                "is_active",
            ),
            model="customers.Customer",
            default_master=ERP,
            directions=frozenset({PULL, PUSH}),
            pulled=True,
            matchable=True,
        ),
        _entity(
            Entity.PERSON,
            label=_("contact persons"),
            singular=_("contact person"),
            references={"customer": Entity.CUSTOMER},
            default_master=ERP,
        ),
        _entity(
            Entity.WORK_TYPE,
            label=_("work types"),
            singular=_("work type"),
            fields=("name", "description", "invoiceable", "price", "product_number", "is_active"),
            model="worktypes.WorkType",
            default_master=ERP,
            directions=frozenset({PULL, PUSH}),
            pulled=True,
            matchable=True,
        ),
        _entity(
            Entity.PROJECT_STATUS,
            label=_("project statuses"),
            singular=_("project status"),
            default_master=ERP,
        ),
        _entity(
            Entity.PROJECT_ROLE,
            label=_("project roles"),
            singular=_("project role"),
            model="projects.ProjectRole",
            default_master=ERP,
        ),
        _entity(
            Entity.PROJECT,
            label=_("projects"),
            singular=_("project"),
            fields=(
                "name",
                "number",
                "customer",
                "status",
                "start_date",
                "end_date",
                "description",
                "default_work_type",
                "needs_approval",
            ),
            model="projects.Project",
            references={"customer": Entity.CUSTOMER, "default_work_type": Entity.WORK_TYPE},
            directions=frozenset({PULL, PUSH}),
            pulled=True,
            matchable=True,
        ),
        _entity(
            Entity.PARTICIPANT,
            label=_("project members"),
            singular=_("project member"),
            fields=("project", "user", "role"),
            model="projects.ProjectMember",
            references={"project": Entity.PROJECT, "user": Entity.USER},
            default_master=ERP,
            pulled=True,
        ),
        _entity(
            Entity.TASK,
            label=_("tasks"),
            singular=_("task"),
            fields=(
                "project",
                "name",
                "description",
                "start_date",
                "end_date",
                "priority",
                "estimate_hours",
                "assignees",
            ),
            model="tasks.Task",
            references={"project": Entity.PROJECT, "assignees": Entity.USER},
            directions=frozenset({PULL, PUSH}),
            pulled=True,
            matchable=True,
        ),
        _entity(
            Entity.HOUR,
            label=_("hours"),
            singular=_("hour"),
            fields=(
                "date",
                "start",
                "hours",
                "billable_hours",
                "project",
                "task",
                "work_type",
                "user",
                "description",
                "internal_note",
                "ref",
                "flagged",
            ),
            model="timesheets.TimeEntry",
            references={
                "project": Entity.PROJECT,
                "task": Entity.TASK,
                "work_type": Entity.WORK_TYPE,
                "user": Entity.USER,
            },
            default_master=TIDSBRO,
            directions=frozenset({PUSH}),
        ),
        _entity(
            Entity.ORDER,
            label=_("orders"),
            singular=_("order"),
            fields=("customer", "project", "title", "lines"),
            model="orders.Order",
            references={"customer": Entity.CUSTOMER, "project": Entity.PROJECT},
            default_master=TIDSBRO,
            directions=frozenset({PUSH}),
        ),
    )
}
# Every object type in dependency order (pushes go in it too, hours and orders last).
ORDER: tuple[str, ...] = tuple(ENTITIES)
# The object types a whole sync pulls, in that order (hours are pushed, not pulled).
SYNC_ORDER: tuple[str, ...] = tuple(k for k, e in ENTITIES.items() if e.pulled)


def entity(key: str) -> EntityType:
    """The object type `key`; LookupError when there is none."""
    try:
        return ENTITIES[key]
    except KeyError:
        raise LookupError(f"Unknown object type {key!r}") from None


def fields(key: str) -> tuple[str, ...]:
    """The canonical fields of an object type."""
    return entity(key).fields


def position(key: str) -> int:
    """Where `key` comes in the dependency order (unknown types last)."""
    return ORDER.index(key) if key in ORDER else len(ORDER)


def in_sync_order(keys: Iterable[str]) -> list[str]:
    """The pulled object types among `keys`, in the sync order."""
    wanted = set(keys)
    return [k for k in SYNC_ORDER if k in wanted]


def local_model(key: str) -> Any:
    """The local model class of an object type; LookupError when Tidsbro keeps none."""
    from django.apps import apps

    label = entity(key).model
    if not label:
        raise LookupError(f"Tidsbro keeps no {key!r} records")
    return apps.get_model(label)


def default_masters() -> dict[str, str]:
    """Object type → who owns its records on a new connection (for the pulled types)."""
    return {k: ENTITIES[k].default_master for k in SYNC_ORDER}


def allows(key: str, direction: str) -> bool:
    """Whether Tidsbro moves `key` records in `direction` ("pull" or "push") at all."""
    found = ENTITIES.get(key)
    return found is not None and direction in found.directions


def can_push(connection: Any, key: str) -> bool:
    """Whether Tidsbro's changes of `key` go to the connection's system: Tidsbro sends the
    type, the connector can take it, and the office has not made the system its master."""
    from apps.integrations.registry import connector_capabilities

    capabilities = connector_capabilities(connection.system)
    return (
        allows(key, PUSH)
        and capabilities is not None
        and capabilities.can_push(key)
        and connection.master_of(key) != ERP
    )


# LABELS
# ------------------------------------------------------------------------------
def label(key: str) -> str:
    """The object type in words, plural ("work types"); an unknown key as words too."""
    found = ENTITIES.get(key)
    return str(found.label) if found is not None else key.replace("_", " ")


def singular(key: str) -> str:
    """One record of the type in words ("work type"); an unknown key as words too."""
    found = ENTITIES.get(key)
    return str(found.singular) if found is not None else key.replace("_", " ")


# CANONICAL VALUES (pure)
# ------------------------------------------------------------------------------
def text(value: Any, limit: int | None = None) -> str:
    """Canonical text: stripped, "" for nothing, cut at `limit`."""
    result = "" if value is None else str(value).strip()
    return result[:limit] if limit else result


def money(value: Any) -> str | None:
    """A canonical amount ("1250.00"), or None when there is none or it is not a number."""
    if value is None or value == "":
        return None
    try:
        return str(Decimal(str(value)).quantize(CENTS, rounding=ROUND_HALF_UP))
    except InvalidOperation:
        return None


def id_list(values: Any) -> list[str]:
    """A canonical list of remote ids: strings, no blanks or repeats, sorted (numerically when
    they are numbers)."""
    ids = {text(str(int(v)) if isinstance(v, int) else v) for v in values or () if v}
    ids.discard("")
    if all(i.isdigit() for i in ids):
        return sorted({str(int(i)) for i in ids}, key=int)
    return sorted(ids)


# ORDERS AND FIRST-TIME SETUP: what a connector implements (optional capabilities)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderLine:
    """One line of an order as Tidsbro sends it: the system's product by number."""

    product_number: str
    description: str
    quantity: Decimal
    price: Decimal
    # The project the line's hours were on (its remote id), or None when not in the system.
    project_external_id: str | None = None
    # The line's hour as the system holds it (its hour binding), or None when not transferred:
    # a system that bills its own hour records names them as the line's source.
    hour_external_id: str | None = None
    # The hours registered (before any write-down), for the source's amount.
    registered_hours: Decimal | None = None
    # Tidsbro's reference of the line's hour ("TB-<id>"), to tie the hour to the line when it
    # reaches the system after the order (hours transferred on order creation).
    hour_ref: str = ""


@dataclass(frozen=True)
class Order:
    """An order/invoice draft of approved hours, in no system's shape: remote ids as strings."""

    customer_external_id: str | None
    project_external_id: str | None
    title: str
    lines: tuple[OrderLine, ...]
    # Tidsbro's key of the order (made from its hours): the same order sent again (after a
    # timeout) has the same key, for systems that recognise a repeated create by it.
    key: str = ""


class OrdersCapability(Protocol):
    """`spec.orders`: turn approved hours into an order/invoice draft in the system."""

    def id_ok(self, external_id: str) -> bool:
        """Whether a customer's or project's id (its binding, else its number) is one the
        system's orders can name (pure)."""

    def product_number_ok(self, product_number: str) -> bool:
        """Whether a work type's product number is one the system can bill (pure)."""

    def create(self, connector: Any, order: Order) -> str:
        """Creates the order; returns its id/number in the system. Raises the connector
        errors (`Unavailable`, `Rejected` …) when the system does not take it."""

    # Optional members (screens ask with getattr):
    # - `url(connection, number) -> str`: a link to the order in the system ("" for none);
    #   the order's page and list show the number with it.
    # - `document_label`: what the system makes of an order, a noun in lower case ("order",
    #   "draft invoice"); the order's page and list name the number with it ("order" if unset).
    # - `product_number_rule`: what the system's product numbers look like, in a phrase for
    #   the office ("a number such as 1010").
    # - `problems(connection, entries) -> list[str]`: what else the system would refuse,
    #   known without a request (listed on the Create order screen, fixed in the sync center).
    # - `retries_safely`: True when the same order sent again (its `key`) is recognised by the
    #   system, so that sending it again after a timeout makes no second order.


class SetupCapability(Protocol):
    """`spec.setup`: what the first-time setup asks the system (see `setup.py`)."""

    def project_roles(self, connector: Any) -> list[str]:
        """The names of the system's project roles (created in Tidsbro by name)."""

    def unmapped_members(self, connection: Any, connector: Any) -> list[tuple[str, str, int]]:
        """(remote user id, name, number of projects) of the system's project members whose
        user is not mapped to a Tidsbro user, in id order."""
