"""/api/v1/projects/: the projects, and creating, changing and archiving them.

Writes are the admin's: the same services, the same model permissions (add/change project),
and a line in the project's history.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.base import ApiViewMixin
from apps.core.api.permissions import ModelPermissions
from apps.projects.api.serializers import (
    ProjectFilterSerializer,
    ProjectInputSerializer,
    ProjectOutputSerializer,
)
from apps.projects.models import Project
from apps.projects.selectors import project_list
from apps.projects.services import project_activate, project_archive, project_create, project_update

# The admin's own "Added." history message (its JSON form, translated when shown).
ADDED = '[{"added": {}}]'


@extend_schema_view(list=extend_schema(parameters=[ProjectFilterSerializer]))
class ProjectViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ModelPermissions]
    permission_model = Project
    serializer_class = ProjectOutputSerializer
    action_permissions = {
        "archive": ["projects.view_project", "projects.change_project"],
        "activate": ["projects.view_project", "projects.change_project"],
    }

    def get_queryset(self) -> QuerySet[Project]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Project.objects.none()
        if self.action != "list":
            return project_list(user=self.request.user)
        filters = ProjectFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return project_list(
            user=self.request.user,
            status=filters.validated_data.get("status"),
            customer_id=filters.validated_data.get("customer"),
        )

    def _detail(self, project: Project, status_code: int = status.HTTP_200_OK) -> Response:
        shown = project_list(user=self.request.user).filter(pk=project.pk).first() or project
        return Response(ProjectOutputSerializer(shown).data, status=status_code)

    @extend_schema(
        request=ProjectInputSerializer,
        responses={201: ProjectOutputSerializer},
        description=gettext_lazy(
            'A new project shows "number pending" until the ERP has assigned its number.'
        ),
    )
    def create(self, request: Request) -> Response:
        serializer = ProjectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = project_create(data=dict(serializer.validated_data))
        audit.record(request.user, project, ADDED, flag=audit.ADDITION)
        return self._detail(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectInputSerializer, responses=ProjectOutputSerializer)
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=ProjectInputSerializer, responses=ProjectOutputSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        project = self.get_object()
        serializer = ProjectInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        before = {name: getattr(project, name) for name in serializer.validated_data}
        project = project_update(project=project, data=dict(serializer.validated_data))
        self._record_change(request, project, before)
        return self._detail(project)

    def _record_change(self, request: Request, project: Project, before: dict) -> None:
        changed = [name for name, value in before.items() if getattr(project, name) != value]
        if changed:
            audit.record(request.user, project, audit.changed_fields(Project, changed))

    @extend_schema(
        request=None,
        responses=ProjectOutputSerializer,
        summary=gettext_lazy("Archive a project: no more hours can be registered on it"),
    )
    @action(detail=True, methods=["post"])
    def archive(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        before = {"status": project.status}
        project = project_archive(project=project)
        self._record_change(request, project, before)
        return self._detail(project)

    @extend_schema(
        request=None,
        responses=ProjectOutputSerializer,
        summary=gettext_lazy("Make an archived project active again"),
    )
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        before = {"status": project.status}
        project = project_activate(project=project)
        self._record_change(request, project, before)
        return self._detail(project)
