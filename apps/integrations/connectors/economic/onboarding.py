"""Connecting e-conomic: the grant token (from e-conomic's grant page or pasted), checked with
`GET /self`; the defaults a new e-conomic customer needs, chosen from the agreement's lists.

Tidsbro's app secret token comes from the environment (`ECONOMIC_APP_SECRET_TOKEN`), never
from a connection. Every check talks to e-conomic with a throwaway client and turns the
connector's errors into messages an office can act on; what a check accepts comes back as
`ConnectionDocuments` for the generic services to store (`services.connection_create`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.debug import sensitive_variables

from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import (
    AuthFailed,
    ConnectionDocuments,
    ConnectorError,
    Onboarding,
    OnboardingStep,
    RateLimited,
    Unavailable,
)

SECRET_VARIABLES = ("grant_token", "token", "credentials", "agreement_grant_token")
DEFAULT_TOKEN_ENV = "ECONOMIC_AGREEMENT_GRANT_TOKEN"  # noqa: S105 - an environment name


@dataclass(frozen=True)
class AgreementInfo:
    """What `GET /self` says about the agreement a grant token opens."""

    agreement_number: int
    company_name: str
    user_name: str = ""
    user_email: str = ""
    base_currency: str = ""
    # Whether the agreement has e-conomic's Project module (its Projects service answers).
    project_module: bool = False


@dataclass(frozen=True)
class ProjectLists:
    """The Project module's choices: (number, name) of project groups, activity groups and
    employees (all empty without the module)."""

    project_groups: list[tuple[int, str]] = field(default_factory=list)
    activity_groups: list[tuple[int, str]] = field(default_factory=list)
    employees: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, list[list[Any]]]:
        return {name: [list(pair) for pair in pairs] for name, pairs in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> ProjectLists:
        data = data or {}
        return cls(**{name: [tuple(p) for p in data.get(name) or []] for name in _PROJECT_LISTS})


_PROJECT_LISTS = ("project_groups", "activity_groups", "employees")
PROJECT_SETTINGS = ("project_group", "activity_group", "integration_employee")


@dataclass(frozen=True)
class AgreementLists:
    """The agreement's choices for a new customer's required fields: (number/code, name)."""

    customer_groups: list[tuple[int, str]] = field(default_factory=list)
    payment_terms: list[tuple[int, str]] = field(default_factory=list)
    vat_zones: list[tuple[int, str]] = field(default_factory=list)
    currencies: list[tuple[str, str]] = field(default_factory=list)
    layouts: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict[str, list[list[Any]]]:
        return {name: [list(pair) for pair in pairs] for name, pairs in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> AgreementLists:
        data = data or {}
        return cls(**{name: [tuple(p) for p in data.get(name) or []] for name in _LIST_NAMES})


_LIST_NAMES = ("customer_groups", "payment_terms", "vat_zones", "currencies", "layouts")


@sensitive_variables(*SECRET_VARIABLES)
def _client(grant_token: str) -> Any:
    from apps.integrations.connectors.economic.client import EconomicClient

    try:
        return EconomicClient(agreement_grant_token=grant_token)
    except ValueError:
        if not getattr(django_settings, "ECONOMIC_APP_SECRET_TOKEN", ""):
            raise ApplicationError(
                _(
                    "Tidsbro has no e-conomic app secret token: set ECONOMIC_APP_SECRET_TOKEN "
                    "in the environment (your Tidsbro administrator), then try again."
                )
            ) from None
        raise ApplicationError(
            _("Paste the token e-conomic showed, or approve Tidsbro in e-conomic."),
            field="agreement_grant_token",
        ) from None


def plain_error(exc: ConnectorError) -> ApplicationError:
    """The connector's error while connecting, in words an office can act on."""
    if isinstance(exc, AuthFailed):
        return ApplicationError(
            _(
                "e-conomic did not accept this token: it is mistyped, or the approval was "
                "withdrawn in e-conomic. Approve Tidsbro in e-conomic again and use the new "
                "token."
            ),
            field="agreement_grant_token",
        )
    if isinstance(exc, RateLimited):
        return ApplicationError(
            _("e-conomic asks Tidsbro to wait a little (too many requests). Try again shortly.")
        )
    if isinstance(exc, Unavailable):
        return ApplicationError(
            _("e-conomic could not be reached or did not answer in time. Try again shortly.")
        )
    return ApplicationError(
        _("e-conomic refused: %(reason)s") % {"reason": "; ".join(getattr(exc, "messages", ()))}
    )


