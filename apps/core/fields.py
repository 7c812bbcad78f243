"""Model fields shared by the apps."""

from typing import Any

from django.db import models

from apps.core import crypto


class EncryptedTextField(models.TextField):
    """Text stored encrypted (see apps.core.crypto); decrypting with a wrong key raises.

    The decrypted value is only produced when the attribute is read, so listing rows never
    needs the key. Empty string and None are stored as they are.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def _purpose(self) -> str:
        return f"{self.model._meta.label_lower}.{self.name}"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return crypto.decrypt(value, purpose=self._purpose())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return crypto.encrypt(str(value), purpose=self._purpose())
