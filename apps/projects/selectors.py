"""Reads of projects and memberships."""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.projects.models import Project, ProjectMember


def project_list(
    *, user: User, status: str | None = None, customer_id: int | None = None
) -> QuerySet[Project]:
    """Projects a user may see (everyone with the view permission sees every project)."""
    qs = Project.objects.select_related("customer", "default_work_type")
    if not user.has_perm("projects.view_project"):
        return qs.none()
    if status:
        qs = qs.filter(status=status)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs


def project_ids_approved_by(*, user: User) -> QuerySet:
    """Ids of the projects on which `user` has a role that approves hours."""
    return ProjectMember.objects.filter(user=user, role__can_approve=True).values("project_id")


def user_can_approve_project(*, user: User, project: Project) -> bool:
    """Admins approve on every project; others where their project role approves hours."""
    if user.is_superuser or (
        user.has_perm("timesheets.view_all_timeentry")
        and user.has_perm("timesheets.approve_project_timeentry")
    ):
        return True
    return (
        user.has_perm("timesheets.approve_project_timeentry")
        and ProjectMember.objects.filter(
            user=user, project=project, role__can_approve=True
        ).exists()
    )


# WHO MAY PUT PEOPLE ON A PROJECT
# ------------------------------------------------------------------------------
# Administrators put anyone on any project in any role. A project manager does so only on the
# projects he manages (where his own project role approves hours), and never in a role above
# his own there. apps/projects/services.py enforces it; the admin offers only what it allows.


def user_grants_memberships_everywhere(*, user: User) -> bool:
    """Administrators: who may change people's roles could give themselves any right anyway."""
    return user.is_active and (user.is_superuser or user.has_perm("accounts.change_user"))


def projects_with_members_managed_by(*, user: User) -> QuerySet[Project]:
    """Projects on which `user` may add, change and remove members."""
    if not user.has_perm("projects.add_projectmember"):
        return Project.objects.none()
    if user_grants_memberships_everywhere(user=user):
        return Project.objects.all()
    return Project.objects.filter(pk__in=project_ids_approved_by(user=user))
