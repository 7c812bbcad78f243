"""The Unimicro sandbox's store: a generic document store of business records per company,
number series, used `_createguid`s, the request log and the knobs (one row).

Every `/api/biz/<plural>` record is one `BizRecord` (EntityType + per-company ID + JSON fields);
nested children (Info, Items, Dimensions …) are records of their own, joined by id fields.
The eventplan delivery log (helper B2's) lives in `models_domain.py`, imported at the end.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class BizRecord(models.Model):
    """One business record of one company as Unimicro's API serves it (fields in `data`)."""

    company_key = models.CharField(_("company key"), max_length=64)
    entity = models.CharField(_("entity type"), max_length=64)
    record_id = models.PositiveIntegerField(_("ID"))
    data = models.JSONField(_("fields"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"), null=True, blank=True)
    deleted = models.BooleanField(_("deleted"), default=False)

    class Meta:
        app_label = "sandbox_unimicro"
        verbose_name = _("business record")
        verbose_name_plural = _("business records")
        ordering = ["company_key", "entity", "record_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["company_key", "entity", "record_id"], name="unimicro_record_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["company_key", "entity", "updated_at"], name="unimicro_record_updated"
            )
        ]

    def __str__(self) -> str:
        return f"{self.entity} {self.record_id}"


class CreateGuid(models.Model):
    """A `_createguid` a company has used: the same insert cannot happen twice."""

    company_key = models.CharField(_("company key"), max_length=64)
    guid = models.CharField(_("create guid"), max_length=100)
    entity = models.CharField(_("entity type"), max_length=64, blank=True)
    record_id = models.PositiveIntegerField(_("ID"), null=True, blank=True)
    created_at = models.DateTimeField(_("used"), auto_now_add=True)

    class Meta:
        app_label = "sandbox_unimicro"
        verbose_name = _("create guid")
        verbose_name_plural = _("create guids")
        constraints = [
            models.UniqueConstraint(fields=["company_key", "guid"], name="unimicro_guid_unique")
        ]

    def __str__(self) -> str:
        return self.guid


class NumberSeries(models.Model):
    """A company's number series (CustomerNumber, ProjectNumber, ID of an entity …)."""

    company_key = models.CharField(_("company key"), max_length=64)
    name = models.CharField(_("name"), max_length=100)
    next = models.BigIntegerField(_("next number"), default=1)

    class Meta:
        app_label = "sandbox_unimicro"
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(fields=["company_key", "name"], name="unimicro_series_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.next}"


class RequestLogEntry(models.Model):
    """One API request the sandbox answered (the Authorization header is never stored)."""

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=1000)
    query = models.CharField(_("query"), max_length=2000, blank=True)
    status = models.PositiveSmallIntegerField(_("HTTP status"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    company_key = models.CharField(_("company key"), max_length=64, blank=True)
    fault = models.CharField(_("injected fault"), max_length=20, blank=True)
    request_body = models.TextField(_("request"), blank=True)
    response_body = models.TextField(_("response"), blank=True)

    class Meta:
        app_label = "sandbox_unimicro"
        verbose_name = _("Unimicro sandbox request")
        verbose_name_plural = _("Unimicro sandbox request log")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"


class Knobs(models.Model):
    """Runtime switches of the Unimicro sandbox (one row): latency, injected faults, webhooks."""

    SIGNATURE_HEADERS = [
        ("Unimicro-Signature", "Unimicro-Signature"),
        ("SoftRig-Signature", "SoftRig-Signature"),
    ]
    DELIVERY_MODES = [
        ("thread", _("in a background thread")),
        ("inline", _("inline, before the answer")),
        ("off", _("off (queued only)")),
    ]

    latency_ms = models.PositiveIntegerField(_("added latency (ms)"), default=0)
    fault_rate = models.FloatField(
        _("fault rate"), default=0.0, help_text=_("Share of API requests (0–1) that get a fault.")
    )
    fault_http503 = models.BooleanField(
        _("inject 503 Service Unavailable (with Retry-After)"), default=True
    )
    fault_http500 = models.BooleanField(_("inject HTTP 500 errors"), default=False)
    fault_hang = models.BooleanField(
        _("inject hanging answers"),
        default=False,
        help_text=_(
            "The request is carried out at once, but the answer is held back for the hang "
            "delay: the client times out without knowing the outcome."
        ),
    )
    fault_reset = models.BooleanField(_("inject reset connections"), default=False)
    hang_seconds = models.FloatField(_("hang delay (s)"), default=35.0)
    retry_after_seconds = models.PositiveIntegerField(_("Retry-After on 503 (s)"), default=1)
    fault_seed = models.BigIntegerField(_("fault seed"), default=11)
    sequence = models.BigIntegerField(_("requests seen"), default=0, editable=False)
    signature_header = models.CharField(
        _("webhook signature header"),
        max_length=40,
        choices=SIGNATURE_HEADERS,
        default="Unimicro-Signature",
    )
    webhook_delivery = models.CharField(
        _("webhook delivery"), max_length=10, choices=DELIVERY_MODES, blank=True
    )

    class Meta:
        app_label = "sandbox_unimicro"
        verbose_name = _("Unimicro sandbox knobs")
        verbose_name_plural = _("Unimicro sandbox knobs")

    def __str__(self) -> str:
        return str(_("Unimicro sandbox knobs"))


# Helper B2's eventplan delivery log and the admin's per-entity proxies of BizRecord.
from .models_domain import *  # noqa: E402, F401, F403
