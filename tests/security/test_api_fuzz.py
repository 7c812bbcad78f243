"""Fuzzes every operation of the OpenAPI schema against the live test server: no 500s.

schemathesis reads /api/schema/ from the running server, generates valid and invalid
requests for each operation (bounded: a few examples each, derandomized so CI repeats the
same ones) and calls them as an administrator with a token. Only server errors fail; 4xx
answers to nonsense are the API doing its job.
"""

import itertools
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from apps.accounts.services import api_token_create
from tests.accounts.factories import admin_user
from tests.customers.factories import CustomerFactory
from tests.projects.factories import ProjectMemberFactory
from tests.tasks.factories import TaskFactory
from tests.timesheets.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _openapi() -> dict:
    # The schema /api/schema/ serves, built the same way (drf-spectacular's generator). Built
    # at collection, as schemathesis needs it to make one test per operation; the lazy
    # `from_fixture` loader does not work with pytest 9 (it reads a removed `_nodeid`).
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document))


schema = schemathesis.openapi.from_dict(_openapi())


@pytest.fixture
def office(transactional_db) -> dict:
    """An administrator with a token, and real rows the generated requests are pointed at."""
    user = admin_user()
    member = ProjectMemberFactory(user=user)
    task = TaskFactory(project=member.project, assignees=[user])
    entries = [TimeEntryFactory(user=user, project=member.project) for _ in range(3)]
    return {
        "token": api_token_create(user=user, name="fuzz")[1],
        "time-entries": [e.pk for e in entries],
        "projects": [member.project_id],
        "customers": [member.project.customer_id or CustomerFactory().pk],
        "tasks": [task.pk],
        "work-types": [member.project.default_work_type_id],
        "tokens": [api_token_create(user=user, name="fuzz target")[0].pk],
        "project": member.project_id,
        "task": task.pk,
        "work_type": member.project.default_work_type_id,
        "ids": [e.pk for e in entries],
    }


_TURN = itertools.count()


def _aim_at_real_rows(case, rows: dict) -> None:
    """Every other case keeps its random ids (404s); the rest reach real rows."""
    if next(_TURN) % 2:
        return
    if case.path_parameters and "id" in case.path_parameters:
        collection = case.path.split("/")[3]
        if collection in rows:
            case.path_parameters["id"] = rows[collection][0]
    if isinstance(case.body, dict):
        for key in ("project", "task", "work_type", "ids"):
            if key in case.body:
                case.body[key] = rows[key]


def test_no_request_makes_the_api_fail(live_server, office):
    # One test for all operations (not schemathesis' one test per operation): the database is
    # emptied once, not after each of ~20 live-server tests.
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        valid = operation.as_strategy(GenerationMode.POSITIVE)
        invalid = operation.as_strategy(GenerationMode.NEGATIVE)

        @given(case=st.one_of(valid, invalid))
        @settings(
            max_examples=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            _aim_at_real_rows(case, office)
            case.call_and_validate(
                base_url=live_server.url,
                headers={"Authorization": f"Token {office['token']}"},
                checks=[not_a_server_error],
                timeout=10,
            )

        call()
