from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxEconomicConfig(AppConfig):
    name = "apps.sandbox.economic"
    label = "sandbox_economic"
    verbose_name = _("e-conomic sandbox")
    default_auto_field = "django.db.models.BigAutoField"
