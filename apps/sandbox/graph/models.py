"""State of the Microsoft 365 sandbox: "the Outlook side" of a demo, apart from Tidsbro's domain.

One tenant (its id is a setting), registered apps (clients), mailboxes (users, each with one
primary calendar), their events, the identity platform's codes and tokens, Graph's change
notification subscriptions and what the sandbox delivered to them.

Change tracking: every write to a mailbox's calendar takes the mailbox's next change number
(`Mailbox.next_seq`, a conditional UPDATE, so writers of one mailbox queue up on its row and the
numbers follow the commits). The written event (a series: its master) carries that number in
`seq`; every instance the write removed or moved leaves an `InstanceChange` with the same
number and the instance's former times. A delta round is "changes with since < seq <= upto".
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class App(models.Model):
    """An app registration (a client of the identity platform): its id, its secret (none: a
    public client) and the redirect URIs it may use."""

    client_id = models.CharField(_("application (client) id"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    client_secret = models.CharField(
        _("client secret"),
        max_length=200,
        blank=True,
        help_text=_("Empty: a public client (no secret at the token endpoint, PKCE only)."),
    )
    redirect_uris = models.JSONField(
        _("redirect URIs"),
        default=list,
        blank=True,
        help_text=_(
            "Exact URIs. For 127.0.0.1 and localhost the port is ignored, as the identity "
            "platform does for loopback addresses."
        ),
    )

    class Meta:
        verbose_name = _("Microsoft 365 sandbox app registration")
        verbose_name_plural = _("Microsoft 365 sandbox app registrations")
        ordering = ["client_id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"


class Mailbox(models.Model):
    """A user of the tenant with their mailbox and primary calendar: who signs in, whose
    calendar `/me/…` reads, and the mailbox's sync state (generation and change counter)."""

    class Reset(models.TextChoices):
        GONE = "gone", _("410 Gone with a Location (a fresh delta request)")
        NOT_FOUND = "syncStateNotFound", _("400 syncStateNotFound")

    user_principal_name = models.CharField(_("user principal name"), max_length=200, unique=True)
    display_name = models.CharField(_("display name"), max_length=200)
    password = models.CharField(_("password"), max_length=128)
    object_id = models.UUIDField(_("object id"), default=uuid.uuid4, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Oslo")
    next_seq = models.BigIntegerField(_("changes made"), default=0, editable=False)
    sync_generation = models.PositiveIntegerField(
        _("sync state generation"),
        default=1,
        help_text=_("Delta links of an earlier generation no longer work."),
    )
    sync_reset = models.CharField(
        _("answer to an outdated delta link"),
        max_length=20,
        choices=Reset.choices,
        default=Reset.GONE,
    )

    class Meta:
        verbose_name = _("Microsoft 365 sandbox mailbox")
        verbose_name_plural = _("Microsoft 365 sandbox mailboxes")
        ordering = ["user_principal_name"]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.user_principal_name}>"


