"""Users: 24SO users are linked to Tidsbro users, never created or changed here.

A fetched 24SO user whose e-mail (exact, case-insensitive) belongs to a Tidsbro user not yet
mapped on the connection is linked to them; any other stays a binding with no local record
(state "only in the ERP") that keeps the 24SO values, so the settings screen can suggest a
mapping by name (`apps.integrations.setup.suggest_user_mappings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from apps.accounts.models import User
from apps.integrations.connectors.twentyfourseven import mappers
from apps.integrations.models import Binding


class UserAdapter:
    entity = "user"
    # Nothing is merged into Tidsbro users: names and e-mail addresses are theirs.
    fields: tuple[str, ...] = ()
    merge_on_push = False

    def load(self, connection: Any, ids: Iterable[int]) -> dict[int, User]:
        return User.objects.in_bulk(list(ids))

    def values(self, connection: Any, objs: Sequence[User]) -> dict[int, dict[str, Any]]:
        return {u.pk: {} for u in objs}

    def create_many(self, connection: Any, rows: Sequence[dict[str, Any]]) -> list[User | None]:
        """Links by e-mail; None (no Tidsbro user matches) keeps the user only in the ERP."""
        emails = {r.get("email") for r in rows if r.get("email")}
        taken = set(
            Binding.objects.filter(
                connection=connection, entity=self.entity, local_id__isnull=False
            ).values_list("local_id", flat=True)
        )
        by_email = {
            u.email.lower(): u for u in User.objects.filter(email__in=emails).exclude(pk__in=taken)
        }
        return [by_email.pop((row.get("email") or "").lower(), None) for row in rows]

    def update_many(self, connection: Any, changes: Sequence[tuple[User, dict[str, Any]]]) -> None:
        return None

    def mark_deleted(self, connection: Any, objs: Sequence[User]) -> None:
        return None  # a user gone from 24SO keeps their Tidsbro account and hours

    def after_push(self, connection: Any, obj: User, assigned: dict[str, Any]) -> None:
        return None

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        return []  # 24SO's API cannot create users


ADAPTER = UserAdapter()
FIELDS = mappers.USER_FIELDS
