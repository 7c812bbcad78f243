"""Projects (`/api/biz/projects`) and their tasks (`/api/biz/projecttasks`) in Unimicro.

Tidsbro is the master. A project is POSTed with its number (`ProjectNumber`; none → Unimicro's
next, which comes back), name, customer (`ProjectCustomerID`, the customer's Unimicro ID: the
outbox makes the project wait until its customer has its partner) and status: active ↔
Ongoing (42203; Registered and Offer phase count as active too), archived ↔ Archived 42205
(Completed 42204 counts as archived and is kept as it is). An edit is a partial PUT of what
changed. Tasks are ProjectTasks of their project (`ProjectID`), created, changed and removed
one by one. Nothing else is ever deleted.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from django.utils.translation import gettext

from apps.integrations.connectors.base import Entity, Rejected
from apps.integrations.connectors.unimicro import mappers
from apps.integrations.connectors.unimicro.rules import quoted
from apps.integrations.sync.types import RemoteRecord
from apps.integrations.sync.unsure import hold_back_unsure_creates

PROJECT = Entity.PROJECT.value
TASK = Entity.TASK.value
PLURALS = {PROJECT: "projects", TASK: "projecttasks"}


def _plural(entity: str) -> str:
    try:
        return PLURALS[entity]
    except KeyError:
        raise Rejected(
            gettext("This part of the Unimicro connector keeps projects and tasks only."),
            operation=entity,
        ) from None


def _from_remote(entity: str, document: dict[str, Any]) -> dict[str, Any]:
    if entity == PROJECT:
        return mappers.project_from_remote(document)
    return mappers.task_from_remote(document)


def _record(entity: str):
    def make(document: dict[str, Any]) -> RemoteRecord | None:
        external_id = mappers.record_id(document)
        if not external_id:
            return None
        return RemoteRecord(
            external_id=external_id,
            values=_from_remote(entity, document),
            changed_at=mappers.changed_at(document),
            deleted=document.get("Deleted") is True,
        )

    return make


# PULL
# ------------------------------------------------------------------------------
def fetch(conn: Any, entity: str, *, since: datetime | str | None) -> Iterator[list[RemoteRecord]]:
    for page in conn.pull(entity, _plural(entity), since=since, to_record=_record(entity)):
        yield hold_back_own_creates(conn, entity, page)


def hold_back_own_creates(
    conn: Any, entity: str, records: Sequence[RemoteRecord]
) -> list[RemoteRecord]:
    """`records` less the projects (tasks) a create of ours whose answer was lost may have
    made (an outbox item "outcome unknown" for a Tidsbro project of the same name and
    customer — task: project and name — no binding yet): the retried create pairs it
    (`find`) instead of the pull importing it as a second Tidsbro project. One query when
    no create is unsure."""
    fingerprint = mappers.project_fingerprint if entity == PROJECT else mappers.task_fingerprint
    return hold_back_unsure_creates(conn.connection, entity, records, fingerprint)


def fetch_ids(conn: Any, entity: str) -> set[str]:
    return conn.ids(_plural(entity))


def fetch_one(conn: Any, entity: str, external_id: str) -> RemoteRecord | None:
    document = conn.read(_plural(entity), external_id)
    return _record(entity)(document) if document is not None else None


# PUSH
# ------------------------------------------------------------------------------
def find(conn: Any, entity: str, values: dict[str, Any]) -> str | None:
    """What an unsure create made: the project under the number it asked for (or of the same
    name and customer), the task of the same name in its project."""
    plural = _plural(entity)
    if entity == PROJECT:
        number = mappers._int(values.get("number"))
        if number is not None:
            query = f"ProjectNumber eq {quoted(number)}"
        else:
            query = f"Name eq {quoted(mappers.text(values.get('name')))}"
            customer = mappers._int(values.get("customer"))
            if customer:
                query += f" and ProjectCustomerID eq {customer}"
    else:
        project = mappers._int(values.get("project"))
        if not project:
            return None
        query = f"ProjectID eq {project} and Name eq {quoted(mappers.text(values.get('name')))}"
    found = [d for d in conn.client.list(plural, filter=query) if d.get("Deleted") is not True]
    if not found:
        return None
    return mappers.record_id(max(found, key=lambda d: d.get("ID") or 0))


def found_values(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict:
    if entity != PROJECT:
        return {}
    document = conn.read(_plural(entity), external_id)
    number = mappers.project_from_remote(document or {})["number"]
    return {"number": number} if number is not None else {}


def _check_project(values: dict[str, Any]) -> None:
    if not mappers.text(values.get("name")):
        raise Rejected(gettext("Unimicro needs a name for the project."), operation="project")


def create(
    conn: Any, entity: str, values: dict[str, Any], *, key: str = ""
) -> tuple[str, dict[str, Any]]:
    plural = _plural(entity)
    seed = key or repr(sorted(values.items()))
    if entity == PROJECT:
        _check_project(values)
        body = mappers.project_to_remote(values, None, seed=seed)
        document, found = conn.create_or_find(entity, plural, body, values)
        if document is None:
            return found, found_values(conn, entity, found, values)
        number = mappers.project_from_remote(document)["number"]
        return mappers.record_id(document), ({"number": number} if number is not None else {})
    if not mappers._int(values.get("project")):
        raise Rejected(
            gettext("A task goes to Unimicro only inside its project."), operation="create task"
        )
    body = mappers.task_to_remote(values, None, seed=seed)
    document, found = conn.create_or_find(entity, plural, body, values)
    return (mappers.record_id(document), {}) if document is not None else (found, {})


def update(conn: Any, entity: str, external_id: str, values: dict[str, Any]) -> dict:
    plural = _plural(entity)
    current = conn.current(plural, external_id)
    if entity == PROJECT:
        body = mappers.project_to_remote(values, current)
    else:
        body = mappers.task_to_remote(values, current)
    if len(body) > 1:  # more than the ID: something changed
        conn.client.update(plural, int(external_id), body)
    return {}


def delete(conn: Any, entity: str, external_id: str) -> None:
    if entity == TASK:
        conn.client.delete(PLURALS[TASK], int(external_id))
        return
    raise Rejected(
        gettext(
            "Projects are never deleted in Unimicro from Tidsbro; archive the project and it is "
            "archived there."
        ),
        operation="delete project",
    )
