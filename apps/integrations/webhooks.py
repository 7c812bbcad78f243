"""The receiver of ERP webhooks: `POST /integrations/webhooks/<system>/<connection id>/`.

A system whose connector declares `spec.webhooks` (see `connectors.base.Webhooks`) calls this
address when its records change. The call is checked and answered at once; the records it
names are pulled by a background job (`pull_job` → `sync.instant.pull_records`):

- 404: no such system, no such active connection of it, or the system has no webhooks;
- 401: no secret header (`X-Tidsbro-Webhook-Secret`); 403: a wrong one (compared in constant
  time) or none set up for the connection — nothing is read or queued; a system that signs its
  calls instead (`spec.webhooks.verify`) gets 403 for a signature it does not accept;
- 413: a body over `MAX_BODY_BYTES`; 400: a body the connector cannot read;
- 202: accepted — one job per object type (connection id, object type, ERP ids: no secret,
  no body), only for object types the connection keeps in step and can pull.

Neither the secret nor the body is ever logged. Polling stays the safety net: a lost or
refused call only means the change arrives with the next poll.
"""

from __future__ import annotations

import hmac
import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from apps.integrations.models import Connection, SyncRun

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Tidsbro-Webhook-Secret"  # noqa: S105 - a header name
MAX_BODY_BYTES = 64 * 1024
# Ids per job (one request each); a longer list is split.
IDS_PER_JOB = 50
# A job that found a poll holding the lease tries again this much later, this often.
RETRY_AFTER = timedelta(seconds=30)
MAX_ATTEMPTS = 3


def receiver_path(*, system: str, connection_id: int) -> str:
    """The receiver's path for one connection (what a connector registers, after the site's
    base URL)."""
    from django.urls import reverse

    return reverse("integrations_webhook", args=[system, connection_id])


def _answer(status: int, text: str, **extra: Any) -> JsonResponse:
    return JsonResponse({"detail": text, **extra}, status=status)


@csrf_exempt
@require_POST
@sensitive_variables("secret", "expected", "body")
def receive_view(request: HttpRequest, system: str, connection_id: int) -> HttpResponse:
    capability, connection = _target(system, connection_id)
    if capability is None or connection is None:
        return _answer(404, "Unknown webhook address.")
    verify = getattr(capability, "verify", None)
    if verify is None:
        secret = request.headers.get(SECRET_HEADER, "")
        if not secret:
            return _answer(401, f"The {SECRET_HEADER} header is missing.")
        expected = capability.secret(connection) or ""
        if not expected or not hmac.compare_digest(secret.encode(), expected.encode()):
            logger.warning("webhook for connection %s refused: wrong secret", connection.pk)
            return _answer(403, "The webhook secret is not accepted.")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return _answer(413, "The body is too large.")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _answer(413, "The body is too large.")
    if verify is not None and not verify(connection, request.headers, body):
        # The system signs its calls (e.g. an HMAC of the body with a timestamp): checked
        # over the raw body, before anything is read from it.
        logger.warning("webhook for connection %s refused: signature not accepted", connection.pk)
        return _answer(403, "The webhook signature is not accepted.")
    try:
        pairs = capability.parse(connection, body, request.content_type or "")
    except ValueError:
        logger.info("webhook for connection %s: body not understood", connection.pk)
        return _answer(400, "The body is not a notice this connection understands.")
    queued = enqueue_pulls(connection=connection, pairs=pairs)
    logger.info(
        "webhook for connection %s: %d record(s) named, %d queued",
        connection.pk,
        len(pairs),
        queued,
    )
    return _answer(202, "Accepted.", queued=queued)


def _target(system: str, connection_id: int) -> tuple[Any, Connection | None]:
    from apps.integrations.registry import spec_for

    try:
        capability = spec_for(system).webhooks
    except LookupError:
        return None, None
    if capability is None:
        return None, None
    connection = Connection.objects.filter(pk=connection_id, system=system, is_active=True).first()
    return capability, connection


