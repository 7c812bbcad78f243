"""Measurement 6 alone: the time-entry admin changelist at a given row count, on the DB in the env.

    SQLITE_PATH=/tmp/x.sqlite3 python manage.py migrate && SQLITE_PATH=/tmp/x.sqlite3 python -m bench.admin_pages 100000
    DATABASE_URL=postgres://…/db python -m bench.admin_pages 100000

Writes `n` entries (ops.local_time_entries) over 2,000 projects and 5,000 customers (size M's
counts) once, then prints median ms and query count (5 requests after one warm-up) per page.
"""

import os
import sys
import time


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.test import Client

    from apps.accounts.models import User
    from apps.customers.models import Customer
    from apps.projects.models import Project
    from apps.timesheets.models import TimeEntry
    from apps.worktypes.models import WorkType
    from bench import ops

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if not Customer.objects.exists():
        Customer.objects.bulk_create(
            [Customer(name=f"Kunde {i}", number=str(10000 + i)) for i in range(5000)], 1000
        )
        customers = list(Customer.objects.values_list("pk", flat=True))
        Project.objects.bulk_create(
            [
                Project(name=f"Prosjekt {i}", number=20000 + i, customer_id=customers[i])
                for i in range(2000)
            ],
            1000,
        )
    if not WorkType.objects.exists():
        WorkType.objects.create(name="Arbeid")
    have = TimeEntry.objects.count()
    if have < n:
        t0 = time.perf_counter()
        ops.local_time_entries(n - have)
        print(f"{n - have:,} entries written in {time.perf_counter() - t0:.1f} s")
    user = User.objects.filter(email="bench3@tidsbro.no").values_list("pk", flat=True).first()
    project = Project.objects.order_by("pk").first()
    admin, _ = User.objects.get_or_create(
        email="bench-admin@tidsbro.no", defaults={"is_superuser": True, "is_staff": True}
    )
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(admin)
    base = "/admin/timesheets/timeentry/"
    pages = {
        "first page": base,
        "status + user": f"{base}?status__exact=user_approved&user__id__exact={user}",
        "project (old id link)": f"{base}?project__id__exact={project.pk}",
        "project (typed number)": f"{base}?project={project.number}",
        "customer (typed name)": f"{base}?customer=Kunde+123",
        "this month": f"{base}?date__gte={time.strftime('%Y-%m-01')}",
    }
    vendor = "PostgreSQL" if django.db.connection.vendor == "postgresql" else "SQLite"
    print(f"{TimeEntry.objects.count():,} entries, {vendor}")
    for name, url in pages.items():
        seconds, queries, status = ops.time_page(browser, url)
        print(
            f"  {name:28} {status} {seconds * 1000:6.0f} ms  "
            f"{'/'.join(map(str, sorted(queries)))} queries"
        )


if __name__ == "__main__":
    main()
