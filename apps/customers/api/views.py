"""/api/v1/customers/: the customer register, and creating and changing local customers.

Writes are the admin's: the same services and model permissions, a line in the customer's
history. A customer owned by the ERP is refused with the service's message, and while the ERP
is master of customers new ones are created there, not here (as in the admin).
"""

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core import audit
from apps.core.api.base import ApiViewMixin
from apps.core.api.permissions import ModelPermissions
from apps.core.exceptions import ApplicationError
from apps.customers.api.serializers import (
    CustomerFilterSerializer,
    CustomerInputSerializer,
    CustomerOutputSerializer,
)
from apps.customers.models import Customer
from apps.customers.selectors import customer_list
from apps.customers.services import customer_create, customer_update
from apps.integrations.selectors import entity_created_in_erp

ADDED = '[{"added": {}}]'  # the admin's own "Added." history message


@extend_schema_view(list=extend_schema(parameters=[CustomerFilterSerializer]))
class CustomerViewSet(
    ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [ModelPermissions]
    permission_model = Customer
    serializer_class = CustomerOutputSerializer

    def get_queryset(self) -> QuerySet[Customer]:
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Customer.objects.none()
        if self.action != "list":
            return customer_list()
        filters = CustomerFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        return customer_list(active=filters.validated_data["active"])

    @extend_schema(request=CustomerInputSerializer, responses={201: CustomerOutputSerializer})
    def create(self, request: Request) -> Response:
        serializer = CustomerInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        connection = entity_created_in_erp(entity="customer")
        if connection is not None:
            raise ApplicationError(
                _(
                    "Customers are created in %(erp)s and fetched here: create it there, "
                    "Tidsbro fetches it within an hour."
                )
                % {"erp": connection.get_system_display()}
            )
        customer = customer_create(data=dict(serializer.validated_data))
        audit.record(request.user, customer, ADDED, flag=audit.ADDITION)
        return Response(CustomerOutputSerializer(customer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CustomerInputSerializer, responses=CustomerOutputSerializer)
    def update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=False)

    @extend_schema(request=CustomerInputSerializer, responses=CustomerOutputSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        return self._update(request, partial=True)

    def _update(self, request: Request, *, partial: bool) -> Response:
        customer = self.get_object()
        serializer = CustomerInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        before = {name: getattr(customer, name) for name in serializer.validated_data}
        customer = customer_update(customer=customer, data=dict(serializer.validated_data))
        changed = [name for name, value in before.items() if getattr(customer, name) != value]
        if changed:
            audit.record(request.user, customer, audit.changed_fields(Customer, changed))
        return Response(CustomerOutputSerializer(customer).data)
