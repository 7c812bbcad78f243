"""Registering hours and moving them through approval. Every rule about hours lives here."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core import audit
from apps.core.exceptions import ApplicationError, ChangedMeanwhile
from apps.core.hooks import local_change
from apps.projects.models import Project
from apps.projects.selectors import user_can_approve_project
from apps.tasks.models import Task
from apps.timesheets.models import MAX_HOURS_PER_ENTRY, TimeEntry, TimeEntryTransition, Timer
from apps.timesheets.selectors import projects_open_for_time
from apps.worktypes.models import WorkType

logger = logging.getLogger(__name__)

Status = TimeEntry.Status
Action = TimeEntryTransition.Action

ENTRY_FIELDS = [
    "date",
    "started_at",
    "ended_at",
    "hours",
    "billable_hours",
    "project",
    "task",
    "work_type",
    "description",
    "internal_note",
]

# action -> (states it may start from, state it ends in)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    Action.SUBMIT: ((Status.DRAFT,), Status.SUBMITTED),
    Action.APPROVE_USER: ((Status.SUBMITTED,), Status.USER_APPROVED),
    Action.APPROVE_PROJECT: ((Status.USER_APPROVED,), Status.PROJECT_APPROVED),
    Action.LOCK: ((Status.PROJECT_APPROVED,), Status.LOCKED),
    Action.REJECT: (
        (Status.SUBMITTED, Status.USER_APPROVED, Status.PROJECT_APPROVED),
        Status.DRAFT,
    ),
    Action.REOPEN: ((Status.USER_APPROVED, Status.PROJECT_APPROVED, Status.LOCKED), Status.DRAFT),
}

TWO_PLACES = Decimal("0.01")

# The days hours can be registered on: from 2000 (older hours belong in the archive, not in
# a time sheet) to two years ahead (planned absence). Outside it a date is a typo, and one at
# the ends of the calendar (year 1, year 9999) cannot even be moved between time zones.
FIRST_DAY = date(2000, 1, 1)
YEARS_AHEAD = 2
# The longest description or internal note (a few paragraphs), and the longest reason.
TEXT_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 2000


def time_entry_last_day() -> date:
    """The last day hours can be registered on: two years from today."""
    today = timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def time_entry_day_range_message() -> str:
    return _("Hours can be registered from %(first)s to %(last)s.") % {
        "first": FIRST_DAY.isoformat(),
        "last": time_entry_last_day().isoformat(),
    }


def time_entry_check_day(day: date, *, field_name: str = "date", slack: int = 0) -> None:
    """Refuses a day outside the registration range (`slack` days either side for a
    wall-clock time whose zone is not applied yet)."""
    margin = timedelta(days=slack)
    if not (FIRST_DAY - margin <= day <= time_entry_last_day() + margin):
        raise ApplicationError(time_entry_day_range_message(), field=field_name)


def _check_text_lengths(entry: TimeEntry) -> None:
    for name in ("description", "internal_note"):
        if len(getattr(entry, name) or "") > TEXT_MAX_LENGTH:
            raise ApplicationError(
                _("At most %(max)d characters.") % {"max": TEXT_MAX_LENGTH}, field=name
            )


# --- who may do what ------------------------------------------------------------------------


def user_manages_all_hours(user: User) -> bool:
    """Admins register and change hours on anybody's behalf."""
    return user.is_superuser or (
        user.has_perm("timesheets.view_all_timeentry")
        and user.has_perm("timesheets.change_timeentry")
    )


def time_entry_editable_by(*, entry: TimeEntry, user: User) -> bool:
    """Whether `user` may change or delete `entry` now: a draft, theirs or managed by them."""
    return entry.is_editable and (entry.user_id == user.pk or user_manages_all_hours(user))


def _check_may_edit_for(*, actor: User, owner: User) -> None:
    if actor.pk != owner.pk and not user_manages_all_hours(actor):
        raise ApplicationError(_("You can only register and change your own hours."))


