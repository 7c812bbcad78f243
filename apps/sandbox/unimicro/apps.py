from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxUnimicroConfig(AppConfig):
    name = "apps.sandbox.unimicro"
    label = "sandbox_unimicro"
    verbose_name = _("Unimicro sandbox")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The "play Unimicro" admin (business records, eventplan deliveries): helper B2's.
        from . import admin_biz  # noqa: F401
