"""/api/v1/tasks/: the tasks of the projects, read-only."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from apps.core.api.base import ApiViewMixin
from apps.core.api.permissions import ModelPermissions
from apps.tasks.api.serializers import TaskFilterSerializer, TaskOutputSerializer
from apps.tasks.models import Task
from apps.tasks.selectors import task_list


@extend_schema_view(list=extend_schema(parameters=[TaskFilterSerializer]))
class TaskViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ModelPermissions]
    permission_model = Task
    serializer_class = TaskOutputSerializer

    def get_queryset(self) -> QuerySet[Task]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Task.objects.none()
        if self.action != "list":
            return task_list(user=self.request.user)
        filters = TaskFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return task_list(
            user=self.request.user,
            project_id=filters.validated_data.get("project"),
            assigned_to_me=filters.validated_data["assigned_to_me"],
        )