def _check_may_transition(*, actor: User, entry: TimeEntry, action: str) -> None:
    own = actor.pk == entry.user_id
    if action == Action.SUBMIT:
        _check_may_edit_for(actor=actor, owner=entry.user)
        return
    if action in (Action.APPROVE_USER, Action.APPROVE_PROJECT) and own and not actor.is_superuser:
        raise ApplicationError(_("You cannot approve your own hours."))
    if action == Action.APPROVE_USER:
        if not actor.has_perm("timesheets.approve_user_timeentry"):
            raise ApplicationError(_("You are not allowed to approve hours per user."))
    elif action == Action.APPROVE_PROJECT:
        if not user_can_approve_project(user=actor, project=entry.project):
            raise ApplicationError(
                _("Only the project's approvers can approve hours on %(project)s.")
                % {"project": entry.project}
            )
    elif action == Action.LOCK:
        if not actor.has_perm("timesheets.lock_timeentry"):
            raise ApplicationError(_("You are not allowed to lock hours."))
    elif action == Action.REJECT:
        may_reject = actor.has_perm(
            "timesheets.approve_user_timeentry"
        ) or user_can_approve_project(user=actor, project=entry.project)
        if not may_reject:
            raise ApplicationError(_("You are not allowed to reject these hours."))
    elif action == Action.REOPEN:
        if not actor.has_perm("timesheets.reopen_timeentry"):
            raise ApplicationError(_("Only an administrator can reopen approved or locked hours."))


# --- the values of an entry ---------------------------------------------------------------


