"""Registered hours and the trail of their approval."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from apps.core.formatting import format_hours
from apps.core.models import TimeStampedModel

MAX_HOURS_PER_ENTRY = Decimal("24")


class TimeEntry(TimeStampedModel):
    """Hours one person worked on a project on one of their local days."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        USER_APPROVED = "user_approved", _("Approved (user)")
        PROJECT_APPROVED = "project_approved", _("Approved (project)")
        LOCKED = "locked", _("Locked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="time_entries",
        verbose_name=_("user"),
    )
    date = models.DateField(_("date"), help_text=_("The day in the user's own time zone."))
    started_at = models.DateTimeField(_("start"), null=True, blank=True)
    ended_at = models.DateTimeField(_("stop"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2)
    billable_hours = models.DecimalField(_("billable hours"), max_digits=5, decimal_places=2)
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        related_name="time_entries",
        verbose_name=_("project"),
    )
    task = models.ForeignKey(
        "tasks.Task",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_entries",
        verbose_name=_("task"),
    )
    work_type = models.ForeignKey(
        "worktypes.WorkType",
        on_delete=models.PROTECT,
        related_name="time_entries",
        verbose_name=_("work type"),
    )
    description = models.TextField(_("description"), blank=True)
    internal_note = models.TextField(
        _("internal note"), blank=True, help_text=_("Seen by the office, not by the customer.")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.DRAFT
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="entries",
        verbose_name=_("order"),
        help_text=_("The ERP order these hours were billed on."),
    )

    class Meta:
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["-date", "-id"], name="timesheets_date_id_idx"),
            models.Index(fields=["user", "-date"], name="timesheets_user_date_idx"),
            models.Index(fields=["project", "-date"], name="timesheets_project_date_idx"),
            models.Index(fields=["status", "-date"], name="timesheets_status_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=MAX_HOURS_PER_ENTRY),
                name="timesheets_hours_between_0_and_24",
                violation_error_message=_("An entry must be more than 0 and at most 24 hours."),
            ),
            models.CheckConstraint(
                condition=Q(billable_hours__gte=0) & Q(billable_hours__lte=MAX_HOURS_PER_ENTRY),
                name="timesheets_billable_between_0_and_24",
                violation_error_message=_("Billable hours must be between 0 and 24."),
            ),
            models.CheckConstraint(
                condition=(Q(started_at__isnull=True) & Q(ended_at__isnull=True))
                | (
                    Q(started_at__isnull=False)
                    & Q(ended_at__isnull=False)
                    & Q(ended_at__gt=F("started_at"))
                ),
                name="timesheets_stop_after_start",
                violation_error_message=_("Give both start and stop, with stop after start."),
            ),
        ]
        permissions = [
            ("view_all_timeentry", _("Can see everybody's hours")),
            ("approve_user_timeentry", _("Can approve hours per user")),
            ("approve_project_timeentry", _("Can approve hours on projects they manage")),
            ("lock_timeentry", _("Can lock approved hours")),
            ("reopen_timeentry", _("Can reopen approved or locked hours")),
        ]

    def __str__(self) -> str:
        # Shown in breadcrumbs, history and messages: the reader's date and hour format.
        return f"{self.user} {formats.date_format(self.date, 'SHORT_DATE_FORMAT')} {format_hours(self.hours)}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT


class TimeEntryTransition(models.Model):
    """One step of an entry's approval: who moved it from which state to which, when and why."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("Submitted")
        APPROVE_USER = "approve_user", _("Approved (user)")
        APPROVE_PROJECT = "approve_project", _("Approved (project)")
        LOCK = "lock", _("Locked")
        REJECT = "reject", _("Rejected")
        REOPEN = "reopen", _("Reopened")

    entry = models.ForeignKey(
        TimeEntry,
        on_delete=models.CASCADE,
        related_name="transitions",
        verbose_name=_("time entry"),
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=TimeEntry.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=TimeEntry.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["entry", "-at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class Timer(models.Model):
    """A clock one person has running: stopping it registers the time as a draft entry."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="running_timer",
        verbose_name=_("user"),
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    task = models.ForeignKey(
        "tasks.Task",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("task"),
    )
    work_type = models.ForeignKey(
        "worktypes.WorkType",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("work type"),
    )
    description = models.TextField(_("description"), blank=True)
    started_at = models.DateTimeField(_("start"))

    class Meta:
        verbose_name = _("running timer")
        verbose_name_plural = _("running timers")

    def __str__(self) -> str:
        return f"{self.user} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"
