"""The identity server's pages and endpoints (issuer = <base>/sandbox/unimicro/identity):
discovery, JWKS, the login → organisation → consent pages of /connect/authorize, /connect/token,
/connect/revocation, /connect/userinfo, and `/api/init/companies` of the API host."""

from __future__ import annotations

import json
import random
import threading
import time
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from django.conf import settings
from django.core.signing import BadSignature
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from . import gate, seed, tokens
from .models import SCOPE_WORDS, Organisation, SandboxUser
from .server import Grantee, server_for

TEMPLATES = "sandbox/unimicro/identity"
LOGIN_COOKIE = "sandbox_unimicro_login"  # the sandbox's own sign-in, never Tidsbro's session
LOGIN_SALT = "sandbox.unimicro.identity.login"
LOGIN_MAX_AGE = 8 * 3600
SCOPES_SUPPORTED = ["openid", "profile", "AppFramework", "offline_access"]


def issuer_of(request: HttpRequest) -> str:
    """The issuer as this request reaches the server (works under any host and port)."""
    return request.build_absolute_uri(reverse("sandbox_unimicro_identity_root")).rstrip("/")


# DISCOVERY
# ------------------------------------------------------------------------------
def root(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(f"{issuer_of(request)}/.well-known/openid-configuration")


def discovery(request: HttpRequest) -> HttpResponse:
    issuer = issuer_of(request)
    return JsonResponse(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/connect/authorize",
            "token_endpoint": f"{issuer}/connect/token",
            "jwks_uri": f"{issuer}/.well-known/openid-configuration/jwks",
            "revocation_endpoint": f"{issuer}/connect/revocation",
            "userinfo_endpoint": f"{issuer}/connect/userinfo",
            "scopes_supported": SCOPES_SUPPORTED,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "revocation_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
            ],
            "claims_supported": ["sub", "name", "email", "preferred_username", "org"],
            "prompt_values_supported": ["login", "none", "consent"],
            "authorization_response_iss_parameter_supported": True,
        }
    )


def jwks(request: HttpRequest) -> HttpResponse:
    seed.ensure_seeded()
    return JsonResponse(tokens.jwks())


# THE LOGIN PAGES
# ------------------------------------------------------------------------------
def _signed_in(request: HttpRequest) -> tuple[SandboxUser | None, int]:
    try:
        value = request.get_signed_cookie(LOGIN_COOKIE, salt=LOGIN_SALT, max_age=LOGIN_MAX_AGE)
    except (KeyError, BadSignature):
        return None, 0
    user_id, _sep, auth_time = value.partition(":")
    user = (
        SandboxUser.objects.filter(pk=user_id, is_active=True).first()
        if user_id.isdigit()
        else None
    )
    return user, int(auth_time or 0) if auth_time.isdigit() else 0


def _error_redirect(error: OAuth2Error, issuer: str) -> HttpResponse:
    params = [("error", error.error)]
    if error.description:
        params.append(("error_description", error.description))
    if getattr(error, "state", None):
        params.append(("state", error.state))
    params.append(("iss", issuer))
    return HttpResponseRedirect(add_params_to_uri(error.redirect_uri, params))


