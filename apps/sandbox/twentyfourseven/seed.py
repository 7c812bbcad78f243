"""The demo 24SO world: one login with two clients, employees, customers, projects, hours."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from .models import (
    Application,
    Client,
    Company,
    Hour,
    Identity,
    InvoiceOrder,
    Knobs,
    Login,
    Person,
    Project,
    ProjectParticipant,
    ProjectRole,
    ProjectStatus,
    RateWindow,
    RequestLog,
    Session,
    Task,
    WorkType,
)

DEMO_USERNAME = "demo@tidsbro.no"
DEMO_PASSWORD = "tidsbro-demo"  # noqa: S105 - the documented demo login of the sandbox
APPLICATION_ID = uuid.UUID("5f1c2a8e-0000-4000-8000-000000000024")
_NS = uuid.UUID("8d4f1f0e-24a0-4c5e-9b1e-000000000024")

CLIENTS = [
    {
        "client_id": 2400101,
        "name": "Fjordlys Rådgivning AS",
        "organization_number": "912345678",
        "city": "Bergen",
        "street": "Strandkaien 12",
        "postal_code": "5013",
        "employees": 20,
        "companies": 40,
        "projects": 30,
        "default": True,
    },
    {
        "client_id": 2400102,
        "name": "Nordvik Bygg AS",
        "organization_number": "987654321",
        "city": "Trondheim",
        "street": "Kjøpmannsgata 7",
        "postal_code": "7013",
        "employees": 8,
        "companies": 12,
        "projects": 8,
        "default": False,
    },
]

FIRST = "Ingrid Lars Kari Ola Sigrid Anders Marte Jonas Silje Erik Nora Henrik Ida Magnus Thea Emil Sofie Kristian Hanne Even Ragnhild".split()
LAST = "Hansen Johansen Olsen Larsen Andersen Pedersen Nilsen Kristiansen Jensen Karlsen Johnsen Pettersen Eriksen Berg Haugen Hagen Bakken Lie Dahl Moen".split()
COMPANY_WORDS = "Havbris Fjellvind Nordlys Solberg Elvetun Skogly Brygge Kystlinje Vardø Lofoten Granitt Furu Bjørk Stein Tindholm Fossli Måken Ørnereir Lysverket Hamna".split()
COMPANY_SUFFIX = ["AS", "ASA", "Holding AS", "Eiendom AS", "Drift AS"]
PROJECT_WORDS = "Nettbutikk ERP-innføring Rebranding Kontorflytting Skymigrering Sikkerhetsrevisjon Årsoppgjør Opplæring Intranett Kundeportal Lagerstyring Mobilapp".split()
STATUSES = [
    (1, "I gang", True),
    (2, "Planlagt", True),
    (3, "Fullført", False),
    (4, "Kansellert", False),
]
ROLES = [(1, "Prosjektleder", 0), (2, "Deltaker", 0), (3, "Observatør", 2)]
WORK_TYPES = [
    (1, "Rådgivning", True, "1250.00", True),
    (2, "Utvikling", True, "1100.00", True),
    (3, "Møte", True, "950.00", True),
    (4, "Reise", False, "0.00", True),
    (5, "Intern tid", False, "0.00", True),
    (6, "Gammel support", True, "800.00", False),
]


def seed(*, now: dt.datetime | None = None, office: dict | None = None) -> dict[str, int]:
    """Creates the demo world where it is missing (idempotent); returns counts per model.

    With `office` (the Tidsbro demo office as 24SO holds it, `demo_world.erp_world` beside
    this module) the default client is that office instead of the generated one.
    """
    now = now or timezone.now()
    with transaction.atomic():
        Application.objects.get_or_create(
            application_id=APPLICATION_ID, defaults={"name": "Tidsbro"}
        )
        login, _ = Login.objects.get_or_create(
            username=DEMO_USERNAME,
            defaults={"password": make_password(DEMO_PASSWORD), "name": "Tidsbro demo"},
        )
        for spec in CLIENTS:
            client, _ = Client.objects.get_or_create(
                client_id=spec["client_id"],
                defaults={
                    k: spec[k]
                    for k in ("name", "organization_number", "city", "street", "postal_code")
                }
                | {"email": f"post@{spec['client_id']}.example.no", "phone": "+47 55 00 00 00"}
                | ({"name": office["client_name"]} if office and spec["default"] else {}),
            )
            if not client.persons.exists():
                if office and spec["default"]:
                    _office(client, office, now)
                else:
                    _world(client, spec, now)
            api_user = client.persons.order_by("contact_id").first()
            Identity.objects.get_or_create(
                login=login,
                client=client,
                defaults={
                    "identity_id": uuid.uuid5(_NS, f"identity-{spec['client_id']}"),
                    "person": api_user,
                    "is_default": spec["default"],
                },
            )
    return counts()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Client, Person, Company, Project, Task, WorkType, Hour, Identity)
    }


def reset() -> None:
    """Empties every sandbox table (the knobs return to settings on next use)."""
    with transaction.atomic():
        for model in (
            RequestLog,
            RateWindow,
            Session,
            Hour,
            InvoiceOrder,
            Task,
            ProjectParticipant,
            Project,
            WorkType,
            ProjectRole,
            ProjectStatus,
            Company,
            Identity,
            Person,
            Client,
            Login,
            Application,
            Knobs,
        ):
            model.objects.all().delete()


def _world(client: Client, spec: dict, now: dt.datetime) -> None:
    rng = random.Random(spec["client_id"])
    long_ago = now - dt.timedelta(days=400)

    def person(contact_id: int, first: str, last: str, **extra) -> Person:
        return Person(
            client=client,
            contact_id=contact_id,
            first_name=first,
            last_name=last,
            date_registered=long_ago,
            date_changed=long_ago,
            **extra,
        )

    people = [
        person(
            1,
            "API",
            "Tidsbro",
            email=f"api+{client.client_id}@tidsbro.no",
            user_guid=uuid.uuid5(_NS, f"user-{client.client_id}-1"),
            is_employee=True,
        )
    ]
    for i in range(spec["employees"]):
        first, last = FIRST[(i + spec["client_id"]) % len(FIRST)], LAST[i % len(LAST)]
        people.append(
            person(
                i + 2,
                first,
                last,
                email=f"{first.lower()}.{last.lower()}@{client.client_id}.example.no",
                phone=f"+47 9{rng.randrange(1000000, 9999999)}",
                employee_id=i + 1,
                user_guid=uuid.uuid5(_NS, f"user-{client.client_id}-{i + 2}"),
                hour_cost=Decimal(rng.choice(["450.00", "520.00", "610.00", "700.00"])),
            )
        )
    for i in range(4):
        first, last = FIRST[(i * 5 + 3) % len(FIRST)], LAST[(i * 7 + 2) % len(LAST)]
        people.append(
            person(100 + i, first, last, is_employee=False, email=f"kontakt{i}@example.no")
        )
    Person.objects.bulk_create(people)
    people = list(client.persons.order_by("contact_id"))
    employees = [p for p in people if p.employee_id]

    companies = []
    for i in range(spec["companies"]):
        name = f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} {COMPANY_SUFFIX[(i // len(COMPANY_WORDS) + i) % len(COMPANY_SUFFIX)]}"
        created = long_ago + dt.timedelta(days=i * 7)
        companies.append(
            Company(
                client=client,
                company_id=10001 + i,
                name=name,
                organization_number=str(900000000 + client.client_id % 1000 * 1000 + i),
                country="NO",
                email=f"faktura@{COMPANY_WORDS[i % len(COMPANY_WORDS)].lower()}{i}.example.no",
                phone=f"+47 2{rng.randrange(1000000, 9999999)}",
                active=i % 13 != 12,  # a few deleted ones for the sync list
                date_created=created,
                date_changed=created + dt.timedelta(days=rng.randrange(0, 30)),
            )
        )
    Company.objects.bulk_create(companies)
    active_companies = [c for c in companies if c.active]

    ProjectStatus.objects.bulk_create(
        ProjectStatus(client=client, status_id=i, name=n, active=a) for i, n, a in STATUSES
    )
    statuses = {s.status_id: s for s in client.project_statuses.all()}
    ProjectRole.objects.bulk_create(
        ProjectRole(client=client, role_id=i, name=n, parent=p) for i, n, p in ROLES
    )
    roles = {r.role_id: r for r in client.project_roles.all()}
    WorkType.objects.bulk_create(
        WorkType(
            client=client,
            work_type_id=i,
            name=n,
            invoiceable=inv,
            price=Decimal(price),
            active=act,
            product_id=i + 500,
        )
        for i, n, inv, price, act in WORK_TYPES
    )
    work_types = list(client.work_types.order_by("work_type_id"))

    n_projects = spec["projects"]
    n_inactive = max(2, n_projects // 5)
    # Build everything in memory first, then write it with a handful of bulk inserts.
    projects: list[Project] = []
    plans: list[dict] = []
    for i in range(n_projects):
        active = i < n_projects - n_inactive
        rights = i % 3 == 0
        customer = active_companies[i % len(active_companies)]
        start = now - dt.timedelta(days=120 - i * 3)
        projects.append(
            Project(
                client=client,
                project_id=1001 + i,
                name=f"{PROJECT_WORDS[i % len(PROJECT_WORDS)]} – {customer.name}",
                customer_id=customer.company_id,
                status=statuses[(1 if i % 4 else 2) if active else (3 if i % 2 else 4)],
                version=Project.RIGHTS_MANAGED if rights else Project.OPEN,
                time_reg="Task" if rights else "WorkType",
                need_approval="True" if rights else "False",
                work_type_id=1 if i % 2 else 2,
                owner_contact_id=1,
                date_start=start,
                date_stop=start + dt.timedelta(days=180),
                date_registered=start - dt.timedelta(days=5),
                date_changed=start,
            )
        )
        members = rng.sample(employees, k=min(len(employees), rng.randrange(3, 7)))
        n_tasks = rng.randrange(2, 5) if rights else 0
        lengths = [rng.choice([1.5, 2.0, 3.5, 4.0, 7.5]) for _ in range(3)] if active else []
        plans.append(
            {
                "i": i,
                "start": start,
                "rights": rights,
                "members": members,
                "n_tasks": n_tasks,
                "lengths": lengths,
            }
        )
    Project.objects.bulk_create(projects)
    projects = list(client.projects.order_by("project_id"))

    work_type_links = Project.work_types.through
    work_type_links.objects.bulk_create(
        work_type_links(project_id=project.pk, worktype_id=w.pk)
        for project in projects
        if (project.project_id - 1001) % 5 == 1
        for w in work_types[:3]
    )
    ProjectParticipant.objects.bulk_create(
        ProjectParticipant(
            project=project,
            person=m,
            role=roles[1] if n == 0 else roles[2 if n % 3 else 3],
            state=ProjectParticipant.INITIATER if n == 0 else ProjectParticipant.PARTICIPATING,
            date_changed=plan["start"],
        )
        for project, plan in zip(projects, plans, strict=True)
        if plan["rights"] or plan["i"] % 4 == 1
        for n, m in enumerate(plan["members"])
    )
    tasks: list[Task] = []
    task_members: list[tuple[int, list[Person]]] = []
    for project, plan in zip(projects, plans, strict=True):
        for t in range(plan["n_tasks"]):
            task_id = len(tasks) + 1
            tasks.append(
                Task(
                    client=client,
                    task_id=task_id,
                    project=project,
                    name=["Analyse", "Design", "Gjennomføring", "Testing", "Overlevering"][t],
                    date_start=plan["start"] + dt.timedelta(days=t * 20),
                    date_stop=plan["start"] + dt.timedelta(days=t * 20 + 30),
                    priority=1,
                    work_type_id=work_types[t % 3].work_type_id,
                    estimate=40,
                    date_changed=plan["start"],
                )
            )
            task_members.append((task_id, plan["members"][: 2 + t % 2]))
    Task.objects.bulk_create(tasks)
    task_pks = dict(client.tasks.values_list("task_id", "pk"))
    task_links = Task.participants.through
    task_links.objects.bulk_create(
        task_links(task_id=task_pks[task_id], person_id=person.pk)
        for task_id, persons in task_members
        for person in persons
    )
    tasks_by_project: dict[int, list[int]] = {}
    for task in tasks:
        tasks_by_project.setdefault(task.project.project_id, []).append(task.task_id)

    hours: list[Hour] = []
    for project, plan in zip(projects, plans, strict=True):
        i, members = plan["i"], plan["members"]
        project_tasks = tasks_by_project.get(project.project_id, [])
        for d, length in enumerate(plan["lengths"]):
            worker = members[d % len(members)]
            day = (now - dt.timedelta(days=2 + (i + d * 5) % 14)).replace(
                hour=7, minute=0, second=0, microsecond=0
            )
            changed = day + dt.timedelta(hours=length, minutes=5)
            hours.append(
                Hour(
                    client=client,
                    hour_id=100001 + len(hours),
                    contact_id=worker.contact_id,
                    project_id=project.project_id,
                    task_id=project_tasks[d % len(project_tasks)] if project_tasks else None,
                    type_of_work_id=work_types[d % 3].work_type_id,
                    start_time=day,
                    stop_time=day + dt.timedelta(hours=length),
                    total_hours=length,
                    total_hours_invoice=length,
                    description=f"{PROJECT_WORDS[(i + d) % len(PROJECT_WORDS)]}: arbeid",
                    need_approval=plan["rights"],
                    approved="True" if d == 0 and plan["rights"] else "none",
                    approved_by=1 if d == 0 and plan["rights"] else None,
                    date_registered=changed,
                    date_changed=changed,
                )
            )
    Hour.objects.bulk_create(hours)


def _office(client: Client, office: dict, now: dt.datetime) -> None:
    """The office's own 24SO client: its people, customers, work types and projects as given
    (ids and numbers as in Tidsbro), no hours yet: they come from Tidsbro."""
    long_ago = now - dt.timedelta(days=400)
    people = [
        Person(
            client=client,
            contact_id=1,
            first_name="API",
            last_name="Tidsbro",
            email=f"api+{client.client_id}@tidsbro.no",
            user_guid=uuid.uuid5(_NS, f"user-{client.client_id}-1"),
            is_employee=True,
            date_registered=long_ago,
            date_changed=long_ago,
        )
    ]
    for i, p in enumerate(office["people"]):
        people.append(
            Person(
                client=client,
                contact_id=i + 2,
                first_name=p["first_name"],
                last_name=p["last_name"],
                email=p["email"],
                employee_id=i + 1,
                user_guid=uuid.uuid5(_NS, f"user-{client.client_id}-{i + 2}"),
                hour_cost=Decimal("600.00"),
                date_registered=long_ago,
                date_changed=long_ago,
            )
        )
    Person.objects.bulk_create(people)
    Company.objects.bulk_create(
        Company(
            client=client,
            company_id=c["company_id"],
            name=c["name"],
            organization_number=c["organization_number"],
            country="NO",
            email=c["email"],
            phone=c["phone"],
            data={
                "Addresses": {
                    "Post": {
                        "Street": c["street"],
                        "PostalCode": c["postal_code"],
                        "City": c["city"],
                        "Country": "NO",
                    }
                }
            },
            date_created=long_ago,
            date_changed=long_ago,
        )
        for c in office["companies"]
    )
    ProjectStatus.objects.bulk_create(
        ProjectStatus(client=client, status_id=i, name=n, active=a) for i, n, a in STATUSES
    )
    statuses = {s.status_id: s for s in client.project_statuses.all()}
    ProjectRole.objects.bulk_create(
        ProjectRole(client=client, role_id=i, name=n, parent=p) for i, n, p in ROLES
    )
    WorkType.objects.bulk_create(
        WorkType(
            client=client,
            work_type_id=w["work_type_id"],
            name=w["name"],
            description=w["description"],
            invoiceable=w["invoiceable"],
            price=Decimal(w["price"]),
            product_id=w["product_id"],
            active=w["active"],
        )
        for w in office["work_types"]
    )
    Project.objects.bulk_create(
        Project(
            client=client,
            project_id=p["project_id"],
            name=p["name"],
            customer_id=p["customer_id"],
            status=statuses[1 if p["active"] else 3],
            version=Project.OPEN,
            time_reg="WorkType",
            need_approval="True" if p["need_approval"] else "False",
            description=p["description"],
            work_type_id=p["work_type_id"],
            owner_contact_id=1,
            # Noon UTC: the same calendar day in every Nordic time zone.
            date_start=dt.datetime.combine(p["start"], dt.time(12), tzinfo=dt.UTC),
            date_registered=long_ago,
            date_changed=long_ago,
        )
        for p in office["projects"]
    )
