"""The production 24SO client against the sandbox over real HTTP (pytest-django live_server).

Same code path as production: the client builds real envelopes from the vendored WSDLs and
the sandbox answers with its own state, faults, quarantine and session expiry.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from apps.integrations.connectors.base import AuthFailed, RateLimited, Rejected, Unavailable
from apps.integrations.connectors.twentyfourseven.client import (
    InMemoryRequestBudget,
    MemorySessionStore,
    TwentyFourSevenClient,
)
from apps.integrations.connectors.twentyfourseven.types import (
    CallRecord,
    Company,
    Credentials,
    Hour,
    HourSearch,
    InvoiceOrder,
    InvoiceOrderLine,
    Project,
    SaveResult,
    Task,
)
from apps.sandbox.twentyfourseven.models import (
    Client as SandboxClient,
)
from apps.sandbox.twentyfourseven.models import (
    Company as SandboxCompany,
)
from apps.sandbox.twentyfourseven.models import (
    Hour as SandboxHour,
)
from apps.sandbox.twentyfourseven.models import (
    Identity as SandboxIdentity,
)
from apps.sandbox.twentyfourseven.models import (
    Knobs,
    Login,
    RequestLog,
)
from apps.sandbox.twentyfourseven.runtime import knobs_get
from apps.sandbox.twentyfourseven.seed import (
    APPLICATION_ID,
    DEMO_PASSWORD,
    DEMO_USERNAME,
    seed,
)
from apps.sandbox.twentyfourseven.services import sandbox_sessions_expire

FJORDLYS = "Fjordlys Rådgivning AS"
NORDVIK = "Nordvik Bygg AS"


@pytest.fixture
def world(transactional_db: None) -> dict[str, int]:
    return seed()


@pytest.fixture
def base_url(live_server: LiveServer, world: dict[str, int]) -> str:
    return f"{live_server.url}/sandbox/24so"


@pytest.fixture
def connect(base_url: str) -> Iterator[Callable[..., TwentyFourSevenClient]]:
    """Builds clients for the demo login; each test gets its own budget."""
    budget = InMemoryRequestBudget()
    clients: list[TwentyFourSevenClient] = []

    def make(**overrides: object) -> TwentyFourSevenClient:
        options: dict[str, object] = {
            "credentials": Credentials(username=DEMO_USERNAME, password=DEMO_PASSWORD),
            "session_store": MemorySessionStore(),
            "application_id": APPLICATION_ID,
            "base_url": base_url,
            "timeout": (2.0, 10.0),
            "budget": budget,
        }
        options.update(overrides)
        client = TwentyFourSevenClient(**options)  # type: ignore[arg-type]
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def so(connect: Callable[..., TwentyFourSevenClient]) -> TwentyFourSevenClient:
    return connect()


def requests_to(operation: str) -> int:
    return RequestLog.objects.filter(operation=operation).count()


def knobs(**changes: object) -> None:
    knobs_get()
    Knobs.objects.filter(pk=1).update(**changes)


def next_hours(started: dt.datetime) -> set[dt.datetime]:
    """The next full hour from `started` and from now (a test may cross an hour)."""
    return {
        (moment + dt.timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        for moment in (started, timezone.now())
    }


def identity_of(client_name: str) -> uuid.UUID:
    return SandboxIdentity.objects.get(client__name=client_name).identity_id


# AUTHENTICATION
# ------------------------------------------------------------------------------
def test_login_stores_the_session_and_a_second_client_reuses_it(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    store = MemorySessionStore()
    first = connect(session_store=store)

    first.login()
    session_id = store.get()
    second = connect(session_store=store)
    users = second.get_users()

    assert session_id and len(session_id) == 24
    assert len(users) == 21
    assert requests_to("Login") == 1
    assert store.get() == session_id


def test_first_call_logs_in_by_itself(so: TwentyFourSevenClient) -> None:
    assert so.get_client_information().name == FJORDLYS
    assert requests_to("Login") == 1


def test_wrong_password_is_auth_failed_and_stores_nothing(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    store = MemorySessionStore()
    client = connect(
        credentials=Credentials(username=DEMO_USERNAME, password="wrong"), session_store=store
    )

    with pytest.raises(AuthFailed, match="refused the username or password"):
        client.get_users()

    assert store.get() is None
    assert requests_to("GetUsers") == 0


def test_unknown_application_id_is_auth_failed(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    with pytest.raises(AuthFailed):
        connect(application_id=uuid.UUID(int=7)).login()


def test_identities_with_credential_list_the_clients_without_a_session(
    so: TwentyFourSevenClient,
) -> None:
    identities = so.get_identities_with_credential()

    assert [(i.client_name, i.is_default) for i in identities] == [
        (FJORDLYS, True),
        (NORDVIK, False),
    ]
    assert all(i.contact_id == 1 and i.user_name == "API Tidsbro" for i in identities)
    assert requests_to("Login") == 0


def test_identities_with_a_wrong_password_are_auth_failed(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    client = connect(credentials=Credentials(username=DEMO_USERNAME, password="nope"))

    with pytest.raises(AuthFailed):
        client.get_identities_with_credential()


def test_identities_of_the_session_mark_the_current_one(so: TwentyFourSevenClient) -> None:
    identities = so.get_identities()
    current = so.get_identity()

    assert [i.client_name for i in identities if i.is_current] == [FJORDLYS]
    assert current is not None and current.client_name == FJORDLYS and current.is_current


def test_set_identity_switches_the_client(so: TwentyFourSevenClient) -> None:
    so.set_identity(identity_of(NORDVIK))

    assert so.get_client_information().name == NORDVIK
    assert len(so.get_users()) == 9


def test_a_renewed_session_stays_in_the_chosen_client(so: TwentyFourSevenClient) -> None:
    so.set_identity(identity_of(NORDVIK))
    sandbox_sessions_expire(knobs=knobs_get())
    time.sleep(0.01)

    assert so.get_client_information().name == NORDVIK
    assert requests_to("Login") == 2


def test_set_identity_to_an_unknown_identity_is_rejected(so: TwentyFourSevenClient) -> None:
    with pytest.raises(Rejected):
        so.set_identity(uuid.uuid4())


def test_login_with_an_identity_id_lands_in_that_client(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    client = connect(
        credentials=Credentials(
            username=DEMO_USERNAME, password=DEMO_PASSWORD, identity_id=identity_of(NORDVIK)
        )
    )

    assert client.get_client_information().name == NORDVIK


def test_blocked_identity_is_auth_failed(connect: Callable[..., TwentyFourSevenClient]) -> None:
    SandboxIdentity.objects.filter(client__name=NORDVIK).update(is_blocked=True)
    client = connect(
        credentials=Credentials(
            username=DEMO_USERNAME, password=DEMO_PASSWORD, identity_id=identity_of(NORDVIK)
        )
    )

    with pytest.raises(AuthFailed, match="IdentityId is blocked"):
        client.login()


def test_expired_session_is_renewed_transparently(so: TwentyFourSevenClient) -> None:
    store = so._store
    so.get_users()
    old_session = store.get()
    sandbox_sessions_expire(knobs=knobs_get())
    time.sleep(0.01)

    users = so.get_users()

    assert len(users) == 21
    assert store.get() not in (None, old_session)
    assert requests_to("Login") == 2
    assert RequestLog.objects.filter(operation="GetUsers").exclude(fault="").count() == 1


class RacingStore:
    """A shared store another worker writes to right after this worker has read it."""

    def __init__(self, stale: str, renewed: str) -> None:
        self.values = [stale, renewed]
        self.writes: list[str | None] = []

    def get(self) -> str | None:
        return self.values.pop(0) if len(self.values) > 1 else self.values[0]

    def set(self, session_id: str | None) -> None:
        self.writes.append(session_id)
        self.values = [session_id]  # type: ignore[list-item]


def test_a_session_renewed_by_another_worker_is_adopted_without_a_login(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    old, new = MemorySessionStore(), MemorySessionStore()
    connect(session_store=old).login()
    sandbox_sessions_expire(knobs=knobs_get())
    time.sleep(0.01)
    connect(session_store=new).login()  # the other worker
    store = RacingStore(stale=old.get() or "", renewed=new.get() or "")

    users = connect(session_store=store).get_users()

    assert len(users) == 21
    assert requests_to("Login") == 2
    assert store.writes == []
    assert RequestLog.objects.filter(operation="GetUsers").exclude(fault="").count() == 1


def test_idle_session_expires_and_is_renewed(connect: Callable[..., TwentyFourSevenClient]) -> None:
    knobs(session_idle_seconds=1)
    client = connect()
    client.get_users()
    time.sleep(1.2)

    assert len(client.get_users()) == 21
    assert requests_to("Login") == 2


def test_every_request_is_reported_to_the_observer(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    calls: list[CallRecord] = []
    client = connect(on_request=calls.append)
    client.get_users()
    sandbox_sessions_expire(knobs=knobs_get())
    time.sleep(0.01)
    client.get_users()
    with pytest.raises(Rejected):
        client.get_single_project(99999)

    assert [(c.service, c.operation, c.error) for c in calls] == [
        ("auth", "Login", ""),
        ("client", "GetUsers", ""),
        ("client", "GetUsers", "SessionExpired"),
        ("auth", "Login", ""),
        ("client", "GetUsers", ""),
        ("project", "GetSingleProject", "Rejected"),
    ]
    assert "Project 99999 does not exist" in calls[-1].message
    assert client.requests == len(calls) == 6
    assert all(c.duration_ms >= 0 and c.started_at.tzinfo is dt.UTC for c in calls)
    assert not any(DEMO_PASSWORD in c.message for c in calls)


def test_has_session_tells_a_live_session_from_an_expired_one(so: TwentyFourSevenClient) -> None:
    assert so.has_session() is False  # nothing stored yet
    so.login()
    assert so.has_session() is True
    sandbox_sessions_expire(knobs=knobs_get())
    time.sleep(0.01)
    assert so.has_session() is False


def test_relogin_happens_at_most_once(so: TwentyFourSevenClient) -> None:
    so.login()
    sandbox_sessions_expire(knobs=knobs_get())
    Login.objects.filter(username=DEMO_USERNAME).update(password="!unusable")

    with pytest.raises(AuthFailed):
        so.get_users()

    assert requests_to("Login") == 2
    assert so._store.get() is None


def test_a_stored_session_without_credentials_cannot_be_renewed(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    store = MemorySessionStore()
    connect(session_store=store).login()
    sandbox_sessions_expire(knobs=knobs_get())
    time.sleep(0.01)
    client = connect(credentials=None, session_store=store)

    with pytest.raises(AuthFailed, match="does not accept the session"):
        client.get_users()


# CLIENT
# ------------------------------------------------------------------------------
def test_client_information(so: TwentyFourSevenClient) -> None:
    info = so.get_client_information()

    assert (info.name, info.organization_number, info.country) == (FJORDLYS, "912345678", "NO")
    assert info.default_currency == "NOK"
    assert info.email == "post@2400101.example.no"
    assert info.post_address is not None and info.post_address.city == "Bergen"
    assert info.user_id == 1


def test_users_carry_contact_ids_and_guids(so: TwentyFourSevenClient) -> None:
    users = so.get_users()

    assert [u.contact_id for u in users] == list(range(1, 22))
    assert users[0].name == "API Tidsbro" and users[0].employee_id is None
    assert all(isinstance(u.id, uuid.UUID) for u in users)
    assert users[1].employee_id == 1


# COMPANIES
# ------------------------------------------------------------------------------
def test_get_companies_lists_every_active_company_with_the_asked_properties(
    so: TwentyFourSevenClient,
) -> None:
    companies = so.get_companies()

    assert len(companies) == 37
    first = companies[0]
    assert first.id == 10001
    assert first.name == "Havbris AS"
    assert first.organization_number == "900101000"
    assert first.email == "faktura@havbris0.example.no"
    assert first.phone.startswith("+47 2")
    assert first.date_changed is not None and first.date_changed.tzinfo is dt.UTC


def test_get_companies_by_ids_and_external_id(so: TwentyFourSevenClient) -> None:
    so.save_companies([Company(name="Ekstern AS", external_id="tidsbro-42")])

    by_ids = so.get_companies(company_ids=[10002, 10003])
    by_external = so.get_companies(external_id="tidsbro-42")

    assert [c.id for c in by_ids] == [10002, 10003]
    assert [c.name for c in by_external] == ["Ekstern AS"]


def test_get_companies_changed_after(so: TwentyFourSevenClient) -> None:
    before = timezone.now() - dt.timedelta(minutes=1)
    [saved] = so.save_companies([Company(id=10005, name="Omdøpt AS")])

    changed = so.get_companies(changed_after=before)

    assert saved.ok
    assert [(c.id, c.name) for c in changed] == [(10005, "Omdøpt AS")]


def test_an_unknown_return_property_is_rejected(so: TwentyFourSevenClient) -> None:
    with pytest.raises(Rejected, match="Not a specifiable return property"):
        so.get_companies(company_ids=[10001], return_properties=("Id", "Nonsense"))


def test_company_sync_list_reports_deleted_companies(so: TwentyFourSevenClient) -> None:
    page = so.get_company_sync_list()
    deleted = so.get_company_sync_list(active=False)

    assert (page.page, page.total_pages, page.total_items, page.items_per_page) == (1, 1, 40, 1000)
    assert not page.has_next
    assert [c.id for c in deleted.items] == [10013, 10026, 10039]
    assert all(not c.active for c in deleted.items)


def test_company_sync_list_pages_through_everything(so: TwentyFourSevenClient) -> None:
    client = SandboxClient.objects.get(name=FJORDLYS)
    now = timezone.now()
    SandboxCompany.objects.bulk_create(
        SandboxCompany(
            client=client,
            company_id=20001 + n,
            name=f"Massekunde {n} AS",
            date_created=now,
            date_changed=now,
        )
        for n in range(1000)
    )

    ids = [line.id for line in so.iter_company_sync_list()]

    assert len(ids) == 1040 and len(set(ids)) == 1040
    assert requests_to("GetCompanySyncList") == 2


def test_save_companies_reports_each_item(so: TwentyFourSevenClient) -> None:
    results = so.save_companies(
        [
            Company(name="Ny Kunde AS", organization_number="999888777", email="post@ny.no"),
            Company(name="Feil Land AS", country="Norway"),
            Company(id=10001, name="Havbris Endret AS"),
        ]
    )

    assert results[0].ok and results[0].id == 10041
    assert results[1] == SaveResult(
        id=None, messages=("Country must be a two-letter country code",)
    )
    assert results[2] == SaveResult(id=10001)
    [created] = so.get_companies(company_ids=[10041])
    assert (created.name, created.email, created.type) == ("Ny Kunde AS", "post@ny.no", "Business")
    assert so.get_companies(company_ids=[10001])[0].name == "Havbris Endret AS"


def test_save_no_companies_sends_nothing(so: TwentyFourSevenClient) -> None:
    assert so.save_companies([]) == ()
    assert RequestLog.objects.count() == 0


# PERSONS
# ------------------------------------------------------------------------------
def test_get_persons(so: TwentyFourSevenClient) -> None:
    employees = so.get_persons(is_employee=True)
    contacts = so.get_persons(is_employee=False)
    [one] = so.get_persons(email=employees[1].email)

    assert len(employees) == 21 and len(contacts) == 4
    assert one.id == employees[1].id == 2
    assert one.employee_id == 1
    assert one.name == f"{one.first_name} {one.last_name}"
    assert one.phone.startswith("+47 9")


def test_get_persons_changed_after_finds_nothing_recent(so: TwentyFourSevenClient) -> None:
    assert so.get_persons(changed_after=timezone.now() - dt.timedelta(days=1)) == ()


# PROJECTS
# ------------------------------------------------------------------------------
def test_project_lists_split_active_and_deactivated(so: TwentyFourSevenClient) -> None:
    active = so.get_project_list()
    detailed = so.get_projects_detailed()
    deactivated = so.get_deactivated_projects()

    assert len(active) == 24 and len(deactivated) == 6
    assert all(p.active is True for p in active + detailed)
    assert all(p.active is False for p in deactivated)
    assert [p.id for p in active] == [p.id for p in detailed] == list(range(1001, 1025))
    assert {p.status_name for p in deactivated} <= {"Fullført", "Kansellert"}
    first = detailed[0]
    assert first.version == 2 and first.time_reg == "Task" and first.need_approval is True
    assert first.customer_id == 10001 and first.customer_name == "Havbris AS"
    assert 3 <= len(first.participants) <= 6
    assert first.date_start is not None and first.date_start.tzinfo is dt.UTC
    assert active[1].need_approval is False and active[1].participants == ()


def test_project_list_filters(so: TwentyFourSevenClient) -> None:
    assert [p.id for p in so.get_project_list(project_ids=[1002, 1003])] == [1002, 1003]
    assert [p.id for p in so.get_project_list(customer_id=10002)] == [1002]


def test_single_project(so: TwentyFourSevenClient) -> None:
    project = so.get_single_project(1004)

    assert project is not None and project.id == 1004
    assert project.active is None
    assert project.owner_id == 1


def test_unknown_single_project_is_rejected(so: TwentyFourSevenClient) -> None:
    with pytest.raises(Rejected, match="does not exist"):
        so.get_single_project(99999)


def test_save_project_creates_then_updates(so: TwentyFourSevenClient) -> None:
    before = timezone.now() - dt.timedelta(minutes=1)
    start = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    number = so.save_project(
        Project(
            name="Ny nettside",
            customer_id=10003,
            date_start=start,
            need_approval=True,
            version=2,
            participants=(2, 3),
        )
    )
    so.save_project(
        Project(id=number, name="Ny nettside 2", customer_id=10003, description="Fase 2")
    )

    project = so.get_single_project(number)
    changed = so.get_project_list(changed_after=before)

    assert number == 1031
    assert project is not None
    assert (project.name, project.description, project.customer_id) == (
        "Ny nettside 2",
        "Fase 2",
        10003,
    )
    assert project.date_start == start and project.need_approval is True
    assert project.participants == (2, 3)
    assert project.status_name == "I gang"
    assert [p.id for p in changed] == [number]


def test_a_project_is_deactivated_through_an_inactive_status(so: TwentyFourSevenClient) -> None:
    project = so.get_single_project(1005)
    assert project is not None

    so.save_project(replace(project, status_id=3))

    assert 1005 not in {p.id for p in so.get_project_list()}
    [moved] = so.get_deactivated_projects(project_ids=[1005])
    assert (moved.status_name, moved.active) == ("Fullført", False)


def test_save_project_with_an_unknown_customer_is_rejected(so: TwentyFourSevenClient) -> None:
    with pytest.raises(Rejected, match="Customer 99 does not exist"):
        so.save_project(Project(name="X", customer_id=99))


def test_project_statuses_and_roles(so: TwentyFourSevenClient) -> None:
    statuses = so.get_project_statuses()
    roles = so.get_project_roles()

    assert [(s.id, s.name, s.active) for s in statuses] == [
        (1, "I gang", True),
        (2, "Planlagt", True),
        (3, "Fullført", False),
        (4, "Kansellert", False),
    ]
    assert [(r.id, r.name, r.parent_id) for r in roles] == [
        (1, "Prosjektleder", None),
        (2, "Deltaker", None),
        (3, "Observatør", 2),
    ]


def test_project_tasks_read_and_write(so: TwentyFourSevenClient) -> None:
    tasks = so.get_project_tasks(1001)
    start = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    task_id = so.save_project_task(
        Task(
            project_id=1001,
            name="Lansering",
            date_start=start,
            date_stop=start + dt.timedelta(days=7),
            work_type_id=2,
            estimate=16,
            participants=(tasks[0].participants[0],),
        )
    )
    so.save_project_task(
        Task(
            id=task_id,
            project_id=1001,
            name="Lansering og oppfølging",
            date_start=start,
            date_stop=start + dt.timedelta(days=14),
            priority=2,
        )
    )

    after = so.get_project_tasks(1001)
    saved = next(t for t in after if t.id == task_id)

    assert 2 <= len(tasks) <= 4
    assert tasks[0].name == "Analyse" and tasks[0].project_id == 1001
    assert tasks[0].registered_hours is not None
    assert len(after) == len(tasks) + 1
    assert (saved.name, saved.priority, saved.date_stop) == (
        "Lansering og oppfølging",
        2,
        start + dt.timedelta(days=14),
    )
    assert saved.participants == (tasks[0].participants[0],)


def test_open_project_has_no_tasks(so: TwentyFourSevenClient) -> None:
    assert so.get_project_tasks(1002) == ()


def test_save_task_without_dates_is_rejected(so: TwentyFourSevenClient) -> None:
    with pytest.raises(Rejected, match="Missing required field"):
        so.save_project_task(Task(project_id=1001, name="Uten datoer"))


def test_project_participants_with_roles_and_changes(so: TwentyFourSevenClient) -> None:
    everyone = so.get_project_participants(project_ids=[1001])
    before = timezone.now() - dt.timedelta(minutes=1)
    so.save_project(Project(id=1003, name="Ombygd", participants=(5,)))
    changed = so.get_project_participants(project_ids=[1001, 1003], changed_after=before)

    initiator = everyone[0]
    assert initiator.project_id == 1001
    assert initiator.role is not None and initiator.role.name == "Prosjektleder"
    assert initiator.state_name == "ProjectInitiater"
    assert {p.state_name for p in everyone[1:]} == {"Participating"}
    assert [(p.project_id, p.contact_id, p.state_name) for p in changed] == [
        (1003, 5, "Participating")
    ]


def test_participants_of_a_project_without_members_are_empty(so: TwentyFourSevenClient) -> None:
    assert so.get_project_participants(project_ids=[1003]) == ()


# TIME
# ------------------------------------------------------------------------------
def test_work_types(so: TwentyFourSevenClient) -> None:
    every = so.get_work_types()
    active = so.get_work_types(active=True)
    inactive = so.get_work_types(active=False)
    on_project = so.get_work_types(project_id=1002)

    assert [w.id for w in every] == [1, 2, 3, 4, 5, 6]
    assert [w.id for w in active] == [1, 2, 3, 4, 5] and [w.id for w in inactive] == [6]
    assert [w.id for w in on_project] == [1, 2, 3]
    assert (every[0].name, every[0].price, every[0].invoiceable) == (
        "Rådgivning",
        Decimal("1250.00"),
        True,
    )
    assert every[3].invoiceable is False and every[0].product_id == 501


def test_get_hours_of_a_project(so: TwentyFourSevenClient) -> None:
    hours = so.get_hours(HourSearch(project_id=1001))

    assert len(hours) == 3
    approved = [h for h in hours if h.approved]
    assert len(approved) == 1 and approved[0].approved_by == 1
    first = hours[0]
    assert first.project_id == 1001 and first.task_id is not None
    assert first.start_time is not None and first.start_time.tzinfo is dt.UTC
    assert first.total_hours == first.total_hours_invoice
    assert first.need_approval is True


def test_get_hours_by_ids_contact_and_period(so: TwentyFourSevenClient) -> None:
    every = so.get_hours(HourSearch())
    some = so.get_hours(HourSearch(hour_ids=(every[0].id, every[1].id)))
    mine = so.get_hours(HourSearch(contact_id=every[0].contact_id))
    window = so.get_hours(
        HourSearch(
            start_time=every[0].start_time, stop_time=every[0].start_time + dt.timedelta(hours=1)
        )
    )

    assert len(every) == 72
    assert {h.id for h in some} == {every[0].id, every[1].id}
    assert mine and all(h.contact_id == every[0].contact_id for h in mine)
    assert every[0].id in {h.id for h in window}


def test_get_hours_by_status(so: TwentyFourSevenClient) -> None:
    approved = so.get_hours(HourSearch(status="Approved"))
    registered = so.get_hours(HourSearch(status="Registered", project_id=1001))

    assert approved and all(h.approved is True for h in approved)
    assert len(registered) == 2 and all(h.approved is None for h in registered)


def test_hours_by_ids_are_fetched_in_chunks(so: TwentyFourSevenClient) -> None:
    every = so.get_hours(HourSearch())
    wanted = [h.id for h in every[:5]] + [999999]

    found = so.get_hours_by_ids(wanted, chunk=2)

    assert sorted(h.id for h in found) == sorted(wanted[:5])
    assert requests_to("GetHours") == 1 + 3


def test_hours_changed_after_ignore_seconds(so: TwentyFourSevenClient) -> None:
    """24SO compares ChangedAfter by the minute: a change in the same minute is found."""
    hour = SandboxHour.objects.order_by("hour_id").first()
    assert hour is not None
    changed_at = timezone.now().replace(second=10, microsecond=0)
    SandboxHour.objects.filter(pk=hour.pk).update(date_changed=changed_at)

    found = so.get_hours(HourSearch(changed_after=changed_at.replace(second=50)))
    later = so.get_hours(HourSearch(changed_after=changed_at + dt.timedelta(minutes=1)))

    assert [h.id for h in found] == [hour.hour_id]
    assert later == ()


def test_save_hour_with_internal_note_then_update_and_delete(so: TwentyFourSevenClient) -> None:
    start = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)
    hour_id = so.save_hour(
        Hour(
            contact_id=2,
            project_id=1002,
            type_of_work_id=3,
            start_time=start,
            stop_time=start + dt.timedelta(hours=2),
            total_hours=Decimal("2"),
            description="Kundemøte",
            internal_note="Ikke fakturer reisen",
            need_approval=False,
        )
    )
    so.save_hour(
        Hour(
            id=hour_id,
            contact_id=2,
            project_id=1002,
            type_of_work_id=3,
            start_time=start,
            stop_time=start + dt.timedelta(hours=1, minutes=30),
            total_hours=Decimal("1.5"),
            description="Kundemøte (kortet ned)",
        )
    )
    [saved] = so.get_hours(HourSearch(hour_ids=(hour_id,)))

    assert (saved.total_hours, saved.description, saved.internal_note) == (
        Decimal("1.5"),
        "Kundemøte (kortet ned)",
        "Ikke fakturer reisen",
    )
    assert saved.stop_time == start + dt.timedelta(hours=1, minutes=30)
    assert saved.locked is None and saved.approved is None
    assert so.delete_hour(hour_id) is True
    assert so.delete_hour(hour_id) is False
    assert so.get_hours(HourSearch(hour_ids=(hour_id,))) == ()


def test_approved_hours_cannot_be_changed_or_deleted(so: TwentyFourSevenClient) -> None:
    approved = next(h for h in so.get_hours(HourSearch(project_id=1001)) if h.approved)

    with pytest.raises(Rejected, match="approved or locked"):
        so.save_hour(Hour(id=approved.id, description="endret"))
    assert so.delete_hour(approved.id) is False


def test_hours_on_a_rights_managed_project_need_a_participant(so: TwentyFourSevenClient) -> None:
    members = set(so.get_single_project(1001).participants)  # type: ignore[union-attr]
    outsider = next(c for c in range(2, 22) if c not in members)
    start = dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC)

    with pytest.raises(Rejected, match="is not a participant"):
        so.save_hour(
            Hour(contact_id=outsider, project_id=1001, start_time=start, total_hours=Decimal("1"))
        )


def test_too_many_hour_ids_are_refused_before_sending(so: TwentyFourSevenClient) -> None:
    with pytest.raises(ValueError, match="at most 1000"):
        so.get_hours(HourSearch(hour_ids=tuple(range(1001))))
    assert RequestLog.objects.count() == 0


def test_naive_datetimes_are_refused_before_sending(so: TwentyFourSevenClient) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        so.get_hours(HourSearch(changed_after=dt.datetime(2026, 1, 1)))
    assert RequestLog.objects.count() == 0


# ORDERS
# ------------------------------------------------------------------------------
def test_save_invoices_then_read_them_back(so: TwentyFourSevenClient) -> None:
    results = so.save_invoices(
        [
            InvoiceOrder(
                customer_id=10001,
                project_id=1001,
                your_reference="Kari",
                lines=(
                    InvoiceOrderLine(
                        product_id=501,
                        name="Rådgivning",
                        quantity=Decimal("2.5"),
                        price=Decimal("1250"),
                    ),
                ),
            ),
            InvoiceOrder(customer_id=99999, lines=()),
        ]
    )

    assert results[0].ok and results[0].id == 10001
    assert results[1] == SaveResult(id=None, messages=("Customer 99999 does not exist",))
    [order] = so.get_invoices(order_ids=[results[0].id])
    assert (order.customer_id, order.project_id, order.order_status) == (10001, 1001, "Draft")
    assert order.customer_name == "Havbris AS"
    assert [(line.name, line.quantity, line.price) for line in order.lines] == [
        ("Rådgivning", Decimal("2.5"), Decimal("1250"))
    ]
    assert order.total_inc_vat == Decimal("3906.25")
    assert so.get_invoices(changed_after=timezone.now() + dt.timedelta(minutes=1)) == ()


# LIMITS AND FAULTS
# ------------------------------------------------------------------------------
def test_local_budget_stops_before_the_quarantine(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    client = connect(requests_per_hour=4, budget_reserve=1)
    client.get_users()  # Login + GetUsers
    client.get_project_statuses()

    with pytest.raises(RateLimited) as caught:
        client.get_project_roles()

    assert RequestLog.objects.count() == 3
    assert 3500 < caught.value.retry_after <= 3600


def test_remaining_requests_reported_by_24so_stop_the_client_at_the_reserve(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    started = timezone.now()
    knobs(rate_limit_per_hour=5)
    client = connect(budget_reserve=2)
    client.get_users()  # Login + GetUsers: 3 left
    client.get_project_statuses()  # 2 left = the reserve

    with pytest.raises(RateLimited) as caught:
        client.get_project_roles()

    assert caught.value.until in next_hours(started)
    assert requests_to("GetProjectRoles") == 0


def test_quarantine_fault_becomes_rate_limited_until_the_next_hour(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    """Another worker without the shared budget runs into 24SO's real quarantine."""
    started = timezone.now()
    knobs(rate_limit_per_hour=3)
    store = MemorySessionStore()
    first = connect(session_store=store, budget_reserve=0)
    first.get_users()
    first.get_project_statuses()  # the third and last request of the hour
    other = connect(session_store=store, budget=InMemoryRequestBudget(), budget_reserve=0)

    with pytest.raises(RateLimited) as caught:
        other.get_project_roles()
    with pytest.raises(RateLimited):
        other.get_work_types()

    assert caught.value.until in next_hours(started)
    assert 0 < caught.value.retry_after <= 3600
    fault = RequestLog.objects.get(operation="GetProjectRoles").fault
    assert fault.startswith("Limit exceeded by 1. Request is blocked. Quarantine ends at")
    # The quarantine is remembered: the last call never reached 24SO.
    assert requests_to("GetWorkTypeList") == 0


