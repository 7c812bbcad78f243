"""The sync center screens: lists with counts and search, constant queries as rows grow,
who may see and do what, and wrong input that changes nothing."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from apps.customers.models import Customer
from apps.integrations.models import Binding, Conflict, Connection, OutboxItem, SyncRun
from apps.integrations.services import DEFAULT_MASTERS
from apps.projects.models import Project
from tests.accounts.factories import admin_user, employee, project_manager, support_user
from tests.integrations.factories import connection_24so

pytestmark = pytest.mark.django_db


@pytest.fixture
def connection() -> Connection:
    return connection_24so(
        username="api@example.no",
        password="secret",
        client_name="Fjordlys",
        connected=["customer", "project", "work_type", "task"],
        masters=dict(DEFAULT_MASTERS),
    )


@pytest.fixture
def customer() -> Customer:
    return Customer.objects.create(name="Havbris AS", number="10001")


def linked(connection, customer, n: int, start: int = 0) -> list[Project]:
    projects = []
    for i in range(start, start + n):
        p = Project.objects.create(name=f"Linked {i}", number=5000 + i, customer=customer)
        Binding.objects.create(
            connection=connection,
            entity="project",
            local_id=p.pk,
            external_id=str(5000 + i),
            snapshot={"name": p.name},
            remote_values={"name": p.name, "number": 5000 + i},
        )
        projects.append(p)
    return projects


def remote_only(connection, n: int, start: int = 0) -> list[Binding]:
    return [
        Binding.objects.create(
            connection=connection,
            entity="project",
            external_id=str(7000 + i),
            state=Binding.State.REMOTE_ONLY,
            remote_values={"name": f"Remote {i}", "number": 7000 + i},
        )
        for i in range(start, start + n)
    ]


def in_conflict(connection, customer, n: int, start: int = 0) -> list[Binding]:
    result = []
    for i in range(start, start + n):
        p = Project.objects.create(name=f"Ours {i}", number=8000 + i, customer=customer)
        b = Binding.objects.create(
            connection=connection,
            entity="project",
            local_id=p.pk,
            external_id=str(8000 + i),
            state=Binding.State.CONFLICT,
        )
        Conflict.objects.create(
            binding=b, field="name", base_value="Old", local_value=p.name, remote_value="Theirs"
        )
        result.append(b)
    return result


def url(entity="project", tab="linked", **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"tab": tab, **params}.items())
    return f"{reverse('admin:integrations_sync_center_list', args=[entity])}?{query}"


# --- lists ------------------------------------------------------------------------------------


def test_each_list_shows_its_records_and_every_list_its_count(client, connection, customer):
    linked(connection, customer, 2)
    remote_only(connection, 3)
    in_conflict(connection, customer, 1)
    Project.objects.create(name="Only here", customer=customer)
    client.force_login(admin_user())

    page = client.get(url(tab="linked")).content.decode()
    assert "Linked 0" in page and "Linked 1" in page and "Remote 0" not in page
    counts = client.get(url(tab="remote_only")).context["tabs"]
    assert {t["key"]: t["count"] for t in counts} == {
        "linked": 2,
        "local_only": 1,
        "remote_only": 3,
        "conflict": 1,
        "missing_remotely": 0,
        "excluded": 0,
    }
    assert "Only here" in client.get(url(tab="local_only")).content.decode()
    conflict_page = client.get(url(tab="conflict")).content.decode()
    assert "Ours 0" in conflict_page and "Resolve" in conflict_page


def test_search_finds_by_name_number_and_erp_id(client, connection, customer):
    linked(connection, customer, 3)
    remote_only(connection, 2)
    client.force_login(admin_user())

    rows = client.get(url(tab="linked", q="Linked 2")).context["rows"]
    assert [(r["local"], r["number"]) for r in rows] == [("Linked 2", 5002)]
    assert [r["external_id"] for r in client.get(url(tab="linked", q="5001")).context["rows"]] == [
        "5001"
    ]
    assert [
        r["remote"] for r in client.get(url(tab="remote_only", q="mote 1")).context["rows"]
    ] == ["Remote 1"]


def _headers_and_first_row(html: str) -> tuple[list[str], list[str]]:
    import re

    def cells(tag: str, chunk: str) -> list[str]:
        found = re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", chunk, re.S)
        return [re.sub(r"<[^>]+>", "", c).strip() for c in found]

    head = html[html.index("<thead>") : html.index("</thead>")]
    row = html[html.index('<tr class="sc-row"') :]
    row = row[: row.index("</tr>")]
    return cells("th", head), cells("td", row)


def test_a_number_shows_once_and_only_for_types_that_have_one(client, connection, customer):
    """A project whose id in the system is its number: name once, number once, no columns
    repeating it; the id gets its own column only where it differs from the number; users
    have no number column at all; headers are capitalised."""
    linked(connection, customer, 1)
    client.force_login(admin_user())

    headers, cells = _headers_and_first_row(client.get(url()).content.decode())
    assert headers == ["", "Tidsbro", "Number", "24SevenOffice", ""]
    assert cells[1:4] == ["Linked 0", "5000", "Linked 0"]
    assert sum(c == "5000" for c in cells) == 1

    # The system's id differs from the number: both are worth showing, each once.
    Binding.objects.filter(entity="project").update(external_id="p-77")
    headers, cells = _headers_and_first_row(client.get(url()).content.decode())
    assert headers == ["", "Tidsbro", "Number", "24SevenOffice", "24SevenOffice id", ""]
    assert cells[1:5] == ["Linked 0", "5000", "Linked 0", "p-77"]

    # The system's number differs from Tidsbro's: that one gets its column too.
    Binding.objects.filter(entity="project").update(
        external_id="5000", remote_values={"name": "Linked 0", "number": 5099}
    )
    headers, cells = _headers_and_first_row(client.get(url()).content.decode())
    assert headers[-2:] == ["24SevenOffice number", ""] and cells[-2] == "5099"

    # Users have no number: no number columns, the system's id stays.
    user = admin_user()
    Binding.objects.create(
        connection=connection,
        entity="user",
        local_id=user.pk,
        external_id="42",
        remote_values={"name": "Kari Nordmann", "email": user.email},
    )
    Connection.objects.filter(pk=connection.pk).update(
        connected=["user", "customer", "project", "work_type", "task"]
    )
    headers, cells = _headers_and_first_row(client.get(url("user")).content.decode())
    assert "Number" not in headers and "24SevenOffice number" not in headers
    assert headers[1:4] == ["Tidsbro", "24SevenOffice", "24SevenOffice id"]
    assert cells[3] == "42"


@pytest.mark.parametrize("tab", ["linked", "remote_only", "local_only", "conflict"])
def test_a_list_costs_the_same_queries_with_5_or_40_rows(
    client, connection, customer, tab, django_assert_num_queries
):
    def fill(n, start):
        linked(connection, customer, n, start)
        remote_only(connection, n, start)
        in_conflict(connection, customer, n, start)
        for i in range(start, start + n):
            Project.objects.create(name=f"Here {i}", customer=customer)

    client.force_login(admin_user())
    fill(5, 0)
    client.get(url(tab=tab))  # warm caches (content types, permissions)
    response = client.get(url(tab=tab))
    assert len(response.context["rows"]) == 5
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as few:
        client.get(url(tab=tab))
    fill(35, 5)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url(tab=tab))
    assert len(response.context["rows"]) == 40


# --- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("make_user", [employee, project_manager])
def test_employees_and_project_managers_see_none_of_it(client, connection, customer, make_user):
    binding = in_conflict(connection, customer, 1)[0]
    client.force_login(make_user())
    assert client.get(url()).status_code == 403
    assert client.get(reverse("admin:integrations_sync_history")).status_code == 403
    assert (
        client.get(reverse("admin:integrations_conflict_resolve", args=[binding.pk])).status_code
        == 403
    )
    assert (
        client.post(
            url(tab="conflict"), {"action": "keep_local", "selected": [binding.pk]}
        ).status_code
        == 403
    )
    home = client.get(reverse("admin:index")).content.decode()
    assert "integration-health" not in home


def test_support_may_resolve_match_and_exclude(client, connection, customer):
    binding = in_conflict(connection, customer, 1)[0]
    remote = remote_only(connection, 1)[0]
    client.force_login(support_user())
    assert client.get(url(tab="conflict")).status_code == 200
    response = client.post(
        url(tab="remote_only"), {"action": "exclude", "selected": [remote.pk]}, follow=True
    )
    assert "will not be synced" in response.content.decode()
    remote.refresh_from_db()
    assert remote.state == Binding.State.EXCLUDED
    page = client.get(reverse("admin:integrations_conflict_resolve", args=[binding.pk]))
    assert page.status_code == 200 and "Theirs" in page.content.decode()


def test_the_admin_home_shows_the_health_panel_to_admins_and_support(client, connection, customer):
    in_conflict(connection, customer, 2)
    OutboxItem.objects.create(connection=connection, entity="project", local_id=1, status="dead")
    OutboxItem.objects.create(connection=connection, entity="hour", local_id=1)
    SyncRun.objects.create(
        connection=connection, entity="project", trigger="manual", status="failed"
    )
    for make_user in (admin_user, support_user):
        client.force_login(make_user())
        page = client.get(reverse("admin:index"))
        html = page.content.decode()
        assert "integration-health" in html
        panel = page.context["panel"]
        assert (panel.open_conflicts, panel.dead_outbox, panel.hours_waiting) == (2, 1, 1)
        assert not panel.ok and panel.level == "error" and 'data-key="failed_pulls"' in html


# --- actions, and wrong input that changes nothing --------------------------------------------


def test_no_sync_and_undo_through_the_list(client, connection, customer):
    here = Project.objects.create(name="Internal", customer=customer)
    client.force_login(admin_user())

    client.post(url(tab="local_only"), {"action": "exclude", "selected": [here.pk]})
    excluded = Binding.objects.get(local_id=here.pk, entity="project")
    assert excluded.state == Binding.State.EXCLUDED
    assert client.get(url(tab="local_only")).context["rows"] == []

    client.post(url(tab="excluded"), {"action": "include", "selected": [excluded.pk]})
    assert not Binding.objects.filter(entity="project", local_id=here.pk).exists()
    assert [r["local_id"] for r in client.get(url(tab="local_only")).context["rows"]] == [here.pk]
    assert LogEntry.objects.filter(object_id=str(here.pk)).count() == 2


def test_an_action_without_records_says_so_and_changes_nothing(client, connection, customer):
    remote_only(connection, 1)
    client.force_login(admin_user())
    response = client.post(url(tab="remote_only"), {"action": "exclude"}, follow=True)
    assert "Choose at least one record." in response.content.decode()
    assert not Binding.objects.filter(state=Binding.State.EXCLUDED).exists()


def test_choose_partner_without_a_choice_says_so_and_links_nothing(client, connection, customer):
    here = Project.objects.create(name="Havbris portal", customer=customer)
    remote = remote_only(connection, 1)[0]
    client.force_login(admin_user())
    link = reverse("admin:integrations_sync_center_partner_local", args=["project", here.pk])

    response = client.post(link, {"choice": ""})
    assert "Choose the record to link to." in response.content.decode()
    remote.refresh_from_db()
    assert remote.local_id is None and remote.state == Binding.State.REMOTE_ONLY


def test_choose_partner_offers_only_evidence_and_shows_it(client, connection, customer):
    here = Project.objects.create(name="Havbris portal", number=7001, customer=customer)
    remote_only(connection, 3)
    Binding.objects.create(
        connection=connection,
        entity="project",
        external_id="9100",
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": "Havbris portal 2", "number": 9100},
    )
    client.force_login(support_user())
    page = client.get(
        reverse("admin:integrations_sync_center_partner_local", args=["project", here.pk])
    )
    candidates = page.context["candidates"]
    # "Havbris portal 2" only looks alike: no evidence, not offered.
    assert [(c.key, c.reason, c.evidence) for c in candidates] == [("7001", "same number", "7001")]
    assert "same number: <strong>7001</strong>" in page.content.decode()


def test_keep_values_in_bulk_asks_first_then_settles_every_conflict(client, connection, customer):
    bindings = in_conflict(connection, customer, 2)
    client.force_login(admin_user())
    ids = [b.pk for b in bindings]

    first = client.post(url(tab="conflict"), {"action": "keep_local", "selected": ids})
    assert first.status_code == 200 and "Keep Tidsbro values" in first.content.decode()
    assert Conflict.objects.filter(resolved_at__isnull=True).count() == 2

    client.post(url(tab="conflict"), {"action": "keep_local", "selected": ids, "confirm": "yes"})
    assert Conflict.objects.filter(resolved_at__isnull=True).count() == 0
    assert set(Binding.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"linked"}
    # Tidsbro's values go to the ERP.
    assert OutboxItem.objects.filter(entity="project").count() == 2


@pytest.mark.parametrize("entity", ["customer", "project", "work_type", "task", "user"])
def test_every_list_of_every_object_type_opens(client, connection, entity):
    client.force_login(support_user())
    for tab in ("linked", "local_only", "remote_only", "conflict", "missing_remotely", "excluded"):
        assert client.get(url(entity=entity, tab=tab)).status_code == 200, tab


def test_what_24so_cannot_create_is_said_instead_of_offered(client, connection, customer):
    client.force_login(admin_user())
    page = client.get(url(entity="work_type", tab="local_only"))
    assert "cannot create or change work types" in page.content.decode()
    assert "create_remote" not in dict(page.context["actions"])
    customers = client.get(url(entity="customer", tab="local_only"))
    assert "Customers are kept in 24SevenOffice" in customers.content.decode()
    assert "create_remote" not in dict(customers.context["actions"])


def test_a_user_is_matched_to_a_24so_user_from_the_suggestions(client, connection):
    kari = employee(first_name="Kari", last_name="Nordmann", email="kari@example.no")
    erp_user = Binding.objects.create(
        connection=connection,
        entity="user",
        external_id="12",
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": "Kari Nordmann", "email": "kari.nordmann@fjordlys.no"},
    )
    client.force_login(support_user())
    link = reverse("admin:integrations_sync_center_partner_remote", args=["user", erp_user.pk])
    [best, *_rest] = client.get(link).context["candidates"]
    assert (best.key, best.reason, best.evidence) == (kari.pk, "same name", "Kari Nordmann")

    client.post(link, {"choice": str(kari.pk)})
    erp_user.refresh_from_db()
    assert (erp_user.local_id, erp_user.state) == (kari.pk, Binding.State.LINKED)


@pytest.mark.parametrize("language,home", [("nb", "Hjem"), ("sv", "Hem"), ("da", "Hjem")])
def test_the_sync_center_renders_in_every_language(client, connection, settings, language, home):
    client.force_login(admin_user())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get(url())
    assert page.status_code == 200
    html = page.content.decode()
    # Whatever the admin theme draws the way home with, it is in the chosen language.
    assert f'lang="{language}"' in html and home in html


def test_fetch_now_queues_a_pull_of_the_object_type(client, connection, monkeypatch):
    from django.test import TestCase

    queued = []
    monkeypatch.setattr(
        "django_q.tasks.async_task", lambda func, *args, **kwargs: queued.append((func, args))
    )
    client.force_login(support_user())
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url(tab="linked"), {"action": "fetch"}, follow=True)
    assert "has been queued" in response.content.decode()
    assert queued == [
        ("apps.integrations.jobs.sync_entity", (connection.pk, "project", "manual", False))
    ]


def test_stop_sync_asks_first_then_sets_both_records_apart_to_link_later(
    client, connection, customer
):
    [project] = linked(connection, customer, 1)
    binding = Binding.objects.get(entity="project", local_id=project.pk)
    client.force_login(admin_user())

    first = client.post(url(tab="linked"), {"action": "unlink", "selected": [binding.pk]})
    assert "Stop sync and unlink" in first.content.decode()
    binding.refresh_from_db()
    assert binding.local_id == project.pk

    client.post(url(tab="linked"), {"action": "unlink", "selected": [binding.pk], "confirm": "yes"})
    excluded = client.get(url(tab="excluded"))
    rows = excluded.context["rows"]
    assert {(r["local_id"], r["external_id"]) for r in rows} == {(None, "5000"), (project.pk, "")}
    assert excluded.content.decode().count("Choose partner") == 2


def test_the_health_panel_costs_five_queries(connection, customer, django_assert_num_queries):
    from apps.integrations.selectors import health_panel

    in_conflict(connection, customer, 3)
    with django_assert_num_queries(5):
        panel = health_panel()
    assert panel.open_conflicts == 3


def test_create_here_with_a_number_already_used_says_so_and_creates_nothing(
    client, connection, customer
):
    linked(connection, customer, 1)  # project number 5000 exists here
    remote = Binding.objects.create(
        connection=connection,
        entity="project",
        external_id="5000-b",
        state=Binding.State.REMOTE_ONLY,
        remote_values={"name": "Twin", "number": 5000, "status": "active"},
    )
    other = remote_only(connection, 1)[0]
    projects = Project.objects.count()
    client.force_login(admin_user())

    response = client.post(
        url(tab="remote_only"),
        {"action": "create_local", "selected": [remote.pk, other.pk], "confirm": "yes"},
        follow=True,
    )
    assert "5000" in response.content.decode() and "already used" in response.content.decode()
    assert Project.objects.count() == projects  # all or nothing
    assert Binding.objects.filter(pk__in=[remote.pk, other.pk], local_id__isnull=True).count() == 2


def test_create_here_shows_the_numbers_first_then_creates_every_chosen_record(
    client, connection, customer
):
    remote = remote_only(connection, 2)
    client.force_login(admin_user())
    ids = [b.pk for b in remote]

    first = client.post(url(tab="remote_only"), {"action": "create_local", "selected": ids})
    html = first.content.decode()
    assert "7000" in html and "7001" in html and "numbers they have in 24SevenOffice" in html
    assert not Project.objects.filter(number__in=[7000, 7001]).exists()

    client.post(
        url(tab="remote_only"), {"action": "create_local", "selected": ids, "confirm": "yes"}
    )
    made = dict(Project.objects.filter(number__in=[7000, 7001]).values_list("number", "name"))
    assert made == {7000: "Remote 0", 7001: "Remote 1"}
    assert set(Binding.objects.filter(pk__in=ids).values_list("state", flat=True)) == {"linked"}
