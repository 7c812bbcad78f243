"""`manage.py demo_data`: a believable office, every approval state, and safe to run twice."""

from collections import Counter
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.db.models import Sum
from django.test import RequestFactory

from apps.accounts import roles
from apps.accounts.models import User
from apps.calendars.models import CategoryRule
from apps.customers.models import Customer
from apps.demo.office import (
    CONSULTING,
    CUSTOMERS,
    DEMO_ADMIN_EMAIL,
    DEMO_PASSWORD,
    DOMAIN,
    FIRST_CUSTOMER_NUMBER,
    INTERNAL_MEETING,
    INTERNAL_PREFIX,
    PEOPLE,
    PROJECTS,
    Summary,
    _hours,
    ascii_slug,
    erp_system_name,
    is_valid_org_number,
    org_number_check_digit,
)
from apps.projects.models import Project, ProjectMember, ProjectRole
from apps.tasks.models import Task
from apps.timesheets.models import TimeEntry, TimeEntryTransition
from apps.worktypes.models import WorkType

Status = TimeEntry.Status
Action = TimeEntryTransition.Action
MODELS = [
    User,
    Customer,
    Project,
    ProjectMember,
    ProjectRole,
    Task,
    WorkType,
    TimeEntry,
    CategoryRule,
]


@pytest.fixture(scope="module")
def demo_output(django_db_setup, django_db_blocker):
    """Loads the demo once for this module; everything is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = StringIO()
        call_command("demo_data", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_output, db):
    return demo_output


def _counts():
    return {model.__name__: model.objects.count() for model in [*MODELS, TimeEntryTransition]}


def test_demo_data_prints_a_summary_and_the_admin_login(demo):
    assert f"Log in as {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}" in demo
    assert "40 customers" in demo
    assert "30 projects" in demo


def test_running_demo_data_again_creates_nothing(demo):
    before = _counts()
    statuses = Counter(TimeEntry.objects.values_list("status", flat=True))

    out = StringIO()
    call_command("demo_data", stdout=out)

    assert _counts() == before
    assert Counter(TimeEntry.objects.values_list("status", flat=True)) == statuses
    assert "Created: nothing." in out.getvalue()


def test_demo_people_have_their_roles_and_the_demo_password(demo):
    admin = User.objects.get(email=DEMO_ADMIN_EMAIL)
    assert admin.is_superuser and admin.has_role(roles.ADMIN)
    assert User.objects.get(email=f"support@{DOMAIN}").has_role(roles.SUPPORT)
    by_role = Counter(p.role for p in PEOPLE)
    assert by_role[roles.ADMIN] == 3
    assert by_role[roles.PROJECT_MANAGER] >= 2
    assert 18 <= by_role[roles.EMPLOYEE] <= 24
    for role, n in by_role.items():
        assert User.objects.filter(groups__name=role, email__endswith=f"@{DOMAIN}").count() == n
    request = RequestFactory().post("/admin/login/")  # django-axes needs the request
    assert authenticate(request, username=DEMO_ADMIN_EMAIL, password=DEMO_PASSWORD) == admin
    assert authenticate(request, username=f"kari@{DOMAIN}", password=DEMO_PASSWORD) is not None


def test_demo_emails_are_the_first_names_and_unique(demo):
    emails = [p.address for p in PEOPLE]
    assert len(set(emails)) == len(emails) == User.objects.filter(email__in=emails).count()
    for person in PEOPLE:
        if person.role in (roles.EMPLOYEE, roles.PROJECT_MANAGER):
            assert person.address == f"{ascii_slug(person.first_name)}@{DOMAIN}"
    assert ascii_slug("Øystein") == "oystein"
    assert ascii_slug("Håkon") == "hakon"


def test_demo_people_keep_the_time_zone_of_their_country(demo):
    assert User.objects.get(email=f"linnea@{DOMAIN}").time_zone == "Europe/Stockholm"
    assert User.objects.get(email=f"freja@{DOMAIN}").time_zone == "Europe/Copenhagen"
    emma = User.objects.get(email=f"emma@{DOMAIN}")
    assert emma.time_zone == "America/New_York"
    # Clocked hours are the person's wall-clock time: Emma's 08:00 is 13:00 or 14:00 UTC.
    clocked = TimeEntry.objects.filter(user=emma).exclude(started_at=None)
    assert clocked.exists()
    assert {e.started_at.hour for e in clocked}.isdisjoint(range(0, 12))


def test_demo_customers_have_valid_norwegian_org_numbers(demo):
    customers = Customer.objects.filter(
        number__in=[str(FIRST_CUSTOMER_NUMBER + i) for i in range(len(CUSTOMERS))]
    )
    assert customers.count() == len(CUSTOMERS) == 40
    org_numbers = list(customers.values_list("organisation_number", flat=True))
    assert len(set(org_numbers)) == 40
    assert all(is_valid_org_number(n) for n in org_numbers)
    owned = customers.filter(erp_owned=True)
    assert 5 <= owned.count() < 40
    assert set(owned.values_list("erp_system", flat=True)) == {erp_system_name()}
    assert not customers.filter(erp_owned=False).exclude(erp_system="").exists()


def test_org_number_check_digit_is_mod_11():
    # Brønnøysundregistrene's and Equinor's real organisation numbers.
    assert org_number_check_digit("97476067") == 3
    assert is_valid_org_number("974760673")
    assert is_valid_org_number("923609016")
    assert not is_valid_org_number("974760674")
    assert not is_valid_org_number("97476067")
    assert org_number_check_digit("00000006") is None  # remainder 1 would need check digit 10


def test_demo_projects_roles_and_work_types(demo):
    projects = Project.objects.filter(name__in=[p[0] for p in PROJECTS])
    assert projects.count() == len(PROJECTS) == 30
    assert projects.filter(status=Project.Status.ARCHIVED).count() == 4
    assert projects.filter(number=None).exists()  # "number pending"
    assert projects.exclude(number=None).count() >= 15
    assert projects.filter(needs_approval=False).exists()
    assert set(ProjectRole.objects.values_list("name", "can_approve")) >= {
        ("Project manager", True),
        ("Consultant", False),
        ("Advisor", False),
    }
    assert dict(WorkType.objects.values_list("name", "invoiceable")) == {
        "Rådgivning": True,
        "Prosjektledelse": True,
        "Reise": False,
        "Internmøte": False,
        "Kurs og opplæring": True,
        "Support og drift": True,
    }
    # An order bills a work type under its 24SO product id: a number, or none at all.
    for work_type in WorkType.objects.filter(invoiceable=True):
        assert work_type.product_number.isdigit(), work_type
    for project in projects:
        assert project.memberships.filter(role__can_approve=True).count() == 1, project


def test_demo_tasks_are_assigned_to_project_members(demo):
    assert Task.objects.count() >= 60
    for task in Task.objects.prefetch_related("assignees", "project__members"):
        assert task.assignees.exists()
        assert set(task.assignees.all()) <= set(task.project.members.all())


def test_demo_hours_are_in_every_approval_state(demo):
    statuses = Counter(TimeEntry.objects.values_list("status", flat=True))
    assert set(statuses) == set(Status.values)
    assert all(n >= 20 for n in statuses.values()), statuses
    assert TimeEntry.objects.exclude(rejection_reason="").filter(status=Status.DRAFT).exists()
    assert TimeEntryTransition.objects.filter(action=Action.REOPEN).exclude(reason="").exists()


def test_demo_hours_follow_the_rules(demo):
    entries = TimeEntry.objects.select_related("project", "task", "work_type")
    assert entries.count() >= 500
    for entry in entries:
        assert entry.date.weekday() < 5
        assert 0 < entry.hours <= 24
        if entry.task_id:
            assert entry.task.project_id == entry.project_id
            assert entry.task.assignees.filter(pk=entry.user_id).exists()
        if not entry.work_type.invoiceable:
            assert entry.billable_hours == 0
    day_totals = TimeEntry.objects.values("user", "date").annotate(total=Sum("hours"))
    assert max(d["total"] for d in day_totals) <= 12


def test_demo_approval_trails_are_real(demo):
    trails = {}
    for step in TimeEntryTransition.objects.select_related("entry").order_by("id"):
        trails.setdefault(step.entry_id, []).append(step)
        # Nobody approved their own hours (the demo admin logs none).
        if step.action in (Action.APPROVE_USER, Action.APPROVE_PROJECT):
            assert step.actor_id != step.entry.user_id
    for entry in TimeEntry.objects.exclude(status=Status.DRAFT):
        trail = trails[entry.pk]
        assert trail[0].from_status == Status.DRAFT
        assert all(a.to_status == b.from_status for a, b in zip(trail, trail[1:], strict=False))
        assert trail[-1].to_status == entry.status
    for entry in TimeEntry.objects.filter(project__needs_approval=False):
        assert entry.status != Status.USER_APPROVED


def _hours_of(emails):
    """Everything the demo wrote about these people's hours, in the order it was written."""
    kind = ContentType.objects.get_for_model(TimeEntry)
    hours = []
    for entry in TimeEntry.objects.filter(user__email__in=emails).order_by("id"):
        trail = entry.transitions.order_by("id").values_list(
            "action", "from_status", "to_status", "actor_id", "reason"
        )
        history = LogEntry.objects.filter(content_type=kind, object_id=str(entry.pk))
        hours.append(
            (
                {
                    f.attname: getattr(entry, f.attname)
                    for f in TimeEntry._meta.concrete_fields
                    if f.attname not in ("id", "created_at", "updated_at")
                },
                list(trail),
                list(
                    history.order_by("action_time", "id").values_list(
                        "user_id", "action_flag", "change_message", "object_repr"
                    )
                ),
            )
        )
    return hours


