"""A person's calendar connection, the mirror of its window, and the ties to time entries.

Secrets (tokens, the subscription's client state) live in `CalendarAccount.state`, encrypted.
Nothing here holds another person's data: every row hangs off one person's account.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.fields import EncryptedTextField


class CalendarAccount(models.Model):
    """One person's calendar, connected through the office's calendar connection."""

    class Health(models.TextChoices):
        OK = "ok", _("Working")
        RECONNECT = "reconnect", _("Connect the calendar again")
        FAILING = "failing", _("Failing, retrying")
        DISCONNECTED = "disconnected", _("Disconnected")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_account",
        verbose_name=_("person"),
    )
    connection = models.ForeignKey(
        "integrations.Connection",
        on_delete=models.PROTECT,
        related_name="calendar_accounts",
        verbose_name=_("connection"),
    )
    # Secret: the connector's token document and the subscription's client state.
    state = EncryptedTextField(_("sign-in state"))
    account_email = models.CharField(_("calendar account"), max_length=254, blank=True)
    account_id = models.CharField(_("account id"), max_length=100, blank=True)
    tenant_id = models.CharField(_("tenant id"), max_length=100, blank=True)
    scopes = models.JSONField(_("permissions"), default=list, blank=True)
    write_hours = models.BooleanField(
        _("save my hours in my calendar"),
        default=False,
        help_text=_("Every entry with a start and stop becomes an event in your calendar."),
    )
    health = models.CharField(_("health"), max_length=20, choices=Health.choices, default=Health.OK)
    problem = models.TextField(_("problem"), blank=True)
    problem_since = models.DateTimeField(_("problem since"), null=True, blank=True)
    # The window of the calendar kept in step, and the change cursor of that window.
    window_start = models.DateTimeField(_("window start"), null=True, blank=True)
    window_end = models.DateTimeField(_("window end"), null=True, blank=True)
    delta_link = models.TextField(_("change cursor"), blank=True)
    # A full round running into a staging set (replaces the mirror only when complete).
    resync_link = models.TextField(_("full synchronisation cursor"), blank=True)
    resync_round = models.PositiveIntegerField(_("round"), default=0)
    resync_window_start = models.DateTimeField(null=True, blank=True)
    resync_window_end = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(_("last synchronised"), null=True, blank=True)
    # The person's chosen "last synchronised" date: the next full round reads from there.
    sync_from = models.DateField(_("synchronise from"), null=True, blank=True)
    full_sync_requested_at = models.DateTimeField(null=True, blank=True)
    pull_requested_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    subscription_id = models.CharField(_("subscription"), max_length=200, blank=True)
    subscription_expires_at = models.DateTimeField(_("subscription expires"), null=True, blank=True)
    connected_at = models.DateTimeField(_("connected"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("calendar connection")
        verbose_name_plural = _("calendar connections")
        ordering = ["user__first_name", "user__last_name", "id"]
        indexes = [models.Index(fields=["subscription_id"], name="calendars_subscription_idx")]
        permissions = [
            ("view_calendar_health", _("Can see each person's calendar health")),
        ]

    def __str__(self) -> str:
        return self.account_email or str(self.user)

    @property
    def state_doc(self) -> dict[str, Any]:
        return json.loads(self.state) if self.state else {}

    @state_doc.setter
    def state_doc(self, value: dict[str, Any]) -> None:
        self.state = json.dumps(value, sort_keys=True) if value else ""

    @property
    def can_write(self) -> bool:
        """Whether the granted permissions let Tidsbro write events."""
        return any(str(s).lower().endswith("calendars.readwrite") for s in self.scopes or [])


class CalendarEvent(models.Model):
    """One instance of the person's calendar window, as the last round saw it."""

    account = models.ForeignKey(CalendarAccount, on_delete=models.CASCADE, related_name="events")
    event_id = models.CharField(_("event id"), max_length=512)
    event_type = models.CharField(_("type"), max_length=20, default="singleInstance")
    series_master_id = models.CharField(max_length=512, blank=True)
    ical_uid = models.CharField(max_length=512, blank=True)
    change_key = models.CharField(max_length=200, blank=True)
    subject = models.CharField(_("subject"), max_length=400, blank=True)
    body_text = models.TextField(_("notes"), blank=True)
    starts_at = models.DateTimeField(_("start"))
    ends_at = models.DateTimeField(_("end"))
    is_all_day = models.BooleanField(default=False)
    show_as = models.CharField(max_length=30, blank=True)
    is_cancelled = models.BooleanField(default=False)
    response = models.CharField(max_length=30, blank=True)
    sensitivity = models.CharField(max_length=20, blank=True)
    is_organizer = models.BooleanField(default=True)
    categories = models.JSONField(default=list, blank=True)
    web_link = models.TextField(blank=True)
    last_modified = models.DateTimeField(null=True, blank=True)
    # The full round (account.resync_round) that last saw it; older rows go when one completes.
    seen_round = models.PositiveIntegerField(default=0)
    # The person hid its suggestion.
    dismissed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar event")
        verbose_name_plural = _("calendar events")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "event_id"], name="calendars_one_event_per_id"
            )
        ]
        indexes = [models.Index(fields=["account", "starts_at"], name="calendars_event_start_idx")]

    def __str__(self) -> str:
        return self.subject or self.event_id


