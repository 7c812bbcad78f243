"""First-time setup of an ERP connection and the mapping of its users to Tidsbro users.

- `initial_import` pulls everything once, in dependency order (through the sync engine).
- `sync_users` pulls the ERP's users: linked by e-mail, the rest kept for mapping by hand.
- `suggest_user_mappings` / `map_user` / `unmap_user`: the settings screen's user mapping.
- `first_time_setup` makes every mapped user a member of their 24SO projects with their role;
  participants whose user is not mapped are reported, never created.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.integrations.models import Binding, Connection, SyncRun
from apps.integrations.registry import connector_for
from apps.integrations.sync.engine import sync_entity

State = Binding.State
SAME_EMAIL = _("same e-mail")
SAME_NAME = _("same name")
IMPORT_ORDER = ("customer", "work_type", "project", "user")


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


def settle_user_bindings(connection: Connection) -> None:
    """ERP users without a Tidsbro user are "only in the ERP"; any that a Tidsbro user with
    the same e-mail (not mapped yet) has appeared for since are linked to them.

    Runs at the end of every user pull (24SO's `pull._users`), after the engine has kept the
    users the adapter could not link as bindings with no local id.
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


def _normal(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("ø", "o").replace("æ", "ae").replace("å", "a").split())


def name_score(a: str, b: str) -> float:
    """How alike two person names are (0–1), ignoring case, accents and word order."""
    left, right = _normal(a), _normal(b)
    if not left or not right:
        return 0.0
    straight = difflib.SequenceMatcher(None, left, right).ratio()
    ordered = difflib.SequenceMatcher(
        None, " ".join(sorted(left.split())), " ".join(sorted(right.split()))
    ).ratio()
    return round(max(straight, ordered), 3)


def same_name(a: str, b: str) -> bool:
    """Whether two full names are the same, ignoring case, accents and spacing (pure)."""
    left = _normal(a)
    return bool(left) and left == _normal(b)


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


def map_user(connection: Connection, user: User, external_id: str) -> Binding:
    """Maps a Tidsbro user to an ERP user (replacing either side's earlier mapping)."""
    external_id = str(external_id)
    now = timezone.now()
    with transaction.atomic():
        Binding.objects.filter(connection=connection, entity="user", local_id=user.pk).exclude(
            external_id=external_id
        ).update(local_id=None, state=State.REMOTE_ONLY)
        binding, _created = Binding.objects.select_for_update().get_or_create(
            connection=connection,
            entity="user",
            external_id=external_id,
            defaults={"local_id": user.pk, "state": State.LINKED, "synced_at": now},
        )
        binding.local_id = user.pk
        binding.state = State.LINKED
        binding.synced_at = now
        binding.save(update_fields=["local_id", "state", "synced_at"])
    return binding


def unmap_user(connection: Connection, user: User) -> None:
    """Takes a user's ERP mapping away; their hours then go on the integration user."""
    Binding.objects.filter(connection=connection, entity="user", local_id=user.pk).update(
        local_id=None, state=State.REMOTE_ONLY
    )


# FIRST-TIME SETUP
# ------------------------------------------------------------------------------
def first_time_setup(
    connection: Connection, *, trigger: str = SyncRun.Trigger.ONBOARDING
) -> SetupReport:
    """Makes mapped users members of their ERP projects with their role; reports the rest.

    Creates missing project roles by name (GetProjectRoles), then pulls every participant
    of every project (full run through the engine, memberships via project_member_set).
    """
    from apps.integrations.connectors.twentyfourseven import mappers, pull
    from apps.projects.services import project_roles_ensure

    report = SetupReport()
    connector = connector_for(connection)
    try:
        roles = connector.client.get_project_roles()
        report.roles = sorted(project_roles_ensure(names=[r.name for r in roles]))
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
        mapped = pull.mapped_contacts(connection)
        projects: dict[str, set[int]] = defaultdict(set)
        names: dict[str, str] = {}
        for p in pull._participants(connector, None):
            if mappers.is_member(p) and str(p.contact_id) not in mapped:
                projects[str(p.contact_id)].add(p.project_id)
                names[str(p.contact_id)] = p.name
        report.unmapped = sorted(
            ((c, names[c], len(ids)) for c, ids in projects.items()), key=lambda x: int(x[0])
        )
    finally:
        connector.close()
    return report


def initial_import(
    connection: Connection, *, trigger: str = SyncRun.Trigger.ONBOARDING
) -> SetupReport:
    """Pulls everything once in dependency order, then runs the first-time setup and tasks."""
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
