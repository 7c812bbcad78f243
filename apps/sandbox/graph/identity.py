"""The Microsoft identity platform's endpoints (login.microsoftonline.com/<tenant>/…) under
/sandbox/graph/login/<tenant>/: the OpenID configuration, the keys, authorize (a real sign-in
page and consent page) and token (code + PKCE, rotating refresh tokens).

<tenant> is the sandbox tenant's id; "common" and "organizations" are accepted too.
The sign-in is remembered in a signed cookie limited to /sandbox/graph/login/ (eight hours),
apart from Tidsbro's own session.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import urlencode, urlparse

from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from .journal import log_request
from .models import App, Consent, Mailbox
from .runtime import public_base, tenant_id
from .tokens import (
    AADError,
    code_issue,
    code_redeem,
    issuer,
    jwks,
    parse_scopes,
    refresh,
)

ALIASES = ("common", "organizations")
COOKIE = "sandbox_graph_signin"
COOKIE_SALT = "sandbox_graph.signin"
COOKIE_SECONDS = 8 * 3600
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
# What the consent page says each scope lets the app do.
SCOPE_WORDS = {
    "Calendars.Read": lambda: _("Read your calendars"),
    "Calendars.ReadBasic": lambda: _("Read basic details of your calendars"),
    "Calendars.ReadWrite": lambda: _("Have full access to your calendars"),
    "offline_access": lambda: _("Maintain access to data you have given it access to"),
    "openid": lambda: _("Sign you in"),
    "profile": lambda: _("View your basic profile"),
    "email": lambda: _("View your email address"),
    "User.Read": lambda: _("Sign you in and read your profile"),
}


def sandbox_base(request: HttpRequest) -> str:
    return public_base(request)


def tenant_known(tenant: str) -> bool:
    return tenant.lower() in ALIASES or tenant.lower() == tenant_id()


def _tenant_error(tenant: str) -> AADError:
    return AADError(
        "invalid_tenant",
        90002,
        f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
        "signing into the correct cloud.",
    )


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response["Cache-Control"] = "no-store"
    return response


# Discovery -------------------------------------------------------------------------------


@never_cache
def openid_configuration_view(request: HttpRequest, tenant: str) -> HttpResponse:
    """The OpenID configuration in Microsoft's shape (MSAL reads it with instance discovery
    off: authority = <base>/login/<tenant>)."""
    if not tenant_known(tenant):
        return _json(_tenant_error(tenant).body(), 400)
    base = sandbox_base(request)
    login = f"{base}/login/{tenant}"
    named = tenant.lower() not in ALIASES
    return _json(
        {
            "token_endpoint": f"{login}/oauth2/v2.0/token",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
            "jwks_uri": f"{login}/discovery/v2.0/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer(base) if named else f"{base}/login/{{tenantid}}/v2.0",
            "request_uri_parameter_supported": False,
            "userinfo_endpoint": f"{base}/oidc/userinfo",
            "authorization_endpoint": f"{login}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{login}/oauth2/v2.0/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{login}/oauth2/v2.0/logout",
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "at_hash",
                "c_hash",
                "email",
            ],
            "kerberos_endpoint": f"{login}/kerberos",
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }
    )


@never_cache
def keys_view(request: HttpRequest, tenant: str) -> HttpResponse:
    if not tenant_known(tenant):
        return _json(_tenant_error(tenant).body(), 400)
    return _json(jwks(sandbox_base(request)))


# Authorize -------------------------------------------------------------------------------


def redirect_allowed(app: App, uri: str) -> bool:
    """Registered exactly; on a loopback host the port is ignored."""
    if uri in app.redirect_uris:
        return True
    given = urlparse(uri)
    if given.hostname not in ("127.0.0.1", "localhost", "::1"):
        return False
    for registered in app.redirect_uris:
        known = urlparse(registered)
        if (
            known.hostname == given.hostname
            and known.scheme == given.scheme
            and known.path == given.path
        ):
            return True
    return False


def _page(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, f"sandbox/graph/{template}", context, status=status)


def _finish(params: dict, answer: dict) -> HttpResponse:
    """Back to the app: as query (default), fragment or an auto-submitted form_post."""
    uri = params["redirect_uri"]
    if params.get("state"):
        answer = {**answer, "state": params["state"]}
    mode = params.get("response_mode") or "query"
    if mode == "form_post":
        return _FormPost(uri, answer)
    separator = "#" if mode == "fragment" else ("&" if "?" in uri else "?")
    return HttpResponseRedirect(f"{uri}{separator}{urlencode(answer)}")


class _FormPost(HttpResponse):
    def __init__(self, uri: str, fields: dict) -> None:
        from django.template.loader import render_to_string

        super().__init__(
            render_to_string("sandbox/graph/form_post.html", {"action": uri, "fields": fields})
        )


def _error_back(params: dict, error: AADError) -> HttpResponse:
    return _finish(params, {"error": error.error, "error_description": error.description})


def _signed_in(request: HttpRequest) -> Mailbox | None:
    value = request.COOKIES.get(COOKIE)
    if not value:
        return None
    try:
        pk = signing.loads(value, salt=COOKIE_SALT, max_age=COOKIE_SECONDS)
    except signing.BadSignature:
        return None
    return Mailbox.objects.filter(pk=pk).first()


def _remember(response: HttpResponse, mailbox: Mailbox) -> HttpResponse:
    response.set_cookie(
        COOKIE,
        signing.dumps(mailbox.pk, salt=COOKIE_SALT),
        max_age=COOKIE_SECONDS,
        path="/sandbox/graph/login/",
        httponly=True,
        samesite="Lax",
    )
    return response


@csrf_exempt
@never_cache
def authorize_view(request: HttpRequest, tenant: str) -> HttpResponse:
    started = time.monotonic()
    response = _authorize(request, tenant)
    log_request(surface="identity", request=request, response=response, started=started)
    return response


def _authorize(request: HttpRequest, tenant: str) -> HttpResponse:
    params = {k: v for k, v in request.GET.items()}
    if not tenant_known(tenant):
        return _page(request, "error.html", {"error": _tenant_error(tenant)}, 400)
    app = App.objects.filter(client_id=params.get("client_id", "")).first()
    if app is None:
        error = AADError(
            "unauthorized_client",
            700016,
            f"Application with identifier '{params.get('client_id', '')}' was not found in the "
            "directory. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant.",
        )
        return _page(request, "error.html", {"error": error}, 400)
    if not redirect_allowed(app, params.get("redirect_uri", "")):
        error = AADError(
            "invalid_request",
            50011,
            f"The redirect URI '{params.get('redirect_uri', '')}' specified in the request does "
            f"not match the redirect URIs configured for the application '{app.client_id}'.",
        )
        return _page(request, "error.html", {"error": error}, 400)
    # From here on errors go back to the app.
    if params.get("response_type") != "code":
        return _error_back(
            params,
            AADError(
                "unsupported_response_type",
                700054,
                "response_type 'code' is the only one the sandbox serves.",
            ),
        )
    try:
        scopes = parse_scopes(params.get("scope", ""))
    except AADError as exc:
        return _error_back(params, exc)
    if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
        return _error_back(
            params,
            AADError(
                "invalid_request",
                9002325,
                "Proof Key for Code Exchange is required: send code_challenge with "
                "code_challenge_method=S256.",
            ),
        )
    prompt = params.get("prompt", "")
    step = request.POST.get("step", "") if request.method == "POST" else ""
    mailbox = None if prompt == "login" and step == "" else _signed_in(request)
    response_cookie: Mailbox | None = None
    if step == "signin":
        upn = request.POST.get("login", "").strip().lower()
        found = Mailbox.objects.filter(user_principal_name__iexact=upn).first()
        if found is None or found.password != request.POST.get("password", ""):
            return _page(
                request,
                "signin.html",
                {
                    "app": app,
                    "login": upn,
                    "message": _("Your account or password is incorrect."),
                },
                200,
            )
        mailbox = response_cookie = found
    elif step == "consent":
        mailbox = _signed_in(request)
    if mailbox is None:
        if prompt == "none":
            return _error_back(
                params,
                AADError(
                    "login_required",
                    50058,
                    "A silent sign-in request was sent but no user is signed in.",
                ),
            )
        return _page(request, "signin.html", {"app": app, "login": params.get("login_hint", "")})
    wanted = [s for s in scopes if s not in ("openid",)]
    consent = Consent.objects.filter(mailbox=mailbox, app=app).first()
    covered = consent is not None and all(s in consent.scopes for s in wanted)
    if step == "consent":
        if request.POST.get("accept") != "yes":
            return _error_back(
                params,
                AADError("access_denied", 65004, "User declined to consent to access the app."),
            )
        Consent.objects.update_or_create(
            mailbox=mailbox,
            app=app,
            defaults={"scopes": sorted(set((consent.scopes if consent else []) + scopes))},
        )
        covered = True
    if not covered or prompt == "consent" and step != "consent":
        if prompt == "none":
            return _error_back(
                params,
                AADError(
                    "consent_required",
                    65001,
                    f"The user or administrator has not consented to use the application "
                    f"with ID '{app.client_id}'.",
                ),
            )
        words = [str(SCOPE_WORDS[s]()) for s in scopes if s in SCOPE_WORDS]
        page = _page(
            request, "consent.html", {"app": app, "mailbox": mailbox, "permissions": words}
        )
        return _remember(page, response_cookie) if response_cookie else page
    code = code_issue(
        app=app,
        mailbox=mailbox,
        redirect_uri=params["redirect_uri"],
        scopes=scopes,
        code_challenge=params["code_challenge"],
        nonce=params.get("nonce", ""),
    )
    answer = _finish(params, {"code": code, "session_state": str(mailbox.object_id)})
    return _remember(answer, mailbox)


@never_cache
def logout_view(request: HttpRequest, tenant: str) -> HttpResponse:
    target = request.GET.get("post_logout_redirect_uri", "")
    response = HttpResponseRedirect(target) if target else _page(request, "signed_out.html", {})
    response.delete_cookie(COOKIE, path="/sandbox/graph/login/")
    return response


# Token -----------------------------------------------------------------------------------


def _client(request: HttpRequest) -> tuple[App, str]:
    """The calling app, authenticated as its registration demands (secret in the form or
    HTTP Basic; a public client sends none)."""
    client_id = request.POST.get("client_id", "")
    secret = request.POST.get("client_secret", "")
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            client_id, _sep, secret = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise AADError(
                "invalid_client", 7000215, "Invalid client secret provided.", 401
            ) from None
    app = App.objects.filter(client_id=client_id).first()
    if app is None:
        raise AADError(
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory.",
        )
    if request.POST.get("client_assertion"):
        raise AADError(
            "invalid_client",
            700027,
            "Client assertion (certificate credentials) is not served by the sandbox; use the "
            "client secret.",
            401,
        )
    if app.client_secret:
        if not secret:
            raise AADError(
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or "
                "'client_secret'.",
                401,
            )
        if secret != app.client_secret:
            raise AADError(
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                "the client secret value, not the client secret ID, for a secret added to app "
                f"'{app.client_id}'.",
                401,
            )
    elif secret:
        raise AADError(
            "invalid_request",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        )
    return app, secret


@csrf_exempt
@never_cache
def token_view(request: HttpRequest, tenant: str) -> HttpResponse:
    started = time.monotonic()
    secrets: list[str] = []
    mailbox = ""
    try:
        if not tenant_known(tenant):
            raise _tenant_error(tenant)
        if request.method != "POST":
            raise AADError(
                "invalid_request",
                900561,
                "The endpoint only accepts POST requests. Received a GET request.",
            )
        app, secret = _client(request)
        secrets.append(secret)
        grant = request.POST.get("grant_type", "")
        client_info = request.POST.get("client_info") == "1"
        base = sandbox_base(request)
        if grant == "authorization_code":
            answer = code_redeem(
                app=app,
                code=request.POST.get("code", ""),
                redirect_uri=request.POST.get("redirect_uri", ""),
                code_verifier=request.POST.get("code_verifier", ""),
                client_info=client_info,
                base=base,
            )
        elif grant == "refresh_token":
            answer = refresh(
                app=app,
                refresh_token=request.POST.get("refresh_token", ""),
                scope=request.POST.get("scope", ""),
                client_info=client_info,
                base=base,
            )
        else:
            raise AADError(
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        secrets.extend(
            v for k, v in answer.items() if k in ("access_token", "refresh_token", "id_token")
        )
        response = _json(answer)
        code = ""
    except AADError as exc:
        response = _json(exc.body(), exc.status)
        code = exc.error
    log_request(
        surface="identity",
        request=request,
        response=response,
        started=started,
        mailbox=mailbox,
        error_code=code,
        secrets=secrets,
    )
    return response
