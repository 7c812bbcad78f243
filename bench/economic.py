"""The e-conomic rows of the bench: customers pulled from the e-conomic sandbox over HTTP.

Per size (S 500, M 5,000, L 20,000 customers: `sandbox_economic_dataset`'s generator), against
the same gunicorn server as the 24SO rows:

- E1 full customer pull at M against its floor: the same GET requests replayed with a plain
  `requests` session and JSON-decoded (no client, no database), plus `bulk_create` of the
  same customers and bindings in one transaction. Target ≤ 1.5.
- E2 empty incremental: requests (= 1) and time L/S (≤ 1.2).
- E3 incremental with 10 customers changed in e-conomic: time L/S (≤ 1.5).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

SIZES_ROWS = {"S": "S", "M": "M", "L": "L"}


@dataclass
class Pull:
    seconds: float
    requests: int
    fetched: int


def _say(text: str) -> None:
    print(text, flush=True)


def make_connection() -> Any:
    from apps.integrations.models import Connection
    from apps.sandbox.economic import seed as sandbox_seed

    Connection.objects.filter(system="economic").delete()
    return Connection.objects.create(
        system="economic",
        credentials_doc={"agreement_grant_token": sandbox_seed.AGREEMENT_GRANT_TOKEN},
        settings={
            "agreement_number": sandbox_seed.AGREEMENT_NUMBER,
            "company_name": "Bench ApS",
            "user_name": "Bench",
            "customer_group": 1,
            "payment_terms": 1,
            "vat_zone": 1,
            "currency": "DKK",
            "layout": 19,
        },
        connected=["customer"],
        masters={"customer": "both"},
    )


def reset_local(conn: Any) -> None:
    """Forgets what a pull wrote (every local record the bench made, the 24SO rows' too), so
    the next full pull starts from nothing."""
    from bench import ops

    ops.reset_local()


def pull(conn: Any, *, full: bool, record: list | None = None) -> Pull:
    """One customer sync through the engine; `record` collects the GETs sent (for the floor)."""
    import requests

    from apps.integrations.connectors.economic.connector import EconomicConnector
    from apps.integrations.models import SyncRun
    from apps.integrations.sync.engine import sync_entity

    original = requests.Session.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        if record is not None:
            record.append((request.method, request.url, dict(request.headers)))
        return original(self, request, **kwargs)

    connector = EconomicConnector(conn)
    requests.Session.send = send
    try:
        started = time.perf_counter()
        run = sync_entity(
            connection=conn, entity="customer", trigger="manual", full=full, connector=connector
        )
        seconds = time.perf_counter() - started
    finally:
        requests.Session.send = original
        connector.close()
    if run.status != SyncRun.Status.SUCCEEDED:
        raise RuntimeError(f"e-conomic customer pull failed: {run.error_text}")
    return Pull(seconds=seconds, requests=run.requests, fetched=run.fetched)


def floor(conn: Any, sent: list, rows: tuple[list, list]) -> tuple[float, float]:
    """The same requests replayed and decoded, then the same rows bulk-inserted."""
    import requests
    from django.db import transaction

    from apps.customers.models import Customer
    from apps.integrations.models import Binding

    session = requests.Session()
    started = time.perf_counter()
    for method, url, headers in sent:
        reply = session.request(method, url, headers=headers, timeout=60)
        json.loads(reply.content)
    fetch = time.perf_counter() - started
    session.close()
    reset_local(conn)
    customers, bindings = rows
    started = time.perf_counter()
    with transaction.atomic():
        made = Customer.objects.bulk_create([_copy(c) for c in customers], batch_size=1000)
        by_number = {c.number: c.pk for c in made}
        Binding.objects.bulk_create(
            [
                Binding(
                    connection=conn,
                    entity="customer",
                    local_id=by_number.get(number),
                    external_id=external_id,
                    snapshot=snapshot,
                    state=state,
                    synced_at=synced_at,
                    remote_changed_at=changed_at,
                )
                for number, external_id, snapshot, state, synced_at, changed_at in bindings
            ],
            batch_size=1000,
        )
    insert = time.perf_counter() - started
    return fetch, insert


def _copy(obj: Any) -> Any:
    clone = type(obj)()
    for field in obj._meta.concrete_fields:
        if not field.primary_key:
            setattr(clone, field.attname, getattr(obj, field.attname))
    return clone


def snapshot_rows(conn: Any) -> tuple[list, list]:
    from apps.customers.models import Customer
    from apps.integrations.models import Binding

    customers = list(Customer.objects.all())
    numbers = {c.pk: c.number for c in customers}
    bindings = [
        (
            numbers.get(b.local_id),
            b.external_id,
            b.snapshot,
            b.state,
            b.synced_at,
            b.remote_changed_at,
        )
        for b in Binding.objects.filter(connection=conn, entity="customer")
    ]
    return customers, bindings


def erp_changes(round_no: int, n: int = 10) -> None:
    """`n` customers edited in e-conomic (the sandbox's tables), stamped a second later."""
    from apps.sandbox.economic.models import Customer as ErpCustomer
    from apps.sandbox.economic.resources import now_to_second

    stamp = now_to_second() + timedelta(seconds=1)
    picked = list(ErpCustomer.objects.order_by("customer_number")[round_no * n : round_no * n + n])
    for customer in picked:
        customer.city = f"By {round_no}"
        customer.last_updated = stamp
    ErpCustomer.objects.bulk_update(picked, ["city", "last_updated"])
    # The next incremental run reads from its cursor on: wait out the second stamped.
    time.sleep(max(0.0, (stamp - now_to_second()).total_seconds()) + 1.05)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def run(plan: Any, results: Any, say: Any = _say) -> None:
    """All e-conomic rows (appended to `results`)."""
    from apps.sandbox.economic.dataset import SIZES, generate
    from apps.sandbox.economic.runtime import knobs_get

    knobs_get()  # the sandbox's knobs row exists before the timed runs
    sizes = [s for s in plan.sizes if s in SIZES] or ["S"]
    small = plan.small if plan.small in SIZES else sizes[0]
    large = plan.large if plan.large in SIZES else sizes[-1]
    pull_size = plan.pull if plan.pull in SIZES else large
    incremental: dict[str, dict[str, list]] = {}
    for size in sizes:
        generate(size)
        conn = make_connection()
        reset_local(conn)
        say(f"== e-conomic size {size}: {SIZES[size]:,} customers")
        if size == pull_size:
            ratios, samples, floors = [], [], []
            for r in range(max(plan.runs, 1)):
                reset_local(conn)
                sent: list = []
                first = pull(conn, full=True, record=sent)
                rows = snapshot_rows(conn)
                fetch, insert = floor(conn, sent, rows)
                reset_local(conn)
                again = pull(conn, full=True)
                seconds = median([first.seconds, again.seconds])
                samples.append(seconds)
                floors.append(fetch + insert)
                ratios.append(seconds / (fetch + insert))
                say(
                    f"  full pull {r + 1}: {seconds * 1000:.0f} ms ({first.fetched:,} customers, "
                    f"{first.requests} requests); floor fetch+decode {fetch * 1000:.0f} ms, "
                    f"bulk insert {insert * 1000:.0f} ms"
                )
            ratio = median(ratios)
            results.add(
                10,
                f"e-conomic: full customer pull at {size} ({SIZES[size]:,})",
                f"{median(samples) * 1000:.0f} ms; floor {median(floors) * 1000:.0f} ms (same "
                f"GETs replayed + JSON-decoded, no client or DB, + bulk insert of the customers "
                f"and bindings)",
                "≤ 1.5 × floor",
                f"{ratio:.2f}",
                ratio <= 1.5,
            )
        else:
            first = pull(conn, full=True)
            say(f"  full pull {first.seconds * 1000:.0f} ms, {first.requests} requests")
        if size in (small, large):
            pull(conn, full=False)  # not measured: the first after a full pull
            empty = [pull(conn, full=False) for _ in range(plan.incremental_runs)]
            changed = []
            for r in range(plan.incremental_runs):
                erp_changes(r)
                changed.append(pull(conn, full=False))
            incremental[size] = {"empty": empty, "changed": changed}
            say(
                f"  incremental at {size}: empty {median([p.seconds for p in empty]) * 1000:.0f} "
                f"ms, 10 changes {median([p.seconds for p in changed]) * 1000:.0f} ms"
            )
    if small not in incremental or large not in incremental:
        return
    worst = max(p.requests for s in (small, large) for p in incremental[s]["empty"])
    results.add(
        11,
        f"e-conomic: empty incremental customer sync, requests (at {small} and {large})",
        f"most requests in one run: {worst}",
        "= 1",
        f"{worst}",
        worst == 1,
    )
    for row, kind, what, target in (
        (11, "empty", "empty incremental", 1.2),
        (12, "changed", "incremental with 10 changes", 1.5),
    ):
        t_small = median([p.seconds for p in incremental[small][kind]])
        t_large = median([p.seconds for p in incremental[large][kind]])
        results.add(
            row,
            f"e-conomic: {what}, time {large}/{small}",
            f"{t_large * 1000:.0f} ms / {t_small * 1000:.0f} ms",
            f"≤ {target}",
            f"{t_large / t_small:.2f}",
            t_large / t_small <= target,
        )
