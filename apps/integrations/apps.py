from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = _("ERP integration")

    def ready(self) -> None:
        from django.conf import settings

        from apps.integrations import adapters, hooks, schedules
        from apps.integrations.registry import load_connectors

        hooks.connect()
        load_connectors(list(settings.TIDSBRO_CONNECTORS))
        adapters.register_all()
        schedules.connect(self)

    def hour_transfer_cell(self, entry: object) -> str:
        """The time-entry list's ERP cell of one entry (annotated by the list's queryset)."""
        from apps.integrations.adapters.hours import hour_transfer_cell

        return hour_transfer_cell(entry)
