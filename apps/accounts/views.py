"""The page an invited colleague lands on to choose their password."""

from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from apps.accounts.services import invitation_accept, invitation_get
from apps.core.exceptions import ApplicationError


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_get(token=token)
    if invitation is None or not invitation.is_usable or not invitation.user.is_active:
        if invitation is None:
            reason = "unknown"
        elif invitation.accepted_at:
            reason = "used"
        elif invitation.revoked_at:
            reason = "revoked"
        elif not invitation.user.is_active:
            reason = "deactivated"
        else:
            reason = "expired"
        return TemplateResponse(
            request, "accounts/invitation_invalid.html", {"reason": reason}, status=410
        )
    form = SetPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(token=token, password=form.cleaned_data["new_password1"])
        except ApplicationError:
            return TemplateResponse(
                request, "accounts/invitation_invalid.html", {"reason": "used"}, status=410
            )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("admin:index")
    return TemplateResponse(
        request, "accounts/invitation_accept.html", {"form": form, "invitee": invitation.user}
    )
