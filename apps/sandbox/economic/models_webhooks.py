"""Webhooks of the e-conomic sandbox (webhooksapi v1.0.0): what an agreement registered, what the
sandbox delivered to it, and the knobs that make deliveries late, lost or doubled.

Imported at the bottom of `models.py` (one app, one migration history).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

# By name, not imported: models.py imports this module at its end.
AGREEMENT = "sandbox_economic.Agreement"


class Webhook(models.Model):
    """An agreement's webhook for one event type (e-conomic allows one per event type): where the
    sandbox POSTs when such an event happens, with which body and headers."""

    agreement = models.ForeignKey(AGREEMENT, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(_("event type"), max_length=100)
    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.CharField(_("URL"), max_length=1000)
    content_type = models.CharField(_("content type"), max_length=50)
    post_data = models.TextField(_("payload template"), blank=True)
    # [{"key": …, "value": …}] as written (≤ 5); the values may hold the receiver's secret.
    custom_headers = models.JSONField(_("custom headers"), default=list, blank=True)
    is_disabled = models.BooleanField(_("disabled"), default=False)
    last_disabled_date = models.DateTimeField(_("last disabled"), null=True, blank=True)
    last_updated = models.DateTimeField(_("last updated"))
    object_version = models.PositiveIntegerField(_("object version"), default=1)

    class Meta:
        verbose_name = _("e-conomic sandbox webhook")
        verbose_name_plural = _("e-conomic sandbox webhooks")
        ordering = ["agreement", "event_type"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "event_type"], name="econ_webhook_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.url[:80]}"


class Delivery(models.Model):
    """One POST the sandbox owes (or made) to a webhook for one event: its rendered body, when
    it is due, how it went. Header values are never kept here (they may be secrets)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed (gave up)")
        DROPPED = "dropped", _("Dropped (knob)")

    agreement = models.ForeignKey(AGREEMENT, on_delete=models.CASCADE, related_name="+")
    webhook = models.ForeignKey(
        Webhook, on_delete=models.SET_NULL, null=True, blank=True, related_name="deliveries"
    )
    event_type = models.CharField(_("event type"), max_length=100)
    sequence = models.PositiveBigIntegerField(_("event number"), default=0)
    url = models.CharField(_("URL"), max_length=1000)
    body = models.TextField(_("payload"), blank=True)
    duplicate = models.BooleanField(_("duplicate (knob)"), default=False)
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
        verbose_name = _("e-conomic sandbox webhook delivery")
        verbose_name_plural = _("e-conomic sandbox webhook deliveries")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.sequence} {self.get_status_display()}"


class WebhookKnobs(models.Model):
    """How the sandbox delivers webhooks (one row): late, lost, doubled — seeded, so a test knows
    which event is dropped or doubled; and how often a failing delivery is tried."""

    delay_seconds = models.FloatField(
        _("delivery delay (s)"), default=0.0, help_text=_("Each delivery is sent this late.")
    )
    drop_rate = models.FloatField(
        _("drop rate"), default=0.0, help_text=_("Share of events (0–1) never delivered.")
    )
    duplicate_rate = models.FloatField(
        _("duplicate rate"), default=0.0, help_text=_("Share of events (0–1) delivered twice.")
    )
    seed = models.BigIntegerField(_("seed"), default=15)
    sequence = models.BigIntegerField(_("events raised"), default=0, editable=False)
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts before the webhook is disabled"),
        default=3,
        help_text=_(
            "A delivery that fails this many times disables its webhook (the sandbox's rule; "
            "e-conomic's own is not published)."
        ),
    )
    retry_seconds = models.FloatField(_("wait before a retry (s)"), default=5.0)
    timeout_seconds = models.FloatField(_("receiver timeout (s)"), default=10.0)

    class Meta:
        verbose_name = _("e-conomic sandbox webhook knobs")
        verbose_name_plural = _("e-conomic sandbox webhook knobs")

    def __str__(self) -> str:
        return str(_("e-conomic sandbox webhook knobs"))
