from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxGraphConfig(AppConfig):
    """An emulator of the Microsoft identity platform and Microsoft Graph's calendar."""

    name = "apps.sandbox.graph"
    label = "sandbox_graph"
    verbose_name = _("Microsoft 365 sandbox")
    default_auto_field = "django.db.models.BigAutoField"
