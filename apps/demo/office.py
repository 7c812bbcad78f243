"""Demo data: a Nordic consultancy with customers, projects, people and weeks of approved hours.

These are the facts every side of the demo shares (people and their e-mails, customers and
their numbers, projects, work types and their product ids); how an ERP holds the same office
lives next to that ERP's sandbox (its `demo_world`), built from the pure functions here.

Everything that has a rule is written through the services (projects, members, tasks, hours
and every approval step), so the demo shows real trails. Running it again creates nothing new:
each record is looked up by its natural key first, and hours are only generated for people who
have none yet. The random choices are seeded, so the same day gives the same data.
"""

import datetime
import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts import roles
from apps.accounts.models import User
from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.customers.models import Customer
from apps.customers.services import customer_create
from apps.projects.models import Project, ProjectMember, ProjectRole
from apps.projects.services import (
    project_archive,
    project_assign_number,
    project_create,
    project_member_set,
    project_role_create,
)
from apps.tasks.models import Task
from apps.tasks.services import task_create
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.timesheets.services import (
    TRANSITIONS,
    _check_may_transition,
    _normalise,
    logger,
    time_entry_create,
    time_entry_transition,
)
from apps.worktypes.models import WorkType
from apps.worktypes.services import work_type_create

SEED = "tidsbro-demo-2026"
DOMAIN = "tidsbro.no"
WEEKS_OF_HOURS = 4
# The published demo login (every demo person has the same password).
DEMO_ADMIN_EMAIL = "admin@tidsbro.no"
DEMO_PASSWORD = "tidsbro-demo"  # noqa: S105 - the published demo login, not a secret

Status = TimeEntry.Status
Action = TimeEntryTransition.Action

# --- people --------------------------------------------------------------------------------

NO, SE, DK, US = "NO", "SE", "DK", "US"
ZONES = {NO: "Europe/Oslo", SE: "Europe/Stockholm", DK: "Europe/Copenhagen", US: "America/New_York"}
LANGUAGES = {NO: "nb", SE: "sv", DK: "da", US: "nb"}


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    role: str
    country: str = NO
    email: str = ""  # default: <first name>@tidsbro.no
    superuser: bool = False

    @property
    def address(self) -> str:
        return self.email or f"{ascii_slug(self.first_name)}@{DOMAIN}"


PEOPLE = [
    Person("Astrid", "Haugen", roles.ADMIN, email=DEMO_ADMIN_EMAIL, superuser=True),
    Person("Ingrid", "Solberg", roles.ADMIN),
    Person("Magnus", "Lindqvist", roles.ADMIN, SE),
    Person("Erik", "Johansen", roles.PROJECT_MANAGER),
    Person("Karin", "Andersson", roles.PROJECT_MANAGER, SE),
    Person("Mette", "Nielsen", roles.PROJECT_MANAGER, DK),
    Person("Henrik", "Berg", roles.PROJECT_MANAGER),
    Person("Sigrid", "Moen", roles.SUPPORT, email=f"support@{DOMAIN}"),
    Person("Kari", "Hansen", roles.EMPLOYEE),
    Person("Lars", "Olsen", roles.EMPLOYEE),
    Person("Nora", "Bakken", roles.EMPLOYEE),
    Person("Jonas", "Pedersen", roles.EMPLOYEE),
    Person("Ida", "Kristiansen", roles.EMPLOYEE),
    Person("Sindre", "Larsen", roles.EMPLOYEE),
    Person("Marte", "Andersen", roles.EMPLOYEE),
    Person("Håkon", "Eriksen", roles.EMPLOYEE),
    Person("Silje", "Halvorsen", roles.EMPLOYEE),
    Person("Eirik", "Dahl", roles.EMPLOYEE),
    Person("Tuva", "Lie", roles.EMPLOYEE),
    Person("Øystein", "Strand", roles.EMPLOYEE),
    Person("Linnea", "Svensson", roles.EMPLOYEE, SE),
    Person("Oskar", "Karlsson", roles.EMPLOYEE, SE),
    Person("Elin", "Nilsson", roles.EMPLOYEE, SE),
    Person("Gustav", "Lindberg", roles.EMPLOYEE, SE),
    Person("Freja", "Jensen", roles.EMPLOYEE, DK),
    Person("Mads", "Rasmussen", roles.EMPLOYEE, DK),
    Person("Sofie", "Christensen", roles.EMPLOYEE, DK),
    Person("Anders", "Møller", roles.EMPLOYEE, DK),
    # Works for the Oslo office from New York: her days are New York days.
    Person("Emma", "Haugland", roles.EMPLOYEE, US),
]


