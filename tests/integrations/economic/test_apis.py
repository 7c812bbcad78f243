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
