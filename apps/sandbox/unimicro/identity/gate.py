"""The API's door: the bearer token (an access token of this identity server) and the
`CompanyKey` header, as `/api/init/*` and `/api/biz/*` check them.

    caller = gate.authenticate(request, require_company=True)
    if isinstance(caller, HttpResponse):
        return caller

Refusals (API-NOTES §10): 401 `{"Message": "Authorization has been denied for this request"}`
for a missing, invalid, expired or revoked token (or one issued before the client's "tokens
valid from" stamp); with `require_company`: no `CompanyKey` → 400; a key that names no company
→ 401; a company this token may not act on → 403.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, JsonResponse

DENIED = "Authorization has been denied for this request"


@dataclass(frozen=True)
class Caller:
    subject: str  # the user's GlobalIdentity, or the server client's id
    client_id: str
    company_key: str | None
    company_name: str
    user_name: str
    scopes: frozenset[str]
    organisation_id: str = ""


def _refuse(status: int, message: str) -> HttpResponse:
    return JsonResponse({"Message": message}, status=status)


def bearer_claims(request: HttpRequest) -> dict | None:
    """The claims of the request's bearer token when this server accepts it now."""
    from django.utils import timezone

    from . import seed, tokens
    from .models import Client, RevokedAccessToken

    seed.ensure_seeded()
    header = request.headers.get("Authorization", "")
    kind, _, token = header.partition(" ")
    if kind.lower() != "bearer" or not token.strip():
        return None
    claims = tokens.decode(token.strip())
    if claims is None:
        return None
    client = Client.objects.filter(client_id=claims.get("client_id", "")).first()
    if client is None:
        return None
    if client.not_before and issued_ms(claims) <= int(client.not_before.timestamp() * 1000):
        return None
    if RevokedAccessToken.objects.filter(jti=str(claims.get("jti", ""))).exists():
        return None
    claims["_client"] = client
    claims["_now"] = timezone.now()
    return claims


def issued_ms(claims: dict) -> int:
    """When the token was minted, in milliseconds (`iat_ms`; a token without it counts from the
    start of its `iat` second, so the stamp's own second refuses it)."""
    try:
        return int(claims["iat_ms"])
    except (KeyError, TypeError, ValueError):
        return int(claims.get("iat", 0)) * 1000


def reachable_companies(claims: dict):
    """The companies this token may act on (user: the chosen organisation's, when the user
    is still a member; server client: those granted to it)."""
    from .models import Company, SandboxUser

    client = claims["_client"]
    if client.kind == client.Kind.SERVER:
        return client.companies.select_related("organisation").order_by("name")
    user = SandboxUser.objects.filter(guid=_uuid(claims.get("sub")), is_active=True).first()
    org = claims.get("org") or ""
    if user is None or not org or not user.organisations.filter(guid=_uuid(org)).exists():
        return Company.objects.none()
    return (
        Company.objects.filter(organisation__guid=_uuid(org))
        .select_related("organisation")
        .order_by("name")
    )


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def authenticate(request: HttpRequest, *, require_company: bool) -> Caller | HttpResponse:
    """The caller of an API request, or the refusal to send back."""
    from .models import Company

    claims = bearer_claims(request)
    if claims is None:
        return _refuse(401, DENIED)
    client = claims["_client"]
    user_name = str(claims.get("email") or claims.get("name") or client.client_id)
    scopes = frozenset(str(claims.get("scope") or "").split())
    company_key, company_name = None, ""
    key = (request.headers.get("CompanyKey") or "").strip()
    if require_company or key:
        if not key:
            return _refuse(400, "The CompanyKey header is required for this request")
        wanted = _uuid(key)
        company = Company.objects.filter(key=wanted).first() if wanted else None
        if company is None:
            return _refuse(401, f"Unknown CompanyKey '{key}': no company has this key")
        if not reachable_companies(claims).filter(pk=company.pk).exists():
            return _refuse(403, f"This token does not give access to the company '{company.name}'")
        company_key, company_name = str(company.key), company.name
    return Caller(
        subject=str(claims.get("sub")),
        client_id=client.client_id,
        company_key=company_key,
        company_name=company_name,
        user_name=user_name,
        scopes=scopes,
        organisation_id=str(claims.get("org") or ""),
    )


def company_keys() -> list[tuple[str, str]]:
    """(CompanyKey, name) of every sandbox company."""
    from . import seed
    from .models import Company

    seed.ensure_seeded()
    return [(str(c.key), c.name) for c in Company.objects.order_by("organisation__name", "name")]


def test_token(
    *,
    company_key: str | None = None,
    email: str = "regnskap@tidsbro.no",
    client_id: str = "tidsbro-demo",
    scope: str = "AppFramework profile openid",
    issuer: str = "http://testserver/sandbox/unimicro/identity",
) -> str:
    """An access token minted directly (for tests of the API): the user in the organisation
    of `company_key` (default: the user's first), or the server client when `client_id` names it."""
    from . import seed, tokens
    from .models import Client, Company, SandboxUser

    seed.ensure_seeded()
    client = Client.objects.get(client_id=client_id)
    if client.kind == client.Kind.SERVER:
        token, _ = tokens.access_token(
            issuer=issuer, subject=client.client_id, client_id=client_id, scope="AppFramework"
        )
        return token
    user = SandboxUser.objects.get(email=email)
    if company_key:
        org = Company.objects.get(key=company_key).organisation
    else:
        org = user.organisations.order_by("name").first()
    token, _ = tokens.access_token(
        issuer=issuer,
        subject=str(user.guid),
        client_id=client_id,
        scope=scope,
        org=str(org.guid),
        extra={"email": user.email, "name": user.name},
    )
    return token


test_token.__test__ = False  # not a pytest test
