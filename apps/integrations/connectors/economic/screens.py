"""e-conomic's own boxes on the connection's settings screen (`spec.settings`): the defaults
for new customers, and a new grant token (after the approval was withdrawn in e-conomic)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import ConnectorSettings, SettingsSection
from apps.integrations.connectors.economic.onboarding import (
    PROJECT_SETTINGS,
    SECRET_VARIABLES,
    AgreementLists,
    ProjectLists,
    check_defaults,
    check_grant,
    check_project_defaults,
    check_project_module,
    grant_url,
)
from apps.integrations.connectors.economic.webhooks_screen import SECTION as WEBHOOKS_SECTION

TEMPLATES = "integrations/economic/settings"
DEFAULT_NAMES = ("customer_group", "payment_terms", "vat_zone", "currency", "layout")


def _lists(connection: Any) -> tuple[AgreementLists, str]:
    """The agreement's lists, read live; when e-conomic cannot be asked, the current choices
    only (the box still shows them) and why."""
    token = connection.credentials_doc.get("agreement_grant_token", "")
    try:
        _info, lists = check_grant(token)
        return lists, ""
    except ApplicationError as exc:
        current = {name: connection.setting(name, None) for name in DEFAULT_NAMES}
        lists = AgreementLists(
            customer_groups=[(current["customer_group"], "")] if current["customer_group"] else [],
            payment_terms=[(current["payment_terms"], "")] if current["payment_terms"] else [],
            vat_zones=[(current["vat_zone"], "")] if current["vat_zone"] else [],
            currencies=[(current["currency"], "")] if current["currency"] else [],
            layouts=[(current["layout"], "")] if current["layout"] else [],
        )
        return lists, exc.message


class DefaultsSection(SettingsSection):
    """What a customer created in e-conomic from Tidsbro gets for e-conomic's required fields."""

    name = "defaults"
    template = f"{TEMPLATES}/defaults.html"

    def form(self, connection: Any, data: Any) -> Any:
        from apps.integrations.connectors.economic.forms import DefaultsForm

        lists, problem = _lists(connection)
        form = DefaultsForm(
            lists=lists,
            data=data,
            initial={
                name: "" if connection.setting(name, None) is None else connection.setting(name)
                for name in DEFAULT_NAMES
            },
        )
        form.lists = lists
        form.problem = problem
        return form

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        from apps.integrations import services

        if form.problem:
            raise ApplicationError(form.problem)
        chosen = check_defaults(form.lists, **form.cleaned_data)
        services.connection_update_settings(connection=connection, settings=chosen, actor=actor)
        return _("New customers in e-conomic get these defaults from now on.")


def approve_hours_field(*, initial: bool) -> Any:
    """Whether hours sent to e-conomic are approved there too (its `approve` request). An
    approved time entry is locked in e-conomic: later edits here no longer reach it."""
    from django import forms
    from django.utils.translation import gettext_lazy

    return forms.BooleanField(
        label=gettext_lazy("Approve the hours in e-conomic too"),
        required=False,
        initial=initial,
        help_text=gettext_lazy(
            "Hours approved here are approved in e-conomic when they are sent, ready for "
            "invoicing there. e-conomic locks an approved time entry: if an hour is reopened "
            "and changed here later, the change cannot reach e-conomic (it is listed as "
            "refused). Switch this off if later edits must follow."
        ),
    )


