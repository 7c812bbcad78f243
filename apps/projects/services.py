"""Writes to projects and their members. The project number is only ever set by the ERP."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.exceptions import ApplicationError
from apps.core.hooks import local_change, names_changed
from apps.core.services import model_update
from apps.projects.models import Project, ProjectMember, ProjectRole
from apps.projects.selectors import user_grants_memberships_everywhere

EDITABLE_FIELDS = [
    "name",
    "customer",
    "status",
    "start_date",
    "end_date",
    "description",
    "default_work_type",
    "needs_approval",
]


def project_create(*, data: dict[str, Any]) -> Project:
    """Creates a project; it shows "number pending" until the ERP assigns a number."""
    project = Project()
    model_update(instance=project, data=data, fields=EDITABLE_FIELDS)
    project.full_clean()
    with transaction.atomic():
        project.save()
        local_change("project", project.pk, "created")
    return project


def project_update(*, project: Project, data: dict[str, Any]) -> Project:
    """Changes a project's fields (not its number)."""
    changed = model_update(instance=project, data=data, fields=EDITABLE_FIELDS)
    if changed:
        project.full_clean()
        with transaction.atomic():
            project.save(update_fields=[*changed, "updated_at"])
            local_change("project", project.pk, "changed")
    return project


def project_archive(*, project: Project) -> Project:
    """Archives a project: no more hours can be registered on it."""
    return project_update(project=project, data={"status": Project.Status.ARCHIVED})


def project_activate(*, project: Project) -> Project:
    """Makes an archived project active again."""
    return project_update(project=project, data={"status": Project.Status.ACTIVE})


def project_assign_number(*, project: Project, number: int) -> Project:
    """Stores the number the ERP gave the project."""
    taken = ApplicationError(
        _("Project number %(number)s is already used by another project.") % {"number": number},
        field="number",
    )
    if Project.objects.filter(number=number).exclude(pk=project.pk).exists():
        raise taken
    previous, project.number = project.number, number
    try:
        with transaction.atomic():
            project.save(update_fields=["number", "updated_at"])
    except IntegrityError as exc:  # another worker stored the same number after our check
        project.number = previous
        raise taken from exc
    return project


def _role_rank(role: ProjectRole | None) -> int:
    """What a project role may do, as a number: approving hours ranks above not approving."""
    return 1 if role is not None and role.can_approve else 0


def project_member_grant_check(
    *,
    actor: User,
    project: Project,
    role: ProjectRole | None,
    permission: str,
    previous_role: ProjectRole | None = None,
    founding: bool = False,
) -> None:
    """Raises ApplicationError unless `actor` may give `role` on `project` (no writes).

    Administrators may everywhere. A project manager only on a project he manages, in a role
    no higher than his own there; `previous_role` (the member's role before a change or
    removal) may not be above his either. `founding`: the caller vouches that the actor
    created the project in this same request (the admin's add page) and is staffing it.
    """
    if not actor.is_active or not actor.has_perm(f"projects.{permission}_projectmember"):
        raise ApplicationError(_("You may not change who is on projects."), field="project")
    if user_grants_memberships_everywhere(user=actor):
        return
    if founding and actor.has_perm("projects.add_project"):
        return
    own = ProjectMember.objects.filter(project=project, user=actor).select_related("role").first()
    own_rank = _role_rank(own.role) if own else -1
    if own is None or own_rank < 1:
        raise ApplicationError(
            _("You may only change the members of projects you manage."),
            field="project",
        )
    if max(_role_rank(role), _role_rank(previous_role)) > own_rank:
        raise ApplicationError(
            _("You may not give a project role above your own on this project."),
            field="role",
        )


def project_member_set(
    *,
    project: Project,
    user: User,
    role: ProjectRole | None = None,
    actor: User | None = None,
    founding: bool = False,
) -> ProjectMember:
    """Adds a person to a project, or changes their project role if they are already on it.

    `actor` is the person doing it, checked by `project_member_grant_check`; the admin and
    the API always pass it. None is the system itself (the ERP sync, demo data).
    """
    existing = ProjectMember.objects.filter(project=project, user=user).select_related("role")
    current = existing.first()
    if actor is not None:
        project_member_grant_check(
            actor=actor,
            project=project,
            role=role,
            permission="change" if current else "add",
            previous_role=current.role if current else None,
            founding=founding,
        )
    try:
        with transaction.atomic():
            member, created = ProjectMember.objects.get_or_create(
                project=project, user=user, defaults={"role": role}
            )
            if not created and member.role_id != (role.pk if role else None):
                member.role = role
                member.save(update_fields=["role"])
    except IntegrityError as exc:  # a concurrent add of the same person
        raise ApplicationError(_("This person is already a member of the project.")) from exc
    return member


def project_member_remove(*, project: Project, user: User, actor: User | None = None) -> None:
    """Takes a person off a project and off its tasks (their registered hours stay).

    `actor` as for `project_member_set`: a project manager may not remove someone whose
    project role is above his own.
    """
    if actor is not None:
        current = ProjectMember.objects.filter(project=project, user=user).select_related("role")
        member = current.first()
        project_member_grant_check(
            actor=actor,
            project=project,
            role=None,
            permission="delete",
            previous_role=member.role if member else None,
        )
    with transaction.atomic():
        ProjectMember.objects.filter(project=project, user=user).delete()
        for task in project.tasks.filter(assignees=user):
            task.assignees.remove(user)