def ascii_slug(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "é": "e"})
    return name.lower().translate(table)


# --- customers ------------------------------------------------------------------------------

# (name, postal code, city)
CUSTOMERS = [
    ("Fjordlys Rådgivning AS", "5003", "Bergen"),
    ("Nordlys Energi AS", "9008", "Tromsø"),
    ("Havbris Sjømat AS", "6002", "Ålesund"),
    ("Bergtun Eiendom AS", "0150", "Oslo"),
    ("Vestvind Shipping AS", "5527", "Haugesund"),
    ("Trollheim Bygg AS", "7010", "Trondheim"),
    ("Lofotkyst Fiskeindustri AS", "8300", "Svolvær"),
    ("Solberg & Dahl Advokatfirma AS", "0250", "Oslo"),
    ("Granli Gartneri AS", "2317", "Hamar"),
    ("Polarlys Logistikk AS", "8006", "Bodø"),
    ("Skagerrak Marine AS", "4611", "Kristiansand"),
    ("Fjellstua Hotelldrift AS", "2609", "Lillehammer"),
    ("Nordhavn Data AS", "4006", "Stavanger"),
    ("Elvebakken Helse AS", "3015", "Drammen"),
    ("Midnattsol Reiser AS", "9008", "Tromsø"),
    ("Bryggekanten Arkitekter AS", "5003", "Bergen"),
    ("Aurora Kraftlag AS", "9510", "Alta"),
    ("Tindefjell Sport AS", "6413", "Molde"),
    ("Kystlys Eiendom AS", "3210", "Sandefjord"),
    ("Birkely Barnehager AS", "1606", "Fredrikstad"),
    ("Sørlandet Regnskap AS", "4836", "Arendal"),
    ("Vinterhagen Interiør AS", "3110", "Tønsberg"),
    ("Nordkapp Opplevelser AS", "9750", "Honningsvåg"),
    ("Heimdal Maskin AS", "7080", "Trondheim"),
    ("Blåbær Digital AS", "0182", "Oslo"),
    ("Sjøstjerna Havbruk AS", "6900", "Florø"),
    ("Fosenkyst Vindservice AS", "7130", "Brekstad"),
    ("Østlandet Transport AS", "2000", "Lillestrøm"),
    ("Fyrlykta Konsult AS", "6509", "Kristiansund"),
    ("Hardanger Frukt og Saft AS", "5750", "Odda"),
    ("Svea Byggkonsult Norge NUF", "0191", "Oslo"),
    ("Göta Verkstad Norge AS", "1606", "Fredrikstad"),
    ("Mälardalens Mjukvara Norge NUF", "0159", "Oslo"),
    ("Norrsken Design Norge AS", "0161", "Oslo"),
    ("Vättern Logistik Norge NUF", "1530", "Moss"),
    ("Kattegat Vindkraft Norge NUF", "0250", "Oslo"),
    ("Øresund Medico Norge AS", "0277", "Oslo"),
    ("Jyllands Møbler Norge NUF", "5015", "Bergen"),
    ("Limfjord Fødevarer Norge AS", "4014", "Stavanger"),
    ("Vesterhav Software Norge NUF", "0152", "Oslo"),
]
STREETS = ["Storgata", "Kongens gate", "Strandkaien", "Sjøgata", "Parkveien", "Industriveien"]

MOD11_WEIGHTS = (3, 2, 7, 6, 5, 4, 3, 2)


def org_number_check_digit(first_eight: str) -> int | None:
    """The Norwegian organisation number's mod-11 check digit (None: no valid number)."""
    remainder = sum(int(d) * w for d, w in zip(first_eight, MOD11_WEIGHTS, strict=True)) % 11
    check = (11 - remainder) % 11
    return None if check == 10 else check


def is_valid_org_number(number: str) -> bool:
    if len(number) != 9 or not number.isdigit():
        return False
    return org_number_check_digit(number[:8]) == int(number[8])


def org_number(rng: random.Random, taken: set[str]) -> str:
    """A valid organisation number not in `taken` (added to it)."""
    while True:
        first_eight = str(rng.randint(91_000_000, 99_999_999))
        check = org_number_check_digit(first_eight)
        number = f"{first_eight}{check}"
        if check is not None and number not in taken:
            taken.add(number)
            return number


