"""How customers go in and come out of the API. The rules (ERP-owned customers are read-only)
are the services'."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.api.serializers import RefuseUnknownFieldsMixin
from apps.customers.models import Customer
from apps.customers.services import EDITABLE_FIELDS

ERP_FIELDS_REFUSED = _("Whether a customer is owned by the ERP is decided by the sync.")


class CustomerFilterSerializer(serializers.Serializer):
    active = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("true: only active customers; false: only inactive ones; absent: all."),
    )


@extend_schema_serializer(component_name="CustomerWrite")
class CustomerInputSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """A customer's editable fields, with the register's lengths and formats. Only parses:
    the view hands the values to the service, which checks the rest (unique numbers, ERP)."""

    refused_fields = {"erp_owned": ERP_FIELDS_REFUSED, "erp_system": ERP_FIELDS_REFUSED}

    class Meta:
        model = Customer
        fields = EDITABLE_FIELDS
        # Unique numbers and the other constraints are the service's (full_clean, its message).
        validators: list = []
        extra_kwargs = {"number": {"validators": []}}


@extend_schema_serializer(component_name="Customer")
class CustomerOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", *EDITABLE_FIELDS, "erp_owned", "erp_system", "created_at", "updated_at"]
        read_only_fields = fields
