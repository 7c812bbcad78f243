from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SandboxUnimicroConfig(AppConfig):
    name = "apps.sandbox.unimicro"
    label = "sandbox_unimicro"
    verbose_name = _("Unimicro sandbox")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # An order's lines that name work items mark them transferred (actions writes through
        # the store, which imports entities: attached here, not imported by entities).
        from . import actions, entities

        entities.CustomerOrder.after_write_hook = actions.mark_work_items
        entities.CustomerOrder.delete_hook = actions.free_work_items
        # The "play Unimicro" admin (business records, eventplan deliveries): helper B2's.
        from . import admin_biz  # noqa: F401
