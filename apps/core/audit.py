"""The audit trail: who did what to which object, in the admin's own history (LogEntry).

Decision: the store is Django's ``admin.LogEntry``. It already holds who (user), what
(content type + object id + its text at the time), when (action_time), how (ADDITION /
CHANGE / DELETION) and a free message; the admin's "History" button of every object reads it,
and the admin's own add/change/delete views write it. A second store would split the history
in two. What LogEntry cannot hold is an action without a user: scheduled syncs are recorded by
their SyncRun rows instead, so ``record`` ignores a missing actor.

Call it from services, inside the transaction of the change, so the record and the change are
committed (or rolled back) together::

    from apps.core import audit

    audit.record(actor, connection, _("Changed the master of projects to the ERP"))
    audit.record(actor, conflict, _("Resolved: kept %(side)s for name") % {...})
    audit.record(actor, obj, _("Created ..."), flag=audit.ADDITION)
    audit.record_many(actor, bindings, _("Excluded from sync"))  # one message, many objects

Never put secrets in the message (passwords, session ids, tokens): name the field that
changed, not its value. The read-only "Audit log" in the admin lists every record
(apps/core/admin.py).
"""

import json
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import models
from django.utils import translation

__all__ = ["ADDITION", "CHANGE", "DELETION", "changed_fields", "record", "record_many"]


def record(actor: Any, obj: models.Model, message: str, *, flag: int = CHANGE) -> None:
    """Records that ``actor`` did ``message`` to ``obj``; nothing when there is no actor."""
    if actor is None or not getattr(actor, "pk", None):
        return
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=str(message),
        single_object=True,
    )


def record_many(actor: Any, objs: list[models.Model], message: str, *, flag: int = CHANGE) -> None:
    """The same record for several objects (a bulk action), in one query."""
    if actor is None or not getattr(actor, "pk", None) or not objs:
        return
    LogEntry.objects.log_actions(
        user_id=actor.pk, queryset=list(objs), action_flag=flag, change_message=str(message)
    )


def changed_fields(model: type[models.Model], fields: list[str]) -> str:
    """The admin's own "Changed <labels>." message, in its format: History translates it."""
    with translation.override(None):
        labels = [str(model._meta.get_field(name).verbose_name) for name in fields]
    return json.dumps([{"changed": {"fields": labels}}])
