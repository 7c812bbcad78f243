"""Matching records between Tidsbro and the ERP by hand: the sync center's and conflict
screen's writes.

- `binding_link`: choose the partner of a record (the other side's existing record).
- `binding_exclude` / `binding_include`: "no sync" for a record, and its undo.
- `binding_unlink`: stop syncing a pair; both records stay, each on its own side.
- `create_partner_remote` / `create_partner_local`: create the missing record on the other
  side (in the ERP through the outbox, in Tidsbro through the domain services).
- `conflict_resolve` / `conflicts_keep`: settle a record's conflicts field by field; Tidsbro is
  updated at once, the ERP through the outbox, so both end equal.
- `rank_candidates`: partner suggestions only with evidence (organisation number, number,
  e-mail, the same name); `search_*`: what a person looks for when there is none.

Records that exist only in the ERP are the bindings without a local id (state "only in the
ERP", values in `remote_values`): the user pull leaves them, and unlinking makes them.
Every write is logged in the admin history of the local record.
"""

from __future__ import annotations

import difflib
import json
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core import audit
from apps.core.exceptions import ApplicationError
from apps.core.hooks import sync_writes
from apps.integrations import bindings as pairs  # remote id ↔ local record look-ups
from apps.integrations.connectors.base import ConnectorError
from apps.integrations.entities import ENTITIES, can_push
from apps.integrations.models import Binding, Conflict, Connection, Master
from apps.integrations.registry import adapter_for, connector_capabilities, connector_for

State = Binding.State

# The object types the sync center shows, and the local model of each (entity registry).
PARTNER_MODELS: dict[str, str] = {key: e.model for key, e in ENTITIES.items() if e.matchable}
# Numbers the ERP assigns: on linking, the ERP's value is taken, never a conflict.
ERP_ASSIGNED: dict[str, frozenset[str]] = {"project": frozenset({"number"})}

__all__ = ["can_push"]  # re-exported: whether Tidsbro's changes of a type go to the ERP


def local_model(entity: str) -> type[models.Model]:
    try:
        return apps.get_model(PARTNER_MODELS[entity])
    except KeyError:
        raise ApplicationError(_("Unknown object type %(name)s.") % {"name": entity}) from None


def push_refusal(connection: Connection, entity: str) -> str:
    """Why Tidsbro cannot create or change `entity` in the ERP, in words for the office."""
    capabilities = connector_capabilities(connection.system)
    note = capabilities.notes.get(entity) if capabilities is not None else None
    if note and not capabilities.can_push(entity):
        return str(note)
    if connection.master_of(entity) == Master.ERP:
        return _(
            "The ERP owns these records on this connection: create and change them there "
            "and fetch them."
        )
    if note:
        return str(note)
    return _("These records cannot be sent to the ERP.")


# --- names ------------------------------------------------------------------------------------


def _normal(name: str) -> str:
    """A name as compared: case, accents and spacing left out (pure)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.replace("ø", "o").replace("æ", "ae").replace("å", "a").split())


normal_name = _normal


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


def _log(actor: Any, obj: models.Model, message: str, *, flag: int = CHANGE) -> None:
    if obj is not None:
        audit.record(actor, obj, message, flag=flag)  # the audit trail (apps/core/audit.py)


def _log_many(actor: Any, objs: Sequence[models.Model], message: str, *, flag: int = CHANGE):
    audit.record_many(actor, list(objs), message, flag=flag)


def _enqueue(connection: Connection, entity: str, local_ids: Iterable[int]) -> None:
    from apps.integrations.sync.outbox import enqueue

    for local_id in local_ids:
        enqueue(connection=connection, entity=entity, local_id=local_id)


# --- suggestions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A possible partner of a record and the evidence for it (a value both sides share)."""

    key: Any  # the ERP id or the local id
    label: str
    number: str
    score: float  # orders the evidence: organisation number, number, e-mail, name
    reason: str
    evidence: str = ""


def _same(a: Any, b: Any) -> bool:
    left = str(a or "").strip().casefold().replace(" ", "")
    right = str(b or "").strip().casefold().replace(" ", "")
    return bool(left) and left == right