@sensitive_variables(*SECRET_VARIABLES)
def check_grant(grant_token: str) -> tuple[AgreementInfo, AgreementLists]:
    """Checks the grant token live (`GET /self`) and reads the agreement's lists for the
    defaults of new customers. Nothing is stored."""
    grant_token = (grant_token or "").strip()
    if not grant_token:
        raise ApplicationError(
            _("Paste the token e-conomic showed, or approve Tidsbro in e-conomic."),
            field="agreement_grant_token",
        )
    try:
        with closing(_client(grant_token)) as client:
            agreement = client.get_self()
            lists = AgreementLists(
                customer_groups=[(g.number, g.name) for g in client.customer_groups()],
                payment_terms=[(t.number, t.name) for t in client.payment_terms()],
                vat_zones=[
                    (z.number, z.name) for z in client.vat_zones() if z.enabled_for_customer
                ],
                currencies=[(c.code, c.name) for c in client.currencies()],
                layouts=[(x.number, x.name) for x in client.layouts() if not x.deleted],
            )
    except ConnectorError as exc:
        raise plain_error(exc) from None
    info = AgreementInfo(
        agreement_number=agreement.agreement_number,
        company_name=agreement.company_name,
        user_name=agreement.user_name,
        user_email=agreement.user_email,
        base_currency=agreement.base_currency,
    )
    return info, lists


@sensitive_variables(*SECRET_VARIABLES)
def check_project_module(grant_token: str) -> ProjectLists | None:
    """Whether the agreement has the Project module, asked of its Projects service (the
    lists the defaults need: project groups, activity groups, employees; three requests):
    the lists, or None when e-conomic says the module is missing. Nothing is stored."""
    from apps.integrations.connectors.economic.apis import PROJECTS, EconomicApis, ModuleMissing

    def pairs(client: Any, collection: str) -> list[tuple[int, str]]:
        found = [
            (int(doc["number"]), str(doc.get("name") or ""))
            for page in client.iter_pages(PROJECTS, collection)
            for doc in page
            if isinstance(doc.get("number"), int)
            and not (collection == "Employees" and doc.get("isBarred") is True)
        ]
        return sorted(found)

    try:
        with closing(EconomicApis(agreement_grant_token=grant_token.strip())) as client:
            return ProjectLists(
                project_groups=pairs(client, "ProjectGroups"),
                activity_groups=pairs(client, "ActivityGroups"),
                employees=pairs(client, "Employees"),
            )
    except ModuleMissing:
        return None
    except ValueError:
        raise ApplicationError(
            _("Tidsbro has no e-conomic app secret token: set ECONOMIC_APP_SECRET_TOKEN.")
        ) from None
    except ConnectorError as exc:
        raise plain_error(exc) from None


def check_project_defaults(
    lists: ProjectLists,
    *,
    project_group: Any,
    activity_group: Any,
    integration_employee: Any = None,
) -> dict[str, Any]:
    """Where new projects and work types go and whose name hours of unlinked people go under,
    each checked against the agreement's list (pure). The integration employee is optional:
    without one, such hours are refused with the reason."""

    def pick(value: Any, choices: list[tuple[Any, str]], name: str, label: str) -> Any:
        known = {str(key): key for key, _name in choices}
        if value in (None, "") or str(value).strip() not in known:
            offered = ", ".join(f"{key} {text}" for key, text in choices) or "—"
            raise ApplicationError(
                _("Choose the %(what)s from e-conomic's list: %(choices)s.")
                % {"what": label, "choices": offered},
                field=name,
            )
        return known[str(value).strip()]

    chosen = {
        "project_group": pick(
            project_group, lists.project_groups, "project_group", _("project group")
        ),
        "activity_group": pick(
            activity_group, lists.activity_groups, "activity_group", _("activity group")
        ),
        "integration_employee": None,
    }
    if integration_employee not in (None, ""):
        chosen["integration_employee"] = pick(
            integration_employee, lists.employees, "integration_employee", _("employee")
        )
    return chosen


