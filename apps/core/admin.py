"""The admin's title, and the base every domain admin uses to write through its services."""

from typing import Any
from urllib.parse import quote as url_quote

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.views import ChangeList
from unfold.widgets import CHECKBOX_CLASSES

from apps.core.exceptions import ApplicationError
from apps.core.models import AuditRecord

admin.site.site_header = _("Tidsbro")
admin.site.site_title = _("Tidsbro")
admin.site.index_title = _("Time registration and ERP sync")


# --- writing through services -----------------------------------------------------------------


def add_service_error(form: forms.BaseForm, exc: ApplicationError | ValidationError) -> None:
    """Shows a service's refusal on the form: on its field when the form has it, else on top."""
    if isinstance(exc, ApplicationError):
        exc = exc.as_validation_error()
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ServiceModelForm(forms.ModelForm):
    """A form whose valid data is written by a service while it validates.

    The service is the only place the rules live, so asking it is the validation: a refusal
    becomes a form error. `ServiceModelAdmin` rolls the write back when anything else on the
    page (an inline) is invalid, so an invalid page saves nothing.
    """

    request: HttpRequest | None = None  # set per request by ServiceModelAdmin.get_form

    def save_via_service(self) -> models.Model:
        raise NotImplementedError

    def _post_clean(self) -> None:
        # Deliberately not ModelForm._post_clean: it would copy the data onto the instance,
        # and the update services only write the fields that differ from the instance.
        if self._errors:
            return
        try:
            self.instance = self.save_via_service()
        except (ApplicationError, ValidationError) as exc:
            add_service_error(self, exc)

    def save(self, commit: bool = True) -> models.Model:
        # The service has saved already; the admin only needs the instance and a save_m2m.
        self.save_m2m = lambda: None
        return self.instance


class FastChangeList(ChangeList):
    """The theme's change list, with each row's link built from one reversed URL per page
    instead of a `reverse()` per linked column and row (two hundred on a page of hours)."""

    PLACEHOLDER = "__tidsbro_pk__"

    def url_for_result(self, result: Any) -> str:
        template = self.__dict__.get("_url_template")
        if template is None:
            template = self._url_template = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=(self.PLACEHOLDER,),
                current_app=self.model_admin.admin_site.name,
            )
        # As reverse() would write it: the admin's quoting, then URL escaping.
        pk = url_quote(quote(str(getattr(result, self.pk_attname))), safe="!$&'()*+,;=/~:@")
        return template.replace(self.PLACEHOLDER, pk)


# The theme's row checkbox (unfold.admin.checkbox) as one string: its classes never change.
_ROW_CHECKBOX_CLASS = " ".join([*CHECKBOX_CLASSES, "action-select"])


class ServiceModelAdmin(ModelAdmin):
    """A ModelAdmin whose writes are service calls; refusals show as form errors or messages."""

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return FastChangeList

    @admin.display(description=ModelAdmin.action_checkbox.short_description)
    def action_checkbox(self, obj: Any) -> str:
        """The theme's row checkbox, written directly: the form widget renders a template per
        row, about a third of a 100-row list's time."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="{}" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            _ROW_CHECKBOX_CLASS,
            _("Select record"),
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # modelform_factory made a new class: safe to set per request
        return form

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        with transaction.atomic(using=router.db_for_write(self.model)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if request.method == "POST" and _shows_errors(response):
                # The form's service call wrote, but an inline was invalid: keep nothing.
                transaction.set_rollback(True)
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """The form's service call has saved the object already."""

    def save_related(self, request: HttpRequest, form: Any, formsets: list, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Inlines are read-only unless an admin overrides this with service calls.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []

    def delete_service(self, request: HttpRequest, obj: Any) -> None:
        raise ApplicationError(str(_("This cannot be deleted here.")))

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_service(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # All or nothing: the "deleted N" message Django shows afterwards must be true.
        with transaction.atomic(using=router.db_for_write(self.model)):
            for obj in queryset:
                try:
                    self.delete_service(request, obj)
                except ApplicationError as exc:
                    raise ApplicationError(
                        str(_("Nothing was deleted. %(object)s: %(reason)s"))
                        % {"object": obj, "reason": exc.message}
                    ) from exc

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[object_id],
                    current_app=self.admin_site.name,
                )
            )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        try:
            return super().changelist_view(request, extra_context)
        except ApplicationError as exc:  # raised by a bulk action (delete_queryset)
            self.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


def is_autocomplete_for(request: HttpRequest, field: str) -> bool:
    """Whether this request is the admin's autocomplete for `field` ("app.model.field")."""
    app_label, model_name, field_name = field.split(".")
    query = request.GET
    return (
        request.resolver_match is not None
        and request.resolver_match.url_name == "autocomplete"
        and query.get("app_label") == app_label
        and query.get("model_name") == model_name
        and query.get("field_name") == field_name
    )


def _shows_errors(response: HttpResponse) -> bool:
    context = getattr(response, "context_data", None) or {}
    return isinstance(response, TemplateResponse) and bool(context.get("errors"))


def report_bulk(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    *,
    done: int,
    refused: list[tuple[Any, str]],
    done_text: str,
) -> None:
    """Reports a bulk action as "N moved; M refused: reason" in one message.

    `done_text` is the translated first half with a `%(done)d`, e.g. "%(done)d moved".
    """
    summary = done_text % {"done": done}
    if not refused:
        modeladmin.message_user(request, summary, messages.SUCCESS)
        return
    reasons = list(dict.fromkeys(reason for _obj, reason in refused))
    shown = "; ".join(reasons[:5]) + ("; …" if len(reasons) > 5 else "")
    modeladmin.message_user(
        request,
        _("%(summary)s; %(refused)d refused: %(reasons)s")
        % {"summary": summary, "refused": len(refused), "reasons": shown},
        messages.WARNING if done else messages.ERROR,
    )


# --- the audit log ----------------------------------------------------------------------------


@admin.register(AuditRecord)
class AuditLogAdmin(ModelAdmin):
    """Who did what to which object, from the admin's own history (apps/core/audit.py).

    Read-only for everybody, superusers too: an audit trail that can be edited proves nothing.
    Administrators and support see it (the permission core.view_auditrecord).
    """

    list_display = ["action_time", "user", "action_flag", "content_type", "object_link", "what"]
    list_filter = ["action_flag", ("action_time", admin.DateFieldListFilter), "content_type"]
    search_fields = ["object_repr", "change_message", "user__email"]
    list_select_related = ["user", "content_type"]
    date_hierarchy = "action_time"
    ordering = ["-action_time", "-pk"]
    show_full_result_count = False
    fields = ["action_time", "user", "action_flag", "content_type", "object_link", "what"]
    readonly_fields = fields

    def get_list_filter(self, request: HttpRequest) -> list:
        return [*self.list_filter, ("user", admin.RelatedOnlyFieldListFilter)]

    @admin.display(description=_("object"), ordering="object_repr")
    def object_link(self, obj: LogEntry) -> str:
        url = obj.get_admin_url()
        if not url or obj.action_flag == DELETION:
            return obj.object_repr
        return format_html('<a href="{}">{}</a>', url, obj.object_repr)

    @admin.display(description=_("what"))
    def what(self, obj: LogEntry) -> str:
        return obj.get_change_message()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
