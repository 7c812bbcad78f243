from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = _("Users and access")

    def ready(self) -> None:
        from apps.accounts.roles import sync_roles_after_migrate

        # Apps added later bring new permissions; keep the role groups in step on every migrate.
        post_migrate.connect(sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
