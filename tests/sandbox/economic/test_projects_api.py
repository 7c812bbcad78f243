"""projectsapi v1.1.0 in the e-conomic sandbox, over real HTTP: paging, filters, objectVersion,
problem+json, the Project module, idempotency, the shared token bucket and the time-entry rules."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal

import pytest

from apps.sandbox.economic import events, openapi
from apps.sandbox.economic.models import IdempotencyRecord, Project, TimeEntry
from apps.sandbox.economic.runtime import knobs_get
from apps.sandbox.economic.seed import APP_SECRET_TOKEN, SALES_GRANT_TOKEN, seed

from .conftest import TOKENS, Api

pytestmark = pytest.mark.django_db(transaction=True)

P = "projectsapi/v1.1.0"
SALES_TOKENS = {"X-AppSecretToken": APP_SECRET_TOKEN, "X-AgreementGrantToken": SALES_GRANT_TOKEN}


@pytest.fixture
def office(transactional_db):
    return seed(demo_office=True)


@pytest.fixture
def api(live_server, office) -> Api:
    return Api(live_server.url)


@pytest.fixture
def emitted(monkeypatch) -> list[tuple]:
    seen: list[tuple] = []
    monkeypatch.setattr(events, "emit", lambda agreement, event, **f: seen.append((event, f)))
    return seen


def _valid(operation_schema: dict, body) -> None:
    """The body matches the (copied, unchanged) OpenAPI document's schema, every item."""
    check = openapi.validator(
        openapi.PROJECTS.filename, "response", json.dumps(operation_schema, sort_keys=True)
    )
    errors = [e.message for e in check.iter_errors(body)]
    assert errors == []


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    _valid(_ref("ProblemDetails"), body)
    assert body["status"] == status and body["errorCode"] == code
    assert body["title"] and body["traceId"] and body["traceTimeUtc"] and body["instance"]
    return body


def _project(**extra) -> dict:
    return {"name": "Ny kantine", "projectGroupNumber": 1, "customerNumber": 7, **extra}


def _entry(**extra) -> dict:
    return {
        "projectNumber": 102,
        "activityNumber": 1,
        "employeeNumber": 2,
        "date": "2026-11-30T00:00:00",
        "numberOfHours": 3.5,
        "text": "Analyse",
        **extra,
    }


# Paging -------------------------------------------------------------------------------------


def test_cursor_pages_until_the_cursor_is_absent_and_ignores_sort(api):
    knobs = knobs_get()
    knobs.cursor_page_size = 4
    knobs.save()
    seen, pages, cursor = [], 0, None
    while True:
        query = "Projects?sort=-number" + (f"&cursor={cursor}" if cursor else "")
        body = api.get(f"{P}/{query}").json()
        _valid(_ref("ProjectCursorResults"), body)
        seen += [item["number"] for item in body["items"]]
        pages += 1
        cursor = body.get("cursor")
        if cursor is None:
            break
    assert pages == 2
    assert seen == [101, 102, 103, 104, 105, 106]  # ascending although sort asked otherwise


def test_paged_is_a_bare_sorted_array_of_at_most_100(api):
    page = api.get(f"{P}/Projects/paged?pagesize=2&skippages=1&sort=-number")
    assert page.status_code == 200
    assert [p["number"] for p in page.json()] == [104, 103]
    _valid({"type": "array", "items": _ref("Project")}, page.json())
    assert len(api.get(f"{P}/Projects/paged").json()) == 6  # default 20 a page
    _problem(api.get(f"{P}/Projects/paged?pagesize=101"), 400, "InvalidPageSize")
    assert len(api.get(f"{P}/Projects/paged?pagesize=100").json()) == 6


