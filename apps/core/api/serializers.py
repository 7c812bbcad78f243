"""What every API input serializer shares: a field the endpoint does not take is an error."""

import difflib
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

# An error names at most this many unknown fields, each cut to a readable length.
MAX_NAMED = 20
MAX_NAME_LENGTH = 100


class RefuseUnknownFieldsMixin:
    """Refuses input with fields the serializer does not take, naming each of them.

    DRF drops unknown (and read-only) fields silently, so a misspelled `descripton` would be
    created without its description and answered 201. Put first in the bases of every input
    serializer of the API. `refused_fields` maps a field callers may expect to be able to set
    (a project's number) to the reason they cannot.
    """

    refused_fields: dict[str, Any] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = [name for name, field in self.fields.items() if not field.read_only]  # type: ignore[attr-defined]
            unknown = [name for name in data if name not in writable]
            if unknown:
                raise serializers.ValidationError(
                    {
                        str(name)[:MAX_NAME_LENGTH]: [
                            str(self.refused_fields[name])
                            if name in self.refused_fields
                            else _unknown_message(str(name), writable)
                        ]
                        for name in unknown[:MAX_NAMED]
                    }
                )
        return super().to_internal_value(data)  # type: ignore[misc]


def _unknown_message(name: str, writable: list[str]) -> str:
    close = difflib.get_close_matches(name[:MAX_NAME_LENGTH], writable, n=1)
    if close:
        return _("Unknown field. Did you mean “%(field)s”?") % {"field": close[0]}
    return _("Unknown field. This endpoint takes: %(fields)s.") % {"fields": ", ".join(writable)}


class InputSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """A plain input serializer that refuses unknown fields."""
