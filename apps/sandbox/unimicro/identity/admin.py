"""The sandbox's sign-in in the admin (superusers only): users, organisations, companies,
clients (with the server client's certificate) and refresh tokens (hash prefix only), with
"Expire all access tokens now" and "Revoke all refresh tokens"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from . import services
from .models import Client, Company, Organisation, RefreshToken, SandboxUser


def _superuser(request: Any) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class SuperuserAdmin(ModelAdmin):
    def has_module_permission(self, request: Any) -> bool:
        return _superuser(request)

    def has_view_permission(self, request: Any, obj: Any = None) -> bool:
        return _superuser(request)

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return _superuser(request)

    def has_add_permission(self, request: Any) -> bool:
        return _superuser(request)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return _superuser(request)


@admin.register(Organisation)
class OrganisationAdmin(SuperuserAdmin):
    list_display = ["name", "org_number", "guid"]
    search_fields = ["name", "org_number"]
    readonly_fields = ["guid"]


@admin.register(Company)
class CompanyAdmin(SuperuserAdmin):
    list_display = ["name", "organisation", "key", "org_number", "is_test"]
    list_filter = ["organisation", "is_test"]
    list_select_related = ["organisation"]
    search_fields = ["name", "key", "org_number"]


class SandboxUserForm(forms.ModelForm):
    new_password = forms.CharField(
        label=_("New password"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the password."),
    )

    class Meta:
        model = SandboxUser
        fields = ["email", "name", "organisations", "is_active", "guid"]


@admin.register(SandboxUser)
class SandboxUserAdmin(SuperuserAdmin):
    form = SandboxUserForm
    list_display = ["email", "name", "guid", "is_active"]
    search_fields = ["email", "name"]
    filter_horizontal = ["organisations"]

    def save_model(self, request: Any, obj: SandboxUser, form: Any, change: bool) -> None:
        if form.cleaned_data.get("new_password"):
            obj.set_password(form.cleaned_data["new_password"])
        elif not obj.password:
            from django.contrib.auth.hashers import make_password

            obj.password = make_password(None)  # unusable until one is set
        super().save_model(request, obj, form, change)


@admin.register(Client)
class ClientAdmin(SuperuserAdmin):
    list_display = ["client_id", "name", "kind", "allowed_scopes", "not_before"]
    list_filter = ["kind"]
    search_fields = ["client_id", "name"]
    filter_horizontal = ["companies"]
    fieldsets = [
        (None, {"fields": ["client_id", "name", "kind", "allowed_scopes"]}),
        (
            _("Interactive login"),
            {"fields": ["client_secret", "redirect_uris", "loopback_callback_path"]},
        ),
        (_("Server application"), {"fields": ["certificate_pem", "companies"]}),
        (_("Tokens"), {"fields": ["not_before"]}),
    ]
    actions = ["expire_access_tokens", "revoke_refresh_tokens"]

    @admin.action(description=_("Expire all access tokens now"))
    def expire_access_tokens(self, request: Any, queryset: Any) -> None:
        count = services.access_tokens_expire_all(clients=list(queryset))
        self.message_user(
            request,
            _("Access tokens issued until now are refused for %(count)d client(s).")
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke all refresh tokens"))
    def revoke_refresh_tokens(self, request: Any, queryset: Any) -> None:
        count = services.refresh_tokens_revoke_all(
            queryset=RefreshToken.objects.filter(client__in=queryset)
        )
        self.message_user(
            request, _("%(count)d refresh token(s) revoked.") % {"count": count}, messages.SUCCESS
        )


@admin.register(RefreshToken)
class RefreshTokenAdmin(SuperuserAdmin):
    """Read-only apart from revoking: the token itself is never stored, only its hash."""

    list_display = [
        "hash_prefix",
        "client",
        "user",
        "organisation",
        "scope",
        "created_at",
        "revoked_at",
        "revoked_reason",
    ]
    list_filter = ["client", "revoked_reason"]
    list_select_related = ["client", "user", "organisation"]
    search_fields = ["user__email", "family"]
    fields = [
        "hash_prefix",
        "family",
        "client",
        "user",
        "organisation",
        "scope",
        "created_at",
        "revoked_at",
        "revoked_reason",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description=_("token (SHA-256 prefix)"))
    def hash_prefix(self, obj: RefreshToken) -> str:
        return f"{obj.token_hash[:10]}…"

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke all refresh tokens"), permissions=["view"])
    def revoke(self, request: Any, queryset: Any) -> None:
        count = services.refresh_tokens_revoke_all(queryset=queryset)
        self.message_user(
            request, _("%(count)d refresh token(s) revoked.") % {"count": count}, messages.SUCCESS
        )
