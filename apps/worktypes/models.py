"""Kinds of work an hour can be registered as."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel


class WorkType(TimeStampedModel):
    """A type of work (e.g. "Consulting", "Travel"): decides whether hours are invoiceable."""

    name = models.CharField(_("name"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    invoiceable = models.BooleanField(_("invoiceable"), default=True)
    price = models.DecimalField(
        _("hourly price"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    product_number = models.CharField(
        _("product number"),
        max_length=40,
        blank=True,
        help_text=_("The ERP product order lines of this work type are written on."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("work type")
        verbose_name_plural = _("work types")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["name", "id"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="worktypes_price_gte_0"),
        ]

    def __str__(self) -> str:
        return self.name
