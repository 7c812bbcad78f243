"""The customer register. Customers owned by the ERP are shown read-only, with the reason."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ServiceModelAdmin, ServiceModelForm
from apps.core.exports import spreadsheet_response
from apps.customers.admin_import import CustomerImportMixin
from apps.customers.models import Customer
from apps.customers.resources import CustomerResource
from apps.customers.services import (
    EDITABLE_FIELDS,
    customer_create,
    customer_delete,
    customer_erp_owned_message,
    customer_update,
)
from apps.integrations.admin import FetchNowMixin
from apps.integrations.selectors import connection_list, entity_created_in_erp


class CustomerForm(ServiceModelForm):
    class Meta:
        model = Customer
        fields = EDITABLE_FIELDS

    def save_via_service(self) -> Customer:
        data = {f: self.cleaned_data[f] for f in EDITABLE_FIELDS if f in self.cleaned_data}
        if self.instance.pk is None:
            return customer_create(data=data)
        return customer_update(customer=self.instance, data=data)


def sync_buttons(request: HttpRequest) -> list[dict[str, Any]]:
    """A "Synchronisation" button per active connection that keeps customers in step, for
    those who may use the sync center: it opens that connection's customer list (one query)."""
    from apps.integrations.admin_views.sync_center import list_url

    if not request.user.has_perm("integrations.view_binding"):
        return []
    connections = [c for c in connection_list(active=True) if c.is_connected("customer")]
    several = len(connections) > 1
    return [
        {
            "url": list_url("customer", "linked", connection=c.pk if several else None),
            "system": c.system_name,
            "several": several,
        }
        for c in connections
    ]


@admin.register(Customer)
class CustomerAdmin(CustomerImportMixin, FetchNowMixin, ServiceModelAdmin):
    form = CustomerForm
    actions = ["export_csv", "export_xlsx"]
    fetch_entity = "customer"
    fetch_label = _("Fetch customers")
    list_display = [
        "name",
        "number",
        "organisation_number",
        "email",
        "phone",
        "city",
        "is_active",
        "erp_owned",
    ]
    list_display_links = ["name", "number"]
    list_filter = ["is_active", "erp_owned", "erp_system", "country"]
    search_fields = ["name", "number", "organisation_number", "email", "phone", "city"]
    readonly_fields = ["erp_owned", "erp_system", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "number", "organisation_number", "is_active"]}),
        (_("Contact"), {"fields": ["email", "phone"]}),
        (
            _("Address"),
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    ("postal_code", "city"),
                    "country",
                    "visiting_address",
                ]
            },
        ),
        (_("ERP"), {"fields": ["erp_owned", "erp_system", "created_at", "updated_at"]}),
    ]

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "sync_buttons": sync_buttons(request)}
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request: HttpRequest) -> bool:
        if not super().has_add_permission(request):
            return False
        match = getattr(request, "resolver_match", None)
        if match is not None and not (match.url_name or "").startswith("customers_customer_"):
            # Every admin page asks this for its sidebar; the ERP question is put (one query)
            # on the customer screens, whose add view is what enforces it.
            return True
        # Customers are created in the ERP and fetched while it is their master.
        return entity_created_in_erp(entity="customer") is None

    def has_change_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        if obj is not None and obj.erp_owned:
            return False  # shown read-only; the reason is on the page
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Customer | None = None) -> bool:
        if obj is not None and obj.erp_owned:
            return False
        return super().has_delete_permission(request, obj)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is not None and obj.erp_owned and request.method == "GET":
            self.message_user(request, customer_erp_owned_message(obj), messages.WARNING)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_service(self, request: HttpRequest, obj: Customer) -> None:
        customer_delete(customer=obj)

    # --- export: the import's format, so an export can be edited and imported again ---------

    def _export(self, queryset: QuerySet, fmt: str) -> HttpResponse:
        dataset = CustomerResource().export(queryset.order_by("number", "id"))
        return spreadsheet_response(dataset, fmt=fmt, filename="tidsbro-customers")

    @admin.action(description=_("Export selected customers (CSV)"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(queryset, "csv")

    @admin.action(description=_("Export selected customers (Excel)"), permissions=["view"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self._export(queryset, "xlsx")
