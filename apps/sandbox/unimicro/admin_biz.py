"""The "Unimicro sandbox" admin section where one plays Unimicro (superusers).

Per company: browse, add and edit customers, projects, products, work types, work items,
orders, invoices and eventplans as the JSON the API shows (children included); saving goes
through the API's store (`store.create`/`store.update`/`store.delete`), so number series,
validation and eventplan deliveries apply exactly as for an API call. Actions run the API's
actions. The delivery log is read-only, with "Deliver again" (a replay) and "Deliver due now".
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from . import actions, deliveries, entities
from .models import BizRecord
from .models_domain import BlockedEndpoint, EventplanDelivery
from .models_proxies import (
    CustomerRecord,
    EventplanRecord,
    InvoiceRecord,
    OrderRecord,
    ProductRecord,
    ProjectRecord,
    UserRecord,
    WorkerRecord,
    WorkItemRecord,
    WorkTypeRecord,
)
from .seed import company_keys

_COMPANIES: tuple[float, dict[str, str]] = (0.0, {})


def company_names() -> dict[str, str]:
    """key → name of the sandbox's companies, read at most every few seconds (list pages show
    a name per row)."""
    global _COMPANIES
    read_at, names = _COMPANIES
    if time.monotonic() - read_at > 5 or not names:
        names = dict(company_keys())
        _COMPANIES = (time.monotonic(), names)
    return names


def _caller(request: Any) -> SimpleNamespace:
    """The admin user as the API's caller (the gate's Caller fields)."""
    name = request.user.get_username()
    return SimpleNamespace(
        subject=f"admin:{name}",
        client_id="sandbox-admin",
        company_key=None,
        company_name="",
        user_name=name,
        scopes=frozenset({"AppFramework"}),
    )


def _expand(entity: entities.EntityDef, prefix: str = "", depth: int = 0) -> list[str]:
    paths = []
    for name in entity.writable_children:
        path = f"{prefix}{name}"
        paths.append(path)
        if depth < 3:
            paths.extend(_expand(entity.expandable[name].entity, f"{path}.", depth + 1))
    return paths


def _store() -> Any:
    from . import store

    return store


class CompanyFilter(admin.SimpleListFilter):
    """The records of one company, named as the identity server names it."""

    title = _("company")
    parameter_name = "company"

    def lookups(self, request: Any, model_admin: Any) -> list[tuple[str, str]]:
        return sorted(company_names().items(), key=lambda pair: pair[1])

    def queryset(self, request: Any, queryset: Any) -> Any:
        value = self.value()
        return queryset.filter(company_key=value) if value else queryset


class BizRecordForm(forms.ModelForm):
    company_key = forms.ChoiceField(label=_("Company"))
    document = forms.CharField(
        label=_("Record (JSON)"),
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "style": "font-family: monospace"}),
        help_text=_(
            "The fields as the API shows them, children included. New children: leave out ID "
            '(or 0); remove a child with "Deleted": true. The server fills in numbers, ID and '
            "timestamps."
        ),
    )

    class Meta:
        model = BizRecord
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["company_key"].choices = [(k, f"{n} ({k})") for k, n in company_keys()]
        if self.instance.pk:
            self.fields["company_key"].disabled = True
            self.fields["company_key"].initial = self.instance.company_key

    def clean_document(self) -> dict:
        try:
            value = json.loads(self.cleaned_data["document"] or "{}")
        except ValueError as error:
            raise ValidationError(_("Not valid JSON: %(error)s"), params={"error": error}) from None
        if not isinstance(value, dict):
            raise ValidationError(_("The record must be a JSON object."))
        return value


class BizRecordAdmin(admin.ModelAdmin):
    """One entity's records, edited as the API's JSON through the API's store."""

    form = BizRecordForm
    list_filter = (CompanyFilter,)
    list_per_page = 50
    ordering = ("company_key", "record_id")
    columns: tuple[tuple[str, str], ...] = ()  # (field, label) shown from the record's data
    search_fields = ("data",)

    @property
    def entity(self) -> entities.EntityDef:
        found = entities.by_name(self.model.ENTITY)
        assert found is not None
        return found

    def has_module_permission(self, request: Any) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = (
        lambda self, request, obj=None: request.user.is_active and request.user.is_superuser
    )

    def get_list_display(self, request: Any) -> tuple:
        return ("record_id", "company", *self._column_functions(), "updated_at")

    def _column_functions(self) -> list:
        made = []
        for field_name, label in self.columns:

            def show(obj: Any, field_name: str = field_name) -> Any:
                return (obj.data or {}).get(field_name, "")

            show.short_description = label  # type: ignore[attr-defined]
            setattr(self, f"col_{field_name}", show)
            made.append(f"col_{field_name}")
        return made

    @admin.display(description=_("Company"), ordering="company_key")
    def company(self, obj: Any) -> str:
        return company_names().get(obj.company_key, obj.company_key)

    def get_fieldsets(self, request: Any, obj: Any = None) -> list:
        return [(None, {"fields": ("company_key", "document")})]

    def get_form(self, request: Any, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        entity = self.entity
        if obj is not None and obj.pk:
            shown = _store().read(
                obj.company_key, entity, obj.record_id, expand=",".join(_expand(entity))
            )
            initial = json.dumps(shown or {}, indent=2, ensure_ascii=False, default=str)
        else:
            initial = json.dumps(
                {k: v for k, v in entity.defaults.items() if v is not None},
                indent=2,
                ensure_ascii=False,
            )
        form.base_fields["document"].initial = initial
        admin_self, caller, record = self, _caller(request), obj

        class WritingForm(form):  # the API's write path, refusals shown on the form
            def clean(self) -> dict:
                cleaned = super().clean()
                if self.errors:
                    return cleaned
                document = dict(cleaned["document"])
                try:
                    if record is not None and record.pk:
                        company_key = record.company_key
                        saved = _store().update(
                            company_key, entity, record.record_id, document, caller
                        )
                    else:
                        company_key = cleaned["company_key"]
                        document.pop("ID", None)
                        saved = _store().create(
                            company_key, entity, document, caller, internal=True
                        )
                except entities.ValidationFailed as failed:
                    raise ValidationError(
                        [str(m.get("Message", "")) for m in failed.messages]
                    ) from None
                self.saved_row = BizRecord.objects.get(
                    company_key=company_key, entity=entity.name, record_id=saved["ID"]
                )
                return cleaned

        del admin_self
        return WritingForm

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        """The write happened in the form's clean (through the store); point `obj` at it."""
        row = form.saved_row
        obj.pk, obj.company_key, obj.record_id = row.pk, row.company_key, row.record_id
        obj.entity, obj.data = row.entity, row.data
        obj._state.adding = False

    def delete_model(self, request: Any, obj: Any) -> None:
        _store().delete(obj.company_key, self.entity, obj.record_id, _caller(request))

    def delete_queryset(self, request: Any, queryset: Any) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def _run(self, request: Any, queryset: Any, action: str) -> None:
        done = 0
        for obj in queryset:
            try:
                status, answer = actions.run(
                    obj.company_key, self.entity, obj.record_id, action, {}, None, _caller(request)
                )
            except entities.ValidationFailed as failed:
                status, answer = 400, {"Message": "; ".join(m["Message"] for m in failed.messages)}
            if status == 200:
                done += 1
            else:
                self.message_user(
                    request,
                    _("%(id)s: %(message)s")
                    % {"id": obj.record_id, "message": (answer or {}).get("Message", status)},
                    messages.ERROR,
                )
        if done:
            self.message_user(
                request, _("%(action)s: %(count)d done.") % {"action": action, "count": done}
            )


@admin.register(CustomerRecord)
class CustomerRecordAdmin(BizRecordAdmin):
    columns = (("CustomerNumber", _("Number")), ("OrgNumber", _("Org. number")))
    actions = ["activate", "deactivate"]

    def get_list_display(self, request: Any) -> tuple:
        return ("record_id", "company", *self._column_functions(), "name", "status")

    def get_queryset(self, request: Any) -> Any:
        relation = BizRecord.objects.filter(
            company_key=OuterRef("company_key"),
            entity="BusinessRelation",
            record_id=OuterRef("relation_id"),
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                relation_id=Cast(KeyTextTransform("BusinessRelationID", "data"), IntegerField())
            )
            .annotate(
                relation_name=Subquery(
                    relation.annotate(name=KeyTextTransform("Name", "data")).values("name")[:1]
                )
            )
        )

    @admin.display(description=_("Name"))
    def name(self, obj: Any) -> str:
        return getattr(obj, "relation_name", "") or ""

    @admin.display(description=_("Status"))
    def status(self, obj: Any) -> str:
        code = (obj.data or {}).get("StatusCode")
        return {
            entities.CUSTOMER_ACTIVE: _("Active"),
            entities.CUSTOMER_INACTIVE: _("Inactive"),
        }.get(code, str(code))

    @admin.action(description=_("Activate"))
    def activate(self, request: Any, queryset: Any) -> None:
        self._run(request, queryset, "activate")

    @admin.action(description=_("Deactivate"))
    def deactivate(self, request: Any, queryset: Any) -> None:
        self._run(request, queryset, "deactivate")


