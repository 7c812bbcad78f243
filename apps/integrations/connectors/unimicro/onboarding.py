"""Activating Unimicro, as RecMan's users do it: full integration (API) or CSV export; for the
API, **Log in to Unimicro** (their login page: user, organisation, permissions), back in
Tidsbro pick the company (`/api/init/companies`) and name the key. CSV export needs nothing
more (the generic wizard creates the connection at once: nothing is kept in step).

The login leaves Tidsbro: the login step's `leave` sends the browser to Unimicro; the generic
OAuth callback hands the answer to `UnimicroOAuth.callback`, which stores the tokens in the
wizard (encrypted) and continues with the company step. The same callback re-authorises a
key of an existing connection (purpose "reauthorise:<connection id>:<key id>").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import (
    ConnectionDocuments,
    ConnectorError,
    OAuthLogin,
    OAuthOutcome,
    Onboarding,
    OnboardingStep,
)
from apps.integrations.connectors.unimicro import MODE_API, MODE_CSV, SYSTEM, auth, keys

log = logging.getLogger(__name__)

TEMPLATES = "integrations/unimicro/onboarding"
WIZARD_PURPOSE = "wizard"
REAUTHORISE = "reauthorise"


def callback_uri(request: Any) -> str:
    """The redirect URI registered with Unimicro (this Tidsbro's callback)."""
    return request.build_absolute_uri(reverse("integrations_oauth_callback", args=[SYSTEM]))


def step_url(name: str) -> str:
    return reverse("admin:integrations_connection_connect_step", args=[name])


def company_entry(company: Mapping[str, Any]) -> dict[str, str]:
    """A company of `/api/init/companies` as the wizard keeps it."""
    return {
        "key": str(company.get("Key") or company.get("CompanyKey") or ""),
        "name": str(company.get("Name") or company.get("CompanyName") or ""),
        "org_number": str(company.get("OrganizationNumber") or ""),
        "organisation_name": str(
            company.get("OrganisationName")
            or company.get("OrganizationName")
            or (company.get("Organisation") or {}).get("Name")
            or ""
        ),
        "is_test": bool(company.get("IsTest")),
    }


def list_companies(access_token: str, api_base: str | None = None) -> list[dict[str, str]]:
    """The companies a login may act on, read live; ApplicationError when Unimicro refuses."""
    from apps.integrations.connectors.unimicro.client import UnimicroClient

    try:
        with UnimicroClient(
            access_token=access_token, api_base=api_base or auth.configured_api_base()
        ) as client:
            found = [company_entry(c) for c in client.companies()]
    except ConnectorError as exc:
        raise ApplicationError(
            _("Unimicro did not list the companies: %(reason)s") % {"reason": exc.message}
        ) from None
    return [c for c in found if c["key"]]


def default_key_name(company_name: str) -> str:
    return f"Tidsbro – {company_name}" if company_name else "Tidsbro"


# STEPS
# ------------------------------------------------------------------------------
class ModeStep(OnboardingStep):
    name = "mode"
    label = gettext_lazy("Full integration or CSV")
    template = f"{TEMPLATES}/mode.html"

    def form(self, wizard: Any, data: Any) -> Any:
        from apps.integrations.connectors.unimicro.forms import ModeForm

        return ModeForm(data, initial={"mode": wizard.get("mode") or MODE_API})

    def accept(self, wizard: Any, form: Any) -> None:
        mode = form.cleaned_data["mode"]
        if mode != wizard.get("mode"):
            # Another mode: what a login brought belongs to the other path.
            wizard.save(mode=mode, login=None, companies=None, company_key=None)
            wizard.save_secret(access_token="", refresh_token="")
        else:
            wizard.save(mode=mode)


class LoginStep(OnboardingStep):
    name = "login"
    label = gettext_lazy("Log in to Unimicro")
    template = f"{TEMPLATES}/login.html"

    def ready(self, wizard: Any) -> bool:
        return wizard.get("mode") == MODE_API

    def form(self, wizard: Any, data: Any) -> Any:
        from apps.integrations.connectors.unimicro.forms import LoginForm

        return LoginForm(
            data,
            server=auth.server_access_configured(),
            initial={"auth": wizard.get("auth") or "login"},
        )

    def accept(self, wizard: Any, form: Any) -> None:
        chosen = form.cleaned_data.get("auth") or "login"
        if chosen == "server":
            try:
                entry = auth.server_token_entry()
            except ConnectorError as exc:
                raise ApplicationError(exc.message) from None
            wizard.save(
                auth="server",
                login={"user_name": keys.SERVER_KEY_NAME, "subject": "", "organisation_id": ""},
                companies=None,
            )
            wizard.save_secret(access_token=entry["access_token"], refresh_token="")
            wizard.save(access_expires_at=entry["access_expires_at"])
            return
        if wizard.get("auth") != "login":
            wizard.save(auth="login", login=None, companies=None)
            wizard.save_secret(access_token="", refresh_token="")

    def leave(self, wizard: Any, form: Any, request: Any) -> str:
        if wizard.get("auth") != "login":
            return ""
        # Logged in already and "Next" pressed: go on; the button logs in (again).
        if wizard.get("login") and wizard.secret("access_token") and "login" not in form.data:
            return ""
        try:
            return auth.login_start(
                request, purpose=WIZARD_PURPOSE, redirect_uri=callback_uri(request)
            )
        except ConnectorError as exc:
            raise ApplicationError(exc.message) from None

    def context(self, wizard: Any) -> dict[str, Any]:
        return {
            "login": wizard.get("login") if wizard.secret("access_token") else None,
            "server_access": auth.server_access_configured(),
        }


class CompanyStep(OnboardingStep):
    name = "company"
    label = gettext_lazy("Company")
    template = f"{TEMPLATES}/company.html"

    def ready(self, wizard: Any) -> bool:
        return (
            wizard.get("mode") == MODE_API
            and bool(wizard.get("login"))
            and bool(wizard.secret("access_token"))
        )

    def _companies(self, wizard: Any) -> list[dict[str, str]]:
        companies = wizard.get("companies")
        if companies is None:
            companies = list_companies(wizard.secret("access_token"))
            wizard.save(companies=companies)
        return companies

    def form(self, wizard: Any, data: Any) -> Any:
        from apps.integrations.connectors.unimicro.forms import CompanyForm

        try:
            companies = self._companies(wizard)
        except ApplicationError as exc:
            companies = []
            problem = exc.message
        else:
            problem = ""
        form = CompanyForm(
            data, companies=companies, initial={"company_key": wizard.get("company_key")}
        )
        if len(companies) == 1 and data is None:
            form.initial["company_key"] = companies[0]["key"]
        form.problem = problem
        return form

    def accept(self, wizard: Any, form: Any) -> None:
        if form.problem:
            raise ApplicationError(form.problem)
        chosen = next(
            c for c in wizard.get("companies") or [] if c["key"] == form.cleaned_data["company_key"]
        )
        wizard.save(
            company_key=chosen["key"],
            company_name=chosen["name"],
            company_org_number=chosen["org_number"],
            organisation_name=chosen["organisation_name"],
        )

    def context(self, wizard: Any) -> dict[str, Any]:
        return {"login": wizard.get("login")}


class KeyStep(OnboardingStep):
    name = "key"
    label = gettext_lazy("Name the key")
    template = f"{TEMPLATES}/key.html"

    def ready(self, wizard: Any) -> bool:
        return CompanyStep().ready(wizard) and bool(wizard.get("company_key"))

    def form(self, wizard: Any, data: Any) -> Any:
        from apps.integrations.connectors.unimicro.forms import KeyNameForm

        return KeyNameForm(
            data,
            initial={
                "name": wizard.get("key_name") or default_key_name(wizard.get("company_name"))
            },
        )

    def accept(self, wizard: Any, form: Any) -> None:
        wizard.save(key_name=form.cleaned_data["name"])

    def context(self, wizard: Any) -> dict[str, Any]:
        return {"company_name": wizard.get("company_name"), "login": wizard.get("login")}


MODE, LOGIN, COMPANY, KEY = ModeStep(), LoginStep(), CompanyStep(), KeyStep()


def wizard_documents(wizard: Any) -> ConnectionDocuments:
    """The connection's documents from the wizard's answers."""
    if wizard.get("mode") == MODE_CSV:
        return ConnectionDocuments(credentials={}, settings={"mode": MODE_CSV}, state={})
    if not KEY.ready(wizard) or not wizard.get("key_name"):
        raise ApplicationError(_("Log in to Unimicro and choose the company first."))
    server = wizard.get("auth") == "server"
    login = wizard.get("login") or {}
    key = keys.new_key(
        name=wizard.get("key_name"),
        company_key=wizard.get("company_key"),
        company_name=wizard.get("company_name") or "",
        organisation_name=wizard.get("organisation_name") or "",
        user_name=login.get("user_name") or "",
    )
    if server:
        key["id"] = auth.SERVER_KEY_ID
    elif wizard.get("key_id"):
        key["id"] = wizard.get("key_id")
    else:
        wizard.save(key_id=key["id"])
    entry = {
        "access_token": wizard.secret("access_token"),
        "access_expires_at": wizard.get("access_expires_at") or "",
        "last_used_at": key["created_at"],
    }
    refresh = wizard.secret("refresh_token")
    if refresh:
        entry["refresh_token"] = refresh
    return ConnectionDocuments(
        credentials={"server": True} if server else {},
        settings={
            "mode": MODE_API,
            "auth": "server" if server else "login",
            "issuer": auth.configured_issuer(),
            "api_base": auth.configured_api_base(),
            "company_key": key["company_key"],
            "company_name": key["company_name"],
            "organisation_name": key["organisation_name"],
            "keys": [key],
            "active_key": key["id"],
            "transfer_orders_to_invoice": False,
            "products_by_number": True,
        },
        state={"tokens": {key["id"]: entry}},
    )


class UnimicroOnboarding(Onboarding):
    steps = (MODE, LOGIN, COMPANY, KEY)
    summary_template = f"{TEMPLATES}/summary.html"

    def steps_for(self, wizard: Any) -> Sequence[OnboardingStep]:
        if wizard.get("mode") == MODE_CSV:
            return (MODE,)
        return self.steps

    def documents(self, wizard: Any) -> ConnectionDocuments:
        return wizard_documents(wizard)

    def summary(self, wizard: Any) -> dict[str, Any]:
        return {
            "summary": {
                "mode": wizard.get("mode"),
                "company": wizard.get("company_name") or "",
                "org_number": wizard.get("company_org_number") or "",
                "key_name": wizard.get("key_name") or "",
                "user": (wizard.get("login") or {}).get("user_name") or "",
            }
        }

    def describe_login(self, connection: Any) -> str:
        settings = connection.settings or {}
        if settings.get("mode") != MODE_API:
            return ""
        key = next(
            (k for k in settings.get("keys") or [] if k.get("id") == settings.get("active_key")),
            None,
        )
        if key is None:
            return ""
        return _("the key “%(name)s” (logged in as %(user)s)") % {
            "name": key.get("name"),
            "user": key.get("user_name"),
        }

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--unimicro-mode",
            choices=[MODE_CSV],
            default=MODE_CSV,
            help="Unimicro from the command line: csv (the file export). Full integration "
            "needs the interactive login (Integrations → Unimicro → Activate).",
        )

    def documents_from_options(
        self, options: Mapping[str, Any], *, out: Any
    ) -> ConnectionDocuments:
        return ConnectionDocuments(credentials={}, settings={"mode": MODE_CSV}, state={})