def check_defaults(
    lists: AgreementLists,
    *,
    customer_group: Any,
    payment_terms: Any,
    vat_zone: Any,
    currency: Any,
    layout: Any = None,
) -> dict[str, Any]:
    """The chosen defaults as settings, each checked against the agreement's list (pure)."""

    def pick(value: Any, choices: list[tuple[Any, str]], name: str, label: str) -> Any:
        known = {str(key): key for key, _name in choices}
        if value in (None, "") or str(value).strip() not in known:
            offered = ", ".join(f"{key} {text}" for key, text in choices) or "—"
            raise ApplicationError(
                _("Choose the %(what)s from e-conomic's list: %(choices)s.")
                % {"what": label, "choices": offered},
                field=name,
            )
        return known[str(value).strip()]

    chosen = {
        "customer_group": pick(
            customer_group, lists.customer_groups, "customer_group", _("customer group")
        ),
        "payment_terms": pick(
            payment_terms, lists.payment_terms, "payment_terms", _("payment terms")
        ),
        "vat_zone": pick(
            vat_zone, lists.vat_zones, "vat_zone", pgettext("inside a sentence", "VAT zone")
        ),
        "currency": pick(
            str(currency or "").upper() or None, lists.currencies, "currency", _("currency")
        ),
        "layout": None,
    }
    if layout not in (None, ""):
        chosen["layout"] = pick(layout, lists.layouts, "layout", _("layout"))
    return chosen


@sensitive_variables(*SECRET_VARIABLES)
def documents(
    *, grant_token: str, info: AgreementInfo, defaults: Mapping[str, Any]
) -> ConnectionDocuments:
    """The connection's documents: the grant token (secret) and the agreement, whether it
    has the Project module, and the defaults."""
    settings = {
        "agreement_number": info.agreement_number,
        "company_name": info.company_name,
        "user_name": info.user_name,
        "user_email": info.user_email,
        "project_module": bool(info.project_module),
        **defaults,
    }
    if not info.project_module:
        for name in PROJECT_SETTINGS:
            settings.pop(name, None)
    return ConnectionDocuments(
        credentials={"agreement_grant_token": grant_token.strip()}, settings=settings
    )


@sensitive_variables(*SECRET_VARIABLES)
def economic_connect(
    *,
    grant_token: str,
    customer_group: Any,
    payment_terms: Any,
    vat_zone: Any,
    currency: Any,
    layout: Any = None,
    master: str = "both",
    actor: Any = None,
) -> Any:
    """Checks the grant live, checks the defaults against the agreement's lists and connects
    e-conomic for customers (master: "erp", "tidsbro" or "both") through the generic service."""
    from apps.integrations.services import connection_create

    info, lists = check_grant(grant_token)
    chosen = check_defaults(
        lists,
        customer_group=customer_group,
        payment_terms=payment_terms,
        vat_zone=vat_zone,
        currency=currency,
        layout=layout,
    )
    docs = documents(grant_token=grant_token, info=info, defaults=chosen)
    return connection_create(
        system="economic",
        credentials=docs.credentials,
        settings=docs.settings,
        connected=["customer"],
        masters={"customer": master},
        actor=actor,
    )


def grant_url(redirect_url: str = "") -> str:
    """e-conomic's page where a user of the agreement approves Tidsbro (then e-conomic sends
    them to `redirect_url` with `?token=`); "" when Tidsbro has no public app token."""
    base = getattr(django_settings, "ECONOMIC_GRANT_URL", "")
    public = getattr(django_settings, "ECONOMIC_APP_PUBLIC_TOKEN", "")
    if not base or not public:
        return ""
    query = {"appPublicToken": public}
    if redirect_url:
        query["redirectUrl"] = redirect_url
    return f"{base}?{urlencode(query)}"


