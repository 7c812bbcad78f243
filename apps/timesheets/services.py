"""Registering hours and moving them through approval. Every rule about hours lives here."""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.hooks import local_change
from apps.projects.models import Project
from apps.projects.selectors import user_can_approve_project
from apps.tasks.models import Task
from apps.timesheets.models import MAX_HOURS_PER_ENTRY, TimeEntry, TimeEntryTransition
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


def _validate_rules(entry: TimeEntry, *, work_type_changed: bool) -> None:
    project: Project = entry.project
    if project.is_archived:
        raise ApplicationError(
            _("%(project)s is archived: no hours can be registered on it.") % {"project": project},
            field="project",
        )
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
        _validate_rules(entry, work_type_changed=True)
        entry.save()
        local_change("hour", entry.pk, "created")
    return entry


def time_entry_update(*, actor: User, entry: TimeEntry, data: dict[str, Any]) -> TimeEntry:
    """Changes a draft entry; approved and locked entries are read-only."""
    _check_may_edit_for(actor=actor, owner=entry.user)
    if not entry.is_editable:
        raise ApplicationError(_read_only_message(entry))
    unknown = set(data) - set(ENTRY_FIELDS)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    previous_work_type_id = entry.work_type_id
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
        if current.status != Status.DRAFT:
            raise ApplicationError(_read_only_message(current))
        _validate_rules(entry, work_type_changed=entry.work_type_id != previous_work_type_id)
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