def enqueue_pulls(*, connection: Connection, pairs: list[tuple[str, str]]) -> int:
    """Queues a pull job per object type (after commit; ids only) for the records the
    connection keeps in step and can pull; returns how many records were queued."""
    capabilities = connection.spec.capabilities
    wanted: dict[str, list[str]] = defaultdict(list)
    for entity, external_id in pairs:
        external_id = str(external_id)
        if not external_id or not connection.is_connected(entity):
            continue
        if not capabilities.can_pull(entity) or external_id in wanted[entity]:
            continue
        wanted[entity].append(external_id)
    queued = 0
    for entity, ids in wanted.items():
        for start in range(0, len(ids), IDS_PER_JOB):
            _queue(connection.pk, entity, ids[start : start + IDS_PER_JOB], 1)
            queued += len(ids[start : start + IDS_PER_JOB])
    return queued


def _queue(connection_id: int, entity: str, ids: list[str], attempt: int) -> None:
    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task(
            "apps.integrations.webhooks.pull_job",
            connection_id,
            entity,
            ids,
            attempt,
            task_name=f"webhook {connection_id} {entity}",
            group="integrations",
        )

    transaction.on_commit(enqueue, robust=True)


def pull_job(connection_id: int, entity: str, external_ids: list[str], attempt: int = 1) -> str:
    """django-q2 job: pulls the named records now; tries again a little later (up to
    MAX_ATTEMPTS) when a poll of the same object type holds the lease."""
    from apps.integrations.sync.instant import pull_records

    connection = Connection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "connection gone"
    run = pull_records(connection, entity, external_ids, trigger=SyncRun.Trigger.WEBHOOK)
    if run.status == SyncRun.Status.ALREADY_RUNNING and attempt < MAX_ATTEMPTS:
        _retry_later(connection_id, entity, external_ids, attempt + 1)
        return f"{entity}: a sync is running; trying again in {RETRY_AFTER.seconds} s"
    return (
        f"{entity} {run.status}: fetched {run.fetched}, created {run.created}, "
        f"updated {run.updated}, conflicts {run.conflicts}, requests {run.requests}"
    )


def _retry_later(connection_id: int, entity: str, ids: list[str], attempt: int) -> None:
    from django_q.models import Schedule
    from django_q.tasks import schedule

    schedule(
        "apps.integrations.webhooks.pull_job",
        connection_id,
        entity,
        ids,
        attempt,
        schedule_type=Schedule.ONCE,
        next_run=timezone.now() + RETRY_AFTER,
        repeats=1,
    )


def enable_after_connect(*, connection: Connection) -> None:
    """Queues switching instant updates on for a new connection (after commit, ids only), when
    its system offers webhooks that can be switched on (`spec.webhooks.enable`)."""
    capability = connection.spec.webhooks
    if capability is None or not callable(getattr(capability, "enable", None)):
        return
    connection_id = connection.pk

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task(
            "apps.integrations.webhooks.enable_job",
            connection_id,
            task_name=f"webhooks {connection_id}",
            group="integrations",
        )

    transaction.on_commit(enqueue, robust=True)


def enable_job(connection_id: int) -> str:
    """django-q2 job: switches instant updates on (the connector registers its webhooks); a
    failure is only reported: the settings box can switch them on later."""
    from apps.core.exceptions import ApplicationError
    from apps.integrations.connectors.base import ConnectorError

    connection = Connection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "connection gone"
    try:
        return connection.spec.webhooks.enable(connection)
    except (ApplicationError, ConnectorError) as exc:
        logger.warning("instant updates not switched on for connection %s: %s", connection_id, exc)
        return f"not switched on: {exc}"


def last_instant_update(connection: Connection) -> SyncRun | None:
    """The latest run a webhook started for the connection (for status boxes)."""
    return (
        SyncRun.objects.filter(connection=connection, trigger=SyncRun.Trigger.WEBHOOK)
        .order_by("-started_at", "-id")
        .first()
    )
