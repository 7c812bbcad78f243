"""How projects go in and come out of the API. The rules are the services'; the number is
the ERP's (refused as input)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.api.fields import DateField, IdField
from apps.core.api.serializers import InputSerializer
from apps.customers.models import Customer
from apps.projects.models import Project
from apps.worktypes.models import WorkType

# The longest project description the API takes (the admin's text area has no limit of its
# own; a description is a few paragraphs, not a document).
DESCRIPTION_MAX_LENGTH = 5000


@extend_schema_serializer(component_name="ProjectWrite")
class ProjectInputSerializer(InputSerializer):
    """A project's editable fields. PATCH changes only those given; the number is the ERP's."""

    refused_fields = {
        "number": _("The project number is assigned by the ERP when the project is transferred.")
    }

    name = serializers.CharField(max_length=Project._meta.get_field("name").max_length)
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.all(), required=False, allow_null=True
    )
    status = serializers.ChoiceField(choices=Project.Status.choices, required=False)
    start_date = DateField(required=False, allow_null=True)
    end_date = DateField(required=False, allow_null=True)
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH
    )
    default_work_type = serializers.PrimaryKeyRelatedField(
        queryset=WorkType.objects.all(), required=False, allow_null=True
    )
    needs_approval = serializers.BooleanField(required=False)


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
