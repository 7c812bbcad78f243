"""The OAuth 2.0 / OpenID Connect server (authlib): authorization code with PKCE (S256
required) and an id token, refresh tokens (only with offline_access; rotated, a reused one
revokes its family), client credentials authenticated by a certificate-signed client assertion
(private_key_jwt: aud = the token endpoint, exp at most 5 minutes after iat, jti used once),
revocation (RFC 7009) and the `iss` parameter on the authorize redirect (RFC 9207).

One server per request (`server_for(issuer)`): the issuer is the request's own address, so the
sandbox works under any host and port.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.django_oauth2 import AuthorizationServer as DjangoAuthorizationServer
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidRequestError,
    InvalidScopeError,
    grants,
)
from authlib.oauth2.rfc7009 import RevocationEndpoint as _RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import OpenIDCode as _OpenIDCode
from django.db import IntegrityError, transaction
from django.utils import timezone
from joserfc.jwk import RSAKey

from . import tokens
from .models import (
    AuthorizationCode,
    Client,
    RefreshToken,
    RevokedAccessToken,
    SandboxUser,
    UsedAssertion,
    token_hash,
)

CODE_SECONDS = 600
ASSERTION_MAX_SECONDS = 300
SECRET_METHODS = ["client_secret_basic", "client_secret_post"]
ASSERTION_METHOD = "private_key_jwt"


class Grantee:
    """The user a grant is for, in the organisation chosen on the login page."""

    def __init__(self, user: SandboxUser, organisation: Any, auth_time: int = 0):
        self.user = user
        self.organisation = organisation
        self.auth_time = auth_time

    def get_user_id(self) -> str:
        return str(self.user.guid)


def _check_client_scope(grant: Any) -> None:
    scope = grant.request.payload.scope
    client = grant.request.client
    if scope and client is not None and not set(scope.split()) <= client.scopes:
        raise InvalidScopeError(
            description="The client may not ask for: "
            + " ".join(sorted(set(scope.split()) - client.scopes))
        )


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS

    def validate_requested_scope(self) -> None:
        _check_client_scope(self)
        super().validate_requested_scope()

    def save_authorization_code(self, code: str, request: Any) -> AuthorizationCode:
        grantee: Grantee = request.user
        payload = request.payload
        return AuthorizationCode.objects.create(
            code_hash=token_hash(code),
            client=request.client,
            user=grantee.user,
            organisation=grantee.organisation,
            redirect_uri=payload.redirect_uri or "",
            scope=request.scope or payload.scope or "",
            code_challenge=payload.data.get("code_challenge") or "",
            code_challenge_method=payload.data.get("code_challenge_method") or "",
            nonce=payload.data.get("nonce") or "",
            auth_time=grantee.auth_time or int(time.time()),
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        found = (
            AuthorizationCode.objects.select_for_update()
            .select_related("user", "organisation")
            .filter(code_hash=token_hash(code), client=client)
            .first()
        )
        if found is None or found.used_at is not None:
            return None
        if found.created_at < timezone.now() - timedelta(seconds=CODE_SECONDS):
            return None
        return found

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        authorization_code.used_at = timezone.now()
        authorization_code.save(update_fields=["used_at"])

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Grantee:
        return Grantee(
            authorization_code.user, authorization_code.organisation, authorization_code.auth_time
        )


class PKCE(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        # Unimicro requires PKCE: a request without a challenge is refused at once.
        if self.required and not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge' (PKCE with S256 is required)")
        super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge_method or "S256"


class OpenIDCode(_OpenIDCode):
    """The id token of the code flow (signed with the JWKS key; nonce carried over)."""

    def __init__(self, issuer: str):
        super().__init__(require_nonce=False)
        self.issuer = issuer

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return AuthorizationCode.objects.filter(
            client__client_id=request.payload.client_id, nonce=nonce
        ).exists()

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return tokens.signing_key()[1]

    def get_encode_header(self, client: Client) -> dict:
        return {"alg": "RS256", "kid": tokens.signing_key()[0]}

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_client_claims(self, client: Client) -> dict:
        return {
            "iss": self.issuer,
            "aud": [client.client_id],
            "exp": int(time.time()) + tokens.access_token_seconds(),
        }

    def generate_user_info(self, user: Grantee, scope: str) -> dict:
        info = {"sub": str(user.user.guid)}
        if "profile" in scope.split():
            info.update(
                name=user.user.name, email=user.user.email, preferred_username=user.user.email
            )
        return info


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> RefreshToken | None:
        found = (
            RefreshToken.objects.select_for_update()
            .select_related("user", "organisation", "client")
            .filter(token_hash=token_hash(refresh_token))
            .first()
        )
        if found is None:
            return None
        if found.revoked_at is not None:
            if found.revoked_reason == "rotated":
                # A replaced token used again: someone holds a copy — end the whole family.
                RefreshToken.objects.filter(family=found.family, revoked_at=None).update(
                    revoked_at=timezone.now(), revoked_reason="family revoked (reuse)"
                )
            return None
        if (
            not found.user.is_active
            or not found.user.organisations.filter(pk=found.organisation_id).exists()
        ):
            return None
        return found

    def authenticate_user(self, refresh_token: RefreshToken) -> Grantee:
        grantee = Grantee(refresh_token.user, refresh_token.organisation)
        grantee.family = refresh_token.family
        return grantee

    def revoke_old_credential(self, refresh_token: RefreshToken) -> None:
        refresh_token.revoked_at = timezone.now()
        refresh_token.revoked_reason = "rotated"
        refresh_token.save(update_fields=["revoked_at", "revoked_reason"])


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [ASSERTION_METHOD]

    def validate_requested_scope(self) -> None:
        _check_client_scope(self)
        super().validate_requested_scope()


class PrivateKeyJWT(JWTBearerClientAssertion):
    """private_key_jwt: the assertion signed with the server client's certificate key,
    `aud` = the token endpoint, exp at most 5 minutes after iat (or nbf), `jti` never seen."""

    CLIENT_AUTH_METHOD = ASSERTION_METHOD

    def __init__(self, token_endpoint: str):
        super().__init__(validate_jti=True, leeway=30)
        self.token_endpoint = token_endpoint

    def get_audiences(self) -> list[str]:
        return [self.token_endpoint]

    def verify_claims(self, claims: Any) -> None:
        start = claims.get("iat") or claims.get("nbf")
        exp = claims.get("exp")
        if not isinstance(start, int | float) or not isinstance(exp, int | float):
            raise InvalidClientError(description="The assertion needs iat (or nbf) and exp.")
        if exp - start > ASSERTION_MAX_SECONDS:
            raise InvalidClientError(
                description="The assertion lives too long (exp at most 5 minutes after iat)."
            )
        super().verify_claims(claims)

    def validate_jti(self, claims: Any, jti: str) -> bool:
        try:
            with transaction.atomic():
                UsedAssertion.objects.create(client_id=str(claims["sub"]), jti=str(jti))
        except IntegrityError:
            return False
        return True

    def resolve_client_public_key(self, client: Client) -> RSAKey:
        return public_key_of(client.certificate_pem)


def public_key_of(pem: str) -> RSAKey:
    """The RSA public key of a PEM certificate or public key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    data = (pem or "").strip().encode()
    if not data:
        raise InvalidClientError(description="No certificate is registered for this client.")
    try:
        if b"CERTIFICATE" in data:
            public = x509.load_pem_x509_certificate(data).public_key()
        else:
            public = serialization.load_pem_public_key(data)
        return RSAKey.import_key(
            public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    except ValueError:
        raise InvalidClientError(description="The client's certificate cannot be read.") from None


class RevocationEndpoint(_RevocationEndpoint):
    CLIENT_AUTH_METHODS = [*SECRET_METHODS, ASSERTION_METHOD]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        if token_type_hint != "access_token":  # noqa: S105 - a hint name
            found = RefreshToken.objects.filter(token_hash=token_hash(token_string)).first()
            if found is not None:
                return found
        claims = tokens.decode(token_string)
        if claims is not None:
            return _AccessToken(claims)
        return None

    def revoke_token(self, token: Any, request: Any) -> None:
        if isinstance(token, RefreshToken):
            RefreshToken.objects.filter(family=token.family, revoked_at=None).update(
                revoked_at=timezone.now(), revoked_reason="revoked"
            )
        else:
            RevokedAccessToken.objects.get_or_create(
                jti=str(token.claims.get("jti")),
                defaults={
                    "expires_at": timezone.now() + timedelta(seconds=tokens.access_token_seconds())
                },
            )


class _AccessToken:
    def __init__(self, claims: dict):
        self.claims = claims

    def check_client(self, client: Client) -> bool:
        return self.claims.get("client_id") == client.client_id


class Issuer(IssuerParameter):
    def __init__(self, issuer: str):
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer

    def add_issuer_parameter(self, authorization_server: Any, response: Any) -> None:
        # Django responses keep the redirect in the Location header (authlib reads .location).
        location = response.get("Location") if hasattr(response, "get") else None
        if location:
            response["Location"] = add_params_to_uri(location, [("iss", self.issuer)])


class Server(DjangoAuthorizationServer):
    def __init__(self, issuer: str):
        self.issuer = issuer
        super().__init__(Client, RefreshToken)

    def load_config(self, config: dict) -> None:
        self.config = config
        self.scopes_supported = None
        self.register_token_generator("default", self.generate_bearer_token)

    def query_client(self, client_id: str) -> Client | None:
        return Client.objects.filter(client_id=client_id).first()

    def generate_bearer_token(
        self,
        grant_type: str,
        client: Client,
        user: Grantee | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict:
        scope = scope or ""
        if user is None:  # server client
            access, lifetime = tokens.access_token(
                issuer=self.issuer,
                subject=client.client_id,
                client_id=client.client_id,
                scope=scope,
            )
        else:
            access, lifetime = tokens.access_token(
                issuer=self.issuer,
                subject=str(user.user.guid),
                client_id=client.client_id,
                scope=scope,
                org=str(user.organisation.guid),
                extra={"email": user.user.email, "name": user.user.name},
            )
        token = {
            "token_type": "Bearer",
            "access_token": access,
            "expires_in": lifetime,
            "scope": scope,
        }
        if (
            include_refresh_token
            and user is not None
            and "offline_access" in scope.split()
            and "offline_access" in client.scopes
        ):
            token["refresh_token"] = secrets.token_urlsafe(48)
        return token

    def save_token(self, token: dict, request: Any) -> None:
        value = token.get("refresh_token")
        if not value:
            return
        grantee: Grantee = request.user
        RefreshToken.objects.create(
            token_hash=token_hash(value),
            family=getattr(grantee, "family", None)
            or RefreshToken._meta.get_field("family").default(),
            client=request.client,
            user=grantee.user,
            organisation=grantee.organisation,
            scope=token.get("scope") or "",
        )

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None


def server_for(issuer: str) -> Server:
    """An authorization server answering as `issuer`."""
    server = Server(issuer)
    server.register_grant(AuthorizationCodeGrant, [PKCE(required=True), OpenIDCode(issuer)])
    server.register_grant(RefreshTokenGrant)
    server.register_grant(ClientCredentialsGrant)
    server.register_client_auth_method(ASSERTION_METHOD, PrivateKeyJWT(f"{issuer}/connect/token"))
    server.register_endpoint(RevocationEndpoint)
    server.register_extension(Issuer(issuer))
    return server
