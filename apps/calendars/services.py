"""A person's calendar account: connect, disconnect, the switches of My calendar, and asking
for a round (apps/calendars/README.md §5). The round itself is `sync.run_round`; pushes are `push.py`.

Secrets (the token document, the subscription's client state) stay in `CalendarAccount.state`
(encrypted) and never reach a task's arguments, a log line or an exception message. The
connector's token keeper rewrites `state` under a row lock: code here saves other fields with
`update_fields` (or re-reads `state` under the same lock) so a renewed token is never lost.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.calendars.common import (  # noqa: F401 - part of this module's API
    may_write,
    office_allows_write,
    provider_of,
    wanted_window,
    window_moved,
)
from apps.calendars.models import CalendarAccount, CalendarEvent, EntryEvent, Refusal
from apps.core.exceptions import ApplicationError
from apps.integrations.connectors.base import AuthFailed, ConnectorError, RateLimited

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.calendars.providers import LoginResult
    from apps.integrations.models import Connection

logger = logging.getLogger(__name__)

Health = CalendarAccount.Health

# A requested round whose job seems lost is asked for again after this long.
REQUEST_STALE = timedelta(minutes=2)


# --- asking for a round ---------------------------------------------------------------------


def request_round(account: CalendarAccount | int, reason: str = "") -> bool:
    """Asks for a round of the account soon (coalesced): marks it requested and, unless a
    request is already waiting, queues `jobs.round_for(account_id)` when the caller's
    transaction commits. A round running now sees the mark and reads once more.
    Returns whether a job was queued."""
    account_id = account if isinstance(account, int) else account.pk
    now = timezone.now()
    queued = (
        CalendarAccount.objects.filter(pk=account_id)
        .exclude(health=Health.DISCONNECTED)
        .filter(Q(pull_requested_at__isnull=True) | Q(pull_requested_at__lt=now - REQUEST_STALE))
        .update(pull_requested_at=now)
    )
    if not queued:
        return False

    def enqueue() -> None:
        from django_q.tasks import async_task

        async_task(
            "apps.calendars.jobs.round_for",
            account_id,
            task_name=f"calendar round {account_id}",
            group="calendars",
        )

    logger.debug("calendar round requested for account %s (%s)", account_id, reason)
    transaction.on_commit(enqueue, robust=True)
    return True


# --- health ---------------------------------------------------------------------------------


def explain(account: CalendarAccount, exc: ConnectorError) -> str:
    """The failure in words for the person and the health panel."""
    text = None
    try:
        from apps.integrations import registry

        text = registry.spec_for(account.connection.system).explain(exc)
    except LookupError:
        text = None
    if isinstance(exc, AuthFailed):
        again = _("Connect your calendar again.")
        return f"{text} {again}" if text and again not in text else (text or again)
    if isinstance(exc, RateLimited):
        return text or _("The calendar asked Tidsbro to slow down; it tries again shortly.")
    return text or _("The calendar could not be reached (%(error)s); Tidsbro tries again.") % {
        "error": str(exc)[:300]
    }


def account_problem(account: CalendarAccount, exc: ConnectorError) -> CalendarAccount:
    """Records a failed round on the account: RECONNECT when the calendar refused the stored
    sign-in ("connect your calendar again"), else FAILING (retried by the next round)."""
    now = timezone.now()
    account.health = Health.RECONNECT if isinstance(exc, AuthFailed) else Health.FAILING
    account.problem = explain(account, exc)[:2000]
    if account.problem_since is None:
        account.problem_since = now
    CalendarAccount.objects.filter(pk=account.pk).exclude(health=Health.DISCONNECTED).update(
        health=account.health,
        problem=account.problem,
        problem_since=account.problem_since,
        updated_at=now,
    )
    return account


def account_healthy(account: CalendarAccount) -> None:
    """Clears a recorded problem after a round that worked."""
    if account.health in (Health.OK, Health.DISCONNECTED) and not account.problem:
        return
    account.health, account.problem, account.problem_since = Health.OK, "", None
    CalendarAccount.objects.filter(pk=account.pk).exclude(health=Health.DISCONNECTED).update(
        health=Health.OK, problem="", problem_since=None, updated_at=timezone.now()
    )


# --- connecting -----------------------------------------------------------------------------


def _forget_calendar(account: CalendarAccount) -> None:
    """Deletes what Tidsbro kept of the account's calendar (entries stay)."""
    CalendarEvent.objects.filter(account=account).delete()
    EntryEvent.objects.filter(account=account).delete()
    Refusal.objects.filter(account=account).delete()


