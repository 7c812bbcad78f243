from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    """The admin's home page and sidebar for each person (no models of its own)."""

    name = "apps.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")
