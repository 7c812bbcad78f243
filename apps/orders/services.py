"""Creating an order in the ERP from approved hours: all or nothing."""

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError
from apps.core.hooks import local_change
from apps.customers.models import Customer
from apps.integrations import bindings
from apps.integrations.adapters.hours import hour_ref
from apps.integrations.connectors.base import ConnectorError, Unavailable
from apps.integrations.entities import Order as RemoteOrder
from apps.integrations.entities import OrderLine as RemoteOrderLine
from apps.integrations.models import Connection
from apps.orders.models import ExportedOrder, Order, OrderLine
from apps.orders.selectors import BILLABLE_STATES
from apps.projects.models import Project
from apps.timesheets.models import TimeEntry, TimeEntryTransition

logger = logging.getLogger(__name__)

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class LineDraft:
    """One entry as it will be billed: hours (possibly written down), rate and text."""

    entry: TimeEntry
    hours: Decimal
    rate: Decimal
    description: str
    product_number: str

    @property
    def amount(self) -> Decimal:
        return (self.hours * self.rate).quantize(TWO_PLACES)


def _decimal(value: Any, *, label: str) -> Decimal:
    try:
        number = Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(_("Enter a number for %(field)s.") % {"field": label}) from exc
    if not number.is_finite():
        raise ApplicationError(_("Enter a number for %(field)s.") % {"field": label})
    return number


def order_lines_draft(
    *, entries: Iterable[TimeEntry], edits: Mapping[int, Mapping[str, Any]] | None = None
) -> list[LineDraft]:
    """The lines an order would get, with the office's edits checked (no writes)."""
    edits = edits or {}
    lines = []
    for entry in entries:
        edit = edits.get(entry.pk) or {}
        # Hours the person registered as not billable (travel, internal) bill nothing unless
        # the office writes them up here.
        hours = entry.billable_hours
        if edit.get("hours") not in (None, ""):
            hours = _decimal(edit["hours"], label=_("hours"))
        if hours < 0 or hours > entry.hours:
            raise ApplicationError(
                _("Hours on %(entry)s can be written down to 0 but not above %(hours)s.")
                % {"entry": entry, "hours": entry.hours}
            )
        rate = entry.work_type.price
        if edit.get("rate") not in (None, ""):
            rate = _decimal(edit["rate"], label=_("rate"))
        if rate < 0:
            raise ApplicationError(_("A rate cannot be negative."))
        description = str(edit.get("description") or "").strip() or _default_text(entry)
        lines.append(
            LineDraft(
                entry=entry,
                hours=hours,
                rate=rate,
                description=description[:255],
                product_number=entry.work_type.product_number,
            )
        )
    return lines


def _default_text(entry: TimeEntry) -> str:
    """ "30.11.2026 Konsulenttimer": the day as the office writes it (the active language's
    short date), the same for every system."""
    text = entry.description.strip() or str(entry.work_type)
    return f"{formats.date_format(entry.date, 'SHORT_DATE_FORMAT')} {text}"


def order_key(*, connection: Connection, entry_ids: Iterable[int]) -> str:
    """The order's key for the ERP (pure): the same hours on the same connection give the same
    key, so an order sent again after a timeout is recognised by a system that honours keys."""
    ids = ",".join(str(pk) for pk in sorted(set(entry_ids)))
    digest = hashlib.sha256(f"{connection.pk}:{ids}".encode()).hexdigest()[:24]
    return f"tidsbro-order-{connection.pk}-{digest}"


def _orders(connection: Connection) -> Any:
    """The connection's order capability (`spec.orders`), or None when it takes no orders."""
    return connection.spec.orders


def _erp_id_of(connection: Connection, entity: str, obj: Any) -> str | None:
    """The ERP id of a customer or project: its binding; on a connection that does not keep
    that type in step, its number (the office keeps the ERP's numbers by hand). Only ids the
    system's orders take (one query)."""
    if obj is None:
        return None
    found = bindings.remote_id(connection, entity, obj.pk, which=bindings.PRESENT)
    if found is None and entity not in (connection.connected or []):
        found = str(obj.number or "").strip() or None
    orders = _orders(connection)
    if found is not None and orders is not None and not orders.id_ok(found):
        return None
    return found


def _product_ok(connection: Connection, product_number: str) -> bool:
    orders = _orders(connection)
    text = (product_number or "").strip()
    if orders is None:
        return bool(text)
    return orders.product_number_ok(text)


@dataclass(frozen=True)
class Problem:
    """Why the ERP would refuse an order, and the record to fix (a customer or work type)."""

    message: str
    fix: Any  # the local record to change or pair
    kind: str  # "customer_not_in_erp", "product_number"