def _page(
    request: HttpRequest, name: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    return render(request, f"{TEMPLATES}/{name}.html", context, status=status)


@never_cache
def authorize(request: HttpRequest) -> HttpResponse:
    """GET: the login page (or the next page when signed in); POSTs move through the login,
    the organisation and the consent page; Godta/Accept sends the browser back with code,
    state and iss, Avbryt/Cancel with error=access_denied."""
    seed.ensure_seeded()
    issuer = issuer_of(request)
    server = server_for(issuer)
    try:
        grant = server.get_consent_grant(request)
    except OAuth2Error as error:
        if error.redirect_uri:
            return _error_redirect(error, issuer)
        return _page(
            request, "error", {"error": error.error, "description": error.description}, 400
        )
    client = grant.request.client
    base = {"client": client, "action": request.get_full_path()}
    step = request.POST.get("step", "") if request.method == "POST" else ""
    user, auth_time = _signed_in(request)
    prompts = (grant.request.payload.data.get("prompt") or "").split()
    set_cookie: str | None = None

    if step == "login":
        email = request.POST.get("email", "").strip()
        candidate = SandboxUser.objects.filter(email__iexact=email, is_active=True).first()
        if candidate is None or not candidate.check_password(request.POST.get("password", "")):
            return _page(
                request,
                "login",
                {**base, "email": email, "failed": _("Feil e-postadresse eller passord.")},
                200,
            )
        user, auth_time = candidate, int(time.time())
        set_cookie = f"{user.pk}:{auth_time}"
    elif user is None or (not step and "login" in prompts):
        return _page(request, "login", {**base, "email": ""})

    response = _after_login(request, server, grant, user, auth_time, step, base)
    if set_cookie:
        response.set_signed_cookie(
            LOGIN_COOKIE,
            set_cookie,
            salt=LOGIN_SALT,
            max_age=LOGIN_MAX_AGE,
            httponly=True,
            samesite="Lax",
            path=reverse("sandbox_unimicro_identity_root"),
        )
    return response


def _after_login(
    request: HttpRequest,
    server: Any,
    grant: Any,
    user: SandboxUser,
    auth_time: int,
    step: str,
    base: dict,
) -> HttpResponse:
    organisations = list(user.organisations.order_by("name"))
    base = {**base, "user": user}
    if not organisations:
        return _page(
            request,
            "error",
            {
                **base,
                "error": "access_denied",
                "description": _("Brukeren er ikke med i noen organisasjon."),
            },
            403,
        )
    organisation: Organisation | None = None
    chosen = request.POST.get("organisation", "") if step in ("organisation", "consent") else ""
    if chosen:
        organisation = next((o for o in organisations if str(o.guid) == chosen), None)
    elif len(organisations) == 1:
        organisation = organisations[0]
    if organisation is None:
        return _page(
            request,
            "organisation",
            {**base, "organisations": organisations, "chosen": organisations[0]},
        )
    if step != "consent":
        scopes = (grant.request.scope or grant.request.payload.scope or "").split()
        return _page(
            request,
            "consent",
            {
                **base,
                "organisation": organisation,
                "companies": list(organisation.companies.order_by("name")),
                "permissions": [(s, SCOPE_WORDS.get(s, s)) for s in scopes],
            },
        )
    granted = request.POST.get("decision") == "accept"
    grantee = Grantee(user, organisation, auth_time) if granted else None
    with transaction.atomic():
        return server.create_authorization_response(request, grant_user=grantee, grant=grant)


# TOKENS
# ------------------------------------------------------------------------------
_FAULTS = {"rng": None, "seed": None}
_FAULTS_LOCK = threading.Lock()


def _fault() -> bool:
    """Whether this token request fails (seeded: FAULT_SEED, FAULT_RATE of SANDBOX_UNIMICRO)."""
    conf = getattr(settings, "SANDBOX_UNIMICRO", {}) or {}
    rate = float(conf.get("FAULT_RATE") or 0)
    if rate <= 0:
        return False
    with _FAULTS_LOCK:
        wanted = int(conf.get("FAULT_SEED") or 0)
        if _FAULTS["rng"] is None or _FAULTS["seed"] != wanted:
            _FAULTS["rng"], _FAULTS["seed"] = random.Random(wanted), wanted  # noqa: S311 - test faults
        return _FAULTS["rng"].random() < rate


@csrf_exempt
@never_cache
def token(request: HttpRequest) -> HttpResponse:
    """The token endpoint. A fault (503, Retry-After) is decided before anything is read, so
    it never consumes a code or a refresh token."""
    if _fault():
        response = JsonResponse({"error": "temporarily_unavailable"}, status=503)
        response["Retry-After"] = "1"
        return response
    seed.ensure_seeded()
    server = server_for(issuer_of(request))
    with transaction.atomic():
        return server.create_token_response(request)


@csrf_exempt
def revocation(request: HttpRequest) -> HttpResponse:
    seed.ensure_seeded()
    server = server_for(issuer_of(request))
    with transaction.atomic():
        return server.create_endpoint_response("revocation", request)


@csrf_exempt
def userinfo(request: HttpRequest) -> HttpResponse:
    claims = gate.bearer_claims(request)
    if claims is None:
        response = JsonResponse({"Message": gate.DENIED}, status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    info = {"sub": claims["sub"]}
    for name in ("name", "email", "org"):
        if claims.get(name):
            info[name] = claims[name]
    if claims.get("email"):
        info["preferred_username"] = claims["email"]
    return JsonResponse(info)


# THE API HOST: /api/init/companies
# ------------------------------------------------------------------------------
def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def company_json(company: Any) -> dict[str, Any]:
    return {
        "ID": company.pk,
        "Key": str(company.key),
        "Name": company.name,
        "OrganizationNumber": company.org_number,
        "ClientNumber": company.client_number,
        "IsTest": company.is_test,
        "IsTemplate": company.is_template,
        "StatusCode": company.status_code,
        "LastActivity": _iso(company.last_activity),
        "CreatedAt": _iso(company.created_at),
        "UpdatedAt": _iso(company.updated_at),
        "OrganisationName": company.organisation.name,
        "WebHookSubscriberId": None,
    }


def init_companies(request: HttpRequest) -> HttpResponse:
    """`GET /api/init/companies` (bearer only): the companies of the token's organisation (a
    server client: those granted to it), as a bare JSON array."""
    claims = gate.bearer_claims(request)
    if claims is None:
        return JsonResponse({"Message": gate.DENIED}, status=401)
    companies = [company_json(c) for c in gate.reachable_companies(claims)]
    return HttpResponse(json.dumps(companies), content_type="application/json; charset=utf-8")


companies_view = csrf_exempt(init_companies)
