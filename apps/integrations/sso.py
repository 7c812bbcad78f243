"""Log in with the ERP: a colleague's own login in the connected system, checked live by its
connector, opens Tidsbro.

Only when the active connection's connector offers it (`spec.sso`) and the office allows it
(`Connection.sso_allowed`). The e-mail and password go to the system through the connector;
the person found there is mapped to the Tidsbro user through the connection's user binding.
The password is never stored or logged. The check runs as an authentication backend called
through `django.contrib.auth.authenticate`, so login lockout (django-axes) counts these
attempts too.

It lives in `integrations` (which attaches to `accounts`): `accounts` never imports
`integrations`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, authenticate, get_user_model, login
from django.contrib.auth.backends import BaseBackend
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from apps.core.exceptions import ApplicationError

BACKEND = "apps.integrations.sso.ErpLoginBackend"


def sso_connection() -> Any:
    """The active connection whose system offers log in with it and whose office allows it."""
    from apps.integrations.models import Connection

    for connection in Connection.objects.filter(is_active=True, sso_allowed=True).order_by("id"):
        try:
            if connection.spec.sso is not None:
                return connection
        except LookupError:  # a system whose connector is no longer installed
            continue
    return None


@sensitive_variables("password")
def sso_user(*, username: str, password: str) -> Any:
    """The Tidsbro user an ERP login belongs to; refuses with a message a person can act on."""
    from apps.integrations.models import Binding

    connection = sso_connection()
    if connection is None:
        raise ApplicationError(_("Logging in with the ERP is not switched on."))
    system = connection.system_name
    if not username or not password:
        raise ApplicationError(_("Enter your %(system)s e-mail and password.") % {"system": system})
    external_id = connection.spec.sso.external_user_id(
        connection, username=username, password=password
    )
    binding = Binding.objects.filter(
        connection=connection, entity="user", external_id=external_id, local_id__isnull=False
    ).first()
    User = get_user_model()
    user = User.objects.filter(pk=binding.local_id).first() if binding else None
    if user is None:
        raise ApplicationError(
            _(
                "%(system)s accepted the login, but it is not linked to a Tidsbro user. "
                "Ask an administrator to map your %(system)s user."
            )
            % {"system": system}
        )
    if not user.is_active or not user.is_staff:
        raise ApplicationError(
            _("Your Tidsbro user is deactivated. Ask an administrator to activate it.")
        )
    return user


class ErpLoginBackend(BaseBackend):
    """Authenticates `username` + `erp_password` against the ERP (nothing else: a plain
    `password` is left to the model backend). The reason for a refusal is put on the request
    as `sso_error` for the login page to show."""

    @sensitive_variables("erp_password")
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        erp_password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None or erp_password is None:
            return None
        try:
            return sso_user(username=username.strip(), password=erp_password)
        except ApplicationError as exc:
            if request is not None:
                request.sso_error = exc.message
            return None

    def get_user(self, user_id: Any) -> Any:
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None


# --- the page ---------------------------------------------------------------------------------


class SsoLoginForm(forms.Form):
    username = forms.CharField(max_length=254)
    password = forms.CharField(strip=False, widget=forms.PasswordInput(render_value=False))

    def __init__(self, *args: Any, system: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = gettext_lazy("%(system)s e-mail") % {"system": system}
        self.fields["password"].label = gettext_lazy("%(system)s password") % {"system": system}


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sso_login_view(request: HttpRequest) -> HttpResponse:
    """Log in with the ERP: e-mail + password checked live; then the admin."""
    connection = sso_connection()
    if connection is None:
        raise Http404("SSO is not switched on")
    system = connection.system_name
    form = SsoLoginForm(request.POST if request.method == "POST" else None, system=system)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["username"],
            erp_password=form.cleaned_data["password"],
        )
        if user is not None:
            login(request, user, backend=BACKEND)
            return HttpResponseRedirect(_next_url(request))
        error = getattr(request, "sso_error", "") or _("Too many failed attempts. Try again later.")
    from django.contrib import admin

    context = {
        **admin.site.each_context(request),
        "title": _("Log in with %(system)s") % {"system": system},
        "system": system,
        "form": form,
        "sso_error": error,
        "next": request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, ""),
    }
    return TemplateResponse(request, "admin/sso_login.html", context)