# --- work types, project roles, projects ----------------------------------------------------

CONSULTING = "Rådgivning"
PROJECT_MANAGEMENT = "Prosjektledelse"
TRAVEL = "Reise"
INTERNAL_MEETING = "Internmøte"
TRAINING = "Kurs og opplæring"
SUPPORT_WORK = "Support og drift"

# (name, invoiceable, price, product number, description). The product numbers are the
# ERP's product ids the office bills them as (an order refuses anything else).
WORK_TYPES = [
    (CONSULTING, True, "1450.00", "1010", "Rådgivning og praktisk arbeid hos kunden."),
    (PROJECT_MANAGEMENT, True, "1350.00", "1020", "Planlegging, oppfølging og rapportering."),
    (TRAVEL, False, "650.00", "1090", "Reise til og fra kunden."),
    (INTERNAL_MEETING, False, "0.00", "", "Møter internt på kontoret."),
    (TRAINING, True, "1100.00", "1030", "Kurs og workshops for kundens ansatte."),
    (SUPPORT_WORK, True, "1250.00", "1040", "Support og drift etter levering."),
]

PROJECT_MANAGER_ROLE, CONSULTANT_ROLE, ADVISOR_ROLE = "Project manager", "Consultant", "Advisor"
PROJECT_ROLES = [(PROJECT_MANAGER_ROLE, True), (CONSULTANT_ROLE, False), (ADVISOR_ROLE, False)]

# (name, default work type, needs approval, archived, has a number)
PROJECTS = [
    ("Ny nettbutikk", CONSULTING, True, False, True),
    ("ERP-migrering", CONSULTING, True, False, True),
    ("Skyplattform og drift", SUPPORT_WORK, True, False, True),
    ("Sikkerhetsrevisjon", CONSULTING, True, True, True),
    ("Datavarehus", CONSULTING, True, False, True),
    ("Mobilapp for kundeservice", CONSULTING, True, False, False),
    ("Intranett-fornyelse", CONSULTING, False, False, True),
    ("Lønnsintegrasjon", CONSULTING, True, False, True),
    ("Rammeavtale drift 2026", SUPPORT_WORK, False, False, True),
    ("GDPR-gjennomgang", CONSULTING, True, True, True),
    ("Power BI-rapportering", CONSULTING, True, False, True),
    ("Microsoft 365-innføring", TRAINING, True, False, True),
    ("Ny hjemmeside", CONSULTING, True, False, False),
    ("Bookingløsning", CONSULTING, True, False, True),
    ("Lagerstyring", CONSULTING, True, False, True),
    ("Prosessanalyse innkjøp", PROJECT_MANAGEMENT, True, True, True),
    ("Kundeportal", CONSULTING, True, False, False),
    ("Digital signering", CONSULTING, False, False, True),
    ("Fakturaautomatisering", CONSULTING, True, False, True),
    ("Kompetanseløft økonomi", TRAINING, True, False, False),
    ("Vedlikeholdsavtale nettsted", SUPPORT_WORK, False, False, True),
    ("Flåtestyring", CONSULTING, True, False, True),
    ("Dokumentarkiv", CONSULTING, True, True, True),
    ("Prisberegning og tilbud", CONSULTING, True, False, False),
    ("Energioppfølging", CONSULTING, True, False, True),
    ("Ombygging nettverk", PROJECT_MANAGEMENT, True, False, True),
    ("Kartløsning for anlegg", CONSULTING, True, False, False),
    ("Vaktplanlegging", CONSULTING, True, False, True),
    ("Intern: administrasjon", INTERNAL_MEETING, False, False, True),
    ("Intern: kompetanseutvikling", INTERNAL_MEETING, False, False, False),
]
INTERNAL_PREFIX = "Intern:"
# The numbers are the office's ids in its ERP (customer and project numbers there; see the
# sandbox's `demo_world`), so the first sync pairs the records.
FIRST_CUSTOMER_NUMBER = 50001
FIRST_PROJECT_NUMBER = 7001

TASK_NAMES = ["Analyse", "Design", "Utvikling", "Test", "Opplæring", "Prosjektledelse", "Drift"]

