from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxUnimicroIdentityConfig(AppConfig):
    name = "apps.sandbox.unimicro.identity"
    label = "sandbox_unimicro_identity"
    verbose_name = _("Unimicro sandbox: sign-in")
    default_auto_field = "django.db.models.BigAutoField"