class Consent(models.Model):
    """The scopes a user consented to for an app (the consent page is skipped while they
    cover what the app asks for)."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="consents")
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="consents")
    scopes = models.JSONField(_("scopes"), default=list)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox consent")
        verbose_name_plural = _("Microsoft 365 sandbox consents")
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "app"], name="graph_consent_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.mailbox} → {self.app}"


class AuthCode(models.Model):
    """An authorization code (kept as its hash): single use, short-lived, bound to the PKCE
    challenge and redirect URI of its request."""

    code_hash = models.CharField(max_length=64, unique=True)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="+")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=1000)
    scopes = models.JSONField(default=list)
    code_challenge = models.CharField(max_length=200)
    nonce = models.CharField(max_length=200, blank=True)
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox authorization code")
        verbose_name_plural = _("Microsoft 365 sandbox authorization codes")

    def __str__(self) -> str:
        return f"code for {self.mailbox_id} ({self.expires_at:%H:%M:%S})"


class Token(models.Model):
    """An access or refresh token (kept as its hash). A refresh token is replaced by a new one
    on every use; the replaced one answers invalid_grant, as does a revoked one."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("access token")
        REFRESH = "refresh", _("refresh token")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="tokens")
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="tokens")
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("replaced"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox token")
        verbose_name_plural = _("Microsoft 365 sandbox tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.mailbox_id} {self.created_at:%Y-%m-%d %H:%M}"


class SigningKey(models.Model):
    """The RSA key that signs id_tokens (made on first use); its public half is the JWKS."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox signing key")
        verbose_name_plural = _("Microsoft 365 sandbox signing keys")

    def __str__(self) -> str:
        return self.kid


class Event(models.Model):
    """An event of a mailbox's primary calendar: a single instance, a recurring series' master
    or one of its exceptions (an occurrence changed or cancelled on its own).

    Times are stored in UTC; `time_zone` is the zone the organiser used (all-day events and
    recurrences are laid out in it). `range_start`/`range_end` bound every instance (a series
    without an end: `range_end` empty) so a window query stays in the database.
    """

    class Type(models.TextChoices):
        SINGLE = "singleInstance", _("single")
        MASTER = "seriesMaster", _("series master")
        EXCEPTION = "exception", _("exception")

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(_("type"), max_length=20, choices=Type.choices, default=Type.SINGLE)
    series_master = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="exceptions"
    )
    original_start = models.DateTimeField(_("original start"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_content = models.TextField(_("body"), blank=True)
    body_type = models.CharField(_("body type"), max_length=4, default="text")
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    is_all_day = models.BooleanField(_("all day"), default=False)
    show_as = models.CharField(_("show as"), max_length=20, default="busy")
    sensitivity = models.CharField(_("sensitivity"), max_length=20, default="normal")
    categories = models.JSONField(_("categories"), default=list, blank=True)
    is_cancelled = models.BooleanField(_("cancelled"), default=False)
    response = models.CharField(_("response"), max_length=30, default="organizer")
    is_organizer = models.BooleanField(_("organiser"), default=True)
    organizer_name = models.CharField(_("organiser name"), max_length=200, blank=True)
    organizer_address = models.CharField(_("organiser address"), max_length=200, blank=True)
    attendees = models.JSONField(_("attendees"), default=list, blank=True)
    location = models.CharField(_("location"), max_length=255, blank=True)
    recurrence = models.JSONField(_("recurrence"), null=True, blank=True)
    ical_uid = models.CharField(_("iCalUId"), max_length=200, blank=True)
    change_key = models.CharField(_("change key"), max_length=64, blank=True)
    folder_generation = models.PositiveIntegerField(
        _("folder moves"),
        default=0,
        help_text=_("Each move to another folder changes the event's default (REST) id."),
    )
    range_start = models.DateTimeField(db_index=True)
    range_end = models.DateTimeField(null=True, blank=True)
    seq = models.BigIntegerField(_("change number"), default=0, db_index=True)
    created_at = models.DateTimeField(_("created"))
    last_modified = models.DateTimeField(_("last modified"))
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox event")
        verbose_name_plural = _("Microsoft 365 sandbox events")
        ordering = ["mailbox", "start"]
        indexes = [models.Index(fields=["mailbox", "seq"], name="graph_event_seq_idx")]

    def __str__(self) -> str:
        return f"{self.subject or '—'} ({self.start:%Y-%m-%d %H:%M} UTC)"


class InstanceChange(models.Model):
    """An instance (a single event or one occurrence) that a write removed or moved: where it
    was, so a delta round whose window held it reports it `@removed`."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    seq = models.BigIntegerField(db_index=True)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="+")
    instance_key = models.CharField(max_length=64)
    folder_generation = models.PositiveIntegerField(default=0)
    old_start = models.DateTimeField()
    old_end = models.DateTimeField()

    class Meta:
        verbose_name = _("Microsoft 365 sandbox instance change")
        verbose_name_plural = _("Microsoft 365 sandbox instance changes")
        indexes = [models.Index(fields=["mailbox", "seq"], name="graph_change_seq_idx")]

    def __str__(self) -> str:
        return f"{self.instance_key} @ {self.seq}"


class Subscription(models.Model):
    """A change notification subscription on a mailbox's events: where Graph POSTs changes and
    lifecycle events, the client's secret `clientState`, when it expires."""

    subscription_id = models.UUIDField(_("id"), default=uuid.uuid4, unique=True)
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="subscriptions")
    app = models.ForeignKey(App, on_delete=models.CASCADE, related_name="subscriptions")
    resource = models.CharField(_("resource"), max_length=300)
    change_type = models.CharField(_("change types"), max_length=100)
    notification_url = models.CharField(_("notification URL"), max_length=1000)
    lifecycle_notification_url = models.CharField(
        _("lifecycle notification URL"), max_length=1000, blank=True
    )
    client_state = models.CharField(_("client state"), max_length=255, blank=True)
    immutable_ids = models.BooleanField(_("immutable ids"), default=False)
    expiration = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox subscription")
        verbose_name_plural = _("Microsoft 365 sandbox subscriptions")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resource} → {self.notification_url[:60]}"


