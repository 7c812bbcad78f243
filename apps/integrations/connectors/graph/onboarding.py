"""Activating Microsoft 365 calendars for the office (Integrations → Activate): one step.

The office's connection only switches the integration on: which Microsoft Entra tenant its
people sign in with (a tenant id, a domain, or "organizations" for any work or school
account) and whether people may save their hours in their calendar. There is no office
password: the app registration is Tidsbro's (GRAPH_CLIENT_ID / GRAPH_CLIENT_SECRET), and each
person connects their own calendar under My calendar.

The tenant is checked live: its OpenID configuration is read through the connector's session
(the same routing MSAL uses); a tenant Microsoft does not know is refused on the form and
nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectionDocuments, Onboarding, OnboardingStep
from apps.integrations.connectors.graph import SYSTEM

TEMPLATES = "integrations/graph/onboarding"
DEFAULT_TENANT = "organizations"
# A tenant id (GUID), a domain (contoso.onmicrosoft.com, contoso.no) or an alias.
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,98}[A-Za-z0-9])?$")


def session() -> requests.Session:
    """The connector's HTTP session (routes the sandbox's https name in the demo and tests)."""
    from apps.integrations.connectors.graph.transport import GraphSession

    return GraphSession()


def discovery_url(tenant: str) -> str:
    base = (settings.GRAPH_LOGIN_BASE or "").rstrip("/")
    return f"{base}/{quote(tenant, safe='.-')}/v2.0/.well-known/openid-configuration"


def tenant_check(tenant: str) -> dict[str, Any]:
    """The tenant's OpenID configuration, read live; ApplicationError (in words an
    administrator can act on, on the tenant field) when Microsoft does not know the tenant or
    cannot be reached."""
    tenant = (tenant or "").strip()
    if not TENANT_PATTERN.match(tenant):
        raise ApplicationError(
            _("Enter the tenant's id, one of its domains, or “organizations”."), field="tenant"
        )
    with session() as http:
        try:
            response = http.get(discovery_url(tenant), headers={"Accept": "application/json"})
        except requests.RequestException:
            raise ApplicationError(
                _(
                    "Microsoft's sign-in service could not be reached to check the tenant. "
                    "Try again in a moment."
                ),
                field="tenant",
            ) from None
    try:
        document = response.json()
    except ValueError:
        document = None
    if response.status_code in (400, 404) or (
        isinstance(document, dict) and document.get("error") == "invalid_tenant"
    ):
        raise ApplicationError(
            _(
                "Microsoft does not know the tenant “%(tenant)s”. Enter the tenant id (Microsoft "
                "Entra admin center → Overview) or one of the office's domains."
            )
            % {"tenant": tenant},
            field="tenant",
        )
    if (
        response.status_code != 200
        or not isinstance(document, dict)
        or not document.get("authorization_endpoint")
    ):
        raise ApplicationError(
            _(
                "Microsoft's sign-in service did not answer properly (HTTP %(status)s). Try "
                "again in a moment."
            )
            % {"status": response.status_code},
            field="tenant",
        )
    return document


class OfficeForm(forms.Form):
    tenant = forms.CharField(
        label=gettext_lazy("Microsoft Entra tenant"),
        max_length=100,
        initial=DEFAULT_TENANT,
        widget=forms.TextInput(attrs={"style": "width: 26em; max-width: 100%"}),
        help_text=gettext_lazy(
            "The office's tenant id or one of its domains (e.g. contoso.no). “organizations” "
            "lets anyone with a work or school account connect their calendar."
        ),
        error_messages={"required": gettext_lazy("Enter the tenant, or “organizations”.")},
    )
    allow_write = forms.BooleanField(
        label=gettext_lazy("People may save their hours in their calendar"),
        required=False,
        initial=True,
        help_text=gettext_lazy(
            "Each person still decides for themselves (My calendar → Save my hours in my "
            "calendar); they are then asked for write access to their calendar. Without this, "
            "Tidsbro only reads calendars."
        ),
    )

    def clean_tenant(self) -> str:
        return self.cleaned_data["tenant"].strip()


class OfficeStep(OnboardingStep):
    name = "office"
    label = gettext_lazy("Your office")
    template = f"{TEMPLATES}/office.html"

    def form(self, wizard: Any, data: Any) -> Any:
        return OfficeForm(
            data,
            initial={
                "tenant": wizard.get("tenant") or DEFAULT_TENANT,
                "allow_write": wizard.get("allow_write", True),
            },
        )

    def accept(self, wizard: Any, form: Any) -> None:
        tenant = form.cleaned_data["tenant"]
        tenant_check(tenant)
        wizard.save(tenant=tenant, allow_write=bool(form.cleaned_data["allow_write"]))

    def context(self, wizard: Any) -> dict[str, Any]:
        return {"callback_path": reverse("integrations_oauth_callback", args=[SYSTEM])}


OFFICE = OfficeStep()


def office_settings(*, tenant: str, allow_write: bool) -> dict[str, Any]:
    return {"tenant": tenant, "allow_write": bool(allow_write)}


class GraphOnboarding(Onboarding):
    steps = (OFFICE,)
    summary_template = f"{TEMPLATES}/summary.html"

    def documents(self, wizard: Any) -> ConnectionDocuments:
        if not wizard.get("tenant"):
            raise ApplicationError(_("Enter the office's Microsoft Entra tenant first."))
        return ConnectionDocuments(
            credentials={},
            settings=office_settings(
                tenant=wizard.get("tenant"), allow_write=bool(wizard.get("allow_write"))
            ),
            state={},
        )

    def summary(self, wizard: Any) -> dict[str, Any]:
        return {
            "summary": {
                "tenant": wizard.get("tenant") or "",
                "allow_write": bool(wizard.get("allow_write")),
            }
        }

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--graph-tenant",
            default=DEFAULT_TENANT,
            help="Microsoft 365 calendars: the office's Microsoft Entra tenant (id or domain), "
            "or 'organizations' (default).",
        )
        parser.add_argument(
            "--graph-allow-write",
            action="store_true",
            help="Microsoft 365 calendars: people may save their hours in their calendar.",
        )

    def documents_from_options(
        self, options: Mapping[str, Any], *, out: Any
    ) -> ConnectionDocuments:
        tenant = (options.get("graph_tenant") or DEFAULT_TENANT).strip()
        tenant_check(tenant)
        return ConnectionDocuments(
            credentials={},
            settings=office_settings(
                tenant=tenant, allow_write=bool(options.get("graph_allow_write"))
            ),
            state={},
        )


ONBOARDING = GraphOnboarding()