def order_problems(
    *, connection: Connection, customer: Customer | None, entries: Iterable[TimeEntry]
) -> list[Problem]:
    """What has to be fixed before the ERP takes an order of these hours (two queries at
    most, no request): the customer must be in the ERP, each work type must have the ERP
    product number it is billed as."""
    entries = list(entries)
    problems = []
    if customer is not None and order_export_capability(connection) is not None:
        # Orders go in a file the ERP imports: the customer travels in it, by its number.
        if not str(customer.number or "").strip():
            problems.append(
                Problem(
                    message=_(
                        "%(customer)s has no customer number: enter the number the ERP knows "
                        "it by (the exported file names the customer by it)."
                    )
                    % {"customer": customer},
                    fix=customer,
                    kind="customer_number",
                )
            )
    elif customer is not None and _erp_id_of(connection, "customer", customer) is None:
        problems.append(
            Problem(
                message=_(
                    "%(customer)s is not in the ERP yet: pair it with its customer there "
                    "(sync center), then send the order."
                )
                % {"customer": customer},
                fix=customer,
                kind="customer_not_in_erp",
            )
        )
    seen: set[int] = set()
    for entry in entries:
        work_type = entry.work_type
        if work_type.pk in seen or _product_ok(connection, work_type.product_number):
            continue
        seen.add(work_type.pk)
        rule = str(getattr(_orders(connection), "product_number_rule", "") or "")
        if work_type.product_number.strip() and rule:
            message = _(
                "The work type %(work_type)s has the product number %(number)s, which is not "
                "an ERP product id (%(rule)s): enter the ERP's product number."
            ) % {"work_type": work_type, "number": work_type.product_number, "rule": rule}
        elif work_type.product_number.strip():
            message = _(
                "The work type %(work_type)s has the product number %(number)s, which is not "
                "an ERP product id: enter the ERP's product number."
            ) % {"work_type": work_type, "number": work_type.product_number}
        else:
            message = _(
                "The work type %(work_type)s has no ERP product number: enter the number it "
                "is billed as in the ERP."
            ) % {"work_type": work_type}
        problems.append(Problem(message=message, fix=work_type, kind="product_number"))
    # What else the system would refuse, known without asking it (optional `orders.problems`,
    # e.g. hours it must hold before an order can name them); fixed in the sync center.
    extra = getattr(_orders(connection), "problems", None)
    if extra is not None and order_export_capability(connection) is None:
        problems.extend(
            Problem(message=str(message), fix=None, kind="sync")
            for message in extra(connection, entries)
        )
    return problems


def _next_local_number(connection: Connection) -> str:
    """The next order number of a connection whose orders are numbered here (file export):
    one above the highest so far, under a lock of the connection so two orders made at once
    do not get the same number."""
    list(Connection.objects.select_for_update().filter(pk=connection.pk).values_list("pk"))
    numbers = [
        int(n)
        for n in Order.objects.filter(connection=connection).values_list("external_id", flat=True)
        if n.isdigit()
    ]
    return str(max(numbers, default=0) + 1)


def _send_order(
    connection: Connection, orders: Any, remote_order: RemoteOrder, connector: Any
) -> str:
    """Creates the order in the ERP (`orders.create`); its failures in words."""
    from apps.integrations.registry import connector_for

    own = connector is None
    connector = connector or connector_for(connection)
    try:
        return orders.create(connector, remote_order)
    except Unavailable as exc:
        if exc.ambiguous and getattr(orders, "retries_safely", False):
            raise ApplicationError(
                _(
                    "The ERP did not answer in time; the order may have been created there. "
                    "Send it again: the ERP recognises it and makes no second order. "
                    "(%(error)s)"
                )
                % {"error": exc}
            ) from exc
        if exc.ambiguous:
            raise ApplicationError(
                _(
                    "The ERP did not answer in time; the order may have been created there. "
                    "Check the ERP before trying again. (%(error)s)"
                )
                % {"error": exc}
            ) from exc
        raise ApplicationError(
            _("The ERP could not be reached: %(error)s") % {"error": exc}
        ) from exc
    except ConnectorError as exc:
        raise ApplicationError(_("The ERP refused the order: %(error)s") % {"error": exc}) from exc
    finally:
        if own:
            connector.close()


