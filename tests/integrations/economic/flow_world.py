"""An office connected to the e-conomic sandbox over real HTTP (live_server), for the
customer flows: pull, push, conflicts, reconciliation. Holds no tests itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from pytest_django.live_server_helper import LiveServer

from apps.integrations.connectors.economic.connector import EconomicConnector
from apps.integrations.models import Binding, Connection, OutboxItem, SyncRun
from apps.integrations.sync import outbox
from apps.integrations.sync.engine import reconcile_entity, sync_entity
from apps.sandbox.economic import seed as sandbox_seed
from apps.sandbox.economic.models import Agreement, Knobs, RequestLog
from apps.sandbox.economic.models import Customer as ErpCustomer
from apps.sandbox.economic.resources import now_to_second
from apps.sandbox.economic.runtime import knobs_get

DEFAULTS = {
    "agreement_number": sandbox_seed.AGREEMENT_NUMBER,
    "company_name": "Tidsbro Demo ApS",
    "user_name": "Demo Bruger",
    "customer_group": 1,
    "payment_terms": 2,
    "vat_zone": 1,
    "currency": "DKK",
    "layout": 19,
}


@dataclass
class World:
    url: str
    connection: Connection
    agreement: Agreement

    def connector(self) -> EconomicConnector:
        return EconomicConnector(self.connection)

    def pull(self, *, full: bool = False) -> SyncRun:
        run = sync_entity(
            connection=self.connection, entity="customer", trigger="manual", full=full
        )
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
        return run

    def reconcile(self) -> SyncRun:
        run = reconcile_entity(connection=self.connection, entity="customer", trigger="manual")
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
        return run

    def push(self) -> list[SyncRun]:
        """Pushes what waits now (backoffs included), as "sync now" does."""
        return outbox.push_runs(connection=self.connection, due_only=False)

    def erp_customer(self, number: int | str, **values: Any) -> ErpCustomer:
        """A customer made in e-conomic (its admin), stamped like e-conomic stamps a change."""
        fields = {
            "name": f"Kunde {number}",
            "currency": "DKK",
            "customer_group_number": 1,
            "payment_terms_number": 1,
            "vat_zone_number": 1,
        }
        fields.update(values)
        return ErpCustomer.objects.create(
            agreement=self.agreement,
            customer_number=int(number),
            last_updated=now_to_second(),
            **fields,
        )

    def erp_edit(self, number: int | str, **values: Any) -> ErpCustomer:
        """An edit in e-conomic: the values, and `lastUpdated` moves (a second later at least,
        so the change is after any cursor already taken)."""
        customer = ErpCustomer.objects.get(agreement=self.agreement, customer_number=int(number))
        for name, value in values.items():
            setattr(customer, name, value)
        customer.last_updated = max(now_to_second(), customer.last_updated + timedelta(seconds=1))
        customer.save()
        return customer

    def erp(self, number: int | str) -> ErpCustomer | None:
        return ErpCustomer.objects.filter(
            agreement=self.agreement, customer_number=int(number)
        ).first()

    def binding(self, *, local_id: int | None = None, external_id: str | None = None) -> Binding:
        found = Binding.objects.filter(connection=self.connection, entity="customer")
        if local_id is not None:
            found = found.filter(local_id=local_id)
        if external_id is not None:
            found = found.filter(external_id=str(external_id))
        return found.get()

    def outbox(self, local_id: int) -> OutboxItem:
        return OutboxItem.objects.filter(
            connection=self.connection, entity="customer", local_id=local_id
        ).latest("id")

    def knobs(self, **values: Any) -> Knobs:
        knobs = knobs_get()
        for name, value in values.items():
            setattr(knobs, name, value)
        knobs.save()
        return knobs

    def requests_since(self, moment) -> list[RequestLog]:
        return list(RequestLog.objects.filter(created_at__gte=moment).order_by("id"))


@pytest.fixture
def no_kick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued pushes wait for the test to drive them (no immediate push after commit)."""
    monkeypatch.setattr(outbox, "kick", lambda connection_id: None)


@pytest.fixture
def world(live_server: LiveServer, transactional_db: None, settings: Any) -> Iterator[World]:
    agreement = sandbox_seed.seed()
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_READ_TIMEOUT = 5.0
    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN},
        settings=dict(DEFAULTS),
        connected=["customer"],
        masters={"customer": "both"},
    )
    yield World(url=url, connection=connection, agreement=agreement)