class Notification(models.Model):
    """One POST the sandbox owes (or made) to a subscriber: a change notification or a
    lifecycle event, its body, when it is due, how it went."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("change notification")
        LIFECYCLE = "lifecycle", _("lifecycle event")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")

    subscription = models.ForeignKey(
        Subscription, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("what"), max_length=100, blank=True)
    url = models.CharField(_("URL"), max_length=1000)
    body = models.TextField(_("payload"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    due_at = models.DateTimeField(_("due"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox notification")
        verbose_name_plural = _("Microsoft 365 sandbox notifications")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.label} {self.get_status_display()}"


class Knobs(models.Model):
    """Runtime switches of the sandbox (one row): token lifetimes, delta paging and its
    imperfections, injected faults, limits, notification delivery."""

    latency_ms = models.PositiveIntegerField(_("added latency (ms)"), default=0)
    fault_rate = models.FloatField(
        _("fault rate"), default=0.0, help_text=_("Share of Graph requests (0–1) that get a fault.")
    )
    fault_429 = models.BooleanField(_("inject 429 Too Many Requests"), default=True)
    fault_503 = models.BooleanField(_("inject 503 Service Unavailable"), default=False)
    retry_after_seconds = models.PositiveIntegerField(_("Retry-After (s)"), default=2)
    fault_seed = models.BigIntegerField(_("fault seed"), default=365)
    sequence = models.BigIntegerField(_("requests seen"), default=0, editable=False)
    concurrency_limit = models.PositiveSmallIntegerField(
        _("concurrent requests per mailbox"), default=4
    )
    access_token_seconds = models.PositiveIntegerField(_("access token lifetime (s)"), default=3600)
    code_seconds = models.PositiveIntegerField(_("authorization code lifetime (s)"), default=600)
    default_page_size = models.PositiveIntegerField(_("delta page size without Prefer"), default=10)
    max_page_size = models.PositiveIntegerField(_("largest odata.maxpagesize"), default=1000)
    duplicate_rate = models.FloatField(
        _("duplicate rate"), default=0.0, help_text=_("Share of delta items (0–1) sent twice.")
    )
    replay_rate = models.FloatField(
        _("replay rate"),
        default=0.0,
        help_text=_("Share of delta rounds (0–1) whose changes the next round sends again."),
    )
    empty_page_rate = models.FloatField(
        _("empty page rate"),
        default=0.0,
        help_text=_("Share of delta pages (0–1) answered empty, with a nextLink."),
    )
    page_seed = models.BigIntegerField(_("delta seed"), default=42)
    subscription_max_minutes = models.PositiveIntegerField(
        _("longest subscription (minutes)"), default=10080
    )
    validation_timeout_seconds = models.FloatField(_("validation timeout (s)"), default=10.0)
    notification_timeout_seconds = models.FloatField(_("notification timeout (s)"), default=3.0)
    notification_delay_seconds = models.FloatField(_("notification delay (s)"), default=0.0)
    notification_retry_seconds = models.FloatField(_("wait before a retry (s)"), default=5.0)
    notification_max_attempts = models.PositiveSmallIntegerField(
        _("attempts per notification"), default=4
    )

    class Meta:
        verbose_name = _("Microsoft 365 sandbox knobs")
        verbose_name_plural = _("Microsoft 365 sandbox knobs")

    def __str__(self) -> str:
        return str(_("Microsoft 365 sandbox knobs"))


class RequestLog(models.Model):
    """One request the sandbox answered, identity platform or Graph (tokens, codes, secrets
    and client states masked)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    surface = models.CharField(_("surface"), max_length=10)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=2000)
    mailbox = models.CharField(_("mailbox"), max_length=200, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"))
    error_code = models.CharField(_("error code"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    request_body = models.TextField(_("request"), blank=True)
    response_body = models.TextField(_("response"), blank=True)

    class Meta:
        verbose_name = _("Microsoft 365 sandbox request")
        verbose_name_plural = _("Microsoft 365 sandbox request log")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path[:80]} {self.http_status}"
