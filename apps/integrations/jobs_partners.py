"""Create all partners: every record of one sync center list ("only in Tidsbro" / "only in
<system>") that the search matches, not one page, in the background.

- `create_all_start` (service): records the run (a `SyncRun` of kind `partners_remote` /
  `partners_local`: total in `fetched`, done in `created`, failures in `errors` and
  `changes`) and queues `create_all_job` after commit.
- `create_all_job` (django-q entry): takes ids and the search, never credentials; works in
  chunks through `partners.create_partner_remote` / `create_partner_local`, writing the
  progress after each; records partnered meanwhile are skipped, not created twice.

Numbers (customers): "keep" gives each record its own number where the other side does not
use it (else the next free one), "next" the next free numbers on both sides.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.exceptions import ApplicationError
from apps.integrations import partners, selectors
from apps.integrations.models import Binding, Connection, SyncRun

KINDS = {"create_remote": "partners_remote", "create_local": "partners_local"}
KEEP, NEXT = "keep", "next"
CHUNK = 100
# Failures listed on the progress page (the count is always whole).
MAX_LISTED = 200


def create_all_matching(
    *, connection: Connection, entity: str, action: str, search: str = ""
) -> Any:
    """The records `action` would create partners for now: the list's whole filter."""
    if action == "create_remote":
        return selectors.partner_local_only(connection=connection, entity=entity, search=search)
    if action == "create_local":
        return selectors.partner_bindings(
            connection=connection, entity=entity, tab="remote_only", search=search
        ).filter(state=Binding.State.REMOTE_ONLY)
    raise ApplicationError(_("Choose an action."))


def create_all_running(*, connection: Connection, entity: str) -> SyncRun | None:
    """A create-all of this list still running (one at a time per connection and type)."""
    return (
        SyncRun.objects.filter(
            connection=connection,
            entity=entity,
            kind__in=KINDS.values(),
            status=SyncRun.Status.RUNNING,
            started_at__gte=timezone.now() - timedelta(hours=1),
        )
        .order_by("-id")
        .first()
    )


def create_all_start(
    *,
    connection: Connection,
    entity: str,
    action: str,
    search: str = "",
    numbers: str = KEEP,
    actor: Any = None,
) -> SyncRun:
    """Records a create-all run and queues its job after commit; refuses what cannot be
    created (nothing matching, pushing not allowed, one already running)."""
    if action not in KINDS:
        raise ApplicationError(_("Choose an action."))
    if action == "create_remote" and not partners.can_push(connection, entity):
        raise ApplicationError(partners.push_refusal(connection, entity))
    if action == "create_local" and entity == "user":
        raise ApplicationError(
            _("Users are not created from the ERP: invite the colleague, then link them.")
        )
    if numbers not in (KEEP, NEXT):
        raise ApplicationError(_("Choose how the numbers are given."))
    running = create_all_running(connection=connection, entity=entity)
    if running is not None:
        raise ApplicationError(_("Creating all partners is already running."))
    total = create_all_matching(
        connection=connection, entity=entity, action=action, search=search
    ).count()
    if not total:
        raise ApplicationError(_("There is nothing in this list to create."))
    with transaction.atomic():
        run = SyncRun.objects.create(
            connection=connection,
            entity=entity,
            kind=KINDS[action],
            trigger=SyncRun.Trigger.MANUAL,
            fetched=total,
        )
        actor_id = getattr(actor, "pk", None)
        transaction.on_commit(lambda: _queue(run.pk, search, numbers, actor_id))
    return run


def _queue(run_id: int, search: str, numbers: str, actor_id: int | None) -> None:
    from django_q.tasks import async_task

    async_task(
        "apps.integrations.jobs_partners.create_all_job",
        run_id,
        search,
        numbers,
        actor_id,
        task_name=f"create-all-partners-{run_id}",
    )