def _as_hours(value: Any, *, field_name: str) -> Decimal:
    try:
        hours = Decimal(str(value)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ApplicationError(_("Enter a number of hours."), field=field_name) from exc
    return hours


def _normalise(entry: TimeEntry, *, billable_given: bool) -> None:
    """Derives hours and the local day from start/stop, and billable hours from the work type."""
    if (entry.started_at is None) != (entry.ended_at is None):
        raise ApplicationError(_("Give both start and stop, or neither."), field="ended_at")
    _check_text_lengths(entry)
    for name in ("started_at", "ended_at"):
        moment = getattr(entry, name)
        if moment is not None:
            # Before any zone is applied: year 1 or 9999 cannot be moved between zones.
            time_entry_check_day(moment.date(), field_name=name, slack=1)
    if entry.date:
        time_entry_check_day(entry.date)
    if entry.started_at is not None:
        # A start/stop without a zone is the user's own wall-clock time.
        entry.started_at = _aware(entry.started_at, entry.user)
        entry.ended_at = _aware(entry.ended_at, entry.user)
        if entry.ended_at <= entry.started_at:
            raise ApplicationError(_("Stop must be after start."), field="ended_at")
        seconds = (entry.ended_at - entry.started_at).total_seconds()
        entry.hours = (Decimal(seconds) / Decimal(3600)).quantize(TWO_PLACES, ROUND_HALF_UP)
        local_day = timezone.localtime(entry.started_at, entry.user.tzinfo).date()
        if entry.date and entry.date != local_day:
            raise ApplicationError(
                _("The date must be the day the work started (%(day)s).") % {"day": local_day},
                field="date",
            )
        entry.date = local_day
        time_entry_check_day(entry.date, field_name="started_at")
    else:
        if entry.hours is None:
            raise ApplicationError(_("Give the hours, or a start and stop time."), field="hours")
        entry.hours = _as_hours(entry.hours, field_name="hours")
        if not entry.date:
            entry.date = timezone.localtime(timezone.now(), entry.user.tzinfo).date()
    if entry.hours <= 0 or entry.hours > MAX_HOURS_PER_ENTRY:
        raise ApplicationError(
            _("An entry must be more than 0 and at most 24 hours."), field="hours"
        )
    if entry.work_type_id is None and entry.project_id and entry.project.default_work_type_id:
        entry.work_type = entry.project.default_work_type
    if entry.work_type_id is None:
        raise ApplicationError(_("Choose a work type."), field="work_type")
    if not billable_given or entry.billable_hours is None:
        entry.billable_hours = entry.hours if entry.work_type.invoiceable else Decimal("0")
    entry.billable_hours = _as_hours(entry.billable_hours, field_name="billable_hours")


def _aware(moment: datetime, user: User) -> datetime:
    return timezone.make_aware(moment, user.tzinfo) if timezone.is_naive(moment) else moment


def time_entry_check_member(*, owner: User, project: Project) -> None:
    """Refuses `project` unless `owner` is a member of it (reads only).

    The rule: an hour's owner must be a member of its project when the hour is registered or
    moved to another project — also when an administrator registers it for a colleague (the
    colleague is made a member first). An hour already on a project its owner has since left
    stays there and its other fields can still be changed. The ERP sync never writes hours
    (they only go out), so it is not affected.
    """
    if not projects_open_for_time(user=owner).filter(pk=project.pk).exists():
        raise ApplicationError(
            _(
                "%(user)s is not a member of %(project)s: only the project's members can "
                "register hours on it. Add them to the project first."
            )
            % {"user": owner, "project": project},
            field="project",
        )


def _validate_rules(entry: TimeEntry, *, work_type_changed: bool, project_changed: bool) -> None:
    project: Project = entry.project
    if project.is_archived:
        raise ApplicationError(
            _("%(project)s is archived: no hours can be registered on it.") % {"project": project},
            field="project",
        )
    if project_changed:
        time_entry_check_member(owner=entry.user, project=project)
    task: Task | None = entry.task
    if task is not None:
        if task.project_id != project.pk:
            raise ApplicationError(
                _("The task %(task)s belongs to another project.") % {"task": task}, field="task"
            )
        if not task.assignees.filter(pk=entry.user_id).exists():
            raise ApplicationError(
                _(
                    "Only the task's assignees can register time on it; %(user)s is not assigned to %(task)s."
                )
                % {"user": entry.user, "task": task},
                field="task",
            )
    work_type: WorkType = entry.work_type
    if not work_type.is_active and work_type_changed:
        raise ApplicationError(
            _("The work type %(work_type)s is no longer in use.") % {"work_type": work_type},
            field="work_type",
        )
    day_total = TimeEntry.objects.filter(user_id=entry.user_id, date=entry.date).exclude(
        pk=entry.pk
    ).aggregate(total=Sum("hours"))["total"] or Decimal("0")
    if day_total + entry.hours > MAX_HOURS_PER_ENTRY:
        raise ApplicationError(
            _("%(user)s already has %(total)s hours on %(day)s; a day has at most 24.")
            % {"user": entry.user, "total": day_total, "day": entry.date},
            field="hours",
        )
    entry.full_clean(exclude=["user", "project", "task", "work_type"])


# --- registering ---------------------------------------------------------------------------


def time_entry_create(*, actor: User, user: User | None = None, **data: Any) -> TimeEntry:
    """Registers hours for `user` (default: the actor) as a draft."""
    owner = user or actor
    _check_may_edit_for(actor=actor, owner=owner)
    unknown = set(data) - set(ENTRY_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be set: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if data.get("project") is None:
        raise ApplicationError(_("Choose a project."), field="project")
    entry = TimeEntry(user=owner, status=Status.DRAFT, **data)
    _normalise(entry, billable_given=data.get("billable_hours") is not None)
    with transaction.atomic():
        _lock_user_day(owner)
        _validate_rules(entry, work_type_changed=True, project_changed=True)
        entry.save()
        local_change("hour", entry.pk, "created")
    return entry


def time_entry_update(
    *,
    actor: User,
    entry: TimeEntry,
    data: dict[str, Any],
    unchanged_since: datetime | None = None,
) -> TimeEntry:
    """Changes a draft entry; approved and locked entries are read-only. With
    `unchanged_since` (the `updated_at` the caller read), an entry saved by someone else since
    raises ChangedMeanwhile and nothing is saved: a caller that read it earlier (a calendar
    round) never writes back the other fields as they were."""
    _check_may_edit_for(actor=actor, owner=entry.user)
    if not entry.is_editable:
        raise ApplicationError(_read_only_message(entry))
    unknown = set(data) - set(ENTRY_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    previous_work_type_id = entry.work_type_id
    previous_project_id = entry.project_id
    timing_given = {"started_at", "ended_at", "hours"} & set(data)
    for name, value in data.items():
        setattr(entry, name, value)
    if "hours" in data and "started_at" not in data and "ended_at" not in data:
        entry.started_at = entry.ended_at = None
    if timing_given and "date" not in data and entry.started_at is not None:
        entry.date = None
    billable_given = "billable_hours" in data and data["billable_hours"] is not None
    if not billable_given and not ({"hours", "started_at", "ended_at", "work_type"} & set(data)):
        billable_given = True  # keep the billable hours someone set before
    _normalise(entry, billable_given=billable_given)
    with transaction.atomic():
        _lock_user_day(entry.user)
        current = TimeEntry.objects.select_for_update().get(pk=entry.pk)
        if unchanged_since is not None and current.updated_at != unchanged_since:
            raise ChangedMeanwhile(_("This entry has changed meanwhile; reload and try again."))
        if current.status != Status.DRAFT:
            raise ApplicationError(_read_only_message(current))
        _validate_rules(
            entry,
            work_type_changed=entry.work_type_id != previous_work_type_id,
            project_changed=entry.project_id != previous_project_id,
        )
        entry.save()
        local_change("hour", entry.pk, "changed")
    return entry


def time_entry_delete(*, actor: User, entry: TimeEntry) -> None:
    """Deletes a draft entry."""
    _check_may_edit_for(actor=actor, owner=entry.user)
    if not entry.is_editable:
        raise ApplicationError(_read_only_message(entry))
    with transaction.atomic():
        deleted, _rows = TimeEntry.objects.filter(pk=entry.pk, status=Status.DRAFT).delete()
        if not deleted:
            raise ApplicationError(_("This entry has changed meanwhile; reload and try again."))
        local_change("hour", entry.pk, "deleted")


def time_entry_read_only_reason(*, entry: TimeEntry) -> str | None:
    """Why an entry cannot be changed any more (None while it is an editable draft)."""
    return None if entry.is_editable else _read_only_message(entry)


def _read_only_message(entry: TimeEntry) -> str:
    if entry.status == Status.SUBMITTED:
        return _("Submitted hours cannot be changed until they are approved or sent back.")
    return _("These hours are %(status)s and read-only. An administrator can reopen them.") % {
        "status": entry.get_status_display().lower()
    }


def _lock_user_day(user: User) -> None:
    # Serialises a person's concurrent registrations so the 24-hour day check holds.
    User.objects.select_for_update().filter(pk=user.pk).first()


# --- approval ------------------------------------------------------------------------------


def time_entry_transition(
    *, actor: User, entry: TimeEntry, action: str, reason: str = ""
) -> TimeEntry:
    """Moves one entry to its next approval state and records who did it, when and why."""
    if action not in TRANSITIONS:
        raise ApplicationError(_("Unknown approval step."))
    sources, target = TRANSITIONS[action]
    reason = (reason or "").strip()
    if action in (Action.REJECT, Action.REOPEN) and not reason:
        raise ApplicationError(_("Give a reason."), field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(
            _("At most %(max)d characters.") % {"max": REASON_MAX_LENGTH}, field="reason"
        )
    with transaction.atomic():
        current = (
            TimeEntry.objects.select_for_update(of=("self",))
            .select_related("project", "user")
            .filter(pk=entry.pk)
            .first()
        )
        if current is None:  # deleted meanwhile: a bulk approval reports it instead of failing
            raise ApplicationError(_("This entry has been deleted meanwhile."))
        entry = current
        if entry.status not in sources:
            raise ApplicationError(
                _("%(entry)s is %(status)s, so it cannot be %(action)s.")
                % {
                    "entry": entry,
                    "status": entry.get_status_display().lower(),
                    "action": Action(action).label.lower(),
                }
            )
        _check_may_transition(actor=actor, entry=entry, action=action)
        _record(entry, actor=actor, action=action, target=target, reason=reason)
        if action == Action.APPROVE_USER and not entry.project.needs_approval:
            _record(
                entry,
                actor=actor,
                action=Action.APPROVE_PROJECT,
                target=Status.PROJECT_APPROVED,
                reason=_("The project does not need project approval."),
            )
        entry.rejection_reason = reason if action == Action.REJECT else ""
        entry.save(update_fields=["status", "rejection_reason", "updated_at"])
        # The audit trail (the entry's History in the admin), whichever path moved it.
        audit.record(actor, entry, f"{Action(action).label} {reason}".strip())
        # The event is the entry's new state, so a listener sees "project_approved" even when
        # a user approval moved it there in one go.
        local_change("hour", entry.pk, entry.status)
    if action == Action.REOPEN:
        logger.info("time entry %s reopened by user %s", entry.pk, actor.pk)
    return entry


def _record(entry: TimeEntry, *, actor: User, action: str, target: str, reason: str) -> None:
    TimeEntryTransition.objects.create(
        entry=entry,
        action=action,
        from_status=entry.status,
        to_status=target,
        actor=actor,
        reason=reason,
    )
    entry.status = target


@dataclass
class BulkResult:
    """What a bulk approval did: the entries moved, and why the others were left alone."""

    done: list[TimeEntry] = field(default_factory=list)
    refused: list[tuple[TimeEntry, str]] = field(default_factory=list)


def time_entries_transition(
    *, actor: User, entries: Iterable[TimeEntry], action: str, reason: str = ""
) -> BulkResult:
    """Applies one approval step to many entries; each moves or is refused on its own."""
    result = BulkResult()
    for entry in entries:
        try:
            result.done.append(
                time_entry_transition(actor=actor, entry=entry, action=action, reason=reason)
            )
        except ApplicationError as exc:
            result.refused.append((entry, exc.message))
    return result


# --- the week timesheet --------------------------------------------------------------------


@dataclass(frozen=True)
class CellValue:
    """What one day of a week row should hold: hours, or a start and stop on that day."""

    hours: Decimal | None = None
    start: time | None = None
    stop: time | None = None


@dataclass
class WeekRowInput:
    """A row of the week as typed: its project/task/work type and the days that were sent.

    `cells` maps a day (0 = Monday) to its value; None empties the day. Days left out are
    not touched (e.g. read-only cells).
    """

    project: Project
    task: Task | None
    work_type: WorkType | None
    cells: dict[int, CellValue | None]


class WeekErrors(ApplicationError):
    """Some cells of a week were refused; nothing of the week was saved."""

    def __init__(self, cells: dict[tuple[int, int | None], str]):
        super().__init__(_("Nothing was saved: correct the marked cells."))
        self.cells = cells


@dataclass
class WeekSaveResult:
    created: int = 0
    changed: int = 0
    deleted: int = 0


def _same_value(entry: TimeEntry, value: CellValue) -> bool:
    if value.start is not None:
        if entry.started_at is None:
            return False
        tz = entry.user.tzinfo
        return (
            timezone.localtime(entry.started_at, tz).time().replace(second=0, microsecond=0)
            == value.start
            and timezone.localtime(entry.ended_at, tz).time().replace(second=0, microsecond=0)
            == value.stop
        )
    return value.hours is not None and entry.hours == value.hours


def _cell_data(day: date, value: CellValue) -> dict[str, Any]:
    if value.start is not None:
        return {
            "started_at": datetime.combine(day, value.start),
            "ended_at": datetime.combine(day, value.stop),
        }
    return {"hours": value.hours}


def timesheet_week_save(
    *, actor: User, user: User, week_start: date, rows: list[WeekRowInput]
) -> WeekSaveResult:
    """Writes a person's week cell by cell through the entry services, all or nothing.

    Every refused cell is reported (WeekErrors, keyed by row and day) and none is saved.
    A cell holding several entries, or one that is no longer a draft, is left alone unless
    its value changed (then it is refused with the reason).
    """
    from apps.timesheets.selectors import DAYS_IN_WEEK, timesheet_week

    _check_may_edit_for(actor=actor, owner=user)
    result = WeekSaveResult()
    errors: dict[tuple[int, int | None], str] = {}
    with transaction.atomic():
        _lock_user_day(user)
        sheet = timesheet_week(user=user, week_start=week_start)
        existing = {row.key: row for row in sheet.rows}
        seen: dict[tuple, int] = {}
        changes: list[tuple[Decimal, int, int, Any]] = []
        for index, row in enumerate(rows):
            work_type = row.work_type or row.project.default_work_type
            key = (
                row.project.pk,
                row.task.pk if row.task else None,
                getattr(work_type, "pk", None),
            )
            if key in seen:
                errors[(index, None)] = _("This row is already in the week.")
                continue
            seen[key] = index
            current = existing.get(key)
            for day, value in row.cells.items():
                if not 0 <= day < DAYS_IN_WEEK:
                    continue
                entries = current.cells[day] if current else []
                if len(entries) > 1:
                    total = sum((e.hours for e in entries), Decimal("0"))
                    if value is not None and value.start is None and value.hours == total:
                        continue
                    errors[(index, day)] = _(
                        "This day has several entries; change them under My hours."
                    )
                    continue
                entry = entries[0] if entries else None
                if entry is None and value is None:
                    continue
                if entry is not None and value is not None and _same_value(entry, value):
                    continue
                if entry is not None and not entry.is_editable:
                    errors[(index, day)] = _read_only_message(entry)
                    continue
                old = entry.hours if entry else Decimal("0")
                new = value.hours if value and value.hours is not None else Decimal("24")
                # Decreases first, so moving hours between rows of a day stays within 24.
                changes.append(
                    (new - old if value else -old, index, day, (row, work_type, entry, value))
                )
        for _delta, index, day, (row, work_type, entry, value) in sorted(
            changes, key=lambda c: c[:3]
        ):
            try:
                with transaction.atomic():
                    if value is None:
                        time_entry_delete(actor=actor, entry=entry)
                        result.deleted += 1
                    elif entry is None:
                        time_entry_create(
                            actor=actor,
                            user=user,
                            date=week_start + timedelta(days=day),
                            project=row.project,
                            task=row.task,
                            work_type=work_type,
                            **_cell_data(week_start + timedelta(days=day), value),
                        )
                        result.created += 1
                    else:
                        time_entry_update(
                            actor=actor,
                            entry=entry,
                            data=_cell_data(week_start + timedelta(days=day), value),
                        )
                        result.changed += 1
            except ApplicationError as exc:
                errors[(index, day)] = exc.message
        if errors:
            raise WeekErrors(errors)
    return result


def timesheet_week_submit(*, actor: User, user: User, week_start: date) -> int:
    """Submits every draft of the person's week for approval (all or none); returns how many."""
    _check_may_edit_for(actor=actor, owner=user)
    with transaction.atomic():
        drafts = list(
            TimeEntry.objects.filter(
                user=user,
                status=Status.DRAFT,
                date__gte=week_start,
                date__lt=week_start + timedelta(days=7),
            ).order_by("date", "id")
        )
        if not drafts:
            raise ApplicationError(_("There are no draft hours in this week to submit."))
        for entry in drafts:
            time_entry_transition(actor=actor, entry=entry, action=Action.SUBMIT)
    return len(drafts)


def _week_waiting_for(*, actor: User, owner_id: int, week_start: date) -> list[TimeEntry]:
    """The hours of one person's week waiting for `actor`; none left is an error."""
    from apps.timesheets.selectors import entries_waiting_in_week

    entries = list(
        entries_waiting_in_week(approver=actor, owner_id=owner_id, week_start=week_start)
        .select_related("project", "user")
        .order_by("date", "id")
    )
    if not entries:
        raise ApplicationError(_("Nothing in this week waits for your approval any more."))
    return entries


def timesheet_week_approve(*, actor: User, owner_id: int, week_start: date) -> BulkResult:
    """Approves what waits for `actor` in one person's week: each entry as far as the actor
    may take it (an administrator approves per user and for the project in one go)."""
    result = BulkResult()
    with transaction.atomic():
        for entry in _week_waiting_for(actor=actor, owner_id=owner_id, week_start=week_start):
            try:
                if entry.status == Status.SUBMITTED:
                    entry = time_entry_transition(
                        actor=actor, entry=entry, action=Action.APPROVE_USER
                    )
                if entry.status == Status.USER_APPROVED and user_can_approve_project(
                    user=actor, project=entry.project
                ):
                    entry = time_entry_transition(
                        actor=actor, entry=entry, action=Action.APPROVE_PROJECT
                    )
                result.done.append(entry)
            except ApplicationError as exc:
                result.refused.append((entry, exc.message))
    return result


def timesheet_week_reject(
    *, actor: User, owner_id: int, week_start: date, reason: str
) -> BulkResult:
    """Sends what waits for `actor` in one person's week back to draft, with the reason."""
    if not (reason or "").strip():
        raise ApplicationError(_("Give a reason."), field="reason")
    with transaction.atomic():
        entries = _week_waiting_for(actor=actor, owner_id=owner_id, week_start=week_start)
        return time_entries_transition(
            actor=actor, entries=entries, action=Action.REJECT, reason=reason
        )


# --- the running timer ---------------------------------------------------------------------

MIN_TIMER_SECONDS = 60


def timer_start(
    *,
    actor: User,
    project: Project,
    task: Task | None = None,
    work_type: WorkType | None = None,
    description: str = "",
) -> Timer:
    """Starts the person's clock on a project (one at a time); nothing is registered yet."""
    if project.is_archived:
        raise ApplicationError(
            _("%(project)s is archived: no hours can be registered on it.") % {"project": project},
            field="project",
        )
    time_entry_check_member(owner=actor, project=project)
    if task is not None:
        if task.project_id != project.pk:
            raise ApplicationError(
                _("The task %(task)s belongs to another project.") % {"task": task}, field="task"
            )
        if not task.assignees.filter(pk=actor.pk).exists():
            raise ApplicationError(
                _("Only the task's assignees can register time on it."), field="task"
            )
    with transaction.atomic():
        _lock_user_day(actor)
        if Timer.objects.filter(user=actor).exists():
            raise ApplicationError(_("A timer is already running; stop it first."))
        return Timer.objects.create(
            user=actor,
            project=project,
            task=task,
            work_type=work_type,
            description=description.strip(),
            started_at=timezone.now(),
        )


def timer_stop(*, actor: User) -> TimeEntry | None:
    """Stops the person's clock and registers the time as a draft from start to now.

    Less than a minute registers nothing. If the entry is refused (e.g. the day would pass
    24 hours) the timer keeps running and the reason is raised.
    """
    with transaction.atomic():
        timer = Timer.objects.select_for_update().filter(user=actor).first()
        if timer is None:
            raise ApplicationError(_("No timer is running."))
        now = timezone.now().replace(microsecond=0)
        entry = None
        if (now - timer.started_at).total_seconds() >= MIN_TIMER_SECONDS:
            entry = time_entry_create(
                actor=actor,
                project=timer.project,
                task=timer.task,
                work_type=timer.work_type,
                started_at=timer.started_at.replace(microsecond=0),
                ended_at=now,
                description=timer.description,
            )
        timer.delete()
    return entry


def timer_discard(*, actor: User) -> None:
    """Throws the person's running clock away without registering anything."""
    Timer.objects.filter(user=actor).delete()
