"""
Response times of the browser pages on a demo organisation of 10,000 people.

Builds a throw-away SQLite database (/tmp/gradesys-bench.sqlite3), migrates it, runs
`seed_demo --employees 10000`, then times each page with Django's test client: 5 warm-up
requests, then 50 timed ones, printing the median, the 90th percentile and the number of SQL
queries per request. The goal is a median under 50 ms for every page.

    .venv/bin/python bench/pages_bench.py [--employees N] [--requests N] [--keep | --reuse]

Not part of the test suite: it prints figures, it does not assert them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

DATABASE = Path("/tmp/gradesys-bench.sqlite3")
ROOT = Path(__file__).resolve().parent.parent
GOAL_MS = 50.0
WARMUP = 5


def configure() -> None:
    """Point Django at the bench database; must run before django.setup()."""
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{DATABASE}"
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = "bench-only-secret-key-not-for-production"
    os.environ["DJANGO_SETTINGS_MODULE"] = "gradesys.settings"
    # The test client's host. setup_test_environment() would add it too, but it also wraps
    # every template render in a signal that copies the context, which is test-only cost.
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"  # the test client speaks plain HTTP


def reset_database() -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{DATABASE}{suffix}").unlink(missing_ok=True)


def build(employees: int) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    call_command("seed_demo", employees=employees, verbosity=1)
    print(f"seed_demo --employees {employees}: {time.perf_counter() - started:.1f} s")


def measure(client, url: str, requests: int) -> tuple[list[float], list[float], list[int]]:
    """Wall-clock ms, CPU ms and query counts of `requests` GETs, after the warm-up ones.

    CPU time is printed beside wall time because a shared machine's load moves the wall
    figures; SQLite runs in this process, so CPU time covers the queries too.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(WARMUP):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}; the bench needs 200.")
    times: list[float] = []
    cpu: list[float] = []
    queries: list[int] = []
    for _ in range(requests):
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(captured.captured_queries))
    return times, cpu, queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1, help="random choice of the HR's person")
    parser.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="time the pages on the database a --keep run left (no rebuild)"
    )
    args = parser.parse_args()

    configure()
    reuse = args.reuse and DATABASE.exists()
    if not reuse:
        reset_database()
    import warnings

    import django

    # WhiteNoise warns that STATIC_ROOT does not exist: the bench never ran collectstatic.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from grades.models import Employee

    # With DEBUG=0 the settings pick the manifest storage, which needs a collectstatic run;
    # its lookup is a dict access, so plain storage times the pages the same.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    try:
        if not reuse:
            build(args.employees)
        users = {u.username: u for u in get_user_model().objects.filter(username__in=["dev", "lead", "hr"])}
        missing = {"dev", "lead", "hr"} - set(users)
        if missing:
            raise SystemExit(f"seed_demo created no {', '.join(sorted(missing))} login.")
        report = (
            Employee.objects.filter(team_lead__user=users["lead"]).order_by("id").values_list("pk", flat=True).first()
        )
        if report is None:
            raise SystemExit("The demo 'lead' has no reports.")
        ids = list(Employee.objects.values_list("pk", flat=True))
        anyone = random.Random(args.seed).choice(ids)
        reports = Employee.objects.filter(team_lead__user=users["lead"]).count()
        print(f"{len(ids):,} employees; lead has {reports} reports; sqlite file {DATABASE}")
        print("load average before timing: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

        cases = [
            ("dev", "/me/"),
            ("lead", f"/people/{report}/"),
            ("hr", f"/people/{anyone}/"),
            ("lead", "/people/"),
            ("hr", "/people/"),
        ]
        print()
        print(f"{'page':<22} {'as':<5} {'median ms':>10} {'p90 ms':>8} {'cpu ms':>7} {'queries':>8}  goal")
        slow = []
        for username, url in cases:
            client = Client()
            client.force_login(users[username])
            times, cpu, queries = measure(client, url, args.requests)
            median = statistics.median(times)
            p90 = statistics.quantiles(times, n=10)[8]
            count = f"{min(queries)}" if min(queries) == max(queries) else f"{min(queries)}-{max(queries)}"
            ok = median < GOAL_MS
            if not ok:
                slow.append(url)
            print(
                f"{url:<22} {username:<5} {median:>10.1f} {p90:>8.1f} {statistics.median(cpu):>7.1f}"
                f" {count:>8}  {'ok' if ok else 'SLOW'}"
            )
        print()
        print("queries: per request (these read-only pages run outside a request transaction)")
        print("load average after timing: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        print("all medians under 50 ms" if not slow else f"over 50 ms: {', '.join(slow)}")
        return 0
    finally:
        if not (args.keep or args.reuse):
            from django.db import connections

            connections.close_all()
            reset_database()


if __name__ == "__main__":
    raise SystemExit(main())