def evidence_for(values: dict[str, Any], other: dict[str, Any]) -> tuple[float, str, str] | None:
    """(rank, reason, shared value) when two records share an organisation number, a number,
    an e-mail or the same name (case, accents and spacing aside); None otherwise (pure).
    A similar name is no evidence: "Astrid Haugen" is not "Sigrid Haugen"."""
    checks = (
        ("organisation_number", 1.0, _("same organisation number")),
        ("number", 0.95, _("same number")),
        ("email", 0.9, _("same e-mail")),
    )
    for name, rank, reason in checks:
        if _same(values.get(name), other.get(name)):
            return rank, reason, str(other.get(name))
    if same_name(str(values.get("name") or ""), str(other.get("name") or "")):
        return 0.85, _("same name"), str(other.get("name"))
    return None


def rank_candidates(
    *, values: dict[str, Any], candidates: Iterable[tuple[Any, dict[str, Any]]], limit: int = 20
) -> list[Candidate]:
    """The candidates with evidence, strongest first (pure); the rest are left out."""
    ranked = []
    for key, other in candidates:
        found = evidence_for(values, other)
        if found is None:
            continue
        score, reason, evidence = found
        ranked.append(
            Candidate(
                key=key,
                label=str(other.get("name") or other.get("email") or key),
                number=str(other.get("number") or ""),
                score=score,
                reason=reason,
                evidence=evidence,
            )
        )
    ranked.sort(key=lambda c: (-c.score, c.label))
    return ranked[:limit]


def search_candidates(
    *, values: Iterable[tuple[Any, dict[str, Any]]], limit: int = 20
) -> list[Candidate]:
    """Records a person searched for, as candidates without evidence (pure)."""
    return [
        Candidate(
            key=key,
            label=str(other.get("name") or other.get("email") or key),
            number=str(other.get("number") or ""),
            score=0.0,
            reason="",
        )
        for key, other in list(values)[:limit]
    ]


def local_summary(entity: str, obj: Any) -> dict[str, Any]:
    """The fields a suggestion compares, read from a local record (pure)."""
    if entity == "user":
        return {"name": obj.get_full_name(), "email": obj.email}
    return {
        "name": getattr(obj, "name", "") or "",
        "number": getattr(obj, "number", None) or getattr(obj, "product_number", None),
        "organisation_number": getattr(obj, "organisation_number", ""),
        "email": getattr(obj, "email", ""),
    }


def _remote_without_partner(*, connection: Connection, entity: str) -> models.QuerySet:
    """ERP records with no Tidsbro partner: only in the ERP, or set apart with "no sync"."""
    return Binding.objects.filter(
        connection=connection,
        entity=entity,
        local_id__isnull=True,
        state__in=[State.REMOTE_ONLY, State.EXCLUDED],
    ).exclude(external_id="")


def candidates_for_local(
    *, connection: Connection, entity: str, obj: Any, limit: int = 20
) -> list[Candidate]:
    """ERP records without a Tidsbro partner (only in the ERP, or set apart with "no sync")
    that may be `obj`'s partner, best first (one query)."""
    remote = _remote_without_partner(connection=connection, entity=entity).values_list(
        "external_id", "remote_values"
    )
    return rank_candidates(
        values=local_summary(entity, obj),
        candidates=((ext, values or {}) for ext, values in remote),
        limit=limit,
    )


def candidates_for_remote(
    *, connection: Connection, binding: Binding, limit: int = 20
) -> list[Candidate]:
    """Tidsbro records with no ERP partner (incl. those set apart with "no sync") that may
    be the ERP record's partner, best first."""
    partnered = pairs.paired_subquery(connection, binding.entity)
    objs = local_model(binding.entity).objects.exclude(pk__in=partnered)
    if binding.entity == "user":
        objs = objs.filter(is_active=True)
    return rank_candidates(
        values=binding.remote_values or {},
        candidates=((o.pk, local_summary(binding.entity, o)) for o in objs[:2000]),
        limit=limit,
    )


def search_remote(
    *, connection: Connection, entity: str, query: str, limit: int = 20
) -> list[Candidate]:
    """ERP records without a Tidsbro partner whose name, number, e-mail or id contains
    `query` (one query)."""
    query = (query or "").strip()
    if not query:
        return []
    found = (
        _remote_without_partner(connection=connection, entity=entity)
        .filter(
            models.Q(external_id=query)
            | models.Q(remote_values__name__icontains=query)
            | models.Q(remote_values__email__icontains=query)
            | models.Q(remote_values__number=query)
        )
        .order_by("id")
        .values_list("external_id", "remote_values")[:limit]
    )
    return search_candidates(values=((ext, v or {}) for ext, v in found), limit=limit)


