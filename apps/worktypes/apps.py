from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorktypesConfig(AppConfig):
    name = "apps.worktypes"
    label = "worktypes"
    verbose_name = _("Work types")