def test_paged_reaches_only_the_first_10000_items(api, office):
    day = dt.date(2026, 11, 2)
    TimeEntry.objects.bulk_create(
        TimeEntry(
            agreement=office,
            number=1000 + i,
            project_number=101,
            activity_number=1,
            employee_number=1,
            date=day,
            number_of_hours=Decimal("1.00"),
            last_updated=dt.datetime(2026, 11, 2, tzinfo=dt.UTC),
        )
        for i in range(10_000)
    )
    assert api.get(f"{P}/TimeEntries/count").json() == 10_008
    last = api.get(f"{P}/TimeEntries/paged?pagesize=100&skippages=99").json()
    assert len(last) == 100
    assert api.get(f"{P}/TimeEntries/paged?pagesize=100&skippages=100").json() == []
    assert len(api.get(f"{P}/TimeEntries/paged?pagesize=30&skippages=333").json()) == 10


def test_count_is_a_bare_integer_that_respects_the_filter(api):
    assert api.get(f"{P}/Projects/count").text == "6"
    assert api.get(f"{P}/Projects/count", params={"filter": "customerNumber$in:[1,2]"}).json() == 2
    assert api.get(f"{P}/Projects/count", params={"filter": "isClosed$eq:true"}).json() == 1
    assert api.get(f"{P}/Activities/count").json() == 5


# Filters ------------------------------------------------------------------------------------


def test_filter_takes_only_the_operators_x_filterable_lists(api):
    found = api.get(f"{P}/Projects", params={"filter": "name$like:medico"}).json()["items"]
    assert [p["number"] for p in found] == [102]
    both = api.get(f"{P}/Projects", params={"filter": "number$gte:105$and:isBarred$eq:false"})
    assert [p["number"] for p in both.json()["items"]] == [105, 106]
    # description: "not filterable"; otherReference: eq … gte but no like
    body = _problem(
        api.get(f"{P}/Projects", params={"filter": "description$eq:x"}), 400, "BadFilterRequest"
    )
    assert "description" in body["detail"]
    body = _problem(
        api.get(f"{P}/Projects", params={"filter": "otherReference$like:x"}),
        400,
        "BadFilterRequest",
    )
    assert "$like:" in body["detail"]
    _problem(
        api.get(f"{P}/Projects/count", params={"filter": "nope$eq:1"}), 400, "BadFilterRequest"
    )


def test_time_entries_filter_by_last_updated_and_date(api):
    TimeEntry.objects.filter(number=1).update(
        last_updated=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    )
    body = api.get(f"{P}/TimeEntries", params={"filter": "lastUpdated$gte:2030-01-02T03:04:05Z"})
    items = body.json()["items"]
    assert [t["number"] for t in items] == [1]
    assert items[0]["lastUpdated"] == "2030-01-02T03:04:05Z"
    on_day = (dt.date.today() - dt.timedelta(days=5)).isoformat()
    same_day = api.get(f"{P}/TimeEntries", params={"filter": f"date$eq:{on_day}"}).json()
    assert {t["number"] for t in same_day["items"]} == {5, 6}


# Writes: objectVersion, problems, events -----------------------------------------------------


def test_put_needs_the_object_version_read_and_a_stale_one_is_409(api, emitted):
    project = api.get(f"{P}/Projects/103").json()
    without = {k: v for k, v in project.items() if k != "objectVersion"}
    _problem(api.put(f"{P}/Projects", json={**without, "name": "X"}), 409, "UpdateConflict")
    changed = api.put(f"{P}/Projects", json={**project, "name": "Møbler webshop 2"})
    assert changed.status_code == 204, changed.text
    after = api.get(f"{P}/Projects/103").json()
    assert after["name"] == "Møbler webshop 2"
    assert after["objectVersion"] != project["objectVersion"]
    assert after["lastUpdated"].endswith("Z") and len(after["lastUpdated"]) == 20
    assert after["lastUpdated"] > project["lastUpdated"]
    body = _problem(api.put(f"{P}/Projects", json={**project, "name": "Y"}), 409, "UpdateConflict")
    assert body["errors"][0]["property"] == "objectVersion"
    assert Project.objects.get(number=103).name == "Møbler webshop 2"
    assert emitted == [("PROJECT_UPDATED", {"PROJECTNUMBER": 103})]


