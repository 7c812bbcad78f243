"""The Unimicro sandbox's eventplan delivery log (helper B2's models; imported by models.py).

An `EventplanDelivery` is one POST the sandbox owes (or made to) an eventplan subscriber; a
`BlockedEndpoint` counts consecutive 401 answers per URL and, after five, blocks the URL as
Unimicro does (API-NOTES §9). The admin's per-entity proxies of BizRecord are in
`models_proxies.py` (loaded by the app's ready(), so this module never imports models.py).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventplanDelivery(models.Model):
    """One webhook POST for one change to one subscriber: its body, attempts and outcome."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    company_key = models.CharField(_("company key"), max_length=64, db_index=True)
    eventplan_id = models.IntegerField(_("eventplan ID"))
    subscriber_id = models.IntegerField(_("subscriber ID"))
    url = models.URLField(_("endpoint"), max_length=1000)
    entity_name = models.CharField(_("entity"), max_length=64)
    entity_id = models.IntegerField(_("entity ID"))
    event_type = models.CharField(_("event"), max_length=16)
    body = models.TextField(_("body"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    response_code = models.PositiveIntegerField(_("response code"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    due_at = models.DateTimeField(_("due"))
    sent_at = models.DateTimeField(_("last sent"), null=True, blank=True)
    replay_of = models.ForeignKey(
        "self",
        verbose_name=_("replay of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
    )

    class Meta:
        app_label = "sandbox_unimicro"
        verbose_name = _("eventplan delivery")
        verbose_name_plural = _("eventplan deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"], name="unimicro_delivery_due")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.entity_name} {self.entity_id} → {self.url}"


class BlockedEndpoint(models.Model):
    """A subscriber URL's run of 401 answers; blocked after five in a row."""

    url = models.URLField(_("endpoint"), max_length=1000, unique=True)
    consecutive_401 = models.PositiveIntegerField(_("401s in a row"), default=0)
    blocked_at = models.DateTimeField(_("blocked"), null=True, blank=True)

    class Meta:
        app_label = "sandbox_unimicro"
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["url"]

    def __str__(self) -> str:
        return self.url