def project_role_create(*, name: str, can_approve: bool = False) -> ProjectRole:
    """Creates a project role."""
    role = ProjectRole(name=name, can_approve=can_approve)
    role.full_clean()
    with transaction.atomic():
        role.save()
    return role


def project_role_update(*, role: ProjectRole, data: dict[str, Any]) -> ProjectRole:
    """Renames a project role or changes whether it approves hours."""
    changed = model_update(instance=role, data=data, fields=["name", "can_approve"])
    if changed:
        role.full_clean()
        with transaction.atomic():
            role.save(update_fields=changed)
    return role


def project_role_delete(*, role: ProjectRole) -> None:
    """Deletes a project role nobody has on any project."""
    if role.members.exists():
        raise ApplicationError(_("People have this role on projects, so it cannot be deleted."))
    role.delete()


# BULK WRITES FROM THE ERP (the sync engine's project adapter)
# ------------------------------------------------------------------------------
# Foreign keys arrive as ids the adapter resolved through bindings; `number` is the ERP's.
ERP_FIELDS = [
    "name",
    "number",
    "customer_id",
    "status",
    "start_date",
    "end_date",
    "description",
    "default_work_type_id",
    "needs_approval",
]


def _erp_clean_projects(projects: list[Project]) -> None:
    """Validates a batch without a query per project: field checks here, numbers at once."""
    from django.core.exceptions import ValidationError

    for project in projects:
        # Foreign keys come from bindings (they exist); constraints are checked below.
        project.full_clean(
            exclude=["customer", "default_work_type"],
            validate_unique=False,
            validate_constraints=False,
        )
        if project.start_date and project.end_date and project.end_date < project.start_date:
            raise ValidationError(
                _("%(project)s: the end date cannot be before the start date.")
                % {"project": project.name}
            )
    numbers = [p.number for p in projects if p.number is not None]
    if len(numbers) != len(set(numbers)):
        raise ApplicationError(_("The ERP sent the same project number twice."), field="number")
    taken = sorted(
        Project.objects.filter(number__in=numbers)
        .exclude(pk__in=[p.pk for p in projects if p.pk])
        .values_list("number", flat=True)
    )
    if taken:
        raise ApplicationError(
            _("Project numbers %(numbers)s from the ERP are already used by other projects here.")
            % {"numbers": ", ".join(str(n) for n in taken)},
            field="number",
        )


def projects_create_from_erp(*, rows: list[dict[str, Any]]) -> list[Project]:
    """Creates projects fetched from the ERP in bulk (validated, one INSERT), in order."""
    projects = []
    for data in rows:
        project = Project()
        model_update(instance=project, data=data, fields=ERP_FIELDS)
        projects.append(project)
    _erp_clean_projects(projects)
    with transaction.atomic():
        return Project.objects.bulk_create(projects)


def projects_update_from_erp(*, changes: list[tuple[Project, dict[str, Any]]]) -> list[Project]:
    """Applies ERP values to projects in bulk (validated, one UPDATE); returns the changed."""
    from django.utils import timezone

    changed: list[Project] = []
    renamed: list[Project] = []
    fields: set[str] = set()
    for project, data in changes:
        names = model_update(instance=project, data=data, fields=ERP_FIELDS)
        if names:
            changed.append(project)
            fields.update(names)
        if "name" in names:
            renamed.append(project)
    if not changed:
        return []
    _erp_clean_projects(changed)
    now = timezone.now()
    for project in changed:
        project.updated_at = now
    with transaction.atomic():
        Project.objects.bulk_update(changed, [*sorted(fields), "updated_at"])
        names_changed("project", [p.pk for p in renamed])
    return changed


def projects_archive_from_erp(*, projects: list[Project]) -> int:
    """Archives projects the ERP no longer has (never deletes them); returns how many."""
    from django.utils import timezone

    ids = [p.pk for p in projects if p.status != Project.Status.ARCHIVED]
    for project in projects:
        project.status = Project.Status.ARCHIVED
    if not ids:
        return 0
    with transaction.atomic():
        return Project.objects.filter(pk__in=ids).update(
            status=Project.Status.ARCHIVED, updated_at=timezone.now()
        )


def project_roles_ensure(*, names: list[str]) -> dict[str, ProjectRole]:
    """The project roles with these names, creating the missing ones; keyed by name."""
    wanted = sorted({n.strip()[:100] for n in names if n and n.strip()})
    roles = {r.name: r for r in ProjectRole.objects.filter(name__in=wanted)}
    missing = [ProjectRole(name=n) for n in wanted if n not in roles]
    if missing:
        with transaction.atomic():
            ProjectRole.objects.bulk_create(missing, ignore_conflicts=True)
        roles = {r.name: r for r in ProjectRole.objects.filter(name__in=wanted)}
    return roles
