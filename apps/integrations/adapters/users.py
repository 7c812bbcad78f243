"""Users: the ERP's users are linked to Tidsbro users, never created or changed here.

A fetched ERP user whose e-mail (exact, case-insensitive) belongs to a Tidsbro user not yet
mapped on the connection is linked to them; any other stays a binding with no local record
(state "only in the ERP") that keeps the ERP's values, so the settings screen can suggest a
mapping by name (`apps.integrations.setup.suggest_user_mappings`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.integrations import entities
from apps.integrations.models import Binding

State = Binding.State


def settle_user_bindings(connection: Any) -> None:
    """ERP users without a Tidsbro user are "only in the ERP"; any that a Tidsbro user with
    the same e-mail (not mapped yet) has appeared for since are linked to them.

    Runs at the end of every full user pull (the connector calls `ADAPTER.settle` when its
    last page is in), after the engine has kept the users the adapter could not link as
    bindings with no local id.
    """
    loose = Binding.objects.filter(
        connection=connection, entity="user", local_id__isnull=True
    ).exclude(state=State.EXCLUDED)
    mapped = Binding.objects.filter(
        connection=connection, entity="user", local_id__isnull=False
    ).values("local_id")
    # From the Tidsbro side: the users not mapped yet are few (an office maps its people),
    # the ERP users kept unmapped may be a thousand; only their addresses are compared.
    users = {u.email.lower(): u for u in User.objects.exclude(pk__in=mapped)}
    now = timezone.now()
    with transaction.atomic():
        if users:
            found = loose.filter(remote_values__email__in=list(users))
            for binding_pk, address in found.values_list("pk", "remote_values__email"):
                user = users.pop(address, None)
                if user is not None:
                    Binding.objects.filter(pk=binding_pk).update(
                        local_id=user.pk, state=State.LINKED, synced_at=now
                    )
        loose.filter(local_id__isnull=True).exclude(state=State.REMOTE_ONLY).update(
            state=State.REMOTE_ONLY
        )


class UserAdapter:
    entity = "user"
    # Nothing is merged into Tidsbro users: names and e-mail addresses are theirs.
    fields: tuple[str, ...] = ()
    merge_on_push = False
    # `create_many` never makes a user, it links the ERP's to Tidsbro's: a run's "created"
    # are links (the first sync's result says so).
    links_only = True

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
        return None  # a user gone from the ERP keeps their Tidsbro account and hours

    def settle(self, connection: Any) -> None:
        """After the last page of a user pull: see `settle_user_bindings`."""
        settle_user_bindings(connection)

    def after_push(self, connection: Any, obj: User, assigned: dict[str, Any]) -> None:
        return None

    def unbound_ids(self, connection: Any) -> Iterable[int]:
        return []  # Tidsbro never creates users in the ERP (the entity registry: pull only)


ADAPTER = UserAdapter()
FIELDS = entities.fields("user")
