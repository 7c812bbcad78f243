"""How tasks look in the API (read-only)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.api.fields import IdField
from apps.tasks.models import Task


class TaskFilterSerializer(serializers.Serializer):
    project = IdField(required=False, help_text=_("Only tasks of this project (id)."))
    assigned_to_me = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_("Only the tasks you are assigned to, i.e. may register time on."),
    )


@extend_schema_serializer(component_name="Task")
class TaskOutputSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    priority_label = serializers.CharField(source="get_priority_display", read_only=True)
    assignees = serializers.SerializerMethodField(help_text=_("Ids of the assigned users."))
    assigned_to_me = serializers.SerializerMethodField(
        help_text=_("Whether you may register time on this task.")
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "project_name",
            "name",
            "description",
            "start_date",
            "end_date",
            "status",
            "status_label",
            "priority",
            "priority_label",
            "estimate_hours",
            "assignees",
            "assigned_to_me",
        ]
        read_only_fields = fields

    # Both read the prefetched assignees: no query per task.
    def get_assignees(self, task: Task) -> list[int]:
        return [user.pk for user in task.assignees.all()]

    def get_assigned_to_me(self, task: Task) -> bool:
        request = self.context.get("request")
        me = getattr(getattr(request, "user", None), "pk", None)
        return any(user.pk == me for user in task.assignees.all())