class EntryEvent(models.Model):
    """A time entry and the calendar event tied to it, either way round.

    - origin "tidsbro": the entry made the event (the person saves their hours in their
      calendar); Tidsbro writes it (`push_*` is that small outbox) and an edit made in the
      calendar changes the entry while it is editable.
    - origin "calendar": the entry was made from the event (a confirmed suggestion).
    The row outlives the entry (`entry` set null, `entry_ref` kept) until the event is deleted.
    """

    class Origin(models.TextChoices):
        TIDSBRO = "tidsbro", _("From Tidsbro")
        CALENDAR = "calendar", _("From the calendar")

    class Push(models.TextChoices):
        NONE = "", _("Nothing to write")
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Written")
        DEAD = "dead", _("Failed")

    class Operation(models.TextChoices):
        CREATE = "create", _("Create")
        UPDATE = "update", _("Update")
        DELETE = "delete", _("Delete")

    account = models.ForeignKey(
        CalendarAccount, on_delete=models.CASCADE, related_name="entry_events"
    )
    entry = models.ForeignKey(
        "timesheets.TimeEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calendar_links",
        verbose_name=_("time entry"),
    )
    entry_ref = models.PositiveBigIntegerField(_("time entry number"))
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices)
    event_id = models.CharField(_("event id"), max_length=512, blank=True)
    # What Tidsbro last wrote to the event (subject, body, start, end: ISO) and the version
    # the calendar answered: a round that brings this version back is Tidsbro's own echo.
    pushed = models.JSONField(default=dict, blank=True)
    change_key = models.CharField(max_length=200, blank=True)
    push_status = models.CharField(
        max_length=20, choices=Push.choices, default=Push.NONE, blank=True
    )
    push_operation = models.CharField(max_length=20, choices=Operation.choices, blank=True)
    push_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Kept so a lost create's answer can be found again (the event carries it).
    transaction_id = models.CharField(max_length=100, blank=True)
    # The event was deleted in the calendar: the entry is kept and flagged.
    event_deleted_at = models.DateTimeField(_("event deleted"), null=True, blank=True)
    web_link = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("entry in a calendar")
        verbose_name_plural = _("entries in calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "entry_ref"], name="calendars_one_link_per_entry"
            ),
            models.UniqueConstraint(
                fields=["account", "event_id"],
                condition=~Q(event_id=""),
                name="calendars_one_link_per_event",
            ),
        ]
        indexes = [
            models.Index(fields=["push_status", "next_attempt_at"], name="calendars_push_due_idx")
        ]

    def __str__(self) -> str:
        return f"#{self.entry_ref} ↔ {self.event_id or '…'}"


class Refusal(models.Model):
    """A calendar change Tidsbro did not apply to an entry (it was submitted or approved),
    listed for the person until they dismiss it."""

    account = models.ForeignKey(CalendarAccount, on_delete=models.CASCADE, related_name="refusals")
    entry = models.ForeignKey(
        "timesheets.TimeEntry",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="calendar_refusals",
    )
    event_id = models.CharField(max_length=512, blank=True)
    subject = models.CharField(_("subject"), max_length=400, blank=True)
    entry_was = models.CharField(_("the entry"), max_length=200, blank=True)
    calendar_said = models.CharField(_("the calendar"), max_length=200, blank=True)
    reason = models.TextField(_("why"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refused calendar change")
        verbose_name_plural = _("refused calendar changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject}: {self.calendar_said}"


class CategoryRule(models.Model):
    """A person's rule: events with this calendar category suggest this project (task, work type)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_rules"
    )
    category = models.CharField(_("category"), max_length=255)
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", verbose_name=_("project")
    )
    task = models.ForeignKey(
        "tasks.Task",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("task"),
    )
    work_type = models.ForeignKey(
        "worktypes.WorkType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("work type"),
    )

    class Meta:
        verbose_name = _("calendar category rule")
        verbose_name_plural = _("calendar category rules")
        ordering = ["category"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category"], name="calendars_one_rule_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.category} → {self.project}"