@admin.register(ProjectRecord)
class ProjectRecordAdmin(BizRecordAdmin):
    columns = (
        ("ProjectNumber", _("Number")),
        ("Name", _("Name")),
        ("StatusCode", _("Status")),
        ("ProjectCustomerID", _("Customer ID")),
    )


@admin.register(ProductRecord)
class ProductRecordAdmin(BizRecordAdmin):
    columns = (("PartName", _("Product number")), ("Name", _("Name")), ("PriceExVat", _("Price")))


@admin.register(WorkTypeRecord)
class WorkTypeRecordAdmin(BizRecordAdmin):
    columns = (("Name", _("Name")), ("ProductID", _("Product ID")), ("Price", _("Price")))


@admin.register(UserRecord)
class UserRecordAdmin(BizRecordAdmin):
    columns = (("DisplayName", _("Name")), ("Email", _("E-mail")))


@admin.register(WorkerRecord)
class WorkerRecordAdmin(BizRecordAdmin):
    columns = (("UserID", _("User ID")),)


@admin.register(WorkItemRecord)
class WorkItemRecordAdmin(BizRecordAdmin):
    columns = (
        ("Date", _("Date")),
        ("Minutes", _("Minutes")),
        ("WorkRelationID", _("Work relation")),
        ("WorkTypeID", _("Work type")),
        ("TransferedToOrder", _("On an order")),
        ("CustomerOrderID", _("Order ID")),
    )