# THE LOGIN COMING BACK
# ------------------------------------------------------------------------------
def settings_url(connection_id: Any) -> str:
    return f"{reverse('admin:integrations_connection_settings')}?connection={connection_id}#keys"


def _reauthorise_target(purpose: str) -> tuple[int, str] | None:
    parts = purpose.split(":")
    if len(parts) != 3 or parts[0] != REAUTHORISE or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2]


class UnimicroOAuth(OAuthLogin):
    """`spec.oauth`: Unimicro's login for the wizard and for re-authorising a key."""

    def start(self, request: Any, *, purpose: str) -> str:
        target = _reauthorise_target(purpose)
        if target is None:
            raise ApplicationError(_("Unknown login purpose."))
        if not request.user.has_perm("integrations.change_connection"):
            raise ApplicationError(_("You may not change this connection."))
        from apps.integrations.models import Connection

        connection = Connection.objects.filter(pk=target[0], system=SYSTEM).first()
        if connection is None:
            raise ApplicationError(_("This connection has no such key."))
        keys._find(connection.settings or {}, target[1])
        if (connection.settings or {}).get("auth") == "server":
            raise ApplicationError(_("Server access has no personal login to renew."))
        try:
            return auth.login_start(
                request,
                purpose=f"{REAUTHORISE}:{connection.pk}:{target[1]}",
                redirect_uri=callback_uri(request),
            )
        except ConnectorError as exc:
            raise ApplicationError(exc.message) from None

    def callback(self, request: Any, *, wizard: Any) -> OAuthOutcome:
        purpose = auth.pending_purpose(request)
        integrations = reverse("admin:integrations_connection_connect")
        if purpose is None:
            # Unknown or tampered state: nothing is exchanged.
            try:
                auth.login_finish(request)
            except ApplicationError as exc:
                return OAuthOutcome(redirect_to=integrations, message=exc.message, ok=False)
            return OAuthOutcome(redirect_to=integrations, ok=False)
        if purpose == WIZARD_PURPOSE:
            return self._wizard(request, wizard)
        target = _reauthorise_target(purpose)
        if target is None:
            return OAuthOutcome(
                redirect_to=integrations, message=_("Unknown login purpose."), ok=False
            )
        return self._reauthorise(request, *target)

    def _wizard(self, request: Any, wizard: Any) -> OAuthOutcome:
        back = step_url(LOGIN.name)
        if not request.user.has_perm("integrations.add_connection"):
            return OAuthOutcome(
                redirect_to=reverse("admin:index"),
                message=_("You may not connect systems."),
                ok=False,
            )
        try:
            result = auth.login_finish(request)
        except ApplicationError as exc:
            return OAuthOutcome(redirect_to=back, message=exc.message, ok=False)
        spec = wizard.spec
        if spec is None or spec.system != SYSTEM or wizard.get("mode") != MODE_API:
            return OAuthOutcome(
                redirect_to=reverse("admin:integrations_connection_connect"),
                message=_("The wizard has expired or was not started. Please start again."),
                ok=False,
            )
        wizard.save(
            auth="login",
            login={
                "user_name": result.user_name,
                "subject": result.subject,
                "organisation_id": result.organisation_id,
                "offline": bool(result.refresh_token),
            },
            access_expires_at=result.access_expires_at,
            companies=None,
            company_key=None,
        )
        wizard.save_secret(access_token=result.access_token, refresh_token=result.refresh_token)
        return OAuthOutcome(
            redirect_to=step_url(COMPANY.name),
            message=_("Logged in to Unimicro as %(user)s.") % {"user": result.user_name},
        )

    def _reauthorise(self, request: Any, connection_id: int, key_id: str) -> OAuthOutcome:
        from apps.integrations.models import Connection

        back = settings_url(connection_id)
        if not request.user.has_perm("integrations.change_connection"):
            return OAuthOutcome(
                redirect_to=reverse("admin:index"),
                message=_("You may not change this connection."),
                ok=False,
            )
        try:
            result = auth.login_finish(request)
            connection = Connection.objects.filter(pk=connection_id, system=SYSTEM).first()
            if connection is None:
                raise ApplicationError(_("This connection has no such key."))
            key = keys.key_reauthorise(
                connection=connection, key_id=key_id, login=result, actor=request.user
            )
        except ApplicationError as exc:
            return OAuthOutcome(redirect_to=back, message=exc.message, ok=False)
        return OAuthOutcome(
            redirect_to=back,
            message=_("The key “%(name)s” has a new login to Unimicro.") % {"name": key["name"]},
        )


OAUTH = UnimicroOAuth()
ONBOARDING = UnimicroOnboarding()
