"""The local side of hours (`hour`): time entries as the ERP should get them.

Hours are owned by Tidsbro: they are pushed as they are (no merge with the ERP's copy) and
never created locally from the ERP. References to other records are the ERP's ids as strings,
like every canonical dict (see `apps.integrations.entities`), read from their bindings in one
query per object type for a whole batch:

- `project`: the project's ERP id (its binding; when projects are not kept in step, its
  number — the office keeps the ERP's numbers by hand). A kept project not in the ERP yet: the
  hour waits;
- `task`, `work_type`: their ERP ids (None when not bound);
- `user`: the person's ERP id (user binding); None when unmapped — the hour then goes on the
  connection's integration user and `flagged` says so;
- `ref`: the token written into the ERP description ("TB-<id>") to recognise the hour after an
  ambiguous create; `start`: UTC start (the entry's own, else 08:00 UTC of its day).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_noop

from apps.integrations import bindings, entities
from apps.integrations.models import Binding, Connection, HourTransfer, OutboxItem
from apps.integrations.sync import waiting
from apps.timesheets.models import TimeEntry

# Stored untranslated (it is data); screens show it through gettext.
UNMAPPED_FLAG = gettext_noop("Unmapped user: transferred on the integration user")
APPROVED_STATES = (
    TimeEntry.Status.USER_APPROVED,
    TimeEntry.Status.PROJECT_APPROVED,
    TimeEntry.Status.LOCKED,
)


def hour_ref(pk: int) -> str:
    return f"TB-{pk}"


def _hours(value: Decimal | None) -> str:
    return f"{(value or Decimal('0')):.2f}"


def _external_ids(connection: Connection, entity: str, local_ids: Iterable[int]) -> dict[int, str]:
    """Local id → ERP id of the synced records among `local_ids` (one query)."""
    return bindings.remote_ids(connection, entity, local_ids, which=bindings.SYNCED)


class HourAdapter:
    entity = "hour"
    fields = entities.fields("hour")
    merge_on_push = False

    def load(self, connection: Connection, ids: Iterable[int]) -> dict[int, TimeEntry]:
        return {
            e.pk: e
            for e in TimeEntry.objects.filter(pk__in=list(ids)).select_related("project", "user")
        }

    def lookup_values_of_deleted(self, local_id: int) -> dict[str, Any]:
        """What `Connector.find` needs to find the record an unsure create of a since deleted
        hour may have made: its reference (the token the hour carries in the ERP)."""
        return {"ref": hour_ref(local_id)}

    def hold_back(self, connection: Connection, obj: TimeEntry) -> bool:
        """Only approved hours reach the ERP: one reopened after its push was queued waits
        for its next approval, which queues it again."""
        return obj.status not in APPROVED_STATES

    def values(
        self, connection: Connection, objs: Sequence[TimeEntry]
    ) -> dict[int, dict[str, Any]]:
        projects = _external_ids(connection, "project", (e.project_id for e in objs))
        tasks = _external_ids(connection, "task", (e.task_id for e in objs))
        work_types = _external_ids(connection, "work_type", (e.work_type_id for e in objs))
        users = _external_ids(connection, "user", (e.user_id for e in objs))
        result: dict[int, dict[str, Any]] = {}
        # Projects kept in step are referred to by their binding only: a project only in
        # Tidsbro has a local number the ERP does not know (the hour waits, see waiting_for).
        by_number = not connection.is_connected("project")
        for entry in objs:
            project = projects.get(entry.project_id) or (
                str(entry.project.number) if by_number and entry.project.number else None
            )
            user = users.get(entry.user_id)
            result[entry.pk] = {
                "date": entry.date.isoformat(),
                "start": entry.started_at.astimezone(UTC).isoformat() if entry.started_at else None,
                "hours": _hours(entry.hours),
                "billable_hours": _hours(entry.billable_hours),
                "project": project,
                "task": tasks.get(entry.task_id) if entry.task_id else None,
                "work_type": work_types.get(entry.work_type_id),
                "user": user,
                "description": entry.description,
                "internal_note": entry.internal_note,
                "ref": hour_ref(entry.pk),
                "flagged": "" if user is not None else UNMAPPED_FLAG,
            }
        return result

    def waiting_for(self, connection: Connection, obj: TimeEntry) -> tuple[str, int] | None:
        """The project the hour waits for: kept in step but not in the ERP yet."""
        if not connection.is_connected("project"):
            return None
        if bindings.is_paired(connection, "project", obj.project_id):
            return None
        return ("project", obj.project_id)

    def create_many(self, connection: Connection, rows: Sequence[dict[str, Any]]) -> list[Any]:
        # Hours are registered in Tidsbro; the ERP's own hours are not imported.
        return []

    def update_many(
        self, connection: Connection, changes: Sequence[tuple[Any, dict[str, Any]]]
    ) -> None:
        return None  # the ERP never changes Tidsbro's hours

    def mark_deleted(self, connection: Connection, objs: Sequence[Any]) -> None:
        return None  # the binding says "missing remotely"; the entry stays

    def after_push(self, connection: Connection, obj: TimeEntry, assigned: dict[str, Any]) -> None:
        """Keeps the binding's flag in step with whom the hour went on."""
        if "flagged" in assigned:
            Binding.objects.filter(
                connection=connection, entity=self.entity, local_id=obj.pk
            ).update(flagged=str(assigned["flagged"] or "")[:255])

    def unbound_ids(self, connection: Connection) -> Iterable[int]:
        """Approved hours that should be in the ERP (transfer on approval) but are not yet."""
        if connection.hour_transfer != HourTransfer.ON_APPROVAL:
            return []
        bound = Binding.objects.filter(connection=connection, entity=self.entity).values("local_id")
        return (
            TimeEntry.objects.filter(status__in=APPROVED_STATES)
            .exclude(pk__in=bound)
            .values_list("pk", flat=True)
        )