class ProjectsSection(SettingsSection):
    """The Project module: whether the agreement has it (asked again on every save, so a module
    bought later is found), where new projects and work types go, and the integration
    employee."""

    name = "projects"
    template = f"{TEMPLATES}/projects.html"

    def form(self, connection: Any, data: Any) -> Any:
        from apps.integrations.connectors.economic.forms import ProjectDefaultsForm

        token = connection.credentials_doc.get("agreement_grant_token", "")
        problem = ""
        try:
            lists = check_project_module(token)
        except ApplicationError as exc:
            # e-conomic cannot be asked now: the current choices only, and why.
            problem = exc.message
            lists = ProjectLists(
                **{
                    plural: [(connection.setting(name), "")] if connection.setting(name) else []
                    for plural, name in zip(
                        ("project_groups", "activity_groups", "employees"),
                        PROJECT_SETTINGS,
                        strict=True,
                    )
                }
            )
        form = ProjectDefaultsForm(
            projects=lists or ProjectLists(),
            data=data,
            initial={
                name: "" if connection.setting(name, None) is None else connection.setting(name)
                for name in PROJECT_SETTINGS
            },
        )
        if lists is None:
            form.fields.clear()  # no module: the box only says so (and can look again)
        else:
            form.fields["approve_hours"] = approve_hours_field(
                initial=connection.setting("approve_hours", True) is not False
            )
        form.lists = lists
        form.problem = problem
        return form

    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        from apps.integrations import services

        if form.problem:
            raise ApplicationError(form.problem)
        if form.lists is None:
            services.connection_update_settings(
                connection=connection, settings={"project_module": False}, actor=actor
            )
            return _(
                "This e-conomic agreement still has no Project module, so Tidsbro keeps "
                "customers in step and sends invoices only."
            )
        values = dict(form.cleaned_data)
        approve = bool(values.pop("approve_hours", True))
        chosen = {**check_project_defaults(form.lists, **values), "approve_hours": approve}
        found = connection.setting("project_module", False) is not True
        services.connection_update_settings(
            connection=connection, settings={**chosen, "project_module": True}, actor=actor
        )
        if found:
            return _(
                "The agreement has the Project module now: choose what to keep in step on this "
                "screen (users, work types, projects, hours)."
            )
        return _("New projects and work types go where you chose from now on.")

    def context(self, connection: Any) -> dict[str, Any]:
        return {"project_module": connection.setting("project_module", False) is True}


class GrantSection(SettingsSection):
    """A new agreement grant token for the same agreement (approved again in e-conomic)."""

    name = "grant"
    template = f"{TEMPLATES}/grant.html"
    sensitive_fields = ("agreement_grant_token",)

    def form(self, connection: Any, data: Any) -> Any:
        from apps.integrations.connectors.economic.forms import AgreementForm

        return AgreementForm(data=data)

    @sensitive_variables(*SECRET_VARIABLES)
    def save(self, connection: Any, form: Any, *, actor: Any) -> str:
        from apps.integrations import services

        token = form.cleaned_data["agreement_grant_token"].strip()
        info, _lists = check_grant(token)
        if info.agreement_number != connection.setting("agreement_number", None):
            raise ApplicationError(
                _(
                    "This token opens e-conomic agreement %(found)s (%(company)s), not the "
                    "connected agreement %(connected)s. Approve Tidsbro in the connected "
                    "agreement, or connect the other agreement instead."
                )
                % {
                    "found": info.agreement_number,
                    "company": info.company_name,
                    "connected": connection.setting("agreement_number", "—"),
                },
                field="agreement_grant_token",
            )
        services.connection_replace_credentials(
            connection=connection,
            credentials={"agreement_grant_token": token},
            settings={
                **(connection.settings or {}),
                "company_name": info.company_name,
                "user_name": info.user_name,
                "user_email": info.user_email,
            },
            actor=actor,
        )
        return _("e-conomic accepted the new token; the sync goes on with it.")

    def context(self, connection: Any) -> dict[str, Any]:
        return {"grant_url": grant_url()}


class EconomicSettings(ConnectorSettings):
    # The last box, instant updates (e-conomic's webhooks), lives in webhooks_screen.py.
    sections = (DefaultsSection(), ProjectsSection(), GrantSection(), WEBHOOKS_SECTION)
    summary_template = f"{TEMPLATES}/summary.html"

    def summary(self, connection: Any) -> dict[str, Any]:
        return {
            "agreement_number": connection.setting("agreement_number"),
            "company": connection.setting("company_name"),
            "user": connection.setting("user_name"),
        }


SETTINGS = EconomicSettings()
