"""Serializer fields every API module shares."""

from rest_framework import serializers

# Ids are 64-bit; a bigger number would overflow the database driver (SQLite raises), so it
# is refused as input instead of reaching a query.
ID_MAX = 2**63 - 1


class IdField(serializers.IntegerField):
    """The id of a row: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)