ADAPTER = HourAdapter()


# --- what the screens show -------------------------------------------------------------------


def hour_transfer_progress(*, connection: Connection) -> dict[str, int]:
    """How many hours wait, failed, are unsure or are done (the transfer's progress)."""
    counts = dict(
        OutboxItem.objects.filter(connection=connection, entity="hour")
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in OutboxItem.Status.values}


def hour_transfer_flags(*, connection: Connection, entry_ids: Iterable[int]) -> dict[int, str]:
    """Entry id → flag text for transferred hours that need a look (e.g. unmapped user)."""
    return dict(
        Binding.objects.filter(
            Q(local_id__in=list(entry_ids)), connection=connection, entity="hour"
        )
        .exclude(flagged="")
        .values_list("local_id", "flagged")
    )


def hour_transfer_state(*, connection: Connection, entry_ids: Iterable[int]) -> dict[int, str]:
    """Entry id → ERP hour id for the entries already transferred."""
    grouped: dict[int, str] = defaultdict(str)
    for local_id, external_id in Binding.objects.filter(
        connection=connection, entity="hour", local_id__in=list(entry_ids)
    ).values_list("local_id", "external_id"):
        grouped[local_id] = external_id
    return dict(grouped)


def hour_transfer_cell(entry: Any) -> str:
    """The ERP cell of an hour in the time-entry list, from the list's annotations
    (`erp_hour_id`, `erp_flag`, `erp_outbox_status`, `erp_outbox_error`; no query): failed
    (red, the reason in plain words, the ERP's text behind "details"), waiting for its
    project, retried, queued, transferred (flagged when on the integration user), or ""."""
    from django.urls import reverse
    from django.utils.html import format_html
    from django.utils.translation import gettext as _

    from apps.integrations.explain import explain, waiting_text

    status = getattr(entry, "erp_outbox_status", None)
    error = getattr(entry, "erp_outbox_error", "") or ""
    history = reverse("admin:integrations_sync_history")
    if status == OutboxItem.Status.DEAD:
        explanation = explain(error)
        return format_html(
            '<details class="erp-state erp-error" style="max-width:24em">'
            '<summary style="color:#ba2121;font-weight:bold;cursor:pointer">✖ {}</summary>'
            '<p style="margin:4px 0">{}</p><details><summary style="cursor:pointer">{}</summary>'
            '<pre style="white-space:pre-wrap;font-size:.85em">{}</pre></details>'
            '<a href="{}#sc-dead-title" style="text-decoration:underline">{}</a></details>',
            _("transfer failed"),
            explanation.plain,
            _("Details"),
            explanation.raw,
            history,
            _("Retry in the sync history"),
        )
    live = status in (OutboxItem.Status.PENDING, OutboxItem.Status.AMBIGUOUS)
    if live and waiting.parse(error):
        project = getattr(entry, "project", None)
        name = str(project.number) if project and project.number else str(project)
        return format_html(
            '<span class="erp-state erp-waiting" style="color:#8a5300;font-weight:bold">{}</span>',
            waiting_text("project", name),
        )
    flag = getattr(entry, "erp_flag", "")
    if getattr(entry, "erp_hour_id", None) and not live:
        if flag:  # e.g. transferred on the integration user: never silently
            text = _(flag)
            return format_html(
                '<span class="erp-state erp-flag" title="{}">⚠ {}</span>', text, text
            )
        return _("transferred")
    if live and error:
        explanation = explain(error)
        return format_html(
            '<details class="erp-state erp-retrying" style="max-width:24em">'
            '<summary style="color:#8a5300;font-weight:bold;cursor:pointer">{}</summary>'
            '<p style="margin:4px 0">{}</p><details><summary style="cursor:pointer">{}</summary>'
            '<pre style="white-space:pre-wrap;font-size:.85em">{}</pre></details></details>',
            _("failing, retried by itself"),
            explanation.plain,
            _("Details"),
            explanation.raw,
        )
    if live:
        return format_html('<span class="erp-state erp-queued">{}</span>', _("queued for transfer"))
    if getattr(entry, "erp_hour_id", None):
        return _("transferred")
    return ""
