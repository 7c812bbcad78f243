"""HTTP face of the sandbox: the REST API and the page where a user approves an app."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode, urlsplit

from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.hashers import check_password
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from . import endpoint, openapi
from .models import Agreement, App, DraftInvoice, Grant


@csrf_exempt
def api_view(request: HttpRequest, path: str) -> HttpResponse:
    return _respond(request, endpoint.handle(request, path))


@csrf_exempt
def openapi_view(request: HttpRequest, service: str, version: str, path: str) -> HttpResponse:
    """e-conomic's OpenAPI services (``/<service>api/v<version>/<path>``) on the same pipeline."""
    surface = openapi.surface(service, version)
    return _respond(request, endpoint.handle(request, path, surface))


def _respond(request: HttpRequest, outcome: endpoint.Outcome) -> HttpResponse:
    if outcome.delay:  # done and logged: only the answer is late (past a client's timeout)
        time.sleep(outcome.delay)
    if outcome.drop and endpoint.drop_connection(request):
        return HttpResponse(b"", status=500)
    response = HttpResponse(
        outcome.content(),
        status=outcome.status,
        content_type=outcome.content_type if outcome.body is not None else None,
    )
    for name, value in outcome.headers.items():
        response[name] = value
    return response


def _redirect_ok(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def request_access_view(request: HttpRequest) -> HttpResponse:
    """e-conomic's ``requestaccess.aspx``: log in, approve the app, go back with ``?token=``."""
    params = request.POST if request.method == "POST" else request.GET
    public_token = params.get("appPublicToken", "")
    redirect_url = params.get("redirectUrl", "")
    app = App.objects.filter(public_token=public_token).first() if public_token else None
    if app is None:
        return HttpResponseBadRequest(_("Unknown app (appPublicToken)."))
    if redirect_url and not _redirect_ok(redirect_url):
        return HttpResponseBadRequest(_("The redirect URL must be an http or https address."))
    context = {
        "app": app,
        "public_token": public_token,
        "redirect_url": redirect_url,
        "login": params.get("login", ""),
        "error": "",
    }
    if request.method != "POST":
        return render(request, "sandbox/economic/requestaccess.html", context)
    agreement = Agreement.objects.filter(user_login=params.get("login", "")).first()
    if agreement is None or not check_password(params.get("password", ""), agreement.user_password):
        context["error"] = _("Wrong user name or password.")
        return render(request, "sandbox/economic/requestaccess.html", context, status=200)
    if "approve" not in request.POST:
        target = redirect_url or None
        if target is None:
            return render(request, "sandbox/economic/requestaccess.html", context)
        return HttpResponseRedirect(target)  # declined: back without a token
    grant = grant_approve(agreement=agreement, app=app)
    if not redirect_url:
        context["token"] = grant.token
        return render(request, "sandbox/economic/requestaccess.html", context)
    separator = "&" if urlsplit(redirect_url).query else "?"
    return HttpResponseRedirect(f"{redirect_url}{separator}{urlencode({'token': grant.token})}")


def grant_approve(*, agreement: Agreement, app: App) -> Grant:
    """The agreement's live grant to ``app`` (a new token if there is none or it was revoked)."""
    grant = Grant.objects.filter(agreement=agreement, app=app, revoked=False).first()
    if grant is None:
        grant = Grant.objects.create(
            agreement=agreement,
            app=app,
            token=secrets.token_urlsafe(32),
            roles=list(app.required_roles or ["SuperUser"]),
        )
    return grant


@staff_member_required
def draft_invoice_view(request: HttpRequest, number: int) -> HttpResponse:
    """e-conomic's page of one draft invoice (its web UI): the draft's admin page, found by its
    number (the newest agreement's when several agreements have that number)."""
    draft = DraftInvoice.objects.filter(number=number).order_by("-agreement_id").first()
    if draft is None:
        raise Http404(_("No draft invoice has this number."))
    return HttpResponseRedirect(
        reverse("admin:sandbox_economic_draftinvoice_change", args=[draft.pk])
    )