def search_local(
    *, connection: Connection, entity: str, query: str, limit: int = 20
) -> list[Candidate]:
    """Tidsbro records with no ERP partner matching `query` (the sync center's search)."""
    from apps.integrations.selectors import partner_local_only

    if not (query or "").strip():
        return []
    objs = partner_local_only(connection=connection, entity=entity, search=query)[:limit]
    return search_candidates(values=((o.pk, local_summary(entity, o)) for o in objs), limit=limit)


# --- linking ---------------------------------------------------------------------------------


def _remote_values(connection: Connection, entity: str, external_id: str) -> dict[str, Any]:
    """The ERP's values of one record: as last fetched, else fetched now (one request)."""
    known = (
        Binding.objects.filter(connection=connection, entity=entity, external_id=external_id)
        .values_list("remote_values", flat=True)
        .first()
    )
    if known:
        return dict(known)
    connector = connector_for(connection)
    try:
        record = connector.fetch_one(entity, external_id)
    except ConnectorError as exc:
        raise ApplicationError(
            _("The ERP could not be asked for %(id)s: %(reason)s")
            % {"id": external_id, "reason": exc.message}
        ) from None
    finally:
        connector.close()
    if record is None or record.deleted:
        raise ApplicationError(
            _("The ERP has no record with the id %(id)s.") % {"id": external_id},
            field="external_id",
        )
    return dict(record.values)


def binding_link(
    *, connection: Connection, entity: str, local_id: int, external_id: str, actor: Any = None
) -> Binding:
    """Links a Tidsbro record to an existing ERP record (writes the binding; fields that
    differ take the ERP's value where it owns them or Tidsbro left them empty, are pushed with
    Tidsbro's value where Tidsbro is master, else become conflicts); logs it."""
    external_id = str(external_id or "").strip()
    if not external_id or not local_id:
        raise ApplicationError(_("Choose the record to link to."))
    model = local_model(entity)
    obj = model.objects.filter(pk=local_id).first()
    if obj is None:
        raise ApplicationError(_("This Tidsbro record no longer exists."))
    linked_here = pairs.remote_id(connection, entity, local_id)
    if linked_here is not None and linked_here != external_id:
        raise ApplicationError(
            _("%(record)s is already linked to the ERP record %(id)s. Stop its sync first.")
            % {"record": obj, "id": linked_here}
        )
    other = pairs.local_id(connection, entity, external_id)
    if other is not None and other != local_id:
        raise ApplicationError(
            _("The ERP record %(id)s is already linked to another Tidsbro record.")
            % {"id": external_id}
        )
    if entity == "user":
        with transaction.atomic():
            binding = map_user(connection, obj, external_id)
            _log(actor, obj, _("Linked to the ERP user %(id)s") % {"id": external_id})
        return binding

    remote = _remote_values(connection, entity, external_id)
    adapter = adapter_for(entity)
    now = timezone.now()
    with transaction.atomic():
        # A "no sync" mark of the local record alone gives way to the link.
        Binding.objects.filter(
            connection=connection, entity=entity, local_id=local_id, external_id=""
        ).delete()
        binding, _created = Binding.objects.update_or_create(
            connection=connection,
            entity=entity,
            external_id=external_id,
            defaults={"local_id": local_id, "remote_values": remote, "state": State.LINKED},
        )
        local = adapter.values(connection, [obj])[obj.pk]
        erp_wins = not can_push(connection, entity)
        tidsbro_wins = not erp_wins and connection.master_of(entity) == Master.TIDSBRO
        assigned = ERP_ASSIGNED.get(entity, frozenset())
        snapshot: dict[str, Any] = {}
        to_local: dict[str, Any] = {}
        to_remote = False
        conflicts = []
        for name in adapter.fields:
            if name not in remote:
                continue
            lo, re = local.get(name), remote[name]
            if lo == re:
                snapshot[name] = re
            elif erp_wins or name in assigned or lo in (None, ""):
                to_local[name] = re
                snapshot[name] = re
            elif tidsbro_wins:
                # Tidsbro is master (a first pairing, as `decide.by_master` on first sight):
                # its value wins; the ERP's value is the base, so the push sends Tidsbro's.
                snapshot[name] = re
                to_remote = True
            else:
                conflicts.append(
                    Conflict(
                        binding=binding,
                        field=name,
                        base_value=None,
                        local_value=lo,
                        remote_value=re,
                    )
                )
        if to_local:
            with sync_writes():
                adapter.update_many(connection, [(obj, to_local)])
        Conflict.objects.filter(binding=binding, resolved_at__isnull=True).delete()
        Conflict.objects.bulk_create(conflicts)
        binding.snapshot = snapshot
        binding.synced_at = now
        binding.state = State.CONFLICT if conflicts else State.LINKED
        binding.save(update_fields=["snapshot", "synced_at", "state"])
        _log(actor, obj, _("Linked to the ERP record %(id)s") % {"id": external_id})
        if to_remote:
            _enqueue(connection, entity, [local_id])
        # What waited for this record (a project's hours, a customer's projects) goes now.
        from apps.integrations.sync.outbox import release

        release(connection, entity, [local_id])
    return binding


