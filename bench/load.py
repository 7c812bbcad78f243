"""A small bounded load driver: threads + requests against the time-entry API on loopback.

    python -m bench.load --base http://127.0.0.1:PORT --token T --project P --work-type W

Each thread loops for `--seconds` (and at most `--max-requests` in all): three lists, then one
create. Prints one JSON object: requests, throughput, p50/p95 per kind, errors. Only loopback
addresses are accepted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from datetime import date, timedelta
from urllib.parse import urlsplit

import requests


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--project", type=int, required=True)
    parser.add_argument("--work-type", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=5000)
    args = parser.parse_args(argv)
    host = urlsplit(args.base).hostname or ""
    if not (host.startswith("127.") or host in ("localhost", "::1")):
        raise SystemExit("the load driver only talks to loopback addresses")

    lock = threading.Lock()
    latencies: dict[str, list[float]] = {"list": [], "create": []}
    errors: list[str] = []
    sent = [0]
    stop_at = time.monotonic() + args.seconds

    def worker(n: int) -> None:
        http = requests.Session()
        http.trust_env = False
        http.headers["Authorization"] = f"Token {args.token}"
        i = 0
        while time.monotonic() < stop_at:
            with lock:
                if sent[0] >= args.max_requests:
                    return
                sent[0] += 1
            kind = "create" if i % 4 == 3 else "list"
            started = time.perf_counter()
            try:
                if kind == "list":
                    response = http.get(f"{args.base}/api/v1/time-entries/", timeout=30)
                    ok = response.status_code == 200
                else:
                    response = http.post(
                        f"{args.base}/api/v1/time-entries/",
                        json={
                            "project": args.project,
                            "work_type": args.work_type,
                            # A day of its own per request: a day holds at most 24 hours.
                            "date": str(date.today() - timedelta(days=n + args.threads * i)),
                            "hours": "1.25",
                            "description": f"load {n}-{i}",
                        },
                        timeout=30,
                    )
                    ok = response.status_code == 201
                if not ok:
                    with lock:
                        errors.append(f"{kind} {response.status_code} {response.text[:200]}")
            except requests.RequestException as exc:
                with lock:
                    errors.append(f"{kind} {type(exc).__name__}")
            elapsed = time.perf_counter() - started
            with lock:
                latencies[kind].append(elapsed)
            i += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    total = sum(len(v) for v in latencies.values())
    print(
        json.dumps(
            {
                "threads": args.threads,
                "seconds": round(wall, 2),
                "requests": total,
                "throughput": round(total / wall, 1) if wall else 0,
                "errors": len(errors),
                "first_errors": errors[:3],
                **{
                    f"{kind}_{name}_ms": round(fn(values) * 1000, 1) if values else None
                    for kind, values in latencies.items()
                    for name, fn in (
                        ("p50", statistics.median),
                        ("p95", lambda v: percentile(v, 95)),
                    )
                },
                "lists": len(latencies["list"]),
                "creates": len(latencies["create"]),
            }
        )
    )


if __name__ == "__main__":
    main()