DESCRIPTIONS = {
    CONSULTING: [
        "Workshop med kunden",
        "Utvikling av integrasjon",
        "Gjennomgang av krav",
        "Feilretting etter test",
        "Oppsett av testmiljø",
        "Dokumentasjon",
    ],
    PROJECT_MANAGEMENT: ["Statusmøte", "Oppdatert fremdriftsplan", "Styringsgruppemøte"],
    TRAVEL: ["Reise til kunden", "Reise hjem fra kunden"],
    INTERNAL_MEETING: ["Avdelingsmøte", "Fagmøte", "Planlegging av uken"],
    TRAINING: ["Kurs for brukerne", "Opplæring av superbrukere", "Kursmateriell"],
    SUPPORT_WORK: ["Brukerstøtte", "Oppgradering av server", "Overvåking og varsler"],
}
REJECT_REASONS = [
    "Feil prosjekt: før timene på Intern: administrasjon.",
    "Beskrivelsen mangler. Hva ble gjort?",
    "For mange timer denne dagen, sjekk reisetiden.",
]
REOPEN_REASON = "Kunden ba om korrigert beskrivelse før fakturering."


@dataclass
class Summary:
    """What the demo data holds after a run, and what the run created."""

    created: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        created = ", ".join(f"{n} {what}" for what, n in self.created.items() if n) or "nothing"
        by_status = ", ".join(f"{self.statuses[s]} {s.label.lower()}" for s in Status)
        return [
            f"Created: {created}.",
            f"Now: {User.objects.count()} users, {Customer.objects.count()} customers, "
            f"{Project.objects.count()} projects, {Task.objects.count()} tasks, "
            f"{WorkType.objects.count()} work types.",
            f"Hours: {sum(self.statuses.values())} entries ({by_status}).",
        ]


# --- loading ---------------------------------------------------------------------------------


def demo_data_load(*, today: datetime.date | None = None) -> Summary:
    """Creates whatever part of the demo data is missing, all in one transaction."""
    today = today or timezone.localdate()
    summary = Summary()
    with transaction.atomic():
        users = _people(summary)
        customers = _customers(summary)
        work_types = _work_types(summary)
        project_roles = _project_roles(summary)
        new_projects = _projects(summary, customers, work_types, project_roles, users)
        _hours(summary, users, work_types, today)
        for project, archived in new_projects:
            if archived:
                project_archive(project=project)
        _calendar_rules(users, work_types)
    summary.statuses.update(
        {
            Status(s): n
            for s, n in Counter(TimeEntry.objects.values_list("status", flat=True)).items()
        }
    )
    return summary


# The categories the calendar sandbox's demo meetings carry (apps/sandbox/graph/seed.py), and
# what each person's rule suggests for them: their first internal project as an internal
# meeting, their first customer project as consulting.
CALENDAR_CATEGORIES = [("Internal", True, INTERNAL_MEETING), ("Customer work", False, CONSULTING)]


def _calendar_rules(users: dict[str, User], work_types: dict[str, WorkType]) -> None:
    """Each person's category rules, so their calendar's meetings come with a project."""
    from apps.calendars.models import CategoryRule
    from apps.calendars.suggestions import rule_save
    from apps.timesheets.selectors import projects_open_for_time

    have = set(CategoryRule.objects.values_list("user_id", "category"))
    for user in users.values():
        projects: dict[bool, Project] = {}
        for project in projects_open_for_time(user=user).order_by("name"):
            projects.setdefault(project.name.startswith(INTERNAL_PREFIX), project)
        for category, internal, work_type in CALENDAR_CATEGORIES:
            project = projects.get(internal)
            if project is None or (user.pk, category) in have:
                continue
            rule_save(
                actor=user, category=category, project=project, work_type=work_types[work_type]
            )


def _people(summary: Summary) -> dict[str, User]:
    existing = {u.email: u for u in User.objects.filter(email__in=[p.address for p in PEOPLE])}
    groups = {g.name: g for g in Group.objects.filter(name__in=list(roles.ROLE_LABELS))}
    password = ""
    users = {}
    for person in PEOPLE:
        user = existing.get(person.address)
        if user is None:
            # One hash for all: hashing the same demo password thirty times takes seconds.
            password = password or make_password(DEMO_PASSWORD)
            user = User(
                email=person.address,
                first_name=person.first_name,
                last_name=person.last_name,
                time_zone=ZONES[person.country],
                language=LANGUAGES[person.country],
                is_staff=True,
                is_superuser=person.superuser,
                password=password,
            )
            if person.superuser:
                user.language = ""  # the browser's language
            user.full_clean()
            user.save()
            user.groups.add(groups[person.role])
            summary.created["users"] += 1
        users[person.address] = user
    return users