@admin.register(OrderRecord)
class OrderRecordAdmin(BizRecordAdmin):
    columns = (
        ("OrderNumber", _("Number")),
        ("CustomerName", _("Customer")),
        ("StatusCode", _("Status")),
    )
    actions = ["register", "transfer_to_invoice"]

    @admin.action(description=_("Register"))
    def register(self, request: Any, queryset: Any) -> None:
        self._run(request, queryset, "register")

    @admin.action(description=_("Transfer to invoice"))
    def transfer_to_invoice(self, request: Any, queryset: Any) -> None:
        self._run(request, queryset, "transfer-to-invoice")


@admin.register(InvoiceRecord)
class InvoiceRecordAdmin(BizRecordAdmin):
    columns = (
        ("InvoiceNumber", _("Number")),
        ("CustomerName", _("Customer")),
        ("StatusCode", _("Status")),
        ("CustomerOrderID", _("Order ID")),
    )
    actions = ["book"]

    @admin.action(description=_("Invoice (book)"))
    def book(self, request: Any, queryset: Any) -> None:
        self._run(request, queryset, "invoice")


@admin.register(EventplanRecord)
class EventplanRecordAdmin(BizRecordAdmin):
    columns = (
        ("Name", _("Name")),
        ("Active", _("Active")),
        ("ModelFilter", _("Models")),
        ("OperationFilter", _("Operations")),
    )


@admin.register(EventplanDelivery)
class EventplanDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "event_type",
        "entity_name",
        "entity_id",
        "url",
        "status",
        "attempts",
        "response_code",
        "error",
        "replay_of",
    )
    list_filter = ("status", "event_type", "entity_name", CompanyFilter)
    search_fields = ("url", "body")
    readonly_fields = [f.name for f in EventplanDelivery._meta.fields]
    actions = ["deliver_again", "deliver_due_now"]

    def has_module_permission(self, request: Any) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    @admin.action(description=_("Deliver again (a replay)"))
    def deliver_again(self, request: Any, queryset: Any) -> None:
        copies = [deliveries.deliver_again(delivery) for delivery in queryset]
        self.message_user(request, _("%(count)d deliveries queued again.") % {"count": len(copies)})

    @admin.action(description=_("Deliver due now"))
    def deliver_due_now(self, request: Any, queryset: Any) -> None:
        tried = deliveries.deliver_due()
        self.message_user(request, _("%(count)d deliveries tried.") % {"count": tried})


@admin.register(BlockedEndpoint)
class BlockedEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "consecutive_401", "blocked_at")
    readonly_fields = ("url", "consecutive_401", "blocked_at")
    actions = ["unblock"]

    def has_module_permission(self, request: Any) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Unblock"))
    def unblock(self, request: Any, queryset: Any) -> None:
        for endpoint in queryset:
            deliveries.unblock(endpoint.url)
        self.message_user(request, _("Unblocked."))