def test_post_project_numbers_it_and_checks_group_and_customer(api, emitted):
    made = api.post(f"{P}/Projects", json=_project())
    assert made.status_code == 201 and made.json() == {"number": 107}
    _valid(_ref("CreatedResult"), made.json())
    assert made.headers["Location"].endswith(f"/{P}/Projects/107")
    assert api.get(f"{P}/Projects/107").json()["customerNumber"] == 7
    _problem(
        api.post(f"{P}/Projects", json=_project(projectGroupNumber=9)),
        400,
        "ProjectCannotBeCreatedUpdatedGroupDoesNotExist",
    )
    _problem(
        api.post(f"{P}/Projects", json=_project(customerNumber=999)),
        400,
        "ProjectCannotBeCreatedUpdatedCustomerNotFound",
    )
    _problem(
        api.post(f"{P}/Projects", json=_project(number=101)),
        400,
        "ProjectCannotBeCreatedUpdatedNumberAlreadyExists",
    )
    missing = _problem(api.post(f"{P}/Projects", json={"name": "X"}), 400, "ValidationError")
    assert missing["errors"][0]["property"] == "projectGroupNumber"
    # read-only properties are ignored on input
    made = api.post(f"{P}/Projects", json=_project(isClosed=True, lastUpdated="2001-01-01"))
    assert "isClosed" not in api.get(f"{P}/Projects/{made.json()['number']}").json()
    assert emitted[0] == ("PROJECT_CREATED", {"PROJECTNUMBER": 107})


def test_a_project_with_time_entries_cannot_be_deleted(api, emitted):
    _problem(api.delete(f"{P}/Projects/101"), 400, "ProjectCannotBeDeletedHasTimeEntries")
    assert api.delete(f"{P}/Projects/106").status_code == 204
    _problem(api.get(f"{P}/Projects/106"), 404, "NotFound")
    _problem(api.delete(f"{P}/Projects/106"), 404, "NotFound")
    assert emitted == [("PROJECT_DELETED", {"PROJECTNUMBER": 106})]


def test_problem_bodies_say_unknown_paths_and_methods(api):
    _problem(api.get(f"{P}/Nothing"), 404, "NotFound")
    body = _problem(api.request("PATCH", f"{P}/Projects", json={}), 405, "MethodNotAllowed")
    assert body["detail"]
    _problem(api.get(f"{P}/Projects", headers={}), 401, "Unauthorized")
    _problem(api.get("customersapi/v2.0.0/Customers"), 404, "NotFound")
    _problem(
        api.post(f"{P}/Projects", data="{", headers={**TOKENS, "Content-Type": "application/json"}),
        400,
        "InvalidJson",
    )


# The Project module ------------------------------------------------------------------------


def test_an_agreement_without_the_project_module_is_refused_on_every_call(api):
    for method, path in [
        ("GET", "Projects"),
        ("GET", "Projects/101"),
        ("GET", "TimeEntries/count"),
        ("GET", "Employees"),
        ("POST", "TimeEntries/approve"),
        ("GET", "Nothing"),
    ]:
        response = api.request(method, f"{P}/{path}", headers=SALES_TOKENS, json={"numbers": [1]})
        _problem(response, 403, "AccessDeniedAgreementMissingModules")
    sales_self = api.get("self", headers=SALES_TOKENS).json()
    assert [m["name"] for m in sales_self["modules"]] == ["Sales"]
    assert [m["name"] for m in api.get("self").json()["modules"]] == ["Sales", "Project"]
    # the same agreement's customers (classic API) and draft invoices work
    assert api.get("customers", headers=SALES_TOKENS).status_code == 200
    assert api.get("q2capi/v5.3.0/invoices/drafts", headers=SALES_TOKENS).status_code == 200


# Idempotency and the token bucket -----------------------------------------------------------


