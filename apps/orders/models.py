"""Orders sent to the ERP from approved hours; read-only once sent."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Order(models.Model):
    """An order the office created in the ERP from approved hours. It cannot change here."""

    connection = models.ForeignKey(
        "integrations.Connection",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("connection"),
    )
    external_id = models.CharField(_("ERP order number"), max_length=64)
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("customer"),
    )
    project = models.ForeignKey(
        "projects.Project",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        verbose_name=_("project"),
    )
    title = models.CharField(_("title"), max_length=255, blank=True)
    total = models.DecimalField(
        _("total excl. VAT"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["-created_at", "-id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "external_id"],
                condition=~Q(external_id=""),
                name="orders_order_external_unique",
            )
        ]

    def __str__(self) -> str:
        return _("Order %(number)s") % {"number": self.external_id}


class OrderLine(models.Model):
    """One line of an order: the hours of one entry as billed (possibly written down)."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    entry = models.ForeignKey(
        "timesheets.TimeEntry",
        on_delete=models.PROTECT,
        related_name="order_lines",
        verbose_name=_("time entry"),
    )
    work_type = models.ForeignKey(
        "worktypes.WorkType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("work type"),
    )
    product_number = models.CharField(_("product number"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    hours = models.DecimalField(_("hours billed"), max_digits=6, decimal_places=2)
    registered_hours = models.DecimalField(_("hours registered"), max_digits=6, decimal_places=2)
    rate = models.DecimalField(_("rate"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gte=0), name="orders_line_hours_gte_0"),
            models.CheckConstraint(condition=Q(rate__gte=0), name="orders_line_rate_gte_0"),
            models.UniqueConstraint(fields=["entry"], name="orders_line_entry_unique"),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return (self.hours * self.rate).quantize(Decimal("0.01"))


class ExportedOrder(models.Model):
    """An order written to a file the ERP imports (when the office has no API access): which
    order, for which connection and system, when, by whom and in which file. An order with
    such a record is exported; it is written again only when the administrator asks."""

    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="exports", verbose_name=_("order")
    )
    connection = models.ForeignKey(
        "integrations.Connection",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("connection"),
    )
    system = models.CharField(_("system"), max_length=20)
    file_name = models.CharField(_("file name"), max_length=255)
    again = models.BooleanField(
        _("exported again"),
        default=False,
        help_text=_("The administrator asked to export an order that was exported before."),
    )
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("exported by"),
    )
    exported_at = models.DateTimeField(_("exported"), default=timezone.now)

    class Meta:
        verbose_name = _("order export")
        verbose_name_plural = _("order exports")
        ordering = ["-exported_at", "-id"]
        indexes = [models.Index(fields=["order", "-exported_at"])]

    def __str__(self) -> str:
        return _("%(order)s exported to %(file)s") % {"order": self.order, "file": self.file_name}
