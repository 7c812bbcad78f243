"""Logging in on a system's own site (OAuth authorization code), for any connector whose spec
declares `oauth` (an `OAuthLogin`).

- POST `/integrations/oauth/<system>/start/` (`purpose`): asks the capability for the
  system's login URL (it remembers the pending authorization in the session) and sends the
  administrator there.
- GET `/integrations/oauth/<system>/callback/`: the redirect URI registered with the system.
  The capability checks the answer (state, issuer, error) and stores what it brought — in the
  connect wizard, or for a connection's key — and says where to go next.

Only signed-in staff reach either; the capability checks the permission its purpose needs.
The query string (code, state) is never logged here.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_POST

from apps.core.exceptions import ApplicationError
from apps.integrations import registry

log = logging.getLogger(__name__)


def _capability(system: str):
    try:
        spec = registry.spec_for(system)
    except LookupError:
        raise Http404("No such system") from None
    if spec.oauth is None:
        raise Http404("This system has no login of its own")
    return spec.oauth


def _staff(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_staff)


@never_cache
@require_POST
def start_view(request: HttpRequest, system: str) -> HttpResponse:
    """Sends the administrator to the system's login for the posted purpose."""
    if not _staff(request):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    oauth = _capability(system)
    back = request.POST.get("next") or reverse("admin:index")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("admin:index")
    try:
        return HttpResponseRedirect(oauth.start(request, purpose=request.POST.get("purpose", "")))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)


@never_cache
@require_GET
@sensitive_variables("request")
def callback_view(request: HttpRequest, system: str) -> HttpResponse:
    """The system's login came back: the capability checks it and says where to go."""
    if not _staff(request):
        # The pending authorization lives in the session of whoever started it.
        return redirect_to_login(reverse("admin:index"), reverse("admin:login"))
    oauth = _capability(system)
    from apps.integrations.admin_views.onboarding import Wizard

    outcome = oauth.callback(request, wizard=Wizard(request))
    if outcome.message:
        (messages.success if outcome.ok else messages.error)(request, outcome.message)
    return HttpResponseRedirect(outcome.redirect_to)


urlpatterns = [
    path("<str:system>/start/", start_view, name="integrations_oauth_start"),
    path("<str:system>/callback/", callback_view, name="integrations_oauth_callback"),
]