def create_all_job(run_id: int, search: str, numbers: str, actor_id: int | None) -> str:
    """Creates the partners of a create-all run, chunk by chunk; returns a short summary."""
    run = SyncRun.objects.select_related("connection").get(pk=run_id)
    action = next(a for a, kind in KINDS.items() if kind == run.kind)
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    failures: list[dict[str, str]] = []
    done = skipped = 0
    try:
        ids = list(
            create_all_matching(
                connection=run.connection, entity=run.entity, action=action, search=search
            ).values_list("pk", flat=True)
        )
        # Those of the count given a partner between the start and now are skipped too.
        skipped = max(0, run.fetched - len(ids))
        for start in range(0, len(ids), CHUNK):
            made, passed, failed = _chunk(run, action, ids[start : start + CHUNK], numbers, actor)
            done, skipped = done + made, skipped + passed
            failures.extend(failed)
            SyncRun.objects.filter(pk=run.pk).update(
                created=done, skipped=skipped, errors=len(failures), changes=failures[:MAX_LISTED]
            )
    except Exception as exc:  # the page must end, with the reason, whatever went wrong
        SyncRun.objects.filter(pk=run.pk).update(
            status=SyncRun.Status.FAILED,
            finished_at=timezone.now(),
            error_text=str(getattr(exc, "message", None) or exc)[:2000],
        )
        raise
    SyncRun.objects.filter(pk=run.pk).update(
        status=SyncRun.Status.FAILED if failures and not done else SyncRun.Status.SUCCEEDED,
        finished_at=timezone.now(),
    )
    return f"{done} created, {skipped} skipped, {len(failures)} failed"


def _chunk(
    run: SyncRun, action: str, ids: list[int], numbers: str, actor: Any
) -> tuple[int, int, list[dict[str, str]]]:
    """(created, skipped, failures) of one chunk: all at once, else one by one so each
    failure is listed with its reason."""
    connection, entity = run.connection, run.entity
    records = _still_without_partner(connection, entity, action, ids)
    skipped = len(ids) - len(records)
    if not records:
        return 0, skipped, []
    try:
        _create(connection, entity, action, records, numbers, actor)
        return len(records), skipped, []
    except (ApplicationError, ValidationError):
        pass
    made, failures = 0, []
    for record in records:
        try:
            _create(connection, entity, action, [record], numbers, actor)
            made += 1
        except (ApplicationError, ValidationError) as exc:
            # The engine's change shape (the run's admin page lists it), with the reason.
            failures.append(
                {
                    "action": "failed",
                    "entity": entity,
                    "local_id": record.pk if action == "create_remote" else None,
                    "external_id": "" if action == "create_remote" else record.external_id,
                    "record": _label(action, record),
                    "error": _reason(exc),
                }
            )
    return made, skipped, failures


def _still_without_partner(
    connection: Connection, entity: str, action: str, ids: list[int]
) -> list[Any]:
    if action == "create_remote":
        return list(
            selectors.partner_local_only(connection=connection, entity=entity).filter(pk__in=ids)
        )
    return list(
        Binding.objects.filter(
            connection=connection,
            entity=entity,
            pk__in=ids,
            local_id__isnull=True,
            state=Binding.State.REMOTE_ONLY,
        )
        .exclude(external_id="")
        .order_by("id")
    )


def _create(
    connection: Connection, entity: str, action: str, records: list, numbers: str, actor: Any
) -> None:
    typed = _numbers(connection, entity, action, records, keep=numbers == KEEP)
    if action == "create_remote":
        partners.create_partner_remote(
            connection=connection,
            entity=entity,
            local_ids=[o.pk for o in records],
            numbers=typed,
            actor=actor,
        )
    else:
        partners.create_partner_local(
            connection=connection, entity=entity, bindings=records, numbers=typed, actor=actor
        )


def _numbers(
    connection: Connection, entity: str, action: str, records: list, *, keep: bool
) -> dict[int, str] | None:
    if entity not in partners.TYPED_NUMBERS:
        return None
    if action == "create_remote":
        rows = [(o.pk, getattr(o, "number", "") or "", o.pk, "") for o in records]
    else:
        rows = [
            (b.pk, str((b.remote_values or {}).get("number") or ""), None, b.external_id)
            for b in records
        ]
    return partners.proposed_numbers(connection=connection, entity=entity, records=rows, keep=keep)


def _label(action: str, record: Any) -> str:
    if action == "create_remote":
        return str(record)
    values = record.remote_values or {}
    name = values.get("name") or record.external_id
    return f"{name} ({record.external_id})"


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return (
            " ".join(
                f"{name}: {' '.join(str(m) for m in errors)}"
                if name != "__all__"
                else " ".join(errors)
                for name, errors in exc.message_dict.items()
            )
            if hasattr(exc, "error_dict")
            else " ".join(exc.messages)
        )
    return str(getattr(exc, "message", exc))