def customer_specs() -> list[dict[str, Any]]:
    """The demo customers' values (pure: the same list every run, numbers from 50001)."""
    rng = random.Random(f"{SEED}:customers")
    taken: set[str] = set()
    specs = []
    for index, (name, postal_code, city) in enumerate(CUSTOMERS):
        organisation_number = org_number(rng, taken)
        erp_owned = rng.random() < 0.4
        phone = f"+47 {rng.randint(22, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        street = f"{rng.choice(STREETS)} {rng.randint(1, 80)}"
        specs.append(
            {
                "name": name,
                "number": str(FIRST_CUSTOMER_NUMBER + index),
                "organisation_number": organisation_number,
                "email": f"post@{ascii_slug(name.split(' ')[0])}.no",
                "phone": phone,
                "address_line1": street,
                "postal_code": postal_code,
                "city": city,
                "country": "NO",
                "erp_owned": erp_owned,
            }
        )
    return specs


def erp_system_name() -> str:
    """The office's ERP as people know it: the first connector Tidsbro registers."""
    from apps.integrations.registry import specs

    registered = specs()
    return str(registered[0].display_name) if registered else "ERP"


def _customers(summary: Summary) -> list[Customer]:
    existing = {c.number: c for c in Customer.objects.all()}
    customers = []
    for spec in customer_specs():
        data = dict(spec)
        erp_owned = data.pop("erp_owned")
        if data["number"] in existing:
            customers.append(existing[data["number"]])
            continue
        customers.append(
            customer_create(data=data, from_erp=erp_owned, erp_system=erp_system_name())
        )
        summary.created["customers"] += 1
    return customers


def _work_types(summary: Summary) -> dict[str, WorkType]:
    existing = {w.name: w for w in WorkType.objects.filter(name__in=[w[0] for w in WORK_TYPES])}
    work_types = {}
    for name, invoiceable, price, product_number, description in WORK_TYPES:
        if name not in existing:
            existing[name] = work_type_create(
                data={
                    "name": name,
                    "invoiceable": invoiceable,
                    "price": Decimal(price),
                    "product_number": product_number,
                    "description": description,
                }
            )
            summary.created["work types"] += 1
        work_types[name] = existing[name]
    return work_types


def _project_roles(summary: Summary) -> dict[str, ProjectRole]:
    existing = {r.name: r for r in ProjectRole.objects.all()}
    for name, can_approve in PROJECT_ROLES:
        if name not in existing:
            existing[name] = project_role_create(name=name, can_approve=can_approve)
            summary.created["project roles"] += 1
    return existing


@dataclass(frozen=True)
class ProjectPlan:
    """One demo project as both sides know it (pure data; people by e-mail address)."""

    name: str
    number: int | None
    customer_number: str | None
    start: datetime.date
    default_work_type: str
    needs_approval: bool
    archived: bool
    lead: str
    team: tuple[str, ...]
    advisor: str | None
    tasks: tuple[tuple[str, tuple[str, ...], int], ...]  # (name, assignees, estimate hours)


def project_plans() -> list[ProjectPlan]:
    """The demo projects, numbered from 7001 in order (pure: the same every run)."""
    rng = random.Random(f"{SEED}:projects")
    customers = customer_specs()
    managers = [p.address for p in PEOPLE if p.role == roles.PROJECT_MANAGER]
    admins = [p.address for p in PEOPLE if p.role == roles.ADMIN and not p.superuser]
    staff = [p.address for p in PEOPLE if p.role == roles.EMPLOYEE]
    workers = staff + managers + admins
    next_number = FIRST_PROJECT_NUMBER
    plans = []
    for index, (name, work_type, needs_approval, archived, numbered) in enumerate(PROJECTS):
        internal = name.startswith(INTERNAL_PREFIX)
        customer = None if internal else customers[(index * 7) % len(customers)]
        start = datetime.date(2026, 1, 5) + datetime.timedelta(weeks=rng.randint(0, 30))
        lead = rng.choice(managers + admins[:1])
        # Everybody registers internal time.
        team = workers if internal else rng.sample(staff, rng.randint(3, 6))
        advisor = rng.choice(admins) if rng.random() < 0.3 else None
        task_plan = [
            (task, tuple(rng.sample(team, rng.randint(1, min(3, len(team))))))
            for task in rng.sample(TASK_NAMES, rng.randint(2, 4))
        ]
        tasks = tuple(
            (task, assignees, rng.choice([20, 40, 80, 120])) for task, assignees in task_plan
        )
        plans.append(
            ProjectPlan(
                name=name,
                number=next_number if numbered else None,
                customer_number=customer["number"] if customer else None,
                start=start,
                default_work_type=work_type,
                needs_approval=needs_approval,
                archived=archived,
                lead=lead,
                team=tuple(team),
                advisor=advisor,
                tasks=tasks,
            )
        )
        next_number += 1 if numbered else 0
    return plans


