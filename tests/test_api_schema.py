from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.accounts.factories import employee


@pytest.mark.django_db
def test_schema_is_served_and_lists_the_time_entry_endpoints():
    client = APIClient()
    client.force_login(employee())

    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/time-entries/",
        "/api/v1/time-entries/{id}/",
        "/api/v1/time-entries/{id}/submit/",
        "/api/v1/time-entries/{id}/approve-user/",
        "/api/v1/time-entries/{id}/approve-project/",
        "/api/v1/time-entries/{id}/lock/",
        "/api/v1/time-entries/{id}/reject/",
        "/api/v1/time-entries/{id}/reopen/",
        "/api/v1/time-entries/bulk-transition/",
        "/api/v1/projects/",
        "/api/v1/projects/{id}/",
        "/api/v1/projects/{id}/archive/",
        "/api/v1/projects/{id}/activate/",
        "/api/v1/customers/",
        "/api/v1/customers/{id}/",
        "/api/v1/tasks/",
        "/api/v1/work-types/",
        "/api/v1/me/",
        "/api/v1/auth/token/",
    ]:
        assert path in paths
    assert {"get", "put", "patch"} <= set(paths["/api/v1/customers/{id}/"])
    assert "post" in paths["/api/v1/projects/"]
    listing = {p["name"] for p in paths["/api/v1/time-entries/"]["get"]["parameters"]}
    assert {"date_from", "date_to", "project", "status", "user", "page"} <= listing


@pytest.mark.django_db
def test_swagger_ui_is_served():
    client = APIClient()
    client.force_login(employee())

    response = client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    # Served from the installed sidecar, so the docs open on a machine without internet.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn.jsdelivr.net" not in page


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"

    # Raises SchemaGenerationError on any warning and SchemaValidationError on an invalid spec.
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(out), stderr=StringIO()
    )

    assert "/api/v1/time-entries/{id}/approve-project/:" in out.read_text()