# THE WIZARD'S STEPS (spec.onboarding)
# ------------------------------------------------------------------------------
class AgreementStep(OnboardingStep):
    name = "agreement"
    label = gettext_lazy("e-conomic agreement")
    template = "integrations/economic/onboarding/agreement.html"
    sensitive_fields = ("agreement_grant_token",)

    def form(self, wizard: Any, data: Any) -> Any:
        from apps.integrations.connectors.economic.forms import AgreementForm

        return AgreementForm(data=data)

    @sensitive_variables(*SECRET_VARIABLES)
    def accept(self, wizard: Any, form: Any) -> None:
        token = form.cleaned_data["agreement_grant_token"].strip()
        info, lists = check_grant(token)
        projects = check_project_module(token)
        info = replace(info, project_module=projects is not None)
        wizard.save_secret(agreement_grant_token=token)
        wizard.save(
            agreement=asdict(info),
            agreement_lists=lists.as_json(),
            project_lists=(projects or ProjectLists()).as_json(),
        )

    def context(self, wizard: Any) -> dict[str, Any]:
        return {"grant_url": grant_url(), "agreement": wizard.get("agreement")}


class DefaultsStep(OnboardingStep):
    name = "defaults"
    label = gettext_lazy("Defaults for new records")
    template = "integrations/economic/onboarding/defaults.html"

    def ready(self, wizard: Any) -> bool:
        return bool(wizard.get("agreement")) and bool(wizard.secret("agreement_grant_token"))

    def label_for(self, wizard: Any) -> str:
        """Without the Project module only customers are made in e-conomic from Tidsbro."""
        if wizard.get("agreement") and _project_lists(wizard) is None:
            return str(_("Defaults for new customers"))
        return str(self.label)

    def form(self, wizard: Any, data: Any) -> Any:
        from apps.integrations.connectors.economic.forms import DefaultsForm

        agreement = wizard.get("agreement") or {}
        return DefaultsForm(
            lists=AgreementLists.from_json(wizard.get("agreement_lists")),
            projects=_project_lists(wizard),
            data=data,
            initial=wizard.get("defaults") or {"currency": agreement.get("base_currency") or "DKK"},
        )

    def accept(self, wizard: Any, form: Any) -> None:
        values = dict(form.cleaned_data)
        project_values = {name: values.pop(name, None) for name in PROJECT_SETTINGS}
        chosen = check_defaults(AgreementLists.from_json(wizard.get("agreement_lists")), **values)
        projects = _project_lists(wizard)
        if projects is not None:
            chosen.update(check_project_defaults(projects, **project_values))
        wizard.save(defaults=chosen)

    def context(self, wizard: Any) -> dict[str, Any]:
        agreement = wizard.get("agreement") or {}
        return {
            "agreement": agreement,
            "project_module": bool(agreement.get("project_module")),
            "heading": self.label_for(wizard),
        }


def _project_summary(wizard: Any, defaults: Mapping[str, Any], name_of: Any) -> dict[str, Any]:
    projects = _project_lists(wizard) or ProjectLists()
    return {
        "project_group": name_of(projects.project_groups, defaults.get("project_group")),
        "activity_group": name_of(projects.activity_groups, defaults.get("activity_group")),
        "integration_employee": name_of(projects.employees, defaults.get("integration_employee")),
    }


def _project_lists(wizard: Any) -> ProjectLists | None:
    """The Project module's lists the agreement step read, or None without the module."""
    if not (wizard.get("agreement") or {}).get("project_module"):
        return None
    return ProjectLists.from_json(wizard.get("project_lists"))


