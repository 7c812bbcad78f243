"""The connection to an ERP and the sync engine's bookkeeping: bindings, runs, conflicts, outbox."""

import json
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.fields import EncryptedTextField
from apps.integrations.connectors.base import Entity
from apps.integrations.labels import entity_label


def system_choices() -> list[tuple[str, str]]:
    """The systems the registered connector packages serve (settings.TIDSBRO_CONNECTORS)."""
    from apps.integrations.registry import system_choices as registered

    return registered()


class Master(models.TextChoices):
    ERP = "erp", _("The ERP")
    TIDSBRO = "tidsbro", _("Tidsbro")
    BOTH = "both", _("Both (two-way)")


class HourTransfer(models.TextChoices):
    ON_APPROVAL = "on_approval", _("When hours are approved")
    ON_ORDER = "on_order", _("When an order is created")
    NEVER = "never", _("Never")


ENTITY_CHOICES = [(e.value, e.value.replace("_", " ")) for e in Entity]


class Connection(models.Model):
    """The office's account in an ERP: its login, its settings and what is kept in step.

    The connector package of `system` declares the shape of the two documents it keeps here
    (`ConnectorSpec.credentials_schema` / `settings_schema`; services validate against them):

    - `credentials`: ONE JSON document, encrypted (logins, passwords, tokens) — read it with
      `credentials_doc`; written only by the services (`connection_create`,
      `connection_replace_credentials`), which check it live and validate it first.
    - `state`: the connector's secret runtime state (a login session id, later OAuth access
      tokens), a second encrypted JSON document. Kept apart from `credentials` so that the
      connector can renew a session without rewriting (or racing with) the login the office
      typed, and so a credentials change shows in the audit trail and a session renewal not.
    - `settings`: the connector's own non-secret settings (client, company, defaults), plain
      JSON (`setting(name)` reads one).

    Everything else is generic: what is connected, who is master, how hours go, SSO.
    """

    system = models.CharField(_("system"), max_length=20, choices=system_choices)
    display_name = models.CharField(
        _("name"),
        max_length=100,
        blank=True,
        help_text=_("Empty: the system's own name."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    credentials = EncryptedTextField(_("credentials"))
    state = EncryptedTextField(_("session state"))
    settings = models.JSONField(_("settings"), default=dict, blank=True)
    connected = models.JSONField(
        _("connected object types"),
        default=list,
        blank=True,
        help_text=_("Object types kept in step, e.g. customers, projects, work types, tasks."),
    )
    masters = models.JSONField(_("master per object type"), default=dict, blank=True)
    hour_transfer = models.CharField(
        _("hour transfer"),
        max_length=20,
        choices=HourTransfer.choices,
        default=HourTransfer.ON_APPROVAL,
    )
    sso_allowed = models.BooleanField(_("allow log in with the ERP"), default=False)
    created_at = models.DateTimeField(_("connected"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("connection")
        verbose_name_plural = _("connections")
        ordering = ["system", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["system"],
                condition=Q(is_active=True),
                name="integrations_one_active_connection_per_system",
                violation_error_message=_("This system is already connected."),
            )
        ]
        permissions = [
            ("run_sync", _("Can run a sync now")),
            ("resolve_conflict", _("Can resolve sync conflicts")),
            ("match_binding", _("Can link, create partners and exclude records")),
            ("retry_outbox", _("Can retry failed transfers")),
        ]

    def __str__(self) -> str:
        return self.spec.describe(self)

    @property
    def spec(self):
        """What the connector package declares about this connection's system."""
        from apps.integrations.registry import spec_for

        return spec_for(self.system)

    @property
    def system_name(self) -> str:
        """The connection's name: its own override, else the system's name from its connector."""
        return self.display_name or str(self.spec.display_name)

    @property
    def credentials_doc(self) -> dict[str, Any]:
        """The decrypted credentials document ({} when none is stored)."""
        return _load(self.credentials)

    @credentials_doc.setter
    def credentials_doc(self, value: dict[str, Any]) -> None:
        self.credentials = _dump(value)

    @property
    def state_doc(self) -> dict[str, Any]:
        """The connector's decrypted runtime state ({} when none is stored)."""
        return _load(self.state)

    @state_doc.setter
    def state_doc(self, value: dict[str, Any]) -> None:
        self.state = _dump(value)

    def setting(self, name: str, default: Any = "") -> Any:
        """One of the connector's own settings (e.g. the client or company it reaches)."""
        return (self.settings or {}).get(name, default)

    def is_connected(self, entity: str) -> bool:
        return self.is_active and entity in (self.connected or [])

    def master_of(self, entity: str) -> str:
        return (self.masters or {}).get(entity, Master.BOTH)


def _load(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _dump(value: dict[str, Any] | None) -> str:
    return json.dumps(value, sort_keys=True) if value else ""


class Binding(models.Model):
    """One record known on both sides (or on one, waiting to be matched), with its last sync."""

    class State(models.TextChoices):
        LINKED = "linked", _("Synchronised")
        CONFLICT = "conflict", _("Conflict")
        EXCLUDED = "excluded", _("No sync")
        MISSING_REMOTELY = "missing_remotely", _("Missing in the ERP")
        REMOTE_ONLY = "remote_only", _("Only in the ERP")

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="bindings", verbose_name=_("connection")
    )
    entity = models.CharField(_("object type"), max_length=30, choices=ENTITY_CHOICES)
    local_id = models.BigIntegerField(_("Tidsbro id"), null=True, blank=True)
    external_id = models.CharField(_("ERP id"), max_length=64, blank=True)
    snapshot = models.JSONField(
        _("values at the last sync"),
        default=dict,
        blank=True,
        help_text=_("The synced fields as both sides agreed at the last sync: the merge base."),
    )
    remote_values = models.JSONField(
        _("ERP values"),
        default=dict,
        blank=True,
        help_text=_("The ERP's values as last fetched (for records only in the ERP)."),
    )
    remote_changed_at = models.DateTimeField(_("changed in the ERP"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.LINKED, db_index=True
    )
    synced_at = models.DateTimeField(_("synchronised"), null=True, blank=True)
    flagged = models.CharField(_("flag"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("binding")
        verbose_name_plural = _("bindings")
        ordering = ["connection", "entity", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity", "external_id"],
                condition=~Q(external_id=""),
                name="integrations_binding_external_unique",
            ),
            models.UniqueConstraint(
                fields=["connection", "entity", "local_id"],
                condition=Q(local_id__isnull=False),
                name="integrations_binding_local_unique",
            ),
        ]
        indexes = [models.Index(fields=["connection", "entity", "state"])]

    def __str__(self) -> str:
        return f"{entity_label(self.entity)} {self.local_id or '-'} ↔ {self.external_id or '-'}"


class Watermark(models.Model):
    """Where the next incremental pull of one object type starts: the connector's own cursor.

    The cursor is opaque to the engine (a timestamp for most systems, a delta link for
    calendar feeds); the connector stores it, reads it back and says it in words
    (`ConnectorSpec.describe_cursor`). Empty: everything is fetched next (full sync).
    """

    connection = models.ForeignKey(
        Connection,
        on_delete=models.CASCADE,
        related_name="watermarks",
        verbose_name=_("connection"),
    )
    entity = models.CharField(_("object type"), max_length=30, choices=ENTITY_CHOICES)
    cursor = models.TextField(
        _("sync position"),
        blank=True,
        help_text=_("Where the next sync starts. Empty: everything (full sync)."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("watermark")
        verbose_name_plural = _("watermarks")
        ordering = ["connection", "entity"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity"], name="integrations_watermark_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{entity_label(self.entity)}: {self.describe() or '—'}"

    def describe(self) -> str:
        """The position in words, as the connection's connector says it ("" when empty)."""
        if not self.cursor:
            return ""
        return self.connection.spec.describe_cursor(self.cursor)

    @property
    def moment(self):
        """The time a time cursor stands for (None: empty, or not a time)."""
        return self.connection.spec.cursor_as_time(self.cursor) if self.cursor else None


class SyncRun(models.Model):
    """One sync of one object type: what triggered it, how long it took and what it changed."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Schedule")
        MANUAL = "manual", _("By hand")
        COMMAND = "command", _("Command line")
        ONBOARDING = "onboarding", _("First connect")
        PUSH = "push", _("Local change")
        # The ERP called Tidsbro about a change (a webhook): those records pulled at once.
        WEBHOOK = "webhook", _("Instant update")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        ALREADY_RUNNING = "already_running", _("Already running")

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="runs", verbose_name=_("connection")
    )
    entity = models.CharField(_("object type"), max_length=30, choices=ENTITY_CHOICES)
    kind = models.CharField(_("kind"), max_length=20, default="pull")
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    full = models.BooleanField(_("full"), default=False)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    fetched = models.PositiveIntegerField(_("fetched"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    pushed = models.PositiveIntegerField(_("pushed"), default=0)
    skipped = models.PositiveIntegerField(_("unchanged"), default=0)
    conflicts = models.PositiveIntegerField(_("conflicts"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    requests = models.PositiveIntegerField(_("requests"), default=0)
    error_text = models.TextField(_("error"), blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)

    class Meta:
        verbose_name = _("sync run")
        verbose_name_plural = _("sync runs")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["-started_at", "-id"]),
            models.Index(fields=["connection", "entity", "-started_at"]),
        ]

    def __str__(self) -> str:
        started = timezone.localtime(self.started_at)
        return f"{entity_label(self.entity)} {started:%Y-%m-%d %H:%M} {self.get_status_display()}"

    @property
    def duration(self):
        return (self.finished_at - self.started_at) if self.finished_at else None


class Conflict(models.Model):
    """A field both sides changed differently since the last sync; neither side is touched."""

    class Resolution(models.TextChoices):
        KEPT_LOCAL = "kept_local", _("Kept the Tidsbro value")
        KEPT_REMOTE = "kept_remote", _("Kept the ERP value")
        MERGED = "merged", _("Typed a merged value")

    binding = models.ForeignKey(
        Binding, on_delete=models.CASCADE, related_name="conflicts", verbose_name=_("record")
    )
    field = models.CharField(_("field"), max_length=64)
    base_value = models.JSONField(_("value at the last sync"), null=True, blank=True)
    local_value = models.JSONField(_("Tidsbro value"), null=True, blank=True)
    remote_value = models.JSONField(_("ERP value"), null=True, blank=True)
    detected_at = models.DateTimeField(_("detected"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True
    )
    resolved_value = models.JSONField(_("resolved value"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    class Meta:
        verbose_name = _("conflict")
        verbose_name_plural = _("conflicts")
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["binding", "field"],
                condition=Q(resolved_at__isnull=True),
                name="integrations_one_open_conflict_per_field",
            )
        ]

    def __str__(self) -> str:
        return f"{self.binding} · {self.field}"


class OutboxItem(models.Model):
    """A local change waiting to be pushed to the ERP: retried with backoff, never dropped."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Transferred")
        DEAD = "dead", _("Failed")
        AMBIGUOUS = "ambiguous", _("Outcome unknown")

    class Operation(models.TextChoices):
        UPSERT = "upsert", _("Create or update")
        DELETE = "delete", _("Delete")

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="outbox", verbose_name=_("connection")
    )
    entity = models.CharField(_("object type"), max_length=30, choices=ENTITY_CHOICES)
    local_id = models.BigIntegerField(_("Tidsbro id"))
    operation = models.CharField(
        _("operation"), max_length=10, choices=Operation.choices, default=Operation.UPSERT
    )
    external_id = models.CharField(_("ERP id"), max_length=64, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    done_at = models.DateTimeField(_("transferred"), null=True, blank=True)
    # The values each create whose outcome is unknown sent (newest last): a retry looks the
    # record up by them, so a change made here meanwhile (a rename) still finds it.
    sent = models.JSONField(_("values sent"), default=list, blank=True, editable=False)

    class Meta:
        verbose_name = _("outbox item")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "entity", "local_id", "operation"],
                condition=Q(status="pending"),
                name="integrations_outbox_one_pending_per_object",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_operation_display()} {entity_label(self.entity)} {self.local_id}"


class Lease(models.Model):
    """Who is running a sync of one object type right now (claimed by a conditional UPDATE)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    owner = models.CharField(_("held by"), max_length=100, blank=True)
    locked_until = models.DateTimeField(_("held until"), null=True, blank=True)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("lease")
        verbose_name_plural = _("leases")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RequestCount(models.Model):
    """Requests made with one ERP login in one minute, shared by every worker (budget log)."""

    key = models.CharField(max_length=200)
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("request count")
        verbose_name_plural = _("request counts")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "minute"], name="integrations_requestcount_unique"
            )
        ]
        indexes = [models.Index(fields=["key", "minute"])]

    def __str__(self) -> str:
        return f"{self.key} {self.minute:%Y-%m-%d %H:%M}: {self.count}"


class RequestBudgetKey(models.Model):
    """One ERP login's budget: serialises its counting and remembers a remote quarantine."""

    key = models.CharField(max_length=200, unique=True)
    blocked_until = models.DateTimeField(_("blocked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("request budget")
        verbose_name_plural = _("request budgets")

    def __str__(self) -> str:
        return self.key
