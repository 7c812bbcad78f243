from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TimesheetsConfig(AppConfig):
    name = "apps.timesheets"
    label = "timesheets"
    verbose_name = _("Time registration")
