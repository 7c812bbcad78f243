"""The client of e-conomic's OpenAPI services: its pure parts (problem+json, cursor pages,
bodies, where it connects, the shared budget)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apps.integrations.connectors.base import Rejected, Unavailable
from apps.integrations.connectors.economic import apis
from apps.integrations.connectors.economic.apis import (
    PROJECTS,
    EconomicApis,
    ModuleMissing,
    StaleVersion,
    apis_for,
    problem_code,
    problem_messages,
)
from apps.integrations.connectors.economic.client import EconomicClient


# PROBLEM+JSON
# ------------------------------------------------------------------------------
def test_problem_entries_name_property_message_and_code():
    body = {
        "type": "https://apis.e-conomic.com/problems/validation",
        "title": "Validation error",
        "status": 400,
        "errors": [
            {
                "message": "Project group does not exist.",
                "errorCode": "ProjectGroupNotFound",
                "property": "projectGroupNumber",
            },
            {"message": "Name is too long.", "property": "name"},
        ],
        "errorCode": "ValidationError",
    }
    assert problem_messages(body) == (
        "projectGroupNumber: Project group does not exist. (ProjectGroupNotFound)",
        "name: Name is too long.",
    )
    assert problem_code(body) == "ValidationError"


def test_problem_without_entries_gives_detail_or_title_with_its_code():
    assert problem_messages(
        {
            "title": "Forbidden",
            "detail": "The agreement lacks a module.",
            "errorCode": "AccessDeniedAgreementMissingModules",
        }
    ) == ("The agreement lacks a module. (AccessDeniedAgreementMissingModules)",)
    assert problem_messages({"title": "Not Found", "status": 404}) == ("Not Found",)
    assert problem_messages("not json") == ()
    assert problem_code({"errors": [{"errorCode": "UpdateConflict"}]}) == "UpdateConflict"


def test_the_documented_409_body_reads_too():
    body = {
        "message": "Update conflict. Version does not match.",
        "developerHint": "The resource has been updated by another user.",
        "property": "version",
    }
    assert problem_messages(body) == ("version: Update conflict. Version does not match.",)


def test_stale_version_and_module_missing_are_refusals():
    assert issubclass(StaleVersion, Rejected) and issubclass(ModuleMissing, Rejected)


# CURSOR PAGES AND BODIES
# ------------------------------------------------------------------------------
def test_cursor_page_reads_items_and_next_cursor():
    assert apis._page("GET /x", {"items": [{"number": 1}], "cursor": "abc"}) == (
        [{"number": 1}],
        "abc",
    )
    assert apis._page("GET /x", {"items": []}) == ([], "")
    assert apis._page("GET /x", {"items": None, "cursor": None}) == ([], "")


@pytest.mark.parametrize(
    "data", [[], {"items": {"a": 1}}, {"items": [1, 2]}, {"items": [], "cursor": {"x": 1}}]
)
def test_a_page_of_another_shape_is_unavailable(data):
    with pytest.raises(Unavailable):
        apis._page("GET /x", data)


def test_nulls_are_left_out_of_bodies():
    assert apis._body({"a": 1, "b": None, "c": {"d": None, "e": [{"f": None, "g": 2}]}}) == {
        "a": 1,
        "c": {"e": [{"g": 2}]},
    }


def test_paths_are_under_a_known_service():
    assert apis._path(PROJECTS, "/Projects/42") == "projectsapi/v1.1.0/Projects/42"
    with pytest.raises(ValueError):
        apis._path("customersapi/v3.1.0", "Customers")


# WHERE IT CONNECTS, AND ITS BUDGET
# ------------------------------------------------------------------------------
def _connection(grant: str = "grant-token-1") -> SimpleNamespace:
    return SimpleNamespace(credentials_doc={"agreement_grant_token": grant}, pk=1)


def test_services_live_under_the_classic_base_when_no_apis_base_is_set(settings):
    settings.ECONOMIC_APIS_BASE = ""
    settings.ECONOMIC_API_BASE = "http://127.0.0.1:9/sandbox/economic"
    client = apis_for(_connection())
    try:
        assert client.base_url == "http://127.0.0.1:9/sandbox/economic"
    finally:
        client.close()
    client = apis_for(_connection(), base_url="http://127.0.0.1:8/other")
    try:
        assert client.base_url == "http://127.0.0.1:8/other"
    finally:
        client.close()


def test_services_live_at_the_apis_base_in_production(settings):
    settings.ECONOMIC_APIS_BASE = "https://apis.e-conomic.com"
    client = apis_for(_connection(), base_url="https://restapi.e-conomic.com")
    try:
        assert client.base_url == "https://apis.e-conomic.com"
    finally:
        client.close()


def test_both_surfaces_spend_one_budget():
    classic = EconomicClient(agreement_grant_token="grant-token-1", base_url="http://127.0.0.1:9")
    services = EconomicApis(agreement_grant_token="grant-token-1", base_url="http://127.0.0.1:9")
    try:
        assert classic.budget.key == services.budget.key  # type: ignore[attr-defined]
        assert "grant-token-1" not in services.budget.key  # type: ignore[attr-defined]
    finally:
        classic.close()
        services.close()


def test_tokens_never_show_in_the_client_repr():
    services = EconomicApis(agreement_grant_token="grant-token-1", base_url="http://127.0.0.1:9")
    try:
        assert "grant-token-1" not in repr(services)
    finally:
        services.close()


# ERROR MAPPING (the reply's status and body → the connector's errors)
# ------------------------------------------------------------------------------
def _judge(status: int, body: dict | None, *, write: bool = False):
    import json

    from requests.structures import CaseInsensitiveDict

    services = EconomicApis(agreement_grant_token="grant-token-1", base_url="http://127.0.0.1:9")
    try:
        raw = json.dumps(body).encode() if body is not None else b""
        return services._judge(
            status,
            CaseInsensitiveDict({"Content-Type": "application/problem+json"}),
            raw,
            "PUT /projectsapi/v1.1.0/Projects",
            write,
            expect=None,
            allow_nf=False,
        )
    finally:
        services.close()


def test_a_missing_module_is_its_own_refusal_not_lost_access():
    from apps.integrations.connectors.base import AuthFailed

    with pytest.raises(ModuleMissing) as caught:
        _judge(403, {"title": "Forbidden", "errorCode": "AccessDeniedAgreementMissingModules"})
    assert "AccessDeniedAgreementMissingModules" in caught.value.messages[0]
    with pytest.raises(AuthFailed):
        _judge(403, {"title": "Forbidden", "errorCode": "AccessDeniedMissingRole"})


def test_a_stale_object_version_is_stale_version():
    with pytest.raises(StaleVersion) as caught:
        _judge(409, {"title": "Conflict", "errorCode": "UpdateConflict"}, write=True)
    assert "HTTP 409" in str(caught.value)


def test_validation_problems_are_rejected_with_their_messages():
    with pytest.raises(Rejected) as caught:
        _judge(
            400,
            {"title": "Validation error", "errors": [{"message": "Required.", "property": "name"}]},
        )
    assert not isinstance(caught.value, StaleVersion | ModuleMissing)
    assert caught.value.messages == ("name: Required.",)


# OVER REAL HTTP: the client against the sandbox's Projects service (live_server)
# ------------------------------------------------------------------------------
@pytest.fixture
def live(live_server, transactional_db):
    from apps.integrations.connectors.http import HttpLimits, TokenBuckets
    from apps.sandbox.economic import seed

    seed.seed()
    made: list[EconomicApis] = []

    def connect(grant: str = seed.AGREEMENT_GRANT_TOKEN, **overrides: object) -> EconomicApis:
        options: dict[str, object] = {
            "agreement_grant_token": grant,
            "app_secret_token": seed.APP_SECRET_TOKEN,
            "base_url": f"{live_server.url}/sandbox/economic",
            "limits": HttpLimits(connect_timeout=2, read_timeout=10, deadline=20),
            "buckets": TokenBuckets(),
        }
        options.update(overrides)
        client = EconomicApis(**options)  # type: ignore[arg-type]
        made.append(client)
        return client

    yield connect
    for client in made:
        client.close()


def _knobs(**changes: object) -> None:
    from apps.sandbox.economic.models import Knobs
    from apps.sandbox.economic.runtime import knobs_get

    knobs_get()
    Knobs.objects.filter(pk=1).update(**changes)


def _new_project(services: EconomicApis, name: str, key: str) -> int:
    return services.create(PROJECTS, "Projects", {"name": name, "projectGroupNumber": 1}, key=key)


def test_cursor_paging_reads_every_item_once_and_stops(live):
    services = live()
    _knobs(cursor_page_size=2)
    numbers = [_new_project(services, f"Projekt {i}", f"key-{i}") for i in range(5)]
    before = services.requests
    pages = list(services.iter_pages(PROJECTS, "Projects"))
    seen = [doc["number"] for page in pages for doc in page]
    assert set(numbers) <= set(seen) and len(seen) == len(set(seen))
    assert all(len(page) <= 2 for page in pages)
    assert services.requests - before == len(pages) >= 3


def test_filter_and_count_agree(live):
    services = live()
    number = _new_project(services, "Tælleprojekt", "key-count")
    assert services.count(PROJECTS, "Projects", filter=f"number$eq:{number}") == 1
    found = [
        d
        for p in services.iter_pages(PROJECTS, "Projects", filter=f"number$eq:{number}")
        for d in p
    ]
    assert [d["name"] for d in found] == ["Tælleprojekt"]
    assert services.get(PROJECTS, "Projects/999999") is None


def test_a_repeated_create_with_the_same_key_makes_one_project(live):
    services = live()
    first = _new_project(services, "Én gang", "same-key")
    assert services.replayed is False
    again = _new_project(services, "Én gang", "same-key")
    assert again == first and services.replayed is True
    assert services.count(PROJECTS, "Projects", filter="name$eq:Én gang") == 1


def test_a_put_with_a_stale_object_version_is_stale_version(live):
    services = live()
    number = _new_project(services, "Versioneret", "key-version")
    doc = services.get(PROJECTS, f"Projects/{number}")
    services.replace(PROJECTS, "Projects", {**doc, "name": "Første ændring"})
    with pytest.raises(StaleVersion):
        services.replace(PROJECTS, "Projects", {**doc, "name": "Anden ændring"})
    assert services.get(PROJECTS, f"Projects/{number}")["name"] == "Første ændring"


def test_an_agreement_without_the_project_module_is_module_missing(live):
    from apps.sandbox.economic import seed

    services = live(grant=seed.SALES_GRANT_TOKEN)
    with pytest.raises(ModuleMissing) as caught:
        list(services.iter_pages(PROJECTS, "Projects"))
    assert "AccessDeniedAgreementMissingModules" in str(caught.value)


def test_a_refused_project_names_the_property(live):
    services = live()
    with pytest.raises(Rejected) as caught:
        services.create(PROJECTS, "Projects", {"name": "Uden gruppe"}, key="key-refused")
    assert not isinstance(caught.value, StaleVersion | ModuleMissing)
    assert any("projectGroupNumber" in m for m in caught.value.messages)


def test_the_services_spend_the_classic_api_budget(live, live_server):
    from apps.integrations.connectors.http import TokenBuckets
    from apps.sandbox.economic import seed

    buckets = TokenBuckets()
    services = live(buckets=buckets)
    classic = EconomicClient(
        agreement_grant_token=seed.AGREEMENT_GRANT_TOKEN,
        app_secret_token=seed.APP_SECRET_TOKEN,
        base_url=f"{live_server.url}/sandbox/economic",
        buckets=buckets,
    )
    try:
        classic.get_self()
        list(services.iter_pages(PROJECTS, "Employees"))
        used = buckets.usage(services.budget.key)  # type: ignore[attr-defined]
        assert used is not None and used[0] >= 2
    finally:
        classic.close()