def _forget_hours(emails):
    entries = TimeEntry.objects.filter(user__email__in=emails)
    kind = ContentType.objects.get_for_model(TimeEntry)
    ids = [str(pk) for pk in entries.values_list("pk", flat=True)]
    LogEntry.objects.filter(content_type=kind, object_id__in=ids).delete()
    entries.delete()  # and their transitions


def test_bulk_written_hours_equal_hours_written_through_the_services(demo):
    """Without a connection the demo writes hours in bulk: the same as one service call each."""
    # A manager approving on their own projects, an administrator, a Dane, the New Yorker.
    emails = ["erik@tidsbro.no", "magnus@tidsbro.no", "freja@tidsbro.no", "emma@tidsbro.no"]
    latest = TimeEntry.objects.latest("date").date
    today = latest + timedelta(days=7 - latest.weekday())  # the Monday the demo was built
    # The hours were registered before the archived projects were archived.
    Project.objects.filter(name__in=[p[0] for p in PROJECTS if p[3]]).update(
        status=Project.Status.ACTIVE
    )
    users = {u.email: u for u in User.objects.all()}
    work_types = {w.name: w for w in WorkType.objects.all()}
    written = {}
    for through_services in (False, True):
        _forget_hours(emails)
        _hours(Summary(), users, work_types, today, through_services=through_services)
        written[through_services] = _hours_of(emails)
    assert len(written[True]) >= 100
    assert {fields["status"] for fields, _trail, _history in written[True]} == set(Status.values)
    assert sum(len(history) for _fields, _trail, history in written[True]) >= 100
    assert written[False] == written[True]


def test_demo_people_have_calendar_rules_for_the_sandbox_meetings_categories(demo):
    """The calendar sandbox's demo meetings carry "Internal" and "Customer work": each person's
    rules suggest a project of their own for them (an internal one as an internal meeting)."""
    from apps.timesheets.selectors import projects_open_for_time

    people = User.objects.filter(email__in=[p.address for p in PEOPLE])
    with_rules = 0
    for person in people:
        rules = {r.category: r for r in CategoryRule.objects.filter(user=person)}
        open_projects = projects_open_for_time(user=person)
        kinds = {p.name.startswith(INTERNAL_PREFIX) for p in open_projects}
        if kinds != {True, False}:  # e.g. the administrator, on no project
            assert rules == {}, person
            continue
        with_rules += 1
        assert set(rules) == {"Internal", "Customer work"}, person
        internal, customer = rules["Internal"], rules["Customer work"]
        assert internal.project.name.startswith(INTERNAL_PREFIX)
        assert internal.work_type.name == INTERNAL_MEETING
        assert customer.project.customer_id is not None
        assert customer.work_type.name == CONSULTING
        open_ids = {p.pk for p in open_projects}
        assert {internal.project_id, customer.project_id} <= open_ids
    assert with_rules > 20
