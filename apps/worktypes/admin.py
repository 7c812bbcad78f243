"""The kinds of work hours are registered as."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ServiceModelAdmin, ServiceModelForm, is_autocomplete_for
from apps.integrations.admin import FetchNowMixin
from apps.integrations.selectors import local_create_refused
from apps.worktypes.models import WorkType
from apps.worktypes.selectors import work_type_list
from apps.worktypes.services import EDITABLE_FIELDS, work_type_create, work_type_update


class WorkTypeForm(ServiceModelForm):
    class Meta:
        model = WorkType
        fields = EDITABLE_FIELDS

    def save_via_service(self) -> WorkType:
        data = {f: self.cleaned_data[f] for f in EDITABLE_FIELDS if f in self.cleaned_data}
        if self.instance.pk is None:
            return work_type_create(data=data)
        return work_type_update(work_type=self.instance, data=data)


@admin.register(WorkType)
class WorkTypeAdmin(FetchNowMixin, ServiceModelAdmin):
    fetch_entity = "work_type"
    fetch_label = _("Fetch work types")
    form = WorkTypeForm
    list_display = ["name", "invoiceable", "price", "product_number", "is_active"]
    list_filter = ["is_active", "invoiceable"]
    search_fields = ["name", "description", "product_number"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "description", "is_active"]}),
        (_("Invoicing"), {"fields": ["invoiceable", "price", "product_number"]}),
        (_("History"), {"classes": ["collapse"], "fields": ["created_at", "updated_at"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if is_autocomplete_for(request, "timesheets.timeentry.work_type"):
            queryset = queryset.filter(pk__in=work_type_list(active=True).values("pk"))
        return queryset, may_have_duplicates

    def has_add_permission(self, request: HttpRequest) -> bool:
        if not super().has_add_permission(request):
            return False
        match = getattr(request, "resolver_match", None)
        if match is not None and not (match.url_name or "").startswith("worktypes_worktype_"):
            return True  # the sidebar of other pages: the work type screens enforce it
        # Connected to an ERP that cannot create work types: they are made there and fetched.
        return local_create_refused("work_type") is None

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        note = local_create_refused("work_type")
        extra_context = {**(extra_context or {}), "erp_create_note": note}
        return super().changelist_view(request, extra_context)

    def has_delete_permission(self, request: HttpRequest, obj: WorkType | None = None) -> bool:
        # Hours and the ERP refer to work types: mark one inactive instead of deleting it.
        return False
