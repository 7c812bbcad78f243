"""Log in with 24SevenOffice: a colleague's own 24SO login, checked live, opens Tidsbro.

Only when the active 24SO connection allows it. The e-mail and password go to 24SO
(GetIdentitiesWithCredential, then Login in the connected client); the 24SO user found there
is mapped to the Tidsbro user through the connection's user binding. The password is never
stored or logged. The check runs as an authentication backend called through
`django.contrib.auth.authenticate`, so login lockout (django-axes) counts these attempts too.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, authenticate, login
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

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError

BACKEND = "apps.accounts.sso.TwentyFourSevenBackend"


def sso_connection() -> Any:
    """The active 24SO connection when it allows log in with 24SevenOffice, else None."""
    from apps.integrations.models import Connection, System

    return Connection.objects.filter(
        system=System.TWENTYFOURSEVEN, is_active=True, sso_allowed=True
    ).first()


@sensitive_variables("password")
def sso_user(*, username: str, password: str) -> User:
    """The Tidsbro user a 24SO login belongs to; refuses with a message a person can act on."""
    from apps.integrations import services
    from apps.integrations.models import Binding

    connection = sso_connection()
    if connection is None:
        raise ApplicationError(_("Logging in with 24SevenOffice is not switched on."))
    if not username or not password:
        raise ApplicationError(_("Enter your 24SevenOffice e-mail and password."))
    identity = services.connection_sso_identity(
        connection=connection, username=username, password=password
    )
    binding = (
        Binding.objects.filter(
            connection=connection,
            entity="user",
            external_id=str(identity.contact_id),
            local_id__isnull=False,
        ).first()
        if identity.contact_id is not None
        else None
    )
    user = User.objects.filter(pk=binding.local_id).first() if binding else None
    if user is None:
        raise ApplicationError(
            _(
                "24SevenOffice accepted the login, but it is not linked to a Tidsbro user. "
                "Ask an administrator to map your 24SevenOffice user."
            )
        )
    if not user.is_active or not user.is_staff:
        raise ApplicationError(
            _("Your Tidsbro user is deactivated. Ask an administrator to activate it.")
        )
    return user


class TwentyFourSevenBackend(BaseBackend):
    """Authenticates `username` + `erp_password` against 24SO (nothing else: a plain
    `password` is left to the model backend). The reason for a refusal is put on the request
    as `sso_error` for the login page to show."""

    @sensitive_variables("erp_password")
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        erp_password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None or erp_password is None:
            return None
        try:
            return sso_user(username=username.strip(), password=erp_password)
        except ApplicationError as exc:
            if request is not None:
                request.sso_error = exc.message
            return None

    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.filter(pk=user_id).first()
        return user if user is not None and user.is_active else None


# --- the page ---------------------------------------------------------------------------------


class SsoLoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("24SevenOffice e-mail"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("24SevenOffice password"),
        strip=False,
        widget=forms.PasswordInput(render_value=False),
    )


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
    """Log in with 24SevenOffice: e-mail + password checked live; then the admin."""
    if sso_connection() is None:
        raise Http404("SSO is not switched on")
    form = SsoLoginForm(request.POST if request.method == "POST" else None)
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
        "title": _("Log in with 24SevenOffice"),
        "form": form,
        "sso_error": error,
        "next": request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, ""),
    }
    return TemplateResponse(request, "admin/sso_login.html", context)
