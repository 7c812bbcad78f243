"""The Unimicro sandbox's identity server: its users, organisations, companies, OAuth clients,
authorization codes, refresh tokens (hashed, rotated), used client-assertion ids and the RSA key
that signs tokens."""

from __future__ import annotations

import hashlib
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SCOPE_WORDS = {
    "AppFramework": _("Lese og endre regnskapsdata i selskapene dine (API-tilgang)"),
    "openid": _("Bekrefte hvem du er"),
    "profile": _("Se navnet og e-postadressen din"),
    "offline_access": _("Holde tilgangen ved like når du ikke er innlogget"),
}


def token_hash(value: str) -> str:
    """The stored form of a refresh token (never the token itself)."""
    return hashlib.sha256(value.encode()).hexdigest()


class Organisation(models.Model):
    """An organisation (a customer of Unimicro) that owns one or more companies."""

    name = models.CharField(_("name"), max_length=200)
    org_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    guid = models.UUIDField(_("id"), default=uuid.uuid4, unique=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    """A company (a set of books) in an organisation; `key` is its CompanyKey."""

    key = models.UUIDField(_("CompanyKey"), default=uuid.uuid4, unique=True)
    name = models.CharField(_("name"), max_length=200)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="companies",
        verbose_name=_("organisation"),
    )
    org_number = models.CharField(_("organisation number"), max_length=20, blank=True)
    client_number = models.PositiveIntegerField(_("client number"), default=0)
    is_test = models.BooleanField(_("test company"), default=False)
    is_template = models.BooleanField(_("template"), default=False)
    status_code = models.IntegerField(_("status code"), default=0)
    last_activity = models.DateTimeField(_("last activity"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class SandboxUser(models.Model):
    """A person who signs in on the sandbox's login page (not a Tidsbro user)."""

    email = models.EmailField(_("e-mail"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    password = models.CharField(_("password (hashed)"), max_length=200)
    guid = models.UUIDField(_("GlobalIdentity"), default=uuid.uuid4, unique=True)
    organisations = models.ManyToManyField(
        Organisation, related_name="members", blank=True, verbose_name=_("organisations")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["email"]
        verbose_name = _("sandbox user")
        verbose_name_plural = _("sandbox users")

    def __str__(self) -> str:
        return self.email

    def set_password(self, raw: str) -> None:
        from django.contrib.auth.hashers import make_password

        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        from django.contrib.auth.hashers import check_password

        return check_password(raw, self.password)

    def get_user_id(self) -> str:
        return str(self.guid)


class Client(models.Model):
    """An app registered in the developer portal: an interactive login (secret, PKCE) or a
    server client (certificate-signed client assertion)."""

    class Kind(models.TextChoices):
        INTERACTIVE = "interactive", _("Regular web app (login)")
        SERVER = "server", _("Server application (certificate)")

    client_id = models.CharField(_("client id"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(
        _("kind"), max_length=20, choices=Kind.choices, default=Kind.INTERACTIVE
    )
    client_secret = models.CharField(_("client secret"), max_length=200, blank=True)
    allowed_scopes = models.CharField(_("allowed scopes"), max_length=500, default="AppFramework")
    redirect_uris = models.TextField(_("redirect URIs"), blank=True, help_text=_("One per line."))
    loopback_callback_path = models.CharField(
        _("loopback callback path"),
        max_length=200,
        blank=True,
        help_text=_("Any loopback host and port with this path is accepted (RFC 8252)."),
    )
    certificate_pem = models.TextField(
        _("certificate (PEM)"),
        blank=True,
        help_text=_("The public part of the server client's certificate, or its public key (PEM)."),
    )
    companies = models.ManyToManyField(
        Company, related_name="server_clients", blank=True, verbose_name=_("companies granted")
    )
    not_before = models.DateTimeField(
        _("tokens valid from"),
        null=True,
        blank=True,
        help_text=_("Access tokens issued before this moment are refused."),
    )

    class Meta:
        ordering = ["client_id"]
        verbose_name = _("client")
        verbose_name_plural = _("clients")

    def __str__(self) -> str:
        return self.client_id

    @property
    def scopes(self) -> set[str]:
        return set(self.allowed_scopes.split())

    # authlib's ClientMixin
    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uri_list()
        return uris[0] if uris else None

    def redirect_uri_list(self) -> list[str]:
        return [u.strip() for u in self.redirect_uris.splitlines() if u.strip()]

    def get_allowed_scope(self, scope: str | None) -> str | None:
        wanted = (scope or "").split()
        if not wanted:
            return "" if self.kind == self.Kind.INTERACTIVE else "AppFramework"
        if not set(wanted) <= self.scopes:
            return None
        return " ".join(wanted)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        from urllib.parse import urlsplit

        if redirect_uri in self.redirect_uri_list():
            return True
        if not self.loopback_callback_path:
            return False
        parts = urlsplit(redirect_uri)
        return (
            parts.scheme == "http"
            and parts.hostname in ("127.0.0.1", "localhost", "::1")
            and parts.path == self.loopback_callback_path
            and not parts.fragment
        )

    def check_client_secret(self, client_secret: str) -> bool:
        import hmac

        return bool(self.client_secret) and hmac.compare_digest(
            self.client_secret.encode(), (client_secret or "").encode()
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.kind == self.Kind.SERVER:
            return method == "private_key_jwt"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return self.kind == self.Kind.INTERACTIVE and response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        if self.kind == self.Kind.SERVER:
            return grant_type == "client_credentials"
        if grant_type == "refresh_token":
            return "offline_access" in self.scopes
        return grant_type == "authorization_code"


class AuthorizationCode(models.Model):
    """A code handed to the client's redirect URI; exchanged once, within 10 minutes."""

    code_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    redirect_uri = models.CharField(max_length=500)
    scope = models.CharField(max_length=500, blank=True)
    code_challenge = models.CharField(max_length=200, blank=True)
    code_challenge_method = models.CharField(max_length=20, blank=True)
    nonce = models.CharField(max_length=200, blank=True)
    auth_time = models.IntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("authorization code")
        verbose_name_plural = _("authorization codes")

    def __str__(self) -> str:
        return f"{self.client_id}:{self.code_hash[:8]}"

    # authlib's AuthorizationCodeMixin (+ OIDC)
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str | None:
        return self.nonce or None

    def get_auth_time(self) -> int | None:
        return self.auth_time or None

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> None:
        return None


class RefreshToken(models.Model):
    """A refresh token (its SHA-256 only). Each use replaces it by a new one in the same
    family; using a replaced one again revokes the whole family."""

    token_hash = models.CharField(_("token (SHA-256)"), max_length=64, unique=True)
    family = models.UUIDField(_("family"), default=uuid.uuid4, db_index=True)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="refresh_tokens", verbose_name=_("client")
    )
    user = models.ForeignKey(
        SandboxUser, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    scope = models.CharField(_("scope"), max_length=500)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_reason = models.CharField(_("why revoked"), max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refresh token")
        verbose_name_plural = _("refresh tokens")

    def __str__(self) -> str:
        return f"{self.token_hash[:10]}…"

    # authlib's TokenMixin
    def check_client(self, client: Client) -> bool:
        return self.client_id == client.pk

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return 0

    def is_expired(self) -> bool:
        return False

    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class RevokedAccessToken(models.Model):
    """An access token (by its `jti`) revoked through the revocation endpoint."""

    jti = models.CharField(max_length=100, unique=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.jti


class UsedAssertion(models.Model):
    """A client assertion's `jti`, kept so it cannot be used twice."""

    client_id = models.CharField(max_length=100)
    jti = models.CharField(max_length=200)
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client_id", "jti"], name="sandbox_um_jti_once")
        ]

    def __str__(self) -> str:
        return f"{self.client_id}:{self.jti}"


class SigningKey(models.Model):
    """The RSA key that signs tokens (published as the JWKS)."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("signing key")
        verbose_name_plural = _("signing keys")

    def __str__(self) -> str:
        return self.kid
