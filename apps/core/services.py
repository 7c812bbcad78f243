"""Small helpers every service uses."""

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError


def model_update(*, instance: models.Model, data: dict[str, Any], fields: list[str]) -> list[str]:
    """Sets the allowed `fields` present in `data` on `instance`; returns the names that changed."""
    unknown = set(data) - set(fields)
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed here: %(fields)s")
            % {"fields": ", ".join(sorted(unknown))}
        )
    changed = []
    for field in fields:
        if field not in data:
            continue
        try:
            current = getattr(instance, field)
        except ObjectDoesNotExist:  # a required foreign key not set yet on a new instance
            current = None
        if current != data[field]:
            setattr(instance, field, data[field])
            changed.append(field)
    return changed