def order_create(
    *,
    connection: Connection,
    actor: User,
    entries: Iterable[TimeEntry],
    customer: Customer | None = None,
    project: Project | None = None,
    edits: Mapping[int, Mapping[str, Any]] | None = None,
    title: str = "",
    connector: Any = None,
) -> Order:
    """Creates the order in the ERP (the connector's `orders` capability), then records it
    and locks and links its hours. For a system that imports a file of its orders
    (`order_export`, e.g. no API access) nothing is sent: the order is numbered here and
    exported later from the Orders list.

    Nothing is written unless the ERP accepted the order; the hours' transfer is queued when
    the connection transfers hours on order creation.
    """
    if not actor.has_perm("orders.add_order"):
        raise ApplicationError(_("You are not allowed to create orders."))
    if not connection.is_active:
        raise ApplicationError(_("The connection to the ERP is not active."))
    orders = _orders(connection)
    if orders is None and order_export_capability(connection) is None:
        raise ApplicationError(
            _("%(system)s cannot take orders from Tidsbro.") % {"system": connection.system_name}
        )
    if project is not None:
        customer = customer or project.customer
        if project.customer_id != (customer.pk if customer else None):
            raise ApplicationError(_("The project belongs to another customer."))
    if customer is None:
        raise ApplicationError(_("Choose a customer or a project."))
    ids = {e.pk for e in entries}
    if not ids:
        raise ApplicationError(_("Choose the hours to bill."))
    current = list(
        TimeEntry.objects.filter(pk__in=ids)
        .select_related("project", "work_type", "user")
        .order_by("date", "id")
    )
    if len(current) != len(ids):
        raise ApplicationError(_("Some of the hours have been deleted meanwhile."))
    for entry in current:
        if entry.order_id is not None:
            raise ApplicationError(_("%(entry)s is already billed.") % {"entry": entry})
        if entry.status not in BILLABLE_STATES:
            raise ApplicationError(
                _("%(entry)s is not approved, so it cannot be billed.") % {"entry": entry}
            )
        if entry.project.customer_id != customer.pk or (
            project is not None and entry.project_id != project.pk
        ):
            raise ApplicationError(
                _("%(entry)s is not on this customer or project.") % {"entry": entry}
            )
    lines = order_lines_draft(entries=current, edits=edits)
    problems = order_problems(connection=connection, customer=customer, entries=current)
    if problems:
        raise ApplicationError(problems[0].message)
    customer_id = _erp_id_of(connection, "customer", customer)
    # A project not in the ERP (yet) is left off the order rather than named by a number
    # the ERP does not know.
    projects = {e.project_id: _erp_id_of(connection, "project", e.project) for e in current}
    # The hours as the ERP holds them (transferred hours), for systems that bill those records.
    hours = bindings.remote_ids(connection, "hour", ids, which=bindings.PRESENT)
    remote_order = RemoteOrder(
        key=order_key(connection=connection, entry_ids=ids),
        customer_external_id=customer_id,
        project_external_id=_erp_id_of(connection, "project", project),
        title=title[:255],
        lines=tuple(
            RemoteOrderLine(
                product_number=line.product_number.strip(),
                description=line.description,
                quantity=line.hours,
                price=line.rate,
                project_external_id=projects.get(line.entry.project_id),
                hour_external_id=hours.get(line.entry.pk),
                registered_hours=line.entry.hours,
                hour_ref=hour_ref(line.entry.pk),
            )
            for line in lines
        ),
    )

    file_export = order_export_capability(connection)
    if file_export is not None:
        # The system imports a file of its orders (no API): nothing is sent, the order is
        # numbered here, in the write transaction, and exported later.
        order_number = None
    else:
        order_number = _send_order(connection, orders, remote_order, connector)

    with transaction.atomic():
        locked = list(
            TimeEntry.objects.select_for_update()
            .filter(pk__in=ids, order__isnull=True, status__in=BILLABLE_STATES)
            .values_list("pk", flat=True)
        )
        if len(locked) != len(ids) and order_number is None:
            raise ApplicationError(_("The hours changed meanwhile; nothing was saved."))
        if order_number is None:
            order_number = _next_local_number(connection)
        if len(locked) != len(ids):
            logger.error(
                "order %s created in the ERP but its hours changed meanwhile", order_number
            )
            raise ApplicationError(
                _(
                    "The hours changed while the order was sent; ERP order %(number)s has no "
                    "record here and must be deleted in the ERP."
                )
                % {"number": order_number}
            )
        order = Order.objects.create(
            connection=connection,
            external_id=str(order_number),
            customer=customer,
            project=project,
            title=title[:255],
            total=sum((line.amount for line in lines), Decimal("0")),
            created_by=actor,
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                entry=line.entry,
                work_type=line.entry.work_type,
                product_number=line.product_number,
                description=line.description,
                hours=line.hours,
                registered_hours=line.entry.hours,
                rate=line.rate,
            )
            for line in lines
        )
        reason = _("Billed on order %(number)s") % {"number": order.external_id}
        TimeEntryTransition.objects.bulk_create(
            TimeEntryTransition(
                entry=entry,
                action=TimeEntryTransition.Action.LOCK,
                from_status=entry.status,
                to_status=TimeEntry.Status.LOCKED,
                actor=actor,
                reason=reason,
            )
            for entry in current
            if entry.status != TimeEntry.Status.LOCKED
        )
        TimeEntry.objects.filter(pk__in=ids).update(
            order=order, status=TimeEntry.Status.LOCKED, updated_at=timezone.now()
        )
        for entry in current:
            local_change("hour", entry.pk, "ordered")
    return order


