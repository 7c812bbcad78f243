"""The sync's django-q2 schedules: created by name, never duplicated, kept after a re-run."""

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from apps.integrations.schedules import ensure_schedules, ensure_schedules_after_migrate, planned

pytestmark = pytest.mark.django_db


def _ours():
    return Schedule.objects.filter(name__in=[p.name for p in planned()])


def test_schedules_are_created_once_and_not_duplicated_on_rerun(capsys):
    Schedule.objects.filter(name__in=[p.name for p in planned()]).delete()
    call_command("integrations_schedules")
    first = {s.name: (s.pk, s.next_run) for s in _ours()}
    call_command("integrations_schedules")
    second = {s.name: (s.pk, s.next_run) for s in _ours()}

    count = len(planned())
    assert len(first) == count == 5
    assert first == second
    assert _ours().count() == count
    out = capsys.readouterr().out
    assert out.count("created") == count and out.count("unchanged") == count


def test_schedules_run_the_sync_jobs_at_their_intervals():
    ensure_schedules()
    by_func = {(s.func, s.schedule_type, s.kwargs or ""): s for s in _ours()}
    assert ("apps.integrations.jobs.pull_all", Schedule.HOURLY, "") in by_func
    assert ("apps.integrations.jobs.pull_all", Schedule.DAILY, "{'full': True}") in by_func
    assert ("apps.integrations.jobs.reconcile_all", Schedule.DAILY, "") in by_func
    sweep = by_func[("apps.integrations.jobs.sweep_outbox", Schedule.MINUTES, "")]
    assert sweep.minutes == 1
    assert ("apps.integrations.jobs.prune_request_counts", Schedule.DAILY, "") in by_func
    assert all(s.repeats == -1 for s in _ours())


def test_a_changed_schedule_is_put_back_and_a_duplicate_removed():
    ensure_schedules()
    name = planned()[0].name
    Schedule.objects.filter(name=name).update(schedule_type=Schedule.DAILY)
    Schedule.objects.create(name=name, func="math.floor", schedule_type=Schedule.ONCE)

    result = ensure_schedules()

    assert result[name] == "updated"
    row = Schedule.objects.get(name=name)
    assert row.schedule_type == Schedule.HOURLY
    assert row.func == "apps.integrations.jobs.pull_all"


def test_migrate_creates_the_schedules(django_db_setup):
    # The test database was migrated: the post_migrate receiver made them.
    assert _ours().count() == len(planned())


def test_the_receiver_ignores_other_apps():
    Schedule.objects.filter(name__in=[p.name for p in planned()]).delete()

    class Other:
        label = "customers"

    ensure_schedules_after_migrate(Other())
    assert not _ours().exists()