def account_connect(*, user: User, connection: Connection, login: LoginResult) -> CalendarAccount:
    """Saves a finished sign-in as the person's calendar account (new, or connected again:
    the mirror and ties are kept when it is the same calendar account) and asks for a first
    round. The tokens go to the encrypted state at once. A sign-in that gave write access
    (asked for only to save hours in the calendar) switches "Save my hours" on when the
    office allows it; one without it switches it off."""
    if not connection.is_active:
        raise ApplicationError(_("Calendars are not switched on for this office."))
    if not login.state.get("refresh_token"):
        raise ApplicationError(_("The sign-in gave no lasting permission. Nothing was saved."))
    with transaction.atomic():
        account = CalendarAccount.objects.select_for_update().filter(user=user).first()
        keep: dict[str, Any] = {}
        if account is None:
            account = CalendarAccount(user=user, connection=connection)
        else:
            same = (
                account.account_id == login.account_id
                and account.connection_id == connection.pk
                and bool(login.account_id)
            )
            if same:
                client_state = account.state_doc.get("client_state")
                if client_state:
                    keep["client_state"] = client_state
            else:
                _forget_calendar(account)
                account.delta_link = account.resync_link = ""
                account.window_start = account.window_end = None
                account.resync_window_start = account.resync_window_end = None
                account.subscription_id = ""
                account.subscription_expires_at = None
                account.last_synced_at = None
        account.connection = connection
        account.state_doc = {**login.state, **keep}
        account.account_email = login.email[:254]
        account.account_id = login.account_id[:100]
        account.tenant_id = login.tenant_id[:100]
        account.scopes = list(login.scopes)
        # Write access is asked for only to save hours in the calendar: given, it is on.
        account.write_hours = account.can_write and office_allows_write(connection)
        account.health, account.problem, account.problem_since = Health.OK, "", None
        account.lease_owner, account.lease_until = "", None
        account.pull_requested_at = None
        account.save()
        if account.write_hours:
            from apps.calendars import push

            push.queue_window(account)
        request_round(account, "connected")
    return account


def _check_owner(*, actor: User, account: CalendarAccount) -> None:
    if actor.pk != account.user_id and not actor.is_superuser:
        raise ApplicationError(_("Only the owner of a calendar can change its settings."))


def account_disconnect(*, actor: User, account: CalendarAccount) -> CalendarAccount:
    """Stops keeping the person's calendar in step: ends the change subscription (best
    effort), forgets the tokens, deletes the mirror and the waiting writes. The person's
    entries stay, and the events Tidsbro wrote stay in their calendar."""
    _check_owner(actor=actor, account=account)
    provider = provider_of(account.connection)
    if account.subscription_id and provider is not None and account.state:
        client = None
        try:
            client = provider.client(account)
            client.unsubscribe(account.subscription_id)
        except ConnectorError as exc:
            logger.info("calendar %s: unsubscribe failed (%s)", account.pk, type(exc).__name__)
        finally:
            if client is not None:
                client.close()
    with transaction.atomic():
        account = CalendarAccount.objects.select_for_update().get(pk=account.pk)
        CalendarEvent.objects.filter(account=account).delete()
        EntryEvent.objects.filter(account=account, entry__isnull=True).delete()
        EntryEvent.objects.filter(account=account).update(
            push_status=EntryEvent.Push.NONE,
            push_operation="",
            push_attempts=0,
            next_attempt_at=None,
            last_error="",
        )
        account.state_doc = {}
        account.scopes = []
        account.write_hours = False
        account.health, account.problem, account.problem_since = Health.DISCONNECTED, "", None
        account.delta_link = account.resync_link = ""
        account.window_start = account.window_end = None
        account.resync_window_start = account.resync_window_end = None
        account.subscription_id = ""
        account.subscription_expires_at = None
        account.pull_requested_at = account.full_sync_requested_at = None
        account.lease_owner, account.lease_until = "", None
        account.save()
    return account


