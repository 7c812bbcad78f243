from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "apps.integrations"
    label = "integrations"
    verbose_name = _("ERP integration")

    def ready(self) -> None:
        from apps.integrations import hooks

        hooks.connect()
