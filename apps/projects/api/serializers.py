"""How projects look in the API (read-only: projects are kept in the admin and the ERP)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.api.fields import IdField
from apps.projects.models import Project


class ProjectFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Project.Status.choices, required=False, help_text=_("Only projects in this status.")
    )
    customer = IdField(required=False, help_text=_("Only projects of this customer (id)."))


@extend_schema_serializer(component_name="Project")
class ProjectOutputSerializer(serializers.ModelSerializer):
    number_display = serializers.CharField(
        read_only=True, help_text=_('The ERP\'s project number, or "number pending".')
    )
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    customer_name = serializers.CharField(
        source="customer.name", read_only=True, allow_null=True, default=None
    )
    default_work_type_name = serializers.CharField(
        source="default_work_type.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "number",
            "number_display",
            "customer",
            "customer_name",
            "status",
            "status_label",
            "start_date",
            "end_date",
            "description",
            "default_work_type",
            "default_work_type_name",
            "needs_approval",
        ]
        read_only_fields = fields