def link_note(connection: Connection, entity: str) -> str:
    """What choosing a partner does to the ERP's record where Tidsbro is master (the sync
    center says it before the office chooses, see `binding_link`); "" otherwise."""
    if entity == "user" or not can_push(connection, entity):
        return ""
    if connection.master_of(entity) != Master.TIDSBRO:
        return ""
    names = {"system": connection.system_name}
    if "number" in adapter_for(entity).fields and "number" not in ERP_ASSIGNED.get(entity, ()):
        return (
            _(
                "Tidsbro is master: the %(system)s record chosen as partner takes Tidsbro's number "
                "and the other values Tidsbro holds; only what is empty in Tidsbro is taken from "
                "%(system)s. No conflict is opened."
            )
            % names
        )
    return (
        _(
            "Tidsbro is master: the %(system)s record chosen as partner takes the values Tidsbro "
            "holds; only what is empty in Tidsbro is taken from %(system)s. No conflict is opened."
        )
        % names
    )


def map_user(connection: Connection, user: Any, external_id: str) -> Binding:
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


def unmap_user(connection: Connection, user: Any) -> None:
    """Takes a user's ERP mapping away; their hours then go on the integration user."""
    Binding.objects.filter(connection=connection, entity="user", local_id=user.pk).update(
        local_id=None, state=State.REMOTE_ONLY
    )


def binding_unlink(*, binding: Binding, actor: Any = None) -> Binding:
    """Stops syncing a pair: both records stay, each marked "no sync" on its own (the pull
    would otherwise import the ERP record again, a push create the Tidsbro one there) until
    one is linked (choose partner) or included again; open conflicts are dropped; logs it."""
    if binding.local_id is None or not binding.external_id:
        raise ApplicationError(_("This record is not linked."))
    model = local_model(binding.entity)
    obj = model.objects.filter(pk=binding.local_id).first()
    local_id = binding.local_id
    with transaction.atomic():
        Conflict.objects.filter(binding=binding, resolved_at__isnull=True).delete()
        binding.remote_values = binding.remote_values or binding.snapshot
        binding.local_id = None
        binding.snapshot = {}
        binding.state = State.EXCLUDED
        binding.save(update_fields=["remote_values", "local_id", "snapshot", "state"])
        if binding.entity != "user":
            Binding.objects.create(
                connection_id=binding.connection_id,
                entity=binding.entity,
                local_id=local_id,
                state=State.EXCLUDED,
            )
        _log(
            actor,
            obj,
            _("Stopped the sync with the ERP record %(id)s") % {"id": binding.external_id},
        )
    return binding


def binding_exclude(
    *,
    connection: Connection,
    entity: str,
    local_ids: Iterable[int] = (),
    binding_ids: Iterable[int] = (),
    actor: Any = None,
) -> int:
    """Marks records "no sync": pulls and pushes pass them by until included; logs it."""
    local_ids = [int(i) for i in local_ids]
    binding_ids = [int(i) for i in binding_ids]
    if not local_ids and not binding_ids:
        raise ApplicationError(_("Choose at least one record."))
    model = local_model(entity)
    with transaction.atomic():
        bound = set(
            Binding.objects.filter(
                connection=connection, entity=entity, local_id__in=local_ids
            ).values_list("local_id", flat=True)
        )
        objs = list(model.objects.filter(pk__in=[i for i in local_ids if i not in bound]))
        Binding.objects.bulk_create(
            [
                Binding(connection=connection, entity=entity, local_id=o.pk, state=State.EXCLUDED)
                for o in objs
            ]
        )
        bindings = Binding.objects.filter(connection=connection, entity=entity).filter(
            models.Q(pk__in=binding_ids) | models.Q(local_id__in=bound)
        )
        count = len(objs) + bindings.exclude(state=State.EXCLUDED).update(state=State.EXCLUDED)
        linked = model.objects.filter(
            pk__in=Binding.objects.filter(pk__in=binding_ids).values("local_id")
        )
        _log_many(actor, [*objs, *linked, *model.objects.filter(pk__in=bound)], _("No sync"))
    return count


