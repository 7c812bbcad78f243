"""Child process of the harness: one full pull from nothing, then its peak RSS (VmHWM).

Started with the harness's environment (same throwaway database, same sandbox server), so the
figure is the memory of a process doing exactly a scheduled full sync and nothing else.
"""

from __future__ import annotations

import json
import sys


def vm(name: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    import django

    django.setup()
    from apps.integrations.models import Connection
    from bench import ops

    before = vm("VmRSS")
    conn = Connection.objects.get(pk=int(sys.argv[1]))
    ops.reset_local()
    result = ops.pull(conn, full=True)
    print(
        json.dumps(
            {
                "rss_start_mb": round(before, 1),
                "rss_peak_mb": round(vm("VmHWM"), 1),
                "seconds": round(result.seconds, 2),
                "records": result.records,
            }
        )
    )


if __name__ == "__main__":
    main()
