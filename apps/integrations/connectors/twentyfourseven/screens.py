"""24SevenOffice's own screens: the connect wizard's steps (log in, client, integration user),
the integration user box on the settings screen, and the command line's options.

Every check is live (`onboarding.py`); the generic wizard and settings screen
(`apps/integrations/admin_views/`) draw the frame, these classes the 24SO parts.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import (
    ConnectionDocuments,
    ConnectorSettings,
    Onboarding,
    OnboardingStep,
    SettingsSection,
    WizardState,
)
from apps.integrations.connectors.twentyfourseven import onboarding as checks

TEMPLATES = "integrations/24so"


# --- forms -------------------------------------------------------------------------------------


class CredentialsForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("24SevenOffice username"),
        max_length=255,
        help_text=gettext_lazy("The e-mail address you log in to 24SevenOffice with."),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )


class ClientForm(forms.Form):
    identity_id = forms.ChoiceField(
        label=gettext_lazy("Client"),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the 24SevenOffice client to connect.")},
    )

    def __init__(self, *args: Any, clients: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clients = clients
        field = self.fields["identity_id"]
        field.choices = [
            (
                c["identity_id"],
                _("%(client)s (blocked for this login)") % {"client": c["client_name"]}
                if c["is_disabled"]
                else c["client_name"],
            )
            for c in clients
        ]
        default = next((c for c in clients if c["is_default"] and not c["is_disabled"]), None)
        if default is not None and not field.initial:
            field.initial = default["identity_id"]


class IntegrationUserForm(forms.Form):
    SAME, SEPARATE = "same", "separate"
    mode = forms.ChoiceField(
        label=gettext_lazy("Who does the sync log in as?"),
        widget=forms.RadioSelect,
        choices=[
            (SAME, gettext_lazy("The same login")),
            (SEPARATE, gettext_lazy("A separate integration user")),
        ],
        initial=SAME,
    )
    api_username = forms.CharField(
        label=gettext_lazy("Integration user"), max_length=255, required=False
    )
    api_password = forms.CharField(
        label=gettext_lazy("Integration user password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )


def _client(wizard: WizardState) -> dict[str, Any] | None:
    identity_id = wizard.get("identity_id")
    return next((c for c in wizard.get("clients", []) if c["identity_id"] == identity_id), None)


# --- the wizard's steps ------------------------------------------------------------------------


class LoginStep(OnboardingStep):
    name = "credentials"
    label = gettext_lazy("Log in")
    template = f"{TEMPLATES}/onboarding/credentials.html"
    sensitive_fields = ("password",)

    def form(self, wizard: WizardState, data: Any) -> forms.Form:
        initial = None if data is not None else {"username": wizard.get("username", "")}
        return CredentialsForm(data, initial=initial)

    def accept(self, wizard: WizardState, form: forms.Form) -> None:
        username = form.cleaned_data["username"].strip()
        password = form.cleaned_data["password"]
        clients = checks.identities(username=username, password=password)
        wizard.save(username=username, clients=[asdict(c) for c in clients], identity_id="")
        wizard.save_secret(password=password)


class ClientStep(OnboardingStep):
    name = "client"
    label = gettext_lazy("Client")
    template = f"{TEMPLATES}/onboarding/client.html"

    def ready(self, wizard: WizardState) -> bool:
        return bool(wizard.get("clients")) and bool(wizard.secret("password"))

    def form(self, wizard: WizardState, data: Any) -> forms.Form:
        chosen = wizard.get("identity_id")
        return ClientForm(
            data,
            clients=wizard.get("clients"),
            initial={"identity_id": chosen} if chosen and data is None else None,
        )

    def accept(self, wizard: WizardState, form: forms.Form) -> None:
        chosen = checks.check_client(
            username=wizard.get("username"),
            password=wizard.secret("password"),
            identity_id=form.cleaned_data["identity_id"],
        )
        wizard.save(identity_id=chosen.identity_id)

    def context(self, wizard: WizardState) -> dict[str, Any]:
        return {"clients": wizard.get("clients"), "username": wizard.get("username")}


class IntegrationUserStep(OnboardingStep):
    name = "integration_user"
    label = gettext_lazy("Integration user")
    template = f"{TEMPLATES}/onboarding/integration_user.html"
    sensitive_fields = ("api_password",)

    def ready(self, wizard: WizardState) -> bool:
        return _client(wizard) is not None and bool(wizard.secret("password"))

    def form(self, wizard: WizardState, data: Any) -> forms.Form:
        initial = None
        if data is None and wizard.get("api_username"):
            initial = {
                "mode": IntegrationUserForm.SEPARATE,
                "api_username": wizard.get("api_username"),
            }
        return IntegrationUserForm(data, initial=initial)

    def accept(self, wizard: WizardState, form: forms.Form) -> None:
        data = form.cleaned_data
        api_username = (data.get("api_username") or "").strip()
        if data["mode"] == IntegrationUserForm.SAME or (
            api_username.casefold() == (wizard.get("username") or "").casefold()
        ):
            wizard.save(api_username="")
            wizard.save_secret(api_password="")
            return
        checks.check_integration_user(
            client=checks.ClientChoice(**_client(wizard)),
            api_username=api_username,
            api_password=data.get("api_password") or "",
        )
        wizard.save(api_username=api_username)
        wizard.save_secret(api_password=data["api_password"])

    def context(self, wizard: WizardState) -> dict[str, Any]:
        return {"client": _client(wizard), "username": wizard.get("username")}


class TwentyFourSevenOnboarding(Onboarding):
    steps = (LoginStep(), ClientStep(), IntegrationUserStep())
    summary_template = f"{TEMPLATES}/onboarding/summary.html"

    def documents(self, wizard: WizardState) -> ConnectionDocuments:
        client = _client(wizard)
        if client is None:
            raise ApplicationError(_("Choose the 24SevenOffice client to connect."))
        return checks.connect(
            username=wizard.get("username"),
            password=wizard.secret("password"),
            identity_id=client["identity_id"],
            api_username=wizard.get("api_username") or None,
            api_password=wizard.secret("api_password") or None,
        )

    def summary(self, wizard: WizardState) -> dict[str, Any]:
        return {
            "client": _client(wizard),
            "username": wizard.get("username"),
            "api_username": wizard.get("api_username"),
        }

    # the command line

    def add_arguments(self, parser: Any) -> None:
        group = parser.add_argument_group("24SevenOffice")
        group.add_argument("--username", help="The 24SevenOffice login (e-mail).")
        group.add_argument(
            "--password-env",
            metavar="VAR",
            help="Name of the environment variable holding the password.",
        )
        group.add_argument(
            "--client", help="Name (or number) of the client to connect; omit to list them."
        )
        group.add_argument("--identity-id", help="The identity id of the client, instead.")
        group.add_argument("--api-username", help="A separate integration user (optional).")
        group.add_argument("--api-password-env", metavar="VAR")

    def documents_from_options(self, options: Any, *, out: Any) -> ConnectionDocuments:
        username = (options.get("username") or "").strip()
        if not username:
            raise ApplicationError(_("--username is required."))
        password = _environment(options.get("password_env"), option="--password-env")
        api_password = None
        if options.get("api_username"):
            api_password = _environment(
                options.get("api_password_env"), option="--api-password-env"
            )
        if not options.get("client") and not options.get("identity_id"):
            choices = checks.identities(username=username, password=password)
            out.write(f"{username} can reach these clients:")
            for c in choices:
                flags = [
                    f for f, on in (("default", c.is_default), ("blocked", c.is_disabled)) if on
                ]
                suffix = f" ({', '.join(flags)})" if flags else ""
                out.write(f"  {c.client_name} [{c.client_id}] identity {c.identity_id}{suffix}")
            raise ApplicationError(_("Choose the client with --client."))
        return checks.connect(
            username=username,
            password=password,
            client_name=options.get("client"),
            identity_id=options.get("identity_id"),
            api_username=options.get("api_username"),
            api_password=api_password,
        )

    def describe_login(self, connection: Any) -> str:
        return _("Syncing as: %(user)s") % {"user": checks.sync_user(connection)}


def _environment(name: str | None, *, option: str) -> str:
    # Passwords come from the environment, never from argv (visible in `ps` and shell history).
    if not name:
        raise ApplicationError(
            _("%(option)s is required (the name of an environment variable).") % {"option": option}
        )
    value = os.environ.get(name, "")
    if not value:
        raise ApplicationError(
            _("The environment variable %(name)s (%(option)s) is empty or unset.")
            % {"name": name, "option": option}
        )
    return value


# --- the settings screen -----------------------------------------------------------------------


class IntegrationUserSection(SettingsSection):
    name = "integration_user"
    template = f"{TEMPLATES}/settings/integration_user.html"
    sensitive_fields = ("api_password",)

    def form(self, connection: Any, data: Any) -> forms.Form:
        api_username = connection.credentials_doc.get("api_username", "")
        return IntegrationUserForm(
            data,
            initial={
                "mode": IntegrationUserForm.SEPARATE if api_username else IntegrationUserForm.SAME,
                "api_username": api_username,
            },
        )

    def save(self, connection: Any, form: forms.Form, *, actor: Any) -> str:
        from apps.integrations import services

        data = form.cleaned_data
        same = data["mode"] == IntegrationUserForm.SAME
        documents = checks.replace_credentials(
            connection=connection,
            api_username="" if same else (data.get("api_username") or "").strip(),
            api_password=None if same else (data.get("api_password") or ""),
        )
        if documents is not None:
            services.connection_replace_credentials(
                connection=connection,
                credentials=documents.credentials,
                state=documents.state,
                settings=documents.settings,
                actor=actor,
            )
        return _("The sync now logs in as %(user)s.") % {"user": checks.sync_user(connection)}

    def context(self, connection: Any) -> dict[str, Any]:
        return {"sync_user": checks.sync_user(connection)}


class PasswordForm(forms.Form):
    replace_password = forms.CharField(
        label=gettext_lazy("replace password"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        required=False,
        help_text=gettext_lazy(
            "Leave empty to keep the stored password. A new one is checked live."
        ),
    )
    replace_api_password = forms.CharField(
        label=gettext_lazy("replace integration user password"),
        widget=forms.PasswordInput(render_value=False),
        strip=False,
        required=False,
    )


class PasswordSection(SettingsSection):
    """A password changed in 24SevenOffice: the new one, checked live (never shown)."""

    name = "passwords"
    template = f"{TEMPLATES}/settings/passwords.html"
    sensitive_fields = ("replace_password", "replace_api_password")

    def form(self, connection: Any, data: Any) -> forms.Form:
        form = PasswordForm(data)
        if not connection.credentials_doc.get("api_username"):
            del form.fields["replace_api_password"]
        return form

    def save(self, connection: Any, form: forms.Form, *, actor: Any) -> str:
        from apps.integrations import services

        documents = checks.replace_credentials(
            connection=connection,
            password=form.cleaned_data.get("replace_password") or None,
            api_password=form.cleaned_data.get("replace_api_password") or None,
        )
        if documents is None:
            return _("Nothing was changed.")
        services.connection_replace_credentials(
            connection=connection,
            credentials=documents.credentials,
            state=documents.state,
            actor=actor,
        )
        return _("The new password was checked with 24SevenOffice and saved.")


class TwentyFourSevenSettings(ConnectorSettings):
    sections = (IntegrationUserSection(), PasswordSection())
    summary_template = f"{TEMPLATES}/settings/summary.html"

    def summary(self, connection: Any) -> dict[str, Any]:
        return {
            "client": connection.setting("client_name"),
            "login": connection.credentials_doc.get("username", ""),
        }
