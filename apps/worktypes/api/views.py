"""/api/v1/work-types/: the kinds of work hours are registered as, read-only."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets

from apps.core.api.base import ApiViewMixin
from apps.core.api.permissions import ModelPermissions
from apps.worktypes.api.serializers import WorkTypeFilterSerializer, WorkTypeOutputSerializer
from apps.worktypes.models import WorkType
from apps.worktypes.selectors import work_type_list


@extend_schema_view(list=extend_schema(parameters=[WorkTypeFilterSerializer]))
class WorkTypeViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ModelPermissions]
    permission_model = WorkType
    serializer_class = WorkTypeOutputSerializer

    def get_queryset(self) -> QuerySet[WorkType]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return WorkType.objects.none()
        if self.action != "list":
            return work_type_list()
        filters = WorkTypeFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return work_type_list(active=filters.validated_data["active"])
