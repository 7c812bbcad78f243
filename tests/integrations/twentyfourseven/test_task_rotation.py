"""The rotation through the projects' tasks (pull.py `rotation_share`), pure: the figures the
README gives for size M (2,000 projects) and L (20,000)."""

from apps.integrations.connectors.twentyfourseven.pull import rotation_share


def shares_of(projects: int, *, hours: int = 4, per_run: int = 500) -> list[list[str]]:
    bound = [str(100_000 + n) for n in range(projects)]
    runs = max(hours, -(-projects // per_run))
    return [rotation_share(bound, run=run, hours=hours, per_run=per_run) for run in range(runs)]


def test_at_m_every_project_is_read_once_in_four_runs_of_about_500_requests():
    shares = shares_of(2_000)

    assert len(shares) == 4
    assert sorted(p for share in shares for p in share) == sorted(
        str(100_000 + n) for n in range(2_000)
    )
    assert all(450 <= len(share) <= 550 for share in shares), [len(s) for s in shares]


def test_past_the_per_run_limit_the_rotation_takes_more_runs_not_more_requests():
    shares = shares_of(20_000)

    assert len(shares) == 40  # every project within 40 hours (the daily full sync reads all)
    assert sum(len(share) for share in shares) == 20_000
    assert max(len(share) for share in shares) <= 600


def test_a_new_project_moves_no_other_project_to_another_run():
    before = [str(n) for n in range(1, 101)]
    after = [*before, "101"]

    for run in range(4):
        old = set(rotation_share(before, run=run, hours=4, per_run=500))
        new = set(rotation_share(after, run=run, hours=4, per_run=500))
        assert old <= new and len(new - old) <= 1