def _projects(
    summary: Summary,
    customers: list[Customer],
    work_types: dict[str, WorkType],
    project_roles: dict[str, ProjectRole],
    users: dict[str, User],
) -> list[tuple[Project, bool]]:
    by_number = {c.number: c for c in customers}
    existing = set(Project.objects.values_list("name", flat=True))
    taken = set(Project.objects.exclude(number=None).values_list("number", flat=True))
    created = []
    for plan in project_plans():
        if plan.name in existing:
            continue
        customer = by_number.get(plan.customer_number) if plan.customer_number else None
        project = project_create(
            data={
                "name": plan.name,
                "customer": customer,
                "start_date": plan.start,
                "default_work_type": work_types[plan.default_work_type],
                "needs_approval": plan.needs_approval,
                "description": f"{plan.name} for {customer.name}." if customer else plan.name,
            }
        )
        if plan.number is not None and plan.number not in taken:
            project_assign_number(project=project, number=plan.number)
        lead = users[plan.lead]
        project_member_set(project=project, user=lead, role=project_roles[PROJECT_MANAGER_ROLE])
        for address in plan.team:
            if address != plan.lead:
                project_member_set(
                    project=project, user=users[address], role=project_roles[CONSULTANT_ROLE]
                )
        if plan.advisor and plan.advisor != plan.lead:
            project_member_set(
                project=project, user=users[plan.advisor], role=project_roles[ADVISOR_ROLE]
            )
        for task_name, assignees, estimate in plan.tasks:
            task_create(
                data={
                    "project": project,
                    "name": task_name,
                    "status": Task.Status.IN_PROGRESS,
                    "estimate_hours": Decimal(estimate),
                },
                assignees=[users[a] for a in assignees],
            )
            summary.created["tasks"] += 1
        created.append((project, plan.archived))
        summary.created["projects"] += 1
    return created


# --- hours -----------------------------------------------------------------------------------


@dataclass
class _Place:
    """Where a person can register time: a project, the tasks they are on, who approves it."""

    project: Project
    tasks: list[Task]
    approver: User | None
    archived_soon: bool  # gets hours only in the oldest weeks, then is archived


@dataclass
class _Hour:
    """One entry the demo registers, and the approval steps (actor, action, reason) it takes."""

    owner: User
    data: dict[str, Any]
    steps: list[tuple[User, str, str]] = field(default_factory=list)


def _hours(
    summary: Summary,
    users: dict[str, User],
    work_types: dict[str, WorkType],
    today: datetime.date,
    *,
    through_services: bool | None = None,
) -> None:
    """Registers and approves weeks of hours for everyone who has none yet.

    The hours are planned first (the seeded choices), then written. With an ERP connection
    active, every entry and step goes through the time sheet services, so the sync hears of
    each. Without one (`make demo` loads the office before it connects) nobody listens, and
    the same entries and steps are written in a few bulk queries, checked by the services' own
    rule functions (`_write_in_bulk`); tests/demo/test_demo_data.py checks both ways give the
    same hours, trails and history.
    """
    plan = _plan_hours(users, work_types, today)
    if through_services is None:
        from apps.integrations.selectors import sync_connections

        # A connection that only switches a feature on (calendars) hears no hours.
        through_services = sync_connections().exists()
    if through_services:
        _write_through_services(plan)
    else:
        _write_in_bulk(plan)
    summary.created["time entries"] += len(plan)


