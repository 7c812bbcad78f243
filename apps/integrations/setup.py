"""First-time setup of an ERP connection and the mapping of its users to Tidsbro users.

- `initial_import` pulls everything once, in the sync order (through the sync engine).
- `sync_users` pulls the ERP's users: linked by e-mail, the rest kept for mapping by hand.
- `suggest_user_mappings` / `map_user` / `unmap_user`: the settings screen's user mapping.
- `first_time_setup` makes every mapped user a member of their ERP projects with their role;
  participants whose user is not mapped are reported, never created. What only the system
  knows (its project roles, its members without a mapped user) comes from the connector's
  `setup` capability (`connection.spec.setup`, see `entities.SetupCapability`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.integrations.adapters.users import settle_user_bindings
from apps.integrations.entities import SYNC_ORDER
from apps.integrations.models import Binding, Connection, SyncRun
from apps.integrations.partners import _normal, map_user, name_score, same_name, unmap_user
from apps.integrations.registry import connector_for
from apps.integrations.sync.engine import sync_entity

State = Binding.State
SAME_EMAIL = _("same e-mail")
SAME_NAME = _("same name")
# Pulled before the first-time setup (members and tasks need their projects and users).
IMPORT_ORDER = tuple(e for e in SYNC_ORDER if e not in ("participant", "task"))

__all__ = [
    "first_time_setup",
    "initial_import",
    "map_user",
    "name_score",
    "same_name",
    "settle_user_bindings",
    "suggest_user_mappings",
    "sync_users",
    "unmap_user",
]


@dataclass(frozen=True)
class UserSuggestion:
    """A Tidsbro user and the ERP user they probably are."""

    user: User
    external_id: str
    remote_name: str
    remote_email: str
    score: float
    reason: str
    evidence: str = ""  # the value both sides share, shown beside the reason


@dataclass
class SetupReport:
    """What the first-time setup did and whom it could not place."""

    runs: list[SyncRun] = field(default_factory=list)
    memberships: int = 0
    # (contact id, name, number of projects) of participants with no mapped user.
    unmapped: list[tuple[str, str, int]] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)


# USERS
# ------------------------------------------------------------------------------
def sync_users(*, connection: Connection, trigger: str = SyncRun.Trigger.MANUAL) -> SyncRun:
    """Pulls the ERP's users; e-mail matches are linked, the rest wait to be mapped."""
    # The user pull settles the bindings itself when its last page is in (see below).
    return sync_entity(connection=connection, entity="user", trigger=trigger)


def suggest_user_mappings(connection: Connection) -> list[UserSuggestion]:
    """Suggestions for Tidsbro users not mapped yet, only with evidence: the same e-mail,
    else the same full name (case, accents and spacing aside) that no other user on either
    side shares. A similar name is never a suggestion (Astrid ≠ Sigrid)."""
    remote = [
        (b.external_id, b.remote_values or {})
        for b in Binding.objects.filter(
            connection=connection, entity="user", local_id__isnull=True
        ).exclude(state=State.EXCLUDED)
    ]
    mapped = Binding.objects.filter(
        connection=connection, entity="user", local_id__isnull=False
    ).values_list("local_id", flat=True)
    users = list(User.objects.filter(is_active=True).exclude(pk__in=mapped))
    by_email: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    by_name: dict[str, list[tuple[str, dict]]] = defaultdict(list)
    for external_id, values in remote:
        if values.get("email"):
            by_email[values["email"].strip().lower()].append((external_id, values))
        if _normal(values.get("name") or ""):
            by_name[_normal(values["name"])].append((external_id, values))
    names_here: dict[str, int] = defaultdict(int)
    for user in users:
        names_here[_normal(user.get_full_name())] += 1
    suggestions: list[UserSuggestion] = []
    for user in users:
        email = user.email.strip().lower()
        name = _normal(user.get_full_name())
        if email and len(by_email.get(email, ())) == 1:
            (external_id, values), score, reason = by_email[email][0], 1.0, str(SAME_EMAIL)
            evidence = values.get("email") or ""
        elif name and names_here[name] == 1 and len(by_name.get(name, ())) == 1:
            (external_id, values), score, reason = by_name[name][0], 0.9, str(SAME_NAME)
            evidence = values.get("name") or ""
        else:
            continue  # no evidence, or more than one colleague fits: mapped by hand
        suggestions.append(
            UserSuggestion(
                user=user,
                external_id=external_id,
                remote_name=values.get("name") or "",
                remote_email=values.get("email") or "",
                score=score,
                reason=reason,
                evidence=evidence,
            )
        )
    return sorted(suggestions, key=lambda s: (-s.score, str(s.user)))


# FIRST-TIME SETUP
# ------------------------------------------------------------------------------
def first_time_setup(
    connection: Connection, *, trigger: str = SyncRun.Trigger.ONBOARDING
) -> SetupReport:
    """Makes mapped users members of their ERP projects with their role; reports the rest.

    Creates missing project roles by name (the connector's `setup.project_roles`), then pulls
    every participant of every project (full run through the engine, memberships via
    project_member_set) and lists the system's members whose user is not mapped.
    """
    from apps.projects.services import project_roles_ensure

    report = SetupReport()
    capability = connection.spec.setup
    connector = connector_for(connection)
    try:
        if capability is not None:
            names = capability.project_roles(connector)
            report.roles = sorted(project_roles_ensure(names=names))
        # Participants seen before their user was mapped are fetched again.
        Binding.objects.filter(
            connection=connection, entity="participant", local_id__isnull=True
        ).delete()
        run = sync_entity(
            connection=connection,
            entity="participant",
            trigger=trigger,
            full=True,
            connector=connector,
        )
        report.runs.append(run)
        report.memberships = run.created
        if capability is not None:
            report.unmapped = list(capability.unmapped_members(connection, connector))
    finally:
        connector.close()
    return report


def initial_import(
    connection: Connection, *, trigger: str = SyncRun.Trigger.ONBOARDING
) -> SetupReport:
    """Pulls everything once in the sync order (users, customers, work types, projects),
    then runs the first-time setup (members) and pulls the tasks."""
    runs = []
    for entity in IMPORT_ORDER:
        if entity == "user":
            runs.append(sync_users(connection=connection, trigger=trigger))
        else:
            runs.append(
                sync_entity(connection=connection, entity=entity, trigger=trigger, full=True)
            )
    report = first_time_setup(connection, trigger=trigger)
    runs.extend(report.runs)
    runs.append(sync_entity(connection=connection, entity="task", trigger=trigger, full=True))
    report.runs = runs
    return report