def test_an_idempotency_key_replays_the_first_answer(api):
    keyed = {**TOKENS, "Idempotency-Key": "proj-1"}
    first = api.post(f"{P}/Projects", json=_project(), headers=keyed)
    again = api.post(f"{P}/Projects", json=_project(name="Other"), headers=keyed)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() == {"number": 107}
    assert again.headers["X-ResultFromCache"] == "true"
    assert "X-ResultFromCache" not in first.headers
    assert Project.objects.filter(name="Other").count() == 0
    refused = {**TOKENS, "Idempotency-Key": "proj-2"}
    api.delete(f"{P}/Projects/101", headers=refused)
    replay = api.delete(f"{P}/Projects/101", headers=refused)
    _problem(replay, 400, "ProjectCannotBeDeletedHasTimeEntries")
    assert replay.headers["X-ResultFromCache"] == "true"
    assert IdempotencyRecord.objects.count() == 2


def test_one_token_bucket_for_the_classic_api_and_the_services(api):
    knobs = knobs_get()
    knobs.rate_limit = 3
    knobs.rate_window_seconds = 3600
    knobs.save()
    assert api.get("customers").headers["X-RateLimiting"].endswith(": 1/3")
    assert api.get(f"{P}/Projects").headers["X-RateLimiting"].endswith(": 2/3")
    assert api.get("q2capi/v5.3.0/invoices/drafts").headers["X-RateLimiting"].endswith(": 3/3")
    over = api.get(f"{P}/Projects")
    _problem(over, 429, "TooManyRequests")
    assert int(over.headers["Retry-After"]) >= 1
    assert api.get("customers").status_code == 429


def test_injected_faults_and_the_request_log_cover_the_services(api):
    from apps.sandbox.economic.models import RequestLog

    knobs = knobs_get()
    knobs.fault_rate = 1.0
    knobs.save()
    failed = api.get(f"{P}/Projects")
    _problem(failed, 500, "InternalServerError")
    knobs.fault_rate = 0.0
    knobs.save()
    api.post(f"{P}/Projects", json=_project(), headers={**TOKENS, "Idempotency-Key": "log-1"})
    entries = list(RequestLog.objects.order_by("pk").values_list("method", "path", "http_status"))
    assert entries == [("GET", f"/sandbox/economic/{P}/Projects", 500),
                       ("POST", f"/sandbox/economic/{P}/Projects", 201)]  # fmt: skip
    assert "tidsbro-demo-agreement" not in "".join(
        RequestLog.objects.values_list("request_body", flat=True)
    )


# Time entries -------------------------------------------------------------------------------


def test_time_entries_are_refused_where_hours_cannot_be_recorded(api, office):
    Project.objects.filter(agreement=office, number=104).update(is_barred=True)
    from apps.sandbox.economic.models import Activity, Employee

    Activity.objects.filter(agreement=office, number=5).update(is_barred=True)
    Employee.objects.filter(agreement=office, number=3).update(barred=True)
    cases = [
        (_entry(projectNumber=104), "EntriesNotAllowedProjectIsBarred"),
        (_entry(projectNumber=106), "EntriesNotAllowedProjectIsClosed"),
        (_entry(projectNumber=999), "EntriesNotAllowedProjectNotFound"),
        (_entry(activityNumber=5), "CannotCreateUpdateActivityIsBarred"),
        (_entry(activityNumber=99), "CannotCreateUpdateActivityNotFound"),
        (_entry(employeeNumber=3), "EntriesNotAllowedEmployeeIsBarred"),
        (_entry(employeeNumber=99), "EntriesNotAllowedEmployeeNotFound"),
    ]
    for doc, code in cases:
        body = _problem(api.post(f"{P}/TimeEntries", json=doc), 400, code)
        assert body["errors"][0]["message"]
    missing = _problem(
        api.post(f"{P}/TimeEntries", json={"projectNumber": 102}), 400, "ValidationError"
    )
    assert {e["property"] for e in missing["errors"]} == {
        "activityNumber",
        "date",
        "employeeNumber",
    }
    assert TimeEntry.objects.filter(agreement=office).count() == 8


