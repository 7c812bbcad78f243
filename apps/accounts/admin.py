"""Users (invited by e-mail, never given a password here) and their invitations.

Also holds the admin base every domain admin uses to write through its services
(`ServiceModelForm`, `ServiceModelAdmin`); it belongs in apps/core once that file is free.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from apps.accounts.models import Invitation, User
from apps.accounts.roles import ROLE_LABELS
from apps.accounts.services import USER_EDITABLE_FIELDS, invitation_resend, user_invite, user_update
from apps.core.exceptions import ApplicationError

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


class ServiceModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose writes are service calls; refusals show as form errors or messages."""

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


# --- users ------------------------------------------------------------------------------------

ROLE_CHOICES = list(ROLE_LABELS.items())


class UserInviteForm(ServiceModelForm):
    """The "Add user" form: whom to invite. They choose their password from the e-mailed link."""

    roles = forms.MultipleChoiceField(
        label=_("roles"), choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "language"]

    def save_via_service(self) -> User:
        data = self.cleaned_data
        user, _invitation = user_invite(
            email=data["email"],
            invited_by=self.request.user,
            base_url=self.request.build_absolute_uri("/"),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            roles=data.get("roles", []),
            language=data.get("language", ""),
        )
        return user


class UserChangeForm(ServiceModelForm):
    roles = forms.MultipleChoiceField(
        label=_("roles"), choices=ROLE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = User
        fields = USER_EDITABLE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = [
                g.name for g in self.instance.groups.all() if g.name in ROLE_LABELS
            ]

    def save_via_service(self) -> User:
        data = {f: self.cleaned_data[f] for f in USER_EDITABLE_FIELDS if f in self.cleaned_data}
        return user_update(user=self.instance, data=data, roles=self.cleaned_data.get("roles"))


class InvitationInline(admin.TabularInline):
    model = Invitation
    fk_name = "user"
    fields = ["created_at", "invited_by", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("invitations sent")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("user", "invited_by")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(ServiceModelAdmin):
    """Colleagues. "Add user" sends an invitation; the colleague sets their own password."""

    form = UserChangeForm
    add_form = UserInviteForm
    list_display = ["email", "first_name", "last_name", "role_list", "is_active", "last_login"]
    list_filter = ["groups", "is_active", "is_staff", "language"]
    search_fields = ["email", "first_name", "last_name"]
    ordering = ["first_name", "last_name", "email"]
    readonly_fields = ["password_state", "last_login", "date_joined"]
    inlines = [InvitationInline]
    actions = ["resend_invitation"]
    fieldsets = [
        (None, {"fields": ["email", "first_name", "last_name", "phone"]}),
        (_("Access"), {"fields": ["roles", "is_active", "is_staff", "password_state"]}),
        (_("Preferences"), {"fields": ["language", "time_zone"]}),
        (_("History"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "fields": ["email", "first_name", "last_name", "roles", "language"],
                "description": _(
                    "The colleague gets an e-mail with a one-time link to choose their password."
                ),
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("groups")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list:
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list:
        return [] if obj is None else self.readonly_fields

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list:
        return super().get_inline_instances(request, obj) if obj is not None else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Hours belong to people: deactivate a colleague instead of deleting them.
        return False

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return ", ".join(str(ROLE_LABELS.get(g.name, g.name)) for g in obj.groups.all())

    @admin.display(description=_("password"))
    def password_state(self, obj: User) -> str:
        if obj.has_usable_password():
            return str(_("Set by the user."))
        return str(_("Not set yet: the user has not accepted the invitation."))

    @admin.action(description=_("Resend invitation"), permissions=["change"])
    def resend_invitation(self, request: HttpRequest, queryset: QuerySet) -> None:
        sent, refused = 0, []
        for user in queryset:
            try:
                invitation_resend(
                    user=user, invited_by=request.user, base_url=request.build_absolute_uri("/")
                )
            except ApplicationError as exc:
                refused.append((user, exc.message))
            else:
                sent += 1
                self.log_change(request, user, str(_("Invitation resent.")))
        report_bulk(
            self,
            request,
            done=sent,
            refused=refused,
            done_text=ngettext_lazy(
                "%(done)d invitation sent", "%(done)d invitations sent", "done"
            ),
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Who was invited by whom and what became of the link. The token is never shown."""

    list_display = ["user", "invited_by", "created_at", "expires_at", "state"]
    list_filter = ["created_at"]
    list_select_related = ["user", "invited_by"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    date_hierarchy = "created_at"
    fields = ["user", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    readonly_fields = fields

    @admin.display(description=_("state"))
    def state(self, obj: Invitation) -> str:
        if obj.accepted_at:
            return str(_("accepted"))
        if obj.revoked_at:
            return str(_("replaced by a newer link"))
        if obj.is_expired:
            return str(_("expired"))
        return str(_("open"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
