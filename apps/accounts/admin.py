"""Users (invited by e-mail, never given a password here), their invitations and API tokens."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from unfold.admin import ModelAdmin, TabularInline

from apps.accounts.models import ApiToken, Invitation, User
from apps.accounts.roles import ROLE_LABELS
from apps.accounts.services import (
    USER_EDITABLE_FIELDS,
    api_token_create,
    api_token_revoke,
    invitation_resend,
    user_invite,
    user_update,
)
from apps.core.admin import ServiceModelAdmin, ServiceModelForm, report_bulk
from apps.core.exceptions import ApplicationError

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


class InvitationInline(TabularInline):
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
class InvitationAdmin(ModelAdmin):
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


# --- API tokens -------------------------------------------------------------------------------


class ApiTokenForm(ServiceModelForm):
    """Makes a token for the person filling it in; the key goes on the instance, unsaved."""

    class Meta:
        model = ApiToken
        fields = ["name"]
        help_texts = {"name": _("What the token is for, e.g. the script or system that uses it.")}

    def save_via_service(self) -> ApiToken:
        token, key = api_token_create(user=self.request.user, name=self.cleaned_data["name"])
        token.shown_once_key = key  # for the answer to this request only; never stored
        return token


def _manages_all_tokens(request: HttpRequest) -> bool:
    return request.user.has_perm("accounts.manage_all_apitoken")


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceModelAdmin):
    """API tokens. Everybody sees, makes and revokes their own ("My API tokens");
    administrators see and revoke everybody's. Only a digest is stored: no key is readable."""

    form = ApiTokenForm
    list_display = ["name", "starts_with", "user", "created_at", "last_used_at"]
    list_display_links = ["name"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__email", "user__first_name", "user__last_name"]
    ordering = ["-created_at", "-pk"]
    readonly_fields = ["name", "starts_with", "user", "created_at", "last_used_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return queryset if _manages_all_tokens(request) else queryset.filter(user=request.user)

    def get_list_display(self, request: HttpRequest) -> list:
        if _manages_all_tokens(request):
            return self.list_display
        return [name for name in self.list_display if name != "user"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list:
        return ["name"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> list:
        return [] if obj is None else self.readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return False  # a token is made and revoked, never edited

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (
            obj is None or obj.user_id == request.user.pk or _manages_all_tokens(request)
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        if not _manages_all_tokens(request):
            extra_context = {**(extra_context or {}), "title": _("My API tokens")}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("starts with"), ordering="prefix")
    def starts_with(self, obj: ApiToken) -> str:
        return f"{obj.prefix}…"

    def response_add(
        self, request: HttpRequest, obj: ApiToken, post_url_continue: str | None = None
    ) -> HttpResponse:
        # The only time the key exists outside the caller's hands: show it, cache nothing.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Your new API token"),
            "token": obj,
            "key": obj.shown_once_key,
            "api_url": request.build_absolute_uri("/api/v1/me/"),
        }
        response = TemplateResponse(request, "admin/accounts/apitoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def delete_service(self, request: HttpRequest, obj: ApiToken) -> None:
        api_token_revoke(token=obj, actor=request.user)
