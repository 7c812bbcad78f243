"""Project participants → project members with their role (by name), for mapped users only."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from apps.integrations import entities
from apps.integrations.bindings import local_ids
from apps.integrations.bindings import remote_ids as external_ids
from apps.projects.models import Project, ProjectMember


class ParticipantAdapter:
    entity = "participant"
    fields = entities.fields("participant")
    merge_on_push = True

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, ProjectMember]:
        return ProjectMember.objects.select_related("role").in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[ProjectMember]) -> dict[int, dict[str, Any]]:
        projects = external_ids(connection, "project", (m.project_id for m in objs))
        users = external_ids(connection, "user", (m.user_id for m in objs))
        return {
            m.pk: {
                "project": projects.get(m.project_id),
                "user": users.get(m.user_id),
                "role": m.role.name if m.role else None,
            }
            for m in objs
        }

    def create_many(
        self, connection: Any, rows: Sequence[dict[str, Any]]
    ) -> list[ProjectMember | None]:
        from apps.projects.services import project_member_set, project_roles_ensure

        projects = Project.objects.in_bulk(
            list(local_ids(connection, "project", (r.get("project") for r in rows)).values())
        )
        project_of = local_ids(connection, "project", (r.get("project") for r in rows))
        user_of = local_ids(connection, "user", (r.get("user") for r in rows))
        roles = project_roles_ensure(names=[r.get("role") or "" for r in rows])
        from apps.accounts.models import User

        users = User.objects.in_bulk(list(user_of.values()))
        result: list[ProjectMember | None] = []
        for row in rows:
            project = projects.get(project_of.get(str(row.get("project")), 0))
            user = users.get(user_of.get(str(row.get("user")), 0))
            if project is None or user is None:
                result.append(None)  # kept as "only in the ERP" until mapped
                continue
            result.append(
                project_member_set(
                    project=project, user=user, role=roles.get(row.get("role") or "")
                )
            )
        return result

    def update_many(
        self, connection: Any, changes: Sequence[tuple[ProjectMember, dict[str, Any]]]
    ) -> None:
        from apps.projects.services import project_member_set, project_roles_ensure

        roles = project_roles_ensure(names=[d.get("role") or "" for _m, d in changes])
        for member, data in changes:
            if "role" in data:
                project_member_set(
                    project=member.project, user=member.user, role=roles.get(data["role"] or "")
                )

    def mark_deleted(self, connection: Any, objs: Sequence[ProjectMember]) -> None:
        from apps.projects.services import project_member_remove

        # Taken off the project in the ERP: off it here too (their hours stay).
        for member in objs:
            project_member_remove(project=member.project, user=member.user)

    def after_push(self, connection: Any, obj: ProjectMember, assigned: dict[str, Any]) -> None:
        return None

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        return []  # members are added in the ERP (Tidsbro never pushes them)


ADAPTER = ParticipantAdapter()
