"""Tasks: pulled with their assignees, pushed into the ERP project.

`project` is the project's remote id and `assignees` the remote ids of its users (canonical);
locally a project foreign key and users, translated through the project and user bindings per
batch. Remote users no Tidsbro user is mapped to are kept from the last sync, so a push never
takes people off a task in the ERP only because Tidsbro does not know them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from apps.integrations import bindings, entities
from apps.integrations.bindings import local_ids, snapshots
from apps.integrations.bindings import remote_ids as external_ids
from apps.tasks.models import Task


def mapped_users(connection: Any) -> dict[str, int]:
    """Remote user id → Tidsbro user id of every mapped user (one query)."""
    return bindings.all_local_ids(connection, "user")


class TaskAdapter:
    entity = "task"
    fields = entities.fields("task")
    merge_on_push = True

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, Task]:
        return Task.objects.in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[Task]) -> dict[int, dict[str, Any]]:
        projects = external_ids(connection, "project", (t.project_id for t in objs))
        contacts = mapped_users(connection)
        contact_of = {user_id: contact for contact, user_id in contacts.items()}
        assigned: dict[int, set[str]] = {t.pk: set() for t in objs}
        through = Task.assignees.through
        for task_id, user_id in through.objects.filter(task_id__in=list(assigned)).values_list(
            "task_id", "user_id"
        ):
            if user_id in contact_of:
                assigned[task_id].add(contact_of[user_id])
        bases = snapshots(connection, self.entity, [t.pk for t in objs])
        result = {}
        for t in objs:
            # People Tidsbro cannot know stay as the ERP had them.
            unknown = {c for c in bases.get(t.pk, {}).get("assignees") or () if c not in contacts}
            result[t.pk] = {
                "project": projects.get(t.project_id),
                "name": entities.text(t.name),
                "description": entities.text(t.description),
                "start_date": _iso(t.start_date),
                "end_date": _iso(t.end_date),
                "priority": int(t.priority),
                "estimate_hours": entities.money(t.estimate_hours),
                "assignees": entities.id_list(assigned[t.pk] | unknown),
            }
        return result

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[Task]:
        from apps.tasks.services import tasks_create_from_erp

        translate, users_of = _translator(connection, rows)
        return tasks_create_from_erp(
            rows=[translate(r) for r in rows],
            assignees=[users_of(r.get("assignees")) for r in rows],
        )

    def update_many(self, connection: Any, changes: Sequence[tuple[Task, dict[str, Any]]]) -> None:
        from apps.tasks.services import tasks_update_from_erp

        translate, users_of = _translator(connection, [d for _t, d in changes])
        tasks_update_from_erp(
            changes=[(t, translate(d)) for t, d in changes],
            assignees={t.pk: users_of(d["assignees"]) for t, d in changes if "assignees" in d},
        )

    def mark_deleted(self, connection: Any, objs: Sequence[Task]) -> None:
        return None  # tasks have no inactive state; the binding shows "missing in the ERP"

    def after_push(self, connection: Any, obj: Task, assigned: dict[str, Any]) -> None:
        return None

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        bound_projects = bindings.with_binding(connection, "project")
        return list(
            bindings.unbound(connection, self.entity, Task.objects)
            .filter(project_id__in=bound_projects)
            .values_list("pk", flat=True)
        )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _translator(connection: Any, rows: Sequence[dict[str, Any]]):
    projects = local_ids(connection, "project", (r.get("project") for r in rows))
    contacts = mapped_users(connection)

    def translate(values: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in values.items():
            if name == "project":
                data["project_id"] = projects.get(str(value)) if value else None
            elif name in ("start_date", "end_date"):
                data[name] = dt.date.fromisoformat(value) if value else None
            elif name == "estimate_hours":
                data[name] = Decimal(value) if value not in (None, "") else None
            elif name in ("name", "description"):
                data[name] = value or ""
            elif name == "priority":
                data[name] = int(value or Task.Priority.NORMAL)
        return data

    def users_of(assignees: Any) -> list[int]:
        return sorted({contacts[str(c)] for c in assignees or () if str(c) in contacts})

    return translate, users_of


ADAPTER = TaskAdapter()
