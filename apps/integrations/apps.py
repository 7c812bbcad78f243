from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = _("ERP integration")

    def ready(self) -> None:
        from apps.integrations import adapters, hooks, schedules
        from apps.integrations.connectors.twentyfourseven import connector as twentyfourseven

        hooks.connect()
        twentyfourseven.register()
        adapters.register_all()
        schedules.connect(self)