def test_injected_server_fault_is_unavailable(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    client = connect()
    client.login()
    knobs(fault_rate=1.0, fault_error=True, fault_drop=False, fault_slow=False)

    with pytest.raises(Unavailable, match="Timeout expired"):
        client.get_users()


def test_injected_fault_on_login_is_unavailable_not_auth_failed(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    knobs(fault_rate=1.0, fault_error=True, fault_drop=False, fault_slow=False)

    with pytest.raises(Unavailable):
        connect().login()


def test_dropped_connection_is_unavailable_and_ambiguous(
    connect: Callable[..., TwentyFourSevenClient],
) -> None:
    client = connect()
    client.login()
    knobs(fault_rate=1.0, fault_error=False, fault_drop=True, fault_slow=False)

    with pytest.raises(Unavailable) as caught:
        client.save_hour(
            Hour(
                contact_id=2,
                project_id=1002,
                start_time=dt.datetime(2026, 11, 20, 8, tzinfo=dt.UTC),
                total_hours=Decimal("1"),
            )
        )

    assert caught.value.ambiguous is True


def test_slow_reply_is_a_read_timeout(connect: Callable[..., TwentyFourSevenClient]) -> None:
    client = connect(timeout=(2.0, 0.5))
    client.login()
    knobs(fault_rate=1.0, fault_error=False, fault_drop=False, fault_slow=True, slow_seconds=2)
    started = time.monotonic()

    with pytest.raises(Unavailable, match="did not answer in time") as caught:
        client.get_users()

    assert time.monotonic() - started < 1.5
    assert caught.value.ambiguous is True
    # Let the sandbox finish the slow answer before the database is flushed.
    deadline = time.monotonic() + 10
    while requests_to("GetUsers") == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert requests_to("GetUsers") == 1


def test_latency_within_the_timeout_is_fine(connect: Callable[..., TwentyFourSevenClient]) -> None:
    knobs(latency_ms=200)

    assert len(connect(timeout=(2.0, 2.0)).get_users()) == 21
