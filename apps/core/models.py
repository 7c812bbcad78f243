"""Abstract building blocks shared by the domain apps."""

from django.contrib.admin.models import LogEntry
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds when a record was created and last changed."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class AuditRecord(LogEntry):
    """The admin's history (LogEntry) shown as the "Audit log"; no table of its own."""

    class Meta:
        proxy = True
        verbose_name = _("audit record")
        verbose_name_plural = _("audit log")
        default_permissions = ("view",)
