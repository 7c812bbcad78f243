"""The Unimicro sandbox's eventplan delivery log (helper B2's models; imported by models.py).

An `EventplanDelivery` is one POST the sandbox owes (or made to) an eventplan subscriber; a
`BlockedEndpoint` counts consecutive 401 answers per URL and, after five, blocks the URL as
Unimicro does (API-NOTES §9).
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


# ---------------------------------------------------------------------------------------------
# Proxies of BizRecord, one per entity the admin lets one "play Unimicro" with.
from .models import BizRecord  # noqa: E402  (models.py imports this module at its end)


class _EntityManager(models.Manager):
    def __init__(self, entity: str):
        super().__init__()
        self.entity = entity

    def get_queryset(self):
        return super().get_queryset().filter(entity=self.entity, deleted=False)


def _proxy(class_name: str, entity: str, singular: str, plural: str) -> type:
    meta = type(
        "Meta",
        (),
        {
            "proxy": True,
            "app_label": "sandbox_unimicro",
            "verbose_name": singular,
            "verbose_name_plural": plural,
        },
    )
    return type(
        class_name,
        (BizRecord,),
        {
            "__module__": __name__,
            "Meta": meta,
            "objects": _EntityManager(entity),
            "ENTITY": entity,
            "__doc__": f"The {entity} records of the sandbox's companies.",
        },
    )


CustomerRecord = _proxy("CustomerRecord", "Customer", _("customer"), _("customers"))
ProjectRecord = _proxy("ProjectRecord", "Project", _("project"), _("projects"))
ProductRecord = _proxy("ProductRecord", "Product", _("product"), _("products"))
WorkTypeRecord = _proxy("WorkTypeRecord", "WorkType", _("work type"), _("work types"))
UserRecord = _proxy("UserRecord", "User", _("user"), _("users"))
WorkerRecord = _proxy("WorkerRecord", "Worker", _("worker"), _("workers"))
WorkItemRecord = _proxy("WorkItemRecord", "WorkItem", _("work item"), _("work items"))
OrderRecord = _proxy("OrderRecord", "CustomerOrder", _("order"), _("orders"))
InvoiceRecord = _proxy("InvoiceRecord", "CustomerInvoice", _("invoice"), _("invoices"))
EventplanRecord = _proxy("EventplanRecord", "Eventplan", _("eventplan"), _("eventplans"))
