"""The office's customer register."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.models import TimeStampedModel


class Customer(TimeStampedModel):
    """Someone the office works for and bills. May be owned by the ERP (then read-only here)."""

    name = models.CharField(_("name"), max_length=255)
    number = models.CharField(
        _("customer number"),
        max_length=32,
        blank=True,
        help_text=_("The number the ERP knows this customer by."),
    )
    organisation_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address_line1 = models.CharField(_("address"), max_length=255, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, default="NO")
    visiting_address = models.CharField(_("visiting address"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    erp_owned = models.BooleanField(
        _("owned by the ERP"),
        default=False,
        help_text=_("Owned customers are changed in the ERP and fetched here, never edited here."),
    )
    erp_system = models.CharField(_("ERP"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["name", "id"]),
            models.Index(fields=["organisation_number"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["number"],
                condition=~Q(number=""),
                name="customers_customer_number_unique",
                violation_error_message=_("Another customer already has this customer number."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})" if self.number else self.name
