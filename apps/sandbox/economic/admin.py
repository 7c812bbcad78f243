"""The "e-conomic sandbox" admin section: play the e-conomic side of a demo, turn the knobs."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from unfold.admin import ModelAdmin, TabularInline

from .models import (
    Activity,
    ActivityGroup,
    Agreement,
    App,
    Currency,
    Customer,
    CustomerGroup,
    DraftInvoice,
    DraftInvoiceLine,
    Employee,
    EmployeeGroup,
    Grant,
    Layout,
    PaymentTerms,
    Product,
    Project,
    ProjectGroup,
    ProjectStatus,
    RequestLog,
    TimeEntry,
    VatZone,
)
from .models import Knobs as KnobsModel
from .runtime import knobs_get
from .services import sandbox_record_save


class SandboxRecordAdmin(ModelAdmin):
    """Saves through the sandbox service so edits get a number and a new lastUpdated."""

    def save_model(self, request, obj, form, change):
        sandbox_record_save(obj=obj, numbering=knobs_get().numbering)


@admin.register(App)
class AppAdmin(ModelAdmin):
    list_display = ["name", "public_token", "created"]
    exclude = ["secret_token"]  # shown nowhere: the app's secret stays out of screenshots


@admin.register(Agreement)
class AgreementAdmin(ModelAdmin):
    list_display = ["agreement_number", "company_name", "user_login", "module_list", "demo_access"]
    search_fields = ["company_name", "user_login"]
    exclude = ["user_password"]

    @admin.display(description=_("modules"))
    def module_list(self, obj: Agreement) -> str:
        return ", ".join(obj.modules or [])


@admin.register(Grant)
class GrantAdmin(ModelAdmin):
    list_display = ["agreement", "app", "roles", "revoked", "created_at"]
    list_filter = ["revoked"]
    list_select_related = ["agreement", "app"]
    fields = ["agreement", "app", "roles", "revoked"]
    actions = ["revoke", "restore"]

    @admin.action(description=_("Revoke the selected grants (the app gets 401)"))
    def revoke(self, request, queryset):
        count = queryset.update(revoked=True)
        self.message_user(
            request,
            ngettext("%(count)d grant revoked.", "%(count)d grants revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Restore the selected grants"))
    def restore(self, request, queryset):
        count = queryset.update(revoked=False)
        self.message_user(
            request,
            ngettext("%(count)d grant restored.", "%(count)d grants restored.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Customer)
class CustomerAdmin(SandboxRecordAdmin):
    list_display = [
        "customer_number",
        "name",
        "corporate_identification_number",
        "city",
        "currency",
        "barred",
        "last_updated",
    ]
    list_filter = ["barred", "currency", "customer_group_number", "agreement"]
    list_select_related = ["agreement"]
    search_fields = ["name", "corporate_identification_number", "email"]
    readonly_fields = ["last_updated", "balance", "due_amount"]
    ordering = ["agreement", "customer_number"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["bar", "unbar"]
    fieldsets = [
        (None, {"fields": ["agreement", "customer_number", "name", "barred"]}),
        (
            _("Address and contact"),
            {
                "fields": [
                    "address",
                    "zip",
                    "city",
                    "country",
                    "email",
                    "telephone_and_fax_number",
                    "mobile_phone",
                    "website",
                ]
            },
        ),
        (
            _("Identification"),
            {
                "fields": [
                    "corporate_identification_number",
                    "p_number",
                    "vat_number",
                    "ean",
                    "public_entry_number",
                ]
            },
        ),
        (
            _("Terms"),
            {
                "fields": [
                    "currency",
                    "customer_group_number",
                    "payment_terms_number",
                    "vat_zone_number",
                    "layout_number",
                    "sales_person_number",
                    "credit_limit",
                    "e_invoicing_disabled_by_default",
                ]
            },
        ),
        (
            _("Contacts and delivery"),
            {
                "classes": ["collapse"],
                "fields": [
                    "attention_number",
                    "customer_contact_number",
                    "default_delivery_location_number",
                ],
            },
        ),
        (_("Read-only"), {"fields": ["balance", "due_amount", "last_updated"]}),
    ]

    def _set_barred(self, request, queryset, barred: bool) -> int:
        count = 0
        for customer in queryset:
            if customer.barred != barred:
                customer.barred = barred
                sandbox_record_save(obj=customer)  # moves lastUpdated, like e-conomic
                count += 1
        return count

    @admin.action(description=_("Bar the selected customers"))
    def bar(self, request, queryset):
        count = self._set_barred(request, queryset, True)
        self.message_user(
            request,
            ngettext("%(count)d customer barred.", "%(count)d customers barred.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Lift the bar on the selected customers"))
    def unbar(self, request, queryset):
        count = self._set_barred(request, queryset, False)
        self.message_user(
            request,
            ngettext("%(count)d customer unbarred.", "%(count)d customers unbarred.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class NumberedAdmin(ModelAdmin):
    list_display = ["number", "name", "agreement"]
    list_select_related = ["agreement"]
    ordering = ["agreement", "number"]


@admin.register(CustomerGroup)
class CustomerGroupAdmin(NumberedAdmin):
    pass


@admin.register(PaymentTerms)
class PaymentTermsAdmin(NumberedAdmin):
    list_display = ["number", "name", "terms_type", "days_of_credit", "agreement"]


@admin.register(VatZone)
class VatZoneAdmin(NumberedAdmin):
    list_display = ["number", "name", "enabled_for_customer", "enabled_for_supplier", "agreement"]


@admin.register(Layout)
class LayoutAdmin(NumberedAdmin):
    pass


@admin.register(Employee)
class EmployeeAdmin(SandboxRecordAdmin, NumberedAdmin):
    list_display = ["number", "name", "email", "employee_group_number", "barred", "agreement"]
    list_filter = ["barred", "agreement"]
    search_fields = ["name", "email"]
    readonly_fields = ["object_version"]


# The Project module (projects API) -----------------------------------------------------------


class VersionedAdmin(SandboxRecordAdmin):
    """A record of the OpenAPI services: saved with a new objectVersion (and lastUpdated)."""

    list_select_related = ["agreement"]
    ordering = ["agreement", "number"]
    readonly_fields = ["object_version", "extra"]


@admin.register(ProjectGroup)
class ProjectGroupAdmin(VersionedAdmin):
    list_display = ["number", "name", "group_type", "agreement"]


@admin.register(ProjectStatus)
class ProjectStatusAdmin(VersionedAdmin):
    list_display = ["number", "name", "status_type", "priority", "agreement"]


@admin.register(Project)
class ProjectAdmin(VersionedAdmin):
    list_display = [
        "number",
        "name",
        "customer_number",
        "project_group_number",
        "status",
        "is_barred",
        "is_closed",
        "last_updated",
        "agreement",
    ]
    list_filter = ["is_barred", "is_closed", "project_group_number", "agreement"]
    search_fields = ["name", "other_reference"]
    readonly_fields = ["last_updated", "object_version", "extra"]
    list_per_page = 50
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["agreement", "number", "name", "customer_number"]}),
        (
            _("Project"),
            {
                "fields": [
                    "project_group_number",
                    "status",
                    "responsible_employee_number",
                    "is_main_project",
                    "main_project_number",
                    "description",
                    "other_reference",
                    "delivery_date",
                ]
            },
        ),
        (
            _("Barred and closed"),
            {
                "description": _(
                    "A barred or closed project takes no more hours. Only here can a project "
                    "be closed: the API cannot."
                ),
                "fields": ["is_barred", "is_closed", "closed_date"],
            },
        ),
        (_("Read-only"), {"fields": ["last_updated", "object_version", "extra"]}),
    ]


@admin.register(ActivityGroup)
class ActivityGroupAdmin(VersionedAdmin):
    list_display = ["number", "name", "group_type", "agreement"]


@admin.register(Activity)
class ActivityAdmin(VersionedAdmin):
    list_display = ["number", "name", "group_number", "is_barred", "agreement"]
    list_filter = ["is_barred", "group_number", "agreement"]
    search_fields = ["name"]


@admin.register(EmployeeGroup)
class EmployeeGroupAdmin(VersionedAdmin):
    list_display = ["number", "name", "agreement"]


@admin.register(TimeEntry)
class TimeEntryAdmin(VersionedAdmin):
    list_display = [
        "number",
        "date",
        "employee_number",
        "project_number",
        "activity_number",
        "number_of_hours",
        "text",
        "is_approved",
        "last_updated",
        "agreement",
    ]
    list_filter = ["is_approved", "agreement", "date"]
    search_fields = ["text"]
    ordering = ["agreement", "-number"]
    readonly_fields = ["is_approved", "is_reconciled", "last_updated", "object_version", "extra"]
    list_per_page = 50
    show_full_result_count = False
    date_hierarchy = "date"
    actions = ["approve"]

    @admin.action(description=_("Approve the selected time entries (they are locked after)"))
    def approve(self, request, queryset):
        count = 0
        for entry in queryset.filter(is_approved=False):
            entry.is_approved = True
            sandbox_record_save(obj=entry)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d time entry approved.", "%(count)d time entries approved.", count)
            % {"count": count},
            messages.SUCCESS,
        )


# Draft invoices (invoicing API) -----------------------------------------------------------------

DRAFT_NOTE = _(
    "A draft invoice made through the invoicing API. It stays a draft: the sandbox never books "
    "an invoice, and neither can the API (booking is done in e-conomic itself)."
)


class DraftInvoiceLineInline(TabularInline):
    model = DraftInvoiceLine
    extra = 0
    can_delete = False
    fields = [
        "position",
        "product_number",
        "description",
        "quantity",
        "unit_net_price",
        "discount_percentage",
        "total_net_amount",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DraftInvoice)
class DraftInvoiceAdmin(ModelAdmin):
    """Drafts are looked at, or deleted as in e-conomic; they are changed through the API."""

    list_display = [
        "number",
        "date",
        "customer_number",
        "customer_name",
        "heading",
        "currency_code",
        "amount",
        "vat_amount",
        "project_number",
        "last_updated",
        "agreement",
    ]
    list_filter = ["agreement", "currency_code"]
    list_select_related = ["agreement"]
    search_fields = ["customer_name", "heading", "other_reference", "external_id"]
    ordering = ["agreement", "-number"]
    inlines = [DraftInvoiceLineInline]
    fieldsets = [
        (
            _("Draft, never booked"),
            {
                "description": DRAFT_NOTE,
                "fields": ["agreement", "number", "date", "due_date", "heading"],
            },
        ),
        (
            _("Customer"),
            {
                "fields": [
                    "customer_number",
                    "customer_name",
                    "customer_address",
                    "customer_postal_code",
                    "customer_city",
                    "customer_country",
                ]
            },
        ),
        (
            _("Terms"),
            {
                "fields": [
                    "currency_code",
                    "exchange_rate",
                    "layout_number",
                    "term_of_payment_number",
                    "vat_zone_number",
                    "project_number",
                    "other_reference",
                    "external_id",
                ]
            },
        ),
        (
            _("Amounts"),
            {
                "fields": [
                    "amount",
                    "vat_amount",
                    "amount_in_base_currency",
                    "total_cost_price_in_base_currency",
                    "last_updated",
                ]
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "subtitle": DRAFT_NOTE}
        return super().changelist_view(request, extra_context)


@admin.register(Product)
class ProductAdmin(SandboxRecordAdmin):
    list_display = ["number", "name", "sales_price", "barred", "last_updated", "agreement"]
    list_select_related = ["agreement"]
    readonly_fields = ["last_updated"]
    ordering = ["agreement", "number"]


@admin.register(Currency)
class CurrencyAdmin(ModelAdmin):
    list_display = ["code", "name", "iso_number"]


class ReadOnlyAdmin(ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RequestLog)
class RequestLogAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "method",
        "path",
        "agreement_number",
        "http_status",
        "error_code",
        "duration_ms",
    ]
    list_filter = ["method", "http_status"]
    search_fields = ["path", "error_code", "note"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False


@admin.register(KnobsModel)
class KnobsAdmin(ModelAdmin):
    """One page with the runtime switches."""

    fieldsets = [
        (_("Latency"), {"fields": ["latency_ms"]}),
        (
            _("Injected faults"),
            {
                "fields": [
                    "fault_rate",
                    "fault_http500",
                    "fault_drop",
                    "fault_hang",
                    "fault_429",
                    "failing_filter_fields",
                    "hang_seconds",
                    "fault_seed",
                    "sequence",
                ]
            },
        ),
        (_("Rate limit"), {"fields": ["rate_limit", "rate_window_seconds"]}),
        (_("Agreement"), {"fields": ["grants_revoked", "numbering"]}),
        (_("Projects and invoicing services"), {"fields": ["cursor_page_size"]}),
    ]
    readonly_fields = ["sequence"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        knobs = knobs_get()
        return redirect(reverse("admin:sandbox_economic_knobs_change", args=[knobs.pk]))


# Webhooks, their delivery log and knobs (admin_webhooks.py).
from . import admin_webhooks  # noqa: E402, F401
