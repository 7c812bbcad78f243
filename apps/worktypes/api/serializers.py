"""How work types look in the API (read-only)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.worktypes.models import WorkType


class WorkTypeFilterSerializer(serializers.Serializer):
    active = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true: only work types in use; false: only retired ones; absent: all."),
    )


@extend_schema_serializer(component_name="WorkType")
class WorkTypeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkType
        fields = [
            "id",
            "name",
            "description",
            "invoiceable",
            "price",
            "product_number",
            "is_active",
        ]
        read_only_fields = fields