class EconomicOnboarding(Onboarding):
    steps = (AgreementStep(), DefaultsStep())
    summary_template = "integrations/economic/onboarding/summary.html"

    def documents(self, wizard: Any) -> ConnectionDocuments:
        agreement = wizard.get("agreement") or {}
        return documents(
            grant_token=wizard.secret("agreement_grant_token"),
            info=AgreementInfo(**agreement),
            defaults=wizard.get("defaults") or {},
        )

    def summary(self, wizard: Any) -> dict[str, Any]:
        lists = AgreementLists.from_json(wizard.get("agreement_lists"))
        defaults = wizard.get("defaults") or {}

        def name_of(pairs: list[tuple[Any, str]], key: Any) -> str:
            return next((f"{k} {n}" for k, n in pairs if str(k) == str(key)), "—")

        return {
            "agreement": wizard.get("agreement") or {},
            "customer_group": name_of(lists.customer_groups, defaults.get("customer_group")),
            "payment_terms": name_of(lists.payment_terms, defaults.get("payment_terms")),
            "vat_zone": name_of(lists.vat_zones, defaults.get("vat_zone")),
            "currency": defaults.get("currency") or "—",
            # "" when none was chosen: e-conomic's own (the template says so).
            "layout": name_of(lists.layouts, defaults.get("layout"))
            if defaults.get("layout") not in (None, "")
            else "",
            "project_module": bool((wizard.get("agreement") or {}).get("project_module")),
            **_project_summary(wizard, defaults, name_of),
        }

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--grant-token-env",
            default=DEFAULT_TOKEN_ENV,
            help=_(
                "e-conomic: the environment variable holding the agreement grant token "
                "(default %(default)s); the app secret token is ECONOMIC_APP_SECRET_TOKEN."
            ),
        )
        for option, text in (
            ("--customer-group", _("e-conomic: customer group number for new customers")),
            ("--payment-terms", _("e-conomic: payment terms number for new customers")),
            ("--vat-zone", _("e-conomic: VAT zone number for new customers")),
            ("--currency", _("e-conomic: currency code for new customers (e.g. DKK)")),
            ("--layout", _("e-conomic: layout number for new customers (optional)")),
            ("--project-group", _("e-conomic: project group number for new projects")),
            ("--activity-group", _("e-conomic: activity group number for new work types")),
            (
                "--integration-employee",
                _("e-conomic: employee number for hours of people not linked (optional)"),
            ),
        ):
            parser.add_argument(option, default=None, help=text)

    @sensitive_variables(*SECRET_VARIABLES)
    def documents_from_options(
        self, options: Mapping[str, Any], *, out: Any
    ) -> ConnectionDocuments:
        env_name = options.get("grant_token_env") or DEFAULT_TOKEN_ENV
        grant_token = os.environ.get(env_name, "")
        if not grant_token:
            raise ApplicationError(
                _("Put the agreement grant token in the environment variable %(name)s.")
                % {"name": env_name}
            )
        info, lists = check_grant(grant_token)
        out.write(
            _("e-conomic agreement %(number)s, %(company)s (user %(user)s).")
            % {
                "number": info.agreement_number,
                "company": info.company_name,
                "user": info.user_name or "—",
            }
            + "\n"
        )
        chosen = check_defaults(
            lists,
            customer_group=options.get("customer_group"),
            payment_terms=options.get("payment_terms"),
            vat_zone=options.get("vat_zone"),
            currency=options.get("currency") or info.base_currency,
            layout=options.get("layout"),
        )
        projects = check_project_module(grant_token)
        info = replace(info, project_module=projects is not None)
        if projects is None:
            out.write(
                _(
                    "This e-conomic agreement has no Project module, so Tidsbro can keep "
                    "customers in step and send invoices only."
                )
                + "\n"
            )
        else:
            chosen.update(
                check_project_defaults(
                    projects,
                    # The agreement's first group unless one is named.
                    project_group=options.get("project_group")
                    or next(iter(projects.project_groups), (None,))[0],
                    activity_group=options.get("activity_group")
                    or next(iter(projects.activity_groups), (None,))[0],
                    integration_employee=options.get("integration_employee"),
                )
            )
        return documents(grant_token=grant_token, info=info, defaults=chosen)

    def describe_login(self, connection: Any) -> str:
        user = connection.setting("user_name")
        if not user:
            return ""
        return _("the e-conomic user %(user)s, who approved Tidsbro") % {"user": user}


ONBOARDING = EconomicOnboarding()
