"""manage.py rotate_keys: re-encrypts every stored secret with the newest key.

All or nothing: when any value cannot be decrypted with the configured keys, nothing is
written and the command fails (the old key is still needed; don't drop it yet).
"""

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models.functions import Cast

from apps.core import crypto
from apps.core.fields import EncryptedTextField


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


class Command(BaseCommand):
    help = (
        "Re-encrypts every encrypted value with the first key of TIDSBRO_ENCRYPTION_KEYS and "
        "reports counts. Fails without writing anything if a value cannot be decrypted."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report: list[tuple[str, int]] = []
        failures: list[str] = []
        with transaction.atomic():
            for model, field in encrypted_fields():
                # The stored token itself, not the decrypted value the field hands out.
                rows = (
                    model._default_manager.select_for_update()
                    .annotate(_token=Cast(field.name, output_field=models.TextField()))
                    .exclude(_token="")
                    .exclude(_token__isnull=True)
                    .values_list("pk", "_token")
                    .order_by("pk")
                )
                label = f"{model._meta.label_lower}.{field.name}"
                rotated = []
                for pk, token in rows:
                    try:
                        crypto.decrypt(token, purpose=label)
                        rotated.append((pk, crypto.rotate(token)))
                    except crypto.DecryptionFailed:
                        failures.append(f"{label} id {pk}")
                for pk, token in rotated:
                    model._default_manager.filter(pk=pk).update(
                        **{field.name: models.Value(token, output_field=models.TextField())}
                    )
                report.append((label, len(rotated)))
            if failures:
                transaction.set_rollback(True)
        if failures:
            shown = ", ".join(failures[:20]) + (" …" if len(failures) > 20 else "")
            raise CommandError(
                f"{len(failures)} value(s) cannot be decrypted with the configured keys: "
                f"{shown}. Nothing was re-encrypted; keep the old key in TIDSBRO_ENCRYPTION_KEYS."
            )
        for label, count in report:
            self.stdout.write(f"{label}: {count} re-encrypted")
        total = sum(count for _label, count in report)
        self.stdout.write(self.style.SUCCESS(f"{total} value(s) re-encrypted with the newest key."))