def test_an_approved_time_entry_cannot_be_changed_or_deleted(api, emitted):
    made = api.post(f"{P}/TimeEntries", json=_entry())
    assert made.status_code == 201
    number = made.json()["number"]
    entry = api.get(f"{P}/TimeEntries/{number}").json()
    _valid(_ref("TimeEntry"), entry)
    assert entry["numberOfHours"] == 3.5 and entry["date"] == "2026-11-30T00:00:00"
    assert "isApproved" not in entry  # a false boolean is left out
    edited = api.put(f"{P}/TimeEntries", json={**entry, "numberOfHours": 4})
    assert edited.status_code == 204
    entry = api.get(f"{P}/TimeEntries/{number}").json()
    assert api.post(f"{P}/TimeEntries/approve", json={"numbers": [number]}).status_code == 204
    approved = api.get(f"{P}/TimeEntries/{number}").json()
    assert approved["isApproved"] is True
    _problem(
        api.put(f"{P}/TimeEntries", json={**approved, "numberOfHours": 5}),
        400,
        "TimeEntryCannotBeUpdatedAlreadyApproved",
    )
    _problem(
        api.delete(f"{P}/TimeEntries/{number}"), 400, "TimeEntryCannotBeUpdatedAlreadyApproved"
    )
    _problem(
        api.post(f"{P}/TimeEntries/approve", json={"numbers": [number]}), 400, "TimeEntryIsApproved"
    )
    _problem(
        api.post(f"{P}/TimeEntries/approve", json={"numbers": [3, 4242]}),
        404,
        "TimeEntryCannotBeApprovedNotFound",
    )
    assert not TimeEntry.objects.get(number=3).is_approved  # all or nothing
    _problem(
        api.post(f"{P}/TimeEntries/approve", json={"numbers": []}),
        400,
        "TimeEntryNumberListCannotBeEmpty",
    )
    assert [e for e, _ in emitted] == [
        "TIMEENTRY_CREATED",
        "TIMEENTRY_UPDATED",
        "TIMEENTRY_APPROVED",
    ]


def test_an_open_time_entry_can_be_deleted(api, emitted):
    assert api.delete(f"{P}/TimeEntries/3").status_code == 204
    _problem(api.get(f"{P}/TimeEntries/3"), 404, "NotFound")
    assert emitted == [("TIMEENTRY_DELETED", {"TIMEENTRYNUMBER": 3})]


# Activities and employees ------------------------------------------------------------------


def test_activities_are_created_with_number_group_and_name_and_updated(api, emitted):
    _problem(api.post(f"{P}/Activities", json={"name": "Test"}), 400, "ValidationError")
    _problem(
        api.post(f"{P}/Activities", json={"number": 9, "groupNumber": 7, "name": "Test"}),
        400,
        "ActivityGroupNumberDoesNotExist",
    )
    _problem(
        api.post(f"{P}/Activities", json={"number": 1, "groupNumber": 1, "name": "Test"}),
        400,
        "ActivityNumberAlreadyExists",
    )
    made = api.post(f"{P}/Activities", json={"number": 9, "groupNumber": 1, "name": "Test"})
    assert made.json() == {"number": 9}
    activity = api.get(f"{P}/Activities/9").json()
    assert api.put(f"{P}/Activities", json={**activity, "isBarred": True}).status_code == 204
    assert api.get(f"{P}/Activities/9").json()["isBarred"] is True
    barred = api.get(f"{P}/Activities", params={"filter": "isBarred$eq:true"}).json()["items"]
    assert [a["number"] for a in barred] == [9]
    assert emitted == [
        ("ACTIVITY_CREATED", {"ACTIVITYNUMBER": 9}),
        ("ACTIVITY_UPDATED", {"ACTIVITYNUMBER": 9}),
    ]


