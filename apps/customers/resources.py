"""The customer register as a spreadsheet (django-import-export), in the import's own format.

An export can be edited and imported again: same headers, same values.
"""

from import_export import fields, resources, widgets

from apps.customers.imports import COLUMNS
from apps.customers.models import Customer


class YesNoWidget(widgets.Widget):
    def render(self, value, obj=None, **kwargs):  # noqa: ANN001, ANN201 - import-export's API
        return "yes" if value else "no"


class CustomerResource(resources.ModelResource):
    customer_number = fields.Field(attribute="number", column_name="customer_number")
    active = fields.Field(attribute="is_active", column_name="active", widget=YesNoWidget())

    class Meta:
        model = Customer
        fields = [header for header, _field in COLUMNS]
        export_order = fields

    def get_export_headers(self, selected_fields=None):  # noqa: ANN001, ANN201
        return [header for header, _field in COLUMNS]