def moment():
    return timezone.now()


# PROJECTS, ACTIVITIES, EMPLOYEES (an agreement with the Project module)
# ------------------------------------------------------------------------------
PROJECT_DEFAULTS = {
    **DEFAULTS,
    "project_module": True,
    "project_group": 1,
    "activity_group": 1,
    "integration_employee": 1,
}
PROJECT_TYPES = ("user", "customer", "work_type", "project")


@dataclass
class ProjectsWorld(World):
    """The same office, with e-conomic's Project module: employees, activities, projects."""

    def pull_type(self, entity: str, *, full: bool = False) -> SyncRun:
        run = sync_entity(connection=self.connection, entity=entity, trigger="manual", full=full)
        assert run.status == SyncRun.Status.SUCCEEDED, run.error_text
        return run

    def pull_all(self, *, full: bool = False) -> list[SyncRun]:
        """Every object type in the sync order, as a scheduled sync does."""
        return [self.pull_type(entity, full=full) for entity in PROJECT_TYPES]

    def erp_project(self, number: int, **values: Any) -> Any:
        from apps.sandbox.economic.models import Project as ErpProject
        from apps.sandbox.economic.openapi import next_version

        fields = {
            "name": f"Projekt {number}",
            "project_group_number": 1,
            "last_updated": now_to_second(),
        }
        fields.update(values)
        return ErpProject.objects.create(
            agreement=self.agreement, number=number, object_version=next_version(), **fields
        )

    def erp_project_edit(self, number: int, **values: Any) -> Any:
        """An edit in e-conomic's own screens: the values, a new object version, and
        `lastUpdated` a second later at least."""
        from apps.sandbox.economic.openapi import next_version

        project = self.erp_project_row(number)
        for name, value in values.items():
            setattr(project, name, value)
        project.object_version = next_version(project.object_version)
        project.last_updated = max(now_to_second(), project.last_updated + timedelta(seconds=1))
        project.save()
        return project

    def erp_project_row(self, number: int | str) -> Any:
        from apps.sandbox.economic.models import Project as ErpProject

        return ErpProject.objects.filter(agreement=self.agreement, number=int(number)).first()

    def erp_activity(self, number: int | str) -> Any:
        from apps.sandbox.economic.models import Activity

        return Activity.objects.filter(agreement=self.agreement, number=int(number)).first()

    def erp_activity_edit(self, number: int, **values: Any) -> Any:
        from apps.sandbox.economic.openapi import next_version

        activity = self.erp_activity(number)
        for name, value in values.items():
            setattr(activity, name, value)
        activity.object_version = next_version(activity.object_version)
        activity.save()
        return activity

    def bound(self, entity: str, *, local_id: int | None = None, external_id: Any = None):
        found = Binding.objects.filter(connection=self.connection, entity=entity)
        if local_id is not None:
            found = found.filter(local_id=local_id)
        if external_id is not None:
            found = found.filter(external_id=str(external_id))
        return found.get()

    def outbox_of(self, entity: str, local_id: int) -> OutboxItem:
        return OutboxItem.objects.filter(
            connection=self.connection, entity=entity, local_id=local_id
        ).latest("id")

    def requests_to(self, fragment: str, since: Any) -> list[RequestLog]:
        """The sandbox's log of requests whose path holds `fragment`, after `since`."""
        return [r for r in self.requests_since(since) if fragment in r.path]


@pytest.fixture
def world_projects(
    live_server: LiveServer, transactional_db: None, settings: Any
) -> Iterator[ProjectsWorld]:
    """An office connected to an agreement with the Project module: customers, employees
    (users), activities (work types) and projects kept in step; Tidsbro master of nothing
    but projects and work types shared ("both")."""
    agreement = sandbox_seed.seed()
    url = f"{live_server.url}/sandbox/economic"
    settings.ECONOMIC_API_BASE = url
    settings.ECONOMIC_READ_TIMEOUT = 5.0
    connection = Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN},
        settings=dict(PROJECT_DEFAULTS),
        connected=list(PROJECT_TYPES),
        masters={"customer": "both", "project": "both", "work_type": "both", "user": "erp"},
    )
    yield ProjectsWorld(url=url, connection=connection, agreement=agreement)