# --- export to a file the ERP imports (no API access) ---------------------------------------


def order_export_capability(connection: Connection) -> Any:
    """The connection's file export (`spec.order_export`) when it offers one for this
    connection (e.g. only in a file mode), else None."""
    export = getattr(connection.spec, "order_export", None)
    if export is None or not connection.is_active or not export.available(connection):
        return None
    return export


def order_export_connections() -> list[Connection]:
    """Active connections whose system takes orders as a file (one query)."""
    return [c for c in Connection.objects.filter(is_active=True) if order_export_capability(c)]


@dataclass(frozen=True)
class ExportPlan:
    """What an export of the chosen orders would do: the orders written to the file, those
    exported before (left out unless asked again) and those refused, each with the reason."""

    export: list[Order]
    skipped: list[tuple[Order, str]]
    refused: list[tuple[Order, str]]


@dataclass(frozen=True)
class ExportFile:
    """A built export: the file and what went into it."""

    content: bytes
    file_name: str
    content_type: str
    plan: ExportPlan


def _export_orders(ids: Iterable[int], *, lock: bool = False) -> list[Order]:
    qs = Order.objects.filter(pk__in=list(ids))
    if lock:
        qs = qs.select_for_update(of=("self",))
    return list(
        qs.select_related("connection", "customer", "project", "created_by")
        .prefetch_related("lines__work_type")
        .order_by("created_at", "id")
    )


def order_export_plan(
    *, connection: Connection, orders: Iterable[Order], again: bool = False
) -> ExportPlan:
    """Which of `orders` an export for `connection` writes, skips or refuses (reads only)."""
    export = order_export_capability(connection)
    if export is None:
        raise ApplicationError(
            _("%(system)s takes no order files from this connection.")
            % {"system": connection.system_name}
        )
    chosen = list(orders)
    exported = set(
        ExportedOrder.objects.filter(order__in=[o.pk for o in chosen]).values_list(
            "order_id", flat=True
        )
    )
    plan = ExportPlan(export=[], skipped=[], refused=[])
    for order in chosen:
        if order.connection_id != connection.pk:
            plan.refused.append(
                (
                    order,
                    _("%(order)s belongs to %(system)s, not to this export.")
                    % {"order": order, "system": order.connection.system_name},
                )
            )
            continue
        problems = export.problems(connection, order)
        if problems:
            plan.refused.append((order, f"{order}: {' '.join(problems)}"))
        elif order.pk in exported and not again:
            plan.skipped.append((order, _("%(order)s was exported before.") % {"order": order}))
        else:
            plan.export.append(order)
    return plan


def order_export(
    *,
    connection: Connection,
    actor: User,
    orders: Iterable[Order],
    again: bool = False,
) -> ExportFile:
    """Builds the file the connection's system imports for the orders that can be exported
    and marks them exported (one `ExportedOrder` each) in the same transaction; orders
    exported before are left out unless `again`. Raises ApplicationError when none is left."""
    if not actor.has_perm("orders.add_order"):
        raise ApplicationError(_("You are not allowed to export orders."))
    export = order_export_capability(connection)
    if export is None:
        raise ApplicationError(
            _("%(system)s takes no order files from this connection.")
            % {"system": connection.system_name}
        )
    ids = [o.pk for o in orders]
    with transaction.atomic():
        # Locked, so two administrators exporting at once cannot both write an order.
        plan = order_export_plan(
            connection=connection, orders=_export_orders(ids, lock=True), again=again
        )
        if not plan.export:
            reasons = [reason for _order, reason in plan.refused + plan.skipped]
            raise ApplicationError(
                _("None of the selected orders can be exported: %(reasons)s")
                % {"reasons": " ".join(reasons) or _("no order was chosen.")}
            )
        moment = timezone.now()
        file_name = export.file_name(connection, moment)
        exported = set(
            ExportedOrder.objects.filter(order__in=plan.export).values_list("order_id", flat=True)
        )
        ExportedOrder.objects.bulk_create(
            ExportedOrder(
                order=order,
                connection=connection,
                system=connection.system,
                file_name=file_name,
                again=order.pk in exported,
                exported_by=actor,
                exported_at=moment,
            )
            for order in plan.export
        )
        content = export.build(connection, plan.export)
    logger.info(
        "exported %d orders for connection %s to %s", len(plan.export), connection.pk, file_name
    )
    return ExportFile(
        content=content, file_name=file_name, content_type=export.content_type, plan=plan
    )