def binding_include(*, connection: Connection, bindings: Sequence[Binding], actor: Any = None):
    """Undoes "no sync": linked records sync again (a push checks them against the ERP now),
    records on one side only go back to their list; logs it. Returns how many."""
    if not bindings:
        raise ApplicationError(_("Choose at least one record."))
    count = 0
    pushes: list[tuple[str, int]] = []
    touched: list[tuple[str, int]] = []
    with transaction.atomic():
        for binding in bindings:
            if binding.state != State.EXCLUDED:
                continue
            count += 1
            if binding.local_id is not None:
                touched.append((binding.entity, binding.local_id))
            if not binding.external_id:
                binding.delete()  # back to "only in Tidsbro"
            elif binding.local_id is None:
                Binding.objects.filter(pk=binding.pk).update(state=State.REMOTE_ONLY)
            else:
                Binding.objects.filter(pk=binding.pk).update(state=State.LINKED)
                if can_push(connection, binding.entity):
                    pushes.append((binding.entity, binding.local_id))
        for entity, local_id in pushes:
            _enqueue(connection, entity, [local_id])
        for entity in {e for e, _i in touched}:
            ids = [i for e, i in touched if e == entity]
            _log_many(actor, list(local_model(entity).objects.filter(pk__in=ids)), _("Sync again"))
    return count


# --- creating the partner --------------------------------------------------------------------


def create_partner_remote(
    *,
    connection: Connection,
    entity: str,
    local_ids: Iterable[int],
    numbers: dict[int, str] | None = None,
    actor: Any = None,
) -> int:
    """Queues the creation in the ERP of Tidsbro records that have no partner (outbox); logs
    it. Returns how many were queued.

    `numbers` (local id → the number the office typed, customers only) is the customer's
    number in both systems, as in CleanManager: the Tidsbro record takes it first, and the
    create asks the ERP for it ("" lets the ERP give its next free number, which then comes
    back). A number another Tidsbro record or a known ERP record has is refused with the
    reason, all or nothing; if the ERP refuses it still, the transfer's item says why."""
    local_ids = sorted({int(i) for i in local_ids})
    numbers = {int(k): str(v or "").strip() for k, v in (numbers or {}).items()}
    if not local_ids:
        raise ApplicationError(_("Choose at least one record."))
    if not can_push(connection, entity):
        raise ApplicationError(push_refusal(connection, entity))
    model = local_model(entity)
    linked = pairs.paired_local_ids(connection, entity, local_ids, which=pairs.ANY)
    if linked:
        raise ApplicationError(
            _("%(count)d of the chosen records already have a partner in the ERP.")
            % {"count": len(linked)}
        )
    objs = list(model.objects.filter(pk__in=local_ids))
    if entity == "project":
        missing = customers_without_partner(connection=connection, projects=objs)
        if missing:
            raise ApplicationError(
                _(
                    "A project is created in %(system)s only with its customer, and these "
                    "customers have no partner there yet: %(customers)s. Choose their partners "
                    "(Sync center → Customers → Only in Tidsbro) first, then create the projects."
                )
                % {
                    "system": connection.system_name,
                    "customers": ", ".join(sorted({str(c) for _p, c in missing})),
                }
            )
    renumber = _numbers_checked(
        connection, entity, {o.pk: n for o in objs if (n := numbers.get(o.pk)) is not None}
    )
    with transaction.atomic():
        Binding.objects.filter(
            connection=connection, entity=entity, local_id__in=local_ids, external_id=""
        ).delete()
        for obj in objs:
            number = renumber.get(obj.pk)
            if number is not None and number != (getattr(obj, "number", "") or ""):
                with sync_writes():  # queued below, as a create
                    model.objects.filter(pk=obj.pk).update(number=number)
                obj.number = number
                _log(actor, obj, _("Customer number set to %(number)s") % {"number": number})
        _enqueue(connection, entity, [o.pk for o in objs])
        _log_many(actor, objs, _("Queued for creation in the ERP"))
    return len(objs)


# --- numbers the office types ----------------------------------------------------------------

# Object types whose number the office types when it creates the partner (the others' numbers
# are the ERP's to give).
TYPED_NUMBERS = frozenset({"customer"})


def _erp_numbers(connection: Connection, entity: str) -> dict[str, str]:
    """Number → remote id of every ERP record Tidsbro knows on this connection (one query)."""
    known: dict[str, str] = {}
    rows = (
        Binding.objects.filter(connection=connection, entity=entity)
        .exclude(external_id="")
        .values_list("external_id", "remote_values", "snapshot")
    )
    for external_id, remote, snapshot in rows:
        number = str((remote or {}).get("number") or (snapshot or {}).get("number") or "")
        if number:
            known[number] = external_id
    return known


