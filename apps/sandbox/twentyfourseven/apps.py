from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Sandbox24SOConfig(AppConfig):
    name = "apps.sandbox.twentyfourseven"
    label = "sandbox_24so"
    verbose_name = _("24SO sandbox")
    default_auto_field = "django.db.models.BigAutoField"
