"""/api/v1/projects/: the projects a user may register time on, read-only."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from apps.core.api.base import ApiViewMixin
from apps.core.api.permissions import ModelPermissions
from apps.projects.api.serializers import ProjectFilterSerializer, ProjectOutputSerializer
from apps.projects.models import Project
from apps.projects.selectors import project_list


@extend_schema_view(list=extend_schema(parameters=[ProjectFilterSerializer]))
class ProjectViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ModelPermissions]
    permission_model = Project
    serializer_class = ProjectOutputSerializer

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