def _plan_hours(
    users: dict[str, User], work_types: dict[str, WorkType], today: datetime.date
) -> list[_Hour]:
    by_pk = {u.pk: u for u in users.values()}
    office = [users[p.address] for p in PEOPLE if p.role == roles.ADMIN and not p.superuser]
    to_archive = {name for name, _wt, _na, archived, _n in PROJECTS if archived}
    memberships = list(
        ProjectMember.objects.filter(user__in=list(by_pk))
        .exclude(project__status=Project.Status.ARCHIVED)
        .select_related("project", "project__default_work_type", "role")
        .order_by("project__name", "user__email")
    )
    approver_of: dict[int, int] = {}
    for m in memberships:
        if m.role and m.role.can_approve:
            approver_of.setdefault(m.project_id, m.user_id)
    tasks_of: dict[tuple[int, int], list[Task]] = {}
    tasks = Task.objects.filter(project__in={m.project_id for m in memberships})
    for task in tasks.prefetch_related("assignees").order_by("project_id", "name"):
        for assignee in task.assignees.all():
            tasks_of.setdefault((task.project_id, assignee.pk), []).append(task)
    places: dict[int, list[_Place]] = {}
    for m in memberships:
        places.setdefault(m.user_id, []).append(
            _Place(
                project=m.project,
                tasks=tasks_of.get((m.project_id, m.user_id), []),
                approver=by_pk.get(approver_of.get(m.project_id, 0)),
                archived_soon=m.project.name in to_archive,
            )
        )
    with_hours = set(
        TimeEntry.objects.filter(user__in=list(by_pk)).values_list("user_id", flat=True)
    )
    monday = today - datetime.timedelta(days=today.weekday())
    plan = []
    for person in PEOPLE:
        user = users[person.address]
        if person.superuser or user.pk in with_hours or user.pk not in places:
            continue
        rng = random.Random(f"{SEED}:hours:{person.address}")
        others = [a for a in office if a.pk != user.pk]
        for weeks_ago in range(WEEKS_OF_HOURS, 0, -1):  # the oldest week first
            week_start = monday - datetime.timedelta(weeks=weeks_ago)
            open_places = [p for p in places[user.pk] if not p.archived_soon or weeks_ago >= 3]
            for weekday in range(5):
                if rng.random() < 0.05:  # a day off
                    continue
                day = week_start + datetime.timedelta(days=weekday)
                for hour, place in _register_day(user, day, open_places, work_types, rng):
                    _approve(hour, place, weeks_ago, rng, office=others)
                    plan.append(hour)
    return plan


def _register_day(
    user: User,
    day: datetime.date,
    places: list[_Place],
    work_types: dict[str, WorkType],
    rng: random.Random,
) -> list[tuple[_Hour, _Place]]:
    customer_places = [p for p in places if p.project.customer_id] or places
    internal_places = [p for p in places if not p.project.customer_id] or places
    total = Decimal(rng.choice(["7.5", "7.5", "7.5", "7", "8", "8.5", "6"]))
    start = datetime.datetime.combine(day, datetime.time(8, 0))
    hours_of_day = []
    for index, hours in enumerate(_split(total, rng.choice([1, 2, 2, 3]), rng)):
        place = rng.choice(internal_places if rng.random() < 0.15 else customer_places)
        work_type = None  # the project's default
        if place.project.customer_id and rng.random() < 0.12:
            work_type = work_types[TRAVEL if index == 0 else PROJECT_MANAGEMENT]
        task = rng.choice(place.tasks) if place.tasks and rng.random() < 0.6 else None
        kind = (work_type or place.project.default_work_type).name
        data: dict[str, Any] = {
            "project": place.project,
            "task": task,
            "work_type": work_type,
            "description": rng.choice(DESCRIPTIONS[kind]),
        }
        end = start + datetime.timedelta(hours=float(hours))
        if rng.random() < 0.4:
            # Clocked in and out: naive times are the person's own wall-clock time.
            data.update(started_at=start, ended_at=end)
        else:
            data.update(date=day, hours=hours)
        start = end
        hours_of_day.append((_Hour(owner=user, data=data), place))
    return hours_of_day


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """`total` hours in `parts` pieces of whole or half hours."""
    halves = int(total * 2)
    cuts = sorted(rng.sample(range(1, halves), parts - 1))
    bounds = [0, *cuts, halves]
    return [Decimal(b - a) / 2 for a, b in itertools.pairwise(bounds)]