def account_set_write_hours(*, actor: User, account: CalendarAccount, on: bool) -> CalendarAccount:
    """Switches "Save my hours in my calendar". On: refused unless the office allows it and
    the sign-in gave write access; every entry with a start and stop in the window is queued
    for the calendar. Off: waiting writes are dropped (events already written stay)."""
    _check_owner(actor=actor, account=account)
    if on:
        if not office_allows_write(account.connection):
            raise ApplicationError(_("This office does not allow saving hours in the calendar."))
        if not account.can_write:
            raise ApplicationError(
                _(
                    "Tidsbro may only read your calendar. Connect your calendar again and allow "
                    "it to write, to save your hours there."
                )
            )
        if account.health == Health.DISCONNECTED:
            raise ApplicationError(_("Connect your calendar first."))
    with transaction.atomic():
        CalendarAccount.objects.filter(pk=account.pk).update(
            write_hours=on, updated_at=timezone.now()
        )
        account.write_hours = on
        if on:
            from apps.calendars import push

            queued = push.queue_window(account)
            if queued:
                request_round(account, "write hours on")
        else:
            EntryEvent.objects.filter(account=account, push_status=EntryEvent.Push.PENDING).update(
                push_status=EntryEvent.Push.NONE, push_operation="", next_attempt_at=None
            )
    return account


def office_write_allowed(*, connection: Connection) -> int:
    """The office allows hours in calendars again (it had switched it off): for each person
    who saves their hours in their calendar, the window's entries are queued (what changed
    meanwhile never went) and a round runs, in the background after the commit. While the
    office does not allow it nothing is queued or written (`may_write`); events already
    written stay. Returns how many people get their hours caught up."""
    account_ids = list(
        CalendarAccount.objects.filter(connection=connection, write_hours=True)
        .exclude(health=Health.DISCONNECTED)
        .exclude(state="")
        .values_list("pk", flat=True)
    )

    def enqueue() -> None:
        from django_q.tasks import async_task

        for account_id in account_ids:
            async_task(
                "apps.calendars.jobs.catch_up_writes",
                account_id,
                task_name=f"calendar writes {account_id}",
                group="calendars",
            )

    if account_ids:
        transaction.on_commit(enqueue, robust=True)
    return len(account_ids)


def account_set_sync_from(*, actor: User, account: CalendarAccount, day: date) -> CalendarAccount:
    """Sets the person's "last synchronised" date: the calendar is read again from that day
    (a staged full round), at once."""
    _check_owner(actor=actor, account=account)
    if account.health == Health.DISCONNECTED:
        raise ApplicationError(_("Connect your calendar first."))
    today = timezone.localdate()
    if day > today:
        raise ApplicationError(_("The date cannot be in the future."), field="day")
    if day < today - timedelta(days=366 * 2):
        raise ApplicationError(_("Choose a date at most two years back."), field="day")
    now = timezone.now()
    CalendarAccount.objects.filter(pk=account.pk).update(
        sync_from=day, full_sync_requested_at=now, updated_at=now
    )
    account.sync_from, account.full_sync_requested_at = day, now
    request_round(account, "sync from")
    return account


def account_full_sync(*, actor: User, account: CalendarAccount) -> CalendarAccount:
    """ "Full synchronisation now": the whole window is read again into a staging set (the
    old one stays until it completes) and every event Tidsbro made is checked again."""
    _check_owner(actor=actor, account=account)
    if account.health == Health.DISCONNECTED:
        raise ApplicationError(_("Connect your calendar first."))
    now = timezone.now()
    CalendarAccount.objects.filter(pk=account.pk).update(full_sync_requested_at=now, updated_at=now)
    account.full_sync_requested_at = now
    request_round(account, "full sync")
    return account


def account_lifecycle(*, account: CalendarAccount, event: str) -> None:
    """A lifecycle event of the account's change subscription (from the receiver):
    reauthorizationRequired → renew it now; subscriptionRemoved → make a new one;
    missed → read the whole window again. Each asks for a round."""
    now = timezone.now()
    rows = CalendarAccount.objects.filter(pk=account.pk)
    if event == "reauthorizationRequired":
        rows.update(subscription_expires_at=now)
    elif event == "subscriptionRemoved":
        rows.update(subscription_id="", subscription_expires_at=None)
    elif event == "missed":
        rows.update(full_sync_requested_at=now)
    else:
        return
    request_round(account.pk, event)