def test_employees_are_read_created_and_updated(api, emitted):
    people = api.get(f"{P}/Employees").json()["items"]
    _valid(_ref("EmployeeCursorResults"), {"items": people})
    assert people[0] == {
        "number": 1,
        "groupNumber": 1,
        "name": "Mette Kjær",
        "phone": "+45 31 22 40 10",
        "email": "mette@tidsbro.dk",
        "objectVersion": people[0]["objectVersion"],
    }
    assert {"freja@tidsbro.no", "mads@tidsbro.no"} <= {p.get("email") for p in people}
    # x-filterable lists in/nin for e-mail: text lists work here, without regard to case
    listed = api.get(
        f"{P}/Employees", params={"filter": "email$in:[MADS@tidsbro.no,freja@tidsbro.no]"}
    ).json()["items"]
    assert sorted(p["email"] for p in listed) == ["freja@tidsbro.no", "mads@tidsbro.no"]
    rest = api.get(f"{P}/Employees/count", params={"filter": "email$nin:[mads@tidsbro.no]"})
    assert rest.json() == len(people) - 1
    made = api.post(f"{P}/Employees", json={"name": "Ny Kollega", "groupNumber": 1, "number": 50})
    assert made.json() == {"number": 50}
    _problem(
        api.post(f"{P}/Employees", json={"name": "X", "groupNumber": 9, "number": 51}),
        400,
        "EmployeeCannotBeCreatedUpdatedGroupNotFound",
    )
    one = api.get(f"{P}/Employees/50").json()
    assert api.put(f"{P}/Employees", json={**one, "isBarred": True}).status_code == 204
    assert api.get(f"{P}/project-employees/50").json()["isBarred"] is True
    assert [e for e, _ in emitted] == ["EMPLOYEE_CREATED", "EMPLOYEE_UPDATED"]


def test_every_read_matches_the_document(api):
    for path, name in [
        ("Projects", "Project"),
        ("ProjectGroups", "ProjectGroup"),
        ("ProjectStatuses", "ProjectStatus"),
        ("Activities", "Activity"),
        ("ActivityGroups", "ActivityGroup"),
        ("Employees", "Employee"),
        ("EmployeeGroups", "EmployeeGroup"),
        ("project-employees", "ProjectEmployee"),
        ("TimeEntries", "TimeEntry"),
    ]:
        page = api.get(f"{P}/{path}")
        assert page.status_code == 200, (path, page.text)
        _valid(_ref(f"{name}CursorResults"), page.json())
        assert page.json()["items"], path
        first = page.json()["items"][0]
        single = api.get(f"{P}/{path}/{first['number']}")
        assert single.json() == first
        _valid(_ref(name), single.json())
        assert isinstance(api.get(f"{P}/{path}/count").json(), int)


def test_dataset_sizes_bring_projects_activities_employees_and_hours(api):
    from django.core.management import call_command

    from apps.sandbox.economic.models import Agreement

    call_command("sandbox_economic_dataset", "S", stdout=io.StringIO())
    counts = {
        path: api.get(f"{P}/{path}/count").json()
        for path in ("Projects", "Activities", "Employees", "TimeEntries")
    }
    assert counts == {"Projects": 50, "Activities": 10, "Employees": 20, "TimeEntries": 250}
    approved = api.get(f"{P}/TimeEntries/count", params={"filter": "isApproved$eq:true"}).json()
    assert approved == 50
    _valid(_ref("ProjectCursorResults"), api.get(f"{P}/Projects").json())
    call_command("sandbox_economic_reset", stdout=io.StringIO())
    assert not Agreement.objects.exists() and not Project.objects.exists()
    assert not TimeEntry.objects.exists()


@pytest.mark.parametrize(
    ("path", "model_name"), [("ProjectGroups", "ProjectGroup"), ("ActivityGroups", "ActivityGroup")]
)
def test_a_group_is_created_once_under_its_number(api: Api, path: str, model_name: str):
    made = api.post(f"{P}/{path}", json={"number": 77, "name": "Tilbud", "type": 1})
    assert made.status_code == 201, made.text
    assert api.get(f"{P}/{path}/77").json()["name"] == "Tilbud"
    again = api.post(f"{P}/{path}", json={"number": 77, "name": "Igen", "type": 1})
    _problem(again, 400, f"{model_name}CannotBeCreatedUpdatedNumberAlreadyExists")
    assert api.get(f"{P}/{path}/77").json()["name"] == "Tilbud"
