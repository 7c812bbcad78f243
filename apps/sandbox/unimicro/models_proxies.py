"""Proxies of BizRecord, one per entity the "play Unimicro" admin lists (admin_biz.py).

Loaded by `SandboxUnimicroConfig.ready()` (through admin_biz), after models.py; they are in
migration 0001.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .models import BizRecord


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