def _numbers_checked(connection: Connection, entity: str, numbers: dict[Any, str]) -> dict:
    """`numbers` (record key → typed number) when every one is free on both sides and none
    is typed twice; else ApplicationError with each reason (three queries)."""
    if not numbers:
        return {}
    if entity not in TYPED_NUMBERS:
        raise ApplicationError(_("These records get their numbers from the ERP."))
    typed = [n for n in numbers.values() if n]
    twice = sorted({n for n in typed if typed.count(n) > 1})
    if twice:
        raise ApplicationError(
            _("The same number is typed for several records: %(numbers)s.")
            % {"numbers": ", ".join(twice)},
            field="number",
        )
    too_long = sorted(n for n in typed if len(n) > 32)
    if too_long:
        raise ApplicationError(
            _("%(number)s is too long for a number.") % {"number": too_long[0]}, field="number"
        )
    own = _partnering(connection, entity, numbers)
    locals_ = dict(
        local_model(entity)
        .objects.filter(number__in=typed)
        .values_list("number", "pk")
        .order_by("pk")
    )
    erp = _erp_numbers(connection, entity)
    reasons = []
    for key, number in numbers.items():
        fixed = number_is_id(key) if isinstance(key, Binding) else ""
        if fixed and number != fixed:
            reasons.append(
                _(
                    "%(system)s knows %(name)s by its number %(fixed)s, which cannot change "
                    "there; the customer gets that number in Tidsbro too."
                )
                % {
                    "system": connection.system_name,
                    "name": (key.remote_values or {}).get("name") or key.external_id,
                    "fixed": fixed,
                }
            )
            continue
        if not number:
            continue
        local_id, external_id = own[key]
        holder = locals_.get(number)
        if holder is not None and holder != local_id:
            reasons.append(
                _("%(number)s is already a customer number in Tidsbro.") % {"number": number}
            )
        elif number in erp and erp[number] != external_id:
            reasons.append(
                _("%(number)s is already a customer number in %(system)s.")
                % {"number": number, "system": connection.system_name}
            )
    if reasons:
        raise ApplicationError(" ".join(reasons), field="number")
    return numbers


def number_is_id(binding: Binding) -> str:
    """The ERP record's number when it is also its id there (so it can never change: e.g. a
    customer number that is the customer's key), else "" (pure)."""
    number = str((binding.remote_values or {}).get("number") or "")
    return number if number and number == str(binding.external_id) else ""


def _partnering(
    connection: Connection, entity: str, numbers: dict[Any, str]
) -> dict[Any, tuple[int | None, str]]:
    """Key → (local id, remote id) of the records `numbers` is about: int keys are local ids
    (create in the ERP), Binding keys the ERP records (create in Tidsbro)."""
    return {
        key: (None, key.external_id) if isinstance(key, Binding) else (int(key), "")
        for key in numbers
    }


def next_free_numbers(*, connection: Connection, entity: str, count: int) -> list[str]:
    """`count` numbers after the highest whole number either side uses, free on both (two
    queries): what "assign the next free numbers" gives."""
    used = {str(n) for n in local_model(entity).objects.values_list("number", flat=True) if n}
    used |= set(_erp_numbers(connection, entity))
    start = max((int(n) for n in used if n.isdigit() and len(n) < 19), default=0) + 1
    found: list[str] = []
    candidate = start
    while len(found) < count:
        if str(candidate) not in used:
            found.append(str(candidate))
        candidate += 1
    return found


def proposed_numbers(
    *,
    connection: Connection,
    entity: str,
    records: Sequence[tuple[Any, str, int | None, str]],
    keep: bool = True,
) -> dict[Any, str]:
    """The number to offer per record, from (key, own number, local id, remote id): its own
    when `keep` and it is free on the other side, else the next free one (distinct)."""
    if entity not in TYPED_NUMBERS:
        return {}
    local_numbers = dict(
        local_model(entity)
        .objects.filter(number__in=[n for _k, n, _l, _e in records if n])
        .values_list("number", "pk")
    )
    erp = _erp_numbers(connection, entity)
    offered: dict[Any, str] = {}
    need: list[Any] = []
    given: set[str] = set()
    for key, own, local_id, external_id in records:
        own = str(own or "")
        if own and own == str(external_id or ""):
            # The ERP's number is its id there and cannot change: the only one to offer (a
            # Tidsbro customer holding it is refused with the reason on creation).
            offered[key] = own
            given.add(own)
            continue
        free = (
            own
            and own not in given
            and local_numbers.get(own, local_id) == local_id
            and erp.get(own, external_id) == external_id
        )
        if keep and free:
            offered[key] = own
            given.add(own)
        else:
            need.append(key)
    fresh = iter(
        n
        for n in next_free_numbers(connection=connection, entity=entity, count=len(need) * 2 + 1)
        if n not in given
    )
    for key in need:
        offered[key] = next(fresh)
    return offered


