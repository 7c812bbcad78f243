"""Every operation of the API, every field, the classes of input that made it answer 500.

tests/security/test_api_fuzz.py lets schemathesis draw random valid and invalid requests;
random drawing rarely lands on the ends of the calendar or a megabyte of text. This test is
aimed: schemathesis reads the OpenAPI schema and makes the requests (one `Case` per field and
hostile value), a base of sensible values keeps the rest of the body valid so each value
reaches as deep as it can, and the requests run in-process (no live server, one database
transaction). Hostile classes: dates and times at the ends of the calendar (year 1 with a
zone, year 9999), strings of a million characters, numbers no column holds, JSON nested
thousands of levels deep (as the body and inside each field), and unknown fields. Any 5xx
fails, naming the operation, the field and the value.
"""

import json
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.core.cache import cache
from rest_framework.test import APIClient
from schemathesis.core import NotSet

from tests.accounts.factories import UserFactory
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectMemberFactory
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db

DAY, MOMENT = "2026-11-16", "2026-11-16T08:00:00"
MEGA = "x" * 100_000  # past every limit and SQLite's 50,000-byte LIKE pattern
DEEP = 5_000


def _openapi() -> dict:
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


DOCUMENT = _openapi()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)


def _resolve(node: dict) -> dict:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = DOCUMENT["components"]["schemas"][name]
    if "allOf" in node:
        merged: dict = {}
        for part in node["allOf"]:
            merged.update(_resolve(part))
        return merged
    if "oneOf" in node or "anyOf" in node:
        options = [_resolve(o) for o in node.get("oneOf", node.get("anyOf")) if o]
        return next((o for o in options if o.get("type") != "null"), {})
    return node


def _hostile(prop: dict) -> list[Any]:
    """Values of the classes that failed, chosen by the field's type and format."""
    kind, fmt = prop.get("type"), prop.get("format")
    common = [MEGA, 2**64, -(2**63) - 1, [1] * 10_000, {"a": {"b": {"c": []}}}, None]
    if fmt == "date":
        return ["0001-01-01", "9999-12-31", "0000-00-00", "2026-02-30", *common]
    if fmt == "date-time":
        return [
            "0001-01-01T00:30:00",
            "0001-01-01T00:30:00+14:00",
            "9999-12-31T23:59:59",
            "9999-12-31T23:59:59-12:00",
            *common,
        ]
    if kind in ("integer", "number") or fmt == "decimal":
        return ["1e400", "NaN", "-Infinity", "9" * 5_000, 2**63, *common]
    return ["\x00", "🙂" * 10_000, "9" * 5_000, *common]


def _base_value(name: str, prop: dict, rows: dict) -> Any:
    if name in rows:
        return rows[name]
    kind, fmt = prop.get("type"), prop.get("format")
    if "enum" in prop:
        return next(v for v in prop["enum"] if v not in ("", None))
    if fmt == "date":
        return DAY
    if fmt == "date-time":
        return MOMENT
    if fmt == "email":
        return "kari@example.no"
    if fmt == "decimal" or kind == "number":
        return "1.5"
    return {"integer": 1, "boolean": True, "array": [1]}.get(kind, "Fjordlys")


@pytest.fixture
def office() -> dict:
    """A superuser with a token, and real rows the requests point at."""
    cache.clear()  # the token endpoint's attempt counter
    user = UserFactory(is_staff=True, is_superuser=True)
    member = ProjectMemberFactory(user=user)
    project = member.project
    task = TaskFactory(project=project, assignees=[user])
    entries = [TimeEntryFactory(user=user, project=project) for _ in range(2)]
    customer = CustomerFactory()
    return {
        "user": user,
        "path": {
            "time-entries": entries[0].pk,
            "projects": project.pk,
            "tasks": task.pk,
            "work-types": project.default_work_type_id,
            "customers": customer.pk,
        },
        "body": {
            "project": project.pk,
            "task": task.pk,
            "work_type": project.default_work_type_id,
            "default_work_type": project.default_work_type_id,
            "customer": customer.pk,
            "user": user.pk,
            "ids": [e.pk for e in entries],
        },
    }


def _cases(operation: Any, rows: dict) -> list[tuple[str, Any]]:
    """(label, schemathesis Case) for every hostile value of every field and parameter."""
    path_parameters = {}
    if "{id}" in operation.path:
        path_parameters["id"] = rows["path"].get(operation.path.split("/")[3], 1)
    raw = DOCUMENT["paths"][operation.path][operation.method.lower()]
    body_schema = raw.get("requestBody", {}).get("content", {}).get("application/json")
    cases: list[tuple[str, Any]] = []
    if body_schema:
        props = {
            k: _resolve(v) for k, v in _resolve(body_schema["schema"]).get("properties", {}).items()
        }
        base = {name: _base_value(name, prop, rows["body"]) for name, prop in props.items()}
        for name, prop in props.items():
            for value in [*_hostile(prop), "[" * DEEP]:
                body = {**base, name: value}
                case = operation.Case(
                    path_parameters=path_parameters, body=body, media_type="application/json"
                )
                cases.append((f"{name}={str(value)[:30]!r}", case))
        cases.append(
            (
                "unknown field",
                operation.Case(
                    path_parameters=path_parameters,
                    body={**base, "nmae": "x"},
                    media_type="application/json",
                ),
            )
        )
    for parameter in raw.get("parameters", []):
        if parameter["in"] != "query":
            continue
        prop = _resolve(parameter.get("schema", {}))
        for value in _hostile(prop):
            if isinstance(value, (dict, list)) or value is None:
                continue
            case = operation.Case(path_parameters=path_parameters, query={parameter["name"]: value})
            cases.append((f"?{parameter['name']}={str(value)[:30]!r}", case))
    return cases


def _send(client: APIClient, case: Any, *, raw_body: str | None = None) -> int:
    kwargs: dict[str, Any] = {}
    if raw_body is not None:
        kwargs = {"data": raw_body, "content_type": "application/json"}
    elif not isinstance(case.body, NotSet):
        kwargs = {"data": json.dumps(case.body), "content_type": "application/json"}
    url = case.formatted_path
    if case.query:
        url += "?" + urlencode(case.query)
    return client.generic(case.method, url, **kwargs).status_code


def test_no_hostile_value_in_any_field_makes_the_api_fail(office):
    client = APIClient()
    client.force_authenticate(office["user"])
    operations = [result.ok() for result in SCHEMA.get_all_operations()]
    assert len(operations) >= 25
    sent, failures = 0, []
    for operation in operations:
        for label, case in _cases(operation, office):
            status = _send(client, case)
            sent += 1
            if status >= 500:
                failures.append(f"{operation.method} {operation.path} {label}: {status}")
        # The whole body nested thousands of levels deep (json.dumps could not even write it).
        if operation.method.upper() in ("POST", "PUT", "PATCH"):
            case = operation.Case(path_parameters={"id": 1} if "{id}" in operation.path else {})
            status = _send(client, case, raw_body="[" * DEEP + "]" * DEEP)
            sent += 1
            if status >= 500:
                failures.append(f"{operation.method} {operation.path} deep body: {status}")
    assert not failures, failures
    assert sent > 500


def test_the_token_endpoint_survives_hostile_bodies_without_logging_in():
    cache.clear()
    client = APIClient()
    for body in ["[" * DEEP + "]" * DEEP, json.dumps({"email": MEGA, "password": MEGA})]:
        response = client.post("/api/v1/auth/token/", data=body, content_type="application/json")
        assert response.status_code < 500