def _approve(
    hour: _Hour, place: _Place, weeks_ago: int, rng: random.Random, *, office: list[User]
) -> None:
    """Plans an entry's steps as far as its week has come: old weeks locked, last week's drafts."""
    roll = rng.random()
    # An office that approves every Monday: last week's hours wait (submitted or still
    # drafts), a few of the week before wait for the project manager, older weeks are done.
    target = {
        1: Status.SUBMITTED if roll < 0.5 else Status.DRAFT,
        2: Status.USER_APPROVED if roll < 0.2 else Status.PROJECT_APPROVED,
        3: Status.PROJECT_APPROVED,
    }.get(weeks_ago, Status.LOCKED if roll < 0.85 else Status.PROJECT_APPROVED)
    if target == Status.DRAFT:
        return
    owner, admin = hour.owner, office[0]
    # Nobody approves their own hours: a manager's hours on their own project go to the office.
    approver = place.approver if place.approver and place.approver.pk != owner.pk else admin
    steps = hour.steps
    steps.append((owner, Action.SUBMIT, ""))
    if weeks_ago == 2 and rng.random() < 0.08:
        steps.append((approver, Action.REJECT, rng.choice(REJECT_REASONS)))
        return
    if target == Status.SUBMITTED:
        return
    steps.append((admin, Action.APPROVE_USER, ""))
    # A project that needs no project approval is approved by the user approval already.
    if place.project.needs_approval and target != Status.USER_APPROVED:
        steps.append((approver, Action.APPROVE_PROJECT, ""))
    if target == Status.LOCKED:
        steps.append((admin, Action.LOCK, ""))
        if rng.random() < 0.03:
            steps.append((admin, Action.REOPEN, REOPEN_REASON))


def _write_through_services(plan: list[_Hour]) -> None:
    """One service call per entry and per step: every rule checked, every change reported."""
    for hour in plan:
        entry = time_entry_create(actor=hour.owner, **hour.data)
        for actor, action, reason in hour.steps:
            entry = time_entry_transition(actor=actor, entry=entry, action=action, reason=reason)


def _write_in_bulk(plan: list[_Hour]) -> None:
    """The same entries, transitions and history as `_write_through_services`, in bulk.

    Each entry gets the services' own treatment in memory: `_normalise` derives its day,
    hours and billable hours, and every step is checked against `TRANSITIONS` and by
    `_check_may_transition` (once per actor, action, project and owner: its answer
    depends on nothing else). What the services read from the database per entry (membership, task
    assignees, the 24-hour day) holds by the plan: places are the person's memberships, tasks
    their assigned ones, and a day is at most 8.5 hours.
    """
    entries = []
    for hour in plan:
        entry = TimeEntry(user=hour.owner, status=Status.DRAFT, **hour.data)
        _normalise(entry, billable_given=False)
        entries.append(entry)
    allowed: set[tuple[int, str, int, int]] = set()
    transitions = []
    # (step number, actor, message) -> entries: each entry's history stays in step order.
    history: dict[tuple[int, User, str], list[TimeEntry]] = {}
    for hour, entry in zip(plan, entries, strict=True):
        for number, (actor, action, reason) in enumerate(hour.steps):
            sources, target = TRANSITIONS[action]
            if entry.status not in sources:
                raise ApplicationError(f"{entry} is {entry.status}: no {action}.")
            check = (actor.pk, action, entry.project_id, entry.user_id)
            if check not in allowed:
                _check_may_transition(actor=actor, entry=entry, action=action)
                allowed.add(check)
            transitions.append(_transition(entry, actor, action, target, reason))
            if action == Action.APPROVE_USER and not entry.project.needs_approval:
                transitions.append(
                    _transition(
                        entry,
                        actor,
                        Action.APPROVE_PROJECT,
                        Status.PROJECT_APPROVED,
                        gettext("The project does not need project approval."),
                    )
                )
            entry.rejection_reason = reason if action == Action.REJECT else ""
            message = f"{Action(action).label} {reason}".strip()
            history.setdefault((number, actor, message), []).append(entry)
    # The entries are stored in the state their last step left them in, then their steps.
    TimeEntry.objects.bulk_create(entries)
    TimeEntryTransition.objects.bulk_create(transitions)
    for step in transitions:
        if step.action == Action.REOPEN:
            logger.info("time entry %s reopened by user %s", step.entry.pk, step.actor.pk)
    for (_number, actor, message), moved_entries in sorted(
        history.items(), key=lambda item: item[0][0]
    ):
        audit.record_many(actor, moved_entries, message)


def _transition(
    entry: TimeEntry, actor: User, action: str, target: str, reason: str
) -> TimeEntryTransition:
    step = TimeEntryTransition(
        entry=entry,
        action=action,
        from_status=entry.status,
        to_status=target,
        actor=actor,
        reason=reason,
    )
    entry.status = target
    return step