def customers_without_partner(
    *, connection: Connection, projects: Sequence[Any]
) -> list[tuple[Any, Any]]:
    """(project, customer) for the projects whose customer has no partner in the ERP: such a
    project is not created there (it would be created without its customer). One query."""
    wanted = {p.customer_id for p in projects if p.customer_id is not None}
    if not wanted:
        return []
    partnered = pairs.paired_local_ids(connection, "customer", wanted)
    return [
        (p, p.customer)
        for p in projects
        if p.customer_id is not None and p.customer_id not in partnered
    ]


def create_partner_local(
    *,
    connection: Connection,
    entity: str,
    bindings: Sequence[Binding],
    numbers: dict[int, str] | None = None,
    actor: Any = None,
) -> list[Any]:
    """Creates Tidsbro records for ERP records only in the ERP, with the ERP's values
    (domain services); all or nothing; logs it.

    `numbers` (binding id → the number the office typed, customers only) is the customer's
    number in both systems, as in CleanManager: the Tidsbro record gets it, refused with the
    reason when another Tidsbro record or ERP record has it. Where the ERP's number is the
    record's id there (a customer number that is the ERP's key), it cannot change, so a different one is
    refused with that reason: the two systems would otherwise disagree for good (the next
    pull would bring the ERP's number back). Elsewhere a number other than the ERP's own is
    a change made in Tidsbro, queued for the ERP like any other. Without `numbers` the
    records keep the ERP's numbers and nothing is pushed back."""
    if not bindings:
        raise ApplicationError(_("Choose at least one record."))
    if entity == "user":
        raise ApplicationError(
            _("Users are not created from the ERP: invite the colleague, then link them.")
        )
    loose = [b for b in bindings if b.local_id is None and b.external_id and b.entity == entity]
    if len(loose) != len(bindings):
        raise ApplicationError(_("Some of the chosen records already have a partner."))
    wanted = {int(k): str(v or "").strip() for k, v in (numbers or {}).items()}
    typed = _numbers_checked(connection, entity, {b: wanted[b.pk] for b in loose if b.pk in wanted})
    adapter = adapter_for(entity)
    now = timezone.now()
    rows = []
    renumbered: list[int] = []
    for i, binding in enumerate(loose):
        row = dict(binding.remote_values or {})
        if binding in typed and typed[binding] != str(row.get("number") or ""):
            row["number"] = typed[binding]
            renumbered.append(i)
        rows.append(row)
    with transaction.atomic():
        with sync_writes():
            created = adapter.create_many(connection, rows)
        for binding, obj in zip(loose, created, strict=True):
            binding.local_id = obj.pk
            binding.snapshot = dict(binding.remote_values or {})
            binding.state = State.LINKED
            binding.synced_at = now
        Binding.objects.bulk_update(loose, ["local_id", "snapshot", "state", "synced_at"])
        _log_many(actor, created, _("Created from the ERP record"), flag=ADDITION)
        if renumbered and can_push(connection, entity):
            _enqueue(connection, entity, [created[i].pk for i in renumbered])
    return created


# --- conflicts -------------------------------------------------------------------------------

LOCAL, REMOTE, MERGED = "local", "remote", "merged"


def parse_merged(text: str, like: Sequence[Any]) -> Any:
    """A typed value in the type of the values it replaces (pure): text, number, yes/no."""
    sample = next((v for v in like if v is not None), None)
    text = (text or "").strip()
    if isinstance(sample, bool):
        return text.casefold() in ("1", "true", "yes", "ja", "on")
    if isinstance(sample, int):
        try:
            return int(text)
        except ValueError:
            raise ApplicationError(
                _("%(value)s is not a whole number.") % {"value": text}
            ) from None
    if isinstance(sample, (list, dict)):
        try:
            return json.loads(text)
        except ValueError:
            raise ApplicationError(_("%(value)s is not a valid value.") % {"value": text}) from None
    if isinstance(sample, str) and sample and _is_decimal(sample):
        if text and not _is_decimal(text):
            raise ApplicationError(_("%(value)s is not a number.") % {"value": text})
    return text or (None if sample is None else "")


