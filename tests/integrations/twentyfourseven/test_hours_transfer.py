"""Hour transfer to the 24SO sandbox over real HTTP: modes, updates, deletes, faults, poison."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from apps.integrations.adapters.hours import (
    UNMAPPED_FLAG,
    hour_ref,
    hour_transfer_flags,
    hour_transfer_progress,
)
from apps.integrations.models import Binding, HourTransfer, OutboxItem
from apps.integrations.sync import outbox
from apps.projects.services import project_member_remove
from apps.sandbox.twentyfourseven.models import Hour as SandboxHour
from apps.sandbox.twentyfourseven.models import Person as SandboxPerson
from apps.sandbox.twentyfourseven.models import ProjectParticipant, RequestLog
from apps.timesheets.services import time_entry_delete, time_entry_transition, time_entry_update
from tests.integrations.twentyfourseven.test_push_world import (
    API_CONTACT,
    MAPPED_CONTACT,
    World,
    approve,
    drain,
    erp_hours,
    knobs,
    no_kick,
    register,
    wait_for_sandbox,
    world,
)

__all__ = ["no_kick", "world"]  # fixtures

pytestmark = pytest.mark.django_db(transaction=True)


def _set_mode(world: World, mode: str) -> None:
    world.connection.hour_transfer = mode
    world.connection.save(update_fields=["hour_transfer"])


def test_on_approval_transfers_an_approved_hour_once_with_its_values(world: World) -> None:
    entry = register(world, hours="2.50", description="Workshop")

    assert erp_hours(hour_ref(entry.pk)) == []  # a draft stays here
    entry = approve(world, entry)

    [hour] = erp_hours(hour_ref(entry.pk))
    assert hour.contact_id == MAPPED_CONTACT
    assert hour.project_id == world.erp_project.project_id
    assert hour.type_of_work_id == 1
    assert hour.total_hours == 2.5
    assert hour.description == f"Workshop [{hour_ref(entry.pk)}]"
    assert hour.start_time.date() == date(2026, 11, 16)
    binding = Binding.objects.get(connection=world.connection, entity="hour", local_id=entry.pk)
    assert binding.external_id == str(hour.hour_id)
    assert binding.flagged == ""
    assert hour_transfer_progress(connection=world.connection)["done"] == 1


def test_an_hour_whose_owner_left_the_project_is_still_approved_and_transferred(
    world: World,
) -> None:
    # Membership is checked when an hour is registered; the approval and the sync that follow
    # carry an hour already registered, whoever is on the project now.
    entry = register(world, hours="2.50")
    project_member_remove(project=world.project, user=world.mapped)

    entry = approve(world, entry)

    [hour] = erp_hours(hour_ref(entry.pk))
    assert (hour.contact_id, hour.project_id) == (MAPPED_CONTACT, world.erp_project.project_id)
    assert hour_transfer_progress(connection=world.connection)["done"] == 1


def test_user_approval_and_project_approval_each_transfer(world: World) -> None:
    world.project.needs_approval = True
    world.project.save(update_fields=["needs_approval"])
    first = approve(world, register(world))
    assert first.status == "user_approved"
    assert len(erp_hours(hour_ref(first.pk))) == 1

    first = time_entry_transition(actor=world.admin, entry=first, action="approve_project")

    assert first.status == "project_approved"
    [hour] = erp_hours(hour_ref(first.pk))
    assert Binding.objects.get(entity="hour", local_id=first.pk).external_id == str(hour.hour_id)


def test_project_approval_transfers_when_user_approval_did_not(world: World) -> None:
    world.project.needs_approval = True
    world.project.save(update_fields=["needs_approval"])
    entry = register(world)
    time_entry_transition(actor=entry.user, entry=entry, action="submit")
    _set_mode(world, HourTransfer.NEVER)
    entry = time_entry_transition(actor=world.admin, entry=entry, action="approve_user")
    _set_mode(world, HourTransfer.ON_APPROVAL)
    assert erp_hours(hour_ref(entry.pk)) == []

    time_entry_transition(actor=world.admin, entry=entry, action="approve_project")

    assert len(erp_hours(hour_ref(entry.pk))) == 1


def test_never_transfers_nothing(world: World) -> None:
    _set_mode(world, HourTransfer.NEVER)
    before = RequestLog.objects.count()

    entry = approve(world, register(world))

    assert erp_hours(hour_ref(entry.pk)) == []
    assert not OutboxItem.objects.filter(entity="hour").exists()
    assert RequestLog.objects.count() == before


def test_switching_to_never_keeps_following_hours_already_transferred(world: World) -> None:
    sent = approve(world, register(world, hours="2.50"))
    gone = approve(world, register(world, hours="1.00"))
    [hour] = erp_hours(hour_ref(sent.pk))
    _set_mode(world, HourTransfer.NEVER)

    sent = time_entry_transition(actor=world.admin, entry=sent, action="reopen", reason="Typo")
    sent = time_entry_update(actor=sent.user, entry=sent, data={"hours": Decimal("3.00")})
    approve(world, sent)  # a reopened hour's edits go when it is approved again
    gone = time_entry_transition(actor=world.admin, entry=gone, action="reopen", reason="Dup")
    time_entry_delete(actor=gone.user, entry=gone)
    new = approve(world, register(world))

    [again] = erp_hours(hour_ref(sent.pk))
    assert (again.hour_id, again.total_hours) == (hour.hour_id, 3.0)
    assert erp_hours(hour_ref(gone.pk)) == []
    assert erp_hours(hour_ref(new.pk)) == []  # "never": nothing new goes
    assert not OutboxItem.objects.filter(entity="hour", local_id=new.pk).exists()


def test_on_order_does_not_transfer_on_approval(world: World) -> None:
    _set_mode(world, HourTransfer.ON_ORDER)

    entry = approve(world, register(world))

    assert erp_hours(hour_ref(entry.pk)) == []
    assert not OutboxItem.objects.filter(entity="hour").exists()


def test_reopened_and_edited_hour_is_updated_not_duplicated(world: World) -> None:
    entry = approve(world, register(world, hours="2.50"))
    [hour] = erp_hours(hour_ref(entry.pk))

    entry = time_entry_transition(
        actor=world.admin, entry=entry, action="reopen", reason="Wrong hours"
    )
    entry = time_entry_update(
        actor=entry.user, entry=entry, data={"hours": Decimal("3.25"), "description": "Fixed"}
    )
    approve(world, entry)

    [again] = erp_hours(hour_ref(entry.pk))
    assert again.hour_id == hour.hour_id
    assert again.total_hours == 3.25
    assert again.description == f"Fixed [{hour_ref(entry.pk)}]"


def test_a_reopened_hour_reaches_24so_again_only_when_it_is_approved_again(world: World) -> None:
    entry = approve(world, register(world, hours="2.50", description="Workshop"))
    [hour] = erp_hours(hour_ref(entry.pk))
    saves = RequestLog.objects.filter(operation="SaveHour").count()

    entry = time_entry_transition(
        actor=world.admin, entry=entry, action="reopen", reason="Wrong hours"
    )
    entry = time_entry_update(
        actor=entry.user, entry=entry, data={"hours": Decimal("4.00"), "description": "Draft"}
    )
    entry = time_entry_update(actor=entry.user, entry=entry, data={"description": "Fixed"})

    # 24SO keeps the approved version while the hour is a draft here: no request at all.
    [kept] = erp_hours(hour_ref(entry.pk))
    assert (kept.hour_id, kept.total_hours, kept.description) == (
        hour.hour_id,
        2.5,
        f"Workshop [{hour_ref(entry.pk)}]",
    )
    assert RequestLog.objects.filter(operation="SaveHour").count() == saves

    approve(world, entry)

    [again] = erp_hours(hour_ref(entry.pk))
    assert (again.hour_id, again.total_hours, again.description) == (
        hour.hour_id,
        4.0,
        f"Fixed [{hour_ref(entry.pk)}]",
    )
    assert RequestLog.objects.filter(operation="SaveHour").count() == saves + 1


def test_an_hour_reopened_before_its_transfer_went_waits_for_its_next_approval(
    world: World, no_kick: None
) -> None:
    entry = approve(world, register(world, hours="2.50"))  # queued; the worker is late
    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="x")
    entry = time_entry_update(actor=entry.user, entry=entry, data={"hours": Decimal("1.75")})
    connector = world.connector()

    drain(world, connector)

    assert erp_hours(hour_ref(entry.pk)) == []  # a draft never reaches 24SO
    assert OutboxItem.objects.get(entity="hour").status == OutboxItem.Status.DONE

    approve(world, entry)
    drain(world, connector)

    [hour] = erp_hours(hour_ref(entry.pk))
    assert hour.total_hours == 1.75
    connector.close()


def test_deleting_a_transferred_hour_deletes_it_in_24so(world: World) -> None:
    entry = approve(world, register(world))
    assert len(erp_hours(hour_ref(entry.pk))) == 1
    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="Oops")

    time_entry_delete(actor=entry.user, entry=entry)

    assert erp_hours(hour_ref(entry.pk)) == []
    assert not Binding.objects.filter(entity="hour", local_id=entry.pk).exists()


def test_an_hour_approved_in_24so_cannot_be_changed_and_the_push_fails_visibly(
    world: World,
) -> None:
    entry = approve(world, register(world))
    SandboxHour.objects.filter(description__contains=hour_ref(entry.pk)).update(approved="True")
    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="x")
    entry = time_entry_update(actor=entry.user, entry=entry, data={"hours": Decimal("1.00")})

    approve(world, entry)

    item = OutboxItem.objects.filter(entity="hour", local_id=entry.pk).latest("id")
    assert item.status == OutboxItem.Status.DEAD
    assert "approved or locked" in item.last_error


def test_unmapped_users_hours_go_on_the_integration_user_flagged(world: World) -> None:
    entry = approve(world, register(world, user=world.unmapped))

    [hour] = erp_hours(hour_ref(entry.pk))
    assert hour.contact_id == API_CONTACT
    binding = Binding.objects.get(entity="hour", local_id=entry.pk)
    assert binding.flagged == UNMAPPED_FLAG
    assert hour_transfer_flags(connection=world.connection, entry_ids=[entry.pk]) == {
        entry.pk: UNMAPPED_FLAG
    }


def test_mapping_the_user_later_moves_the_hour_and_clears_the_flag(world: World) -> None:
    entry = approve(world, register(world, user=world.unmapped))
    Binding.objects.create(
        connection=world.connection, entity="user", local_id=world.unmapped.pk, external_id="3"
    )
    entry = time_entry_transition(actor=world.admin, entry=entry, action="reopen", reason="x")
    entry = time_entry_update(actor=entry.user, entry=entry, data={"description": "Moved"})

    approve(world, entry)

    [hour] = erp_hours(hour_ref(entry.pk))
    assert hour.contact_id == 3
    assert Binding.objects.get(entity="hour", local_id=entry.pk).flagged == ""


def test_a_poison_hour_ends_dead_and_retry_works_after_fixing(world: World) -> None:
    # Contact 2 is not a participant of the rights-managed project: 24SO refuses.
    ProjectParticipant.objects.filter(
        project=world.erp_rights_project, person__contact_id=MAPPED_CONTACT
    ).delete()
    entry = approve(world, register(world, project=world.rights_project))

    item = OutboxItem.objects.get(entity="hour", local_id=entry.pk)
    assert item.status == OutboxItem.Status.DEAD
    assert item.attempts == 1  # refused for good at once: no retries burnt
    assert "not a participant" in item.last_error
    assert erp_hours(hour_ref(entry.pk)) == []
    assert hour_transfer_progress(connection=world.connection)["dead"] == 1

    ProjectParticipant.objects.create(
        project=world.erp_rights_project,
        person=SandboxPerson.objects.get(
            client=world.erp_rights_project.client, contact_id=MAPPED_CONTACT
        ),
        state=ProjectParticipant.PARTICIPATING,
        date_changed=world.erp_rights_project.date_changed,
    )
    outbox.retry(item=item)

    item.refresh_from_db()
    assert item.status == OutboxItem.Status.DONE
    assert len(erp_hours(hour_ref(entry.pk))) == 1


def test_no_hour_is_pushed_twice_under_faults_drops_and_timeouts(
    world: World, no_kick: None
) -> None:
    entries = [
        approve(world, register(world, day=date(2026, 11, 2 + n), hours=f"{1 + n % 5}.00"))
        for n in range(16)
    ]
    assert OutboxItem.objects.filter(entity="hour", status="pending").count() == 16
    assert hour_transfer_progress(connection=world.connection)["pending"] == 16
    knobs(
        fault_rate=0.35,
        fault_error=True,
        fault_drop=True,
        fault_slow=True,
        slow_seconds=1.2,
        fault_seed=7,
    )
    connector = world.connector(timeout=(2.0, 0.8), deadline=5.0)

    drain(world, connector)

    knobs(fault_rate=0.0)
    for entry in entries:
        assert len(erp_hours(hour_ref(entry.pk))) == 1, entry
    assert OutboxItem.objects.filter(entity="hour", status="done").count() == 16
    # The faults really happened, and some creates were looked up before being retried.
    logged = RequestLog.objects.exclude(fault="")
    assert logged.filter(fault__contains="dropped").exists()
    assert logged.filter(fault__contains="injected").exists()
    assert RequestLog.objects.filter(operation="GetHours").exists()


def test_a_backlog_takes_one_request_per_hour(world: World, no_kick: None) -> None:
    entries = [
        approve(world, register(world, day=date(2026, 10, 1 + n), hours="1.00")) for n in range(25)
    ]
    connector = world.connector()
    connector.client.login()
    before = RequestLog.objects.count()

    outbox.push_pending(connection=world.connection, connector=connector)

    wait_for_sandbox(before + 25)
    assert RequestLog.objects.count() - before == 25
    assert connector.calls["time.SaveHour"] == 25 and sum(connector.calls.values()) == 26
    assert all(len(erp_hours(hour_ref(e.pk))) == 1 for e in entries)


def test_a_spent_budget_leaves_the_backlog_waiting_and_visible(world: World, no_kick: None) -> None:
    for n in range(5):
        approve(world, register(world, day=date(2026, 9, 1 + n), hours="1.00"))
    # 24SO allows 7,200 requests an hour; this connector's budget allows 3 (reserve kept).
    connector = world.connector(requests_per_hour=3, budget_reserve=0)

    run = outbox.push_pending(connection=world.connection, connector=connector)

    assert "budget" in run.error_text
    progress = hour_transfer_progress(connection=world.connection)
    assert progress["done"] == 2  # Login + 2 × SaveHour
    assert progress["pending"] == 3
    waiting = OutboxItem.objects.filter(entity="hour", status="pending")
    assert all(i.attempts == 0 and i.next_attempt_at > outbox.timezone.now() for i in waiting)


class WorkerKilled(BaseException):
    """The process dies: no handler runs, only what was committed before remains."""


def test_a_worker_killed_while_24so_creates_the_hour_does_not_lead_to_a_second_hour(
    world: World, no_kick: None
) -> None:
    entry = approve(world, register(world, hours="3.00"))
    dying = world.connector()
    real_create = dying.client.save_hour

    def save_then_die(hour):
        real_create(hour)  # 24SO has created the hour …
        raise WorkerKilled  # … and the worker is killed before it hears the answer

    dying.client.save_hour = save_then_die
    with pytest.raises(WorkerKilled):
        outbox.push_pending(connection=world.connection, connector=dying)
    assert len(erp_hours(hour_ref(entry.pk))) == 1
    assert not Binding.objects.filter(entity="hour", local_id=entry.pk).exists()

    # The claim of the dead worker runs out; the next worker picks the item up.
    OutboxItem.objects.filter(entity="hour").update(lease_until=None)
    outbox.push_pending(connection=world.connection, connector=world.connector())

    [hour] = erp_hours(hour_ref(entry.pk))  # found, not created again
    binding = Binding.objects.get(connection=world.connection, entity="hour", local_id=entry.pk)
    assert binding.external_id == str(hour.hour_id)
    assert OutboxItem.objects.get(entity="hour", local_id=entry.pk).status == "done"