def _is_decimal(text: str) -> bool:
    try:
        Decimal(text)
    except (InvalidOperation, ValueError):
        return False
    return True


def conflict_resolve(
    *, binding: Binding, choices: dict[str, tuple[str, Any]], actor: Any = None
) -> Binding:
    """Settles the open conflicts of one record: `choices` maps each field to (local |
    remote | merged, typed value). Tidsbro is updated now, the ERP through the outbox, the
    snapshot set so both end equal; each conflict records how, by whom and when; logs it."""
    open_conflicts = {c.field: c for c in binding.conflicts.filter(resolved_at__isnull=True)}
    if not open_conflicts:
        raise ApplicationError(_("This record has no open conflicts."))
    missing = [f for f in open_conflicts if f not in choices or not choices[f][0]]
    if missing:
        raise ApplicationError(
            _("Choose a value for every field: %(fields)s.") % {"fields": ", ".join(missing)}
        )
    connection = binding.connection
    adapter = adapter_for(binding.entity)
    model = local_model(binding.entity)
    obj = model.objects.filter(pk=binding.local_id).first()
    if obj is None:
        raise ApplicationError(_("This Tidsbro record no longer exists."))
    values: dict[str, Any] = {}
    resolutions: dict[str, str] = {}
    for name, conflict in open_conflicts.items():
        how, typed = choices[name]
        if how == LOCAL:
            values[name], resolutions[name] = conflict.local_value, Conflict.Resolution.KEPT_LOCAL
        elif how == REMOTE:
            values[name], resolutions[name] = conflict.remote_value, Conflict.Resolution.KEPT_REMOTE
        elif how == MERGED:
            values[name] = parse_merged(typed, [conflict.local_value, conflict.remote_value])
            resolutions[name] = Conflict.Resolution.MERGED
        else:
            raise ApplicationError(
                _("Choose a value for every field: %(fields)s.") % {"fields": name}
            )
    to_erp = {n for n, v in values.items() if v != open_conflicts[n].remote_value}
    if to_erp and not can_push(connection, binding.entity):
        raise ApplicationError(push_refusal(connection, binding.entity))
    now = timezone.now()
    with transaction.atomic():
        local = adapter.values(connection, [obj])[obj.pk]
        to_local = {n: v for n, v in values.items() if local.get(n) != v}
        if to_local:
            with sync_writes():
                adapter.update_many(connection, [(obj, to_local)])
        # The ERP's value stays the base of a field it has not got yet: the push sees the
        # chosen value as a local change and sends it; the rest is agreed now.
        snapshot = dict(binding.snapshot or {})
        for name, value in values.items():
            snapshot[name] = open_conflicts[name].remote_value if name in to_erp else value
        for name, conflict in open_conflicts.items():
            conflict.resolved_at = now
            conflict.resolution = resolutions[name]
            conflict.resolved_value = values[name]
            conflict.resolved_by = actor if getattr(actor, "pk", None) else None
        Conflict.objects.bulk_update(
            list(open_conflicts.values()),
            ["resolved_at", "resolution", "resolved_value", "resolved_by"],
        )
        binding.snapshot = snapshot
        binding.state = State.LINKED
        binding.synced_at = now
        binding.save(update_fields=["snapshot", "state", "synced_at"])
        if to_erp:
            _enqueue(connection, binding.entity, [obj.pk])
        _log(
            actor,
            obj,
            _("Resolved the conflict: %(fields)s")
            % {
                "fields": ", ".join(
                    f"{n} → {Conflict.Resolution(resolutions[n]).label}" for n in sorted(values)
                )
            },
        )
    return binding


def conflicts_keep(*, bindings: Sequence[Binding], side: str, actor: Any = None) -> int:
    """Settles every open conflict of `bindings` with one side's values (all or nothing)."""
    if side not in (LOCAL, REMOTE):
        raise ApplicationError(_("Choose which side's values to keep."))
    if not bindings:
        raise ApplicationError(_("Choose at least one record."))
    count = 0
    with transaction.atomic():
        for binding in bindings:
            fields = binding.conflicts.filter(resolved_at__isnull=True).values_list(
                "field", flat=True
            )
            choices = {f: (side, None) for f in fields}
            if not choices:
                continue
            conflict_resolve(binding=binding, choices=choices, actor=actor)
            count += 1
    return count
