"""
Response times of the browser pages at 10,000 people, with no cache of any kind.

    .venv/bin/python bench/pages_bench.py                     # SQLite
    DATABASE_URL=mysql://root@127.0.0.1:3306/gradesys_pages_bench \\
        .venv/bin/python bench/pages_bench.py                 # MariaDB
    options: [--employees 10000] [--requests 200] [--people 300] [--seed 1] [--reseed]

DATABASE_URL selects the database, as for the product: unset, a SQLite file of the bench's
own (/tmp/gradesys-pages-bench.sqlite3); a mysql:// URL on this machine, that database
(created when missing). The bench migrates it and runs `seed_demo --employees N` unless it
already holds N people or more (--reseed starts from an empty database). It only adds
sign-in sessions to it.

Every page is requested in this process through Django's test client with the production
settings (DEBUG off) and the cache set to Django's DummyCache, so nothing is kept between
requests. Each case rotates over many people rather than repeating one address:

    /me/                 as --people different developers, each their own page
    /people/<id>/        as 100 team leads, each one of their reports; as HR, --people people
    /people/             as 100 team leads; as HR, every page of the list in turn
    /reviews/            as HR, every page of the list in turn; as 100 team leads
    /reviews/<id>/       as committee members, reviews they sit on; as HR, --people reviews
    /tracks/<slug>/      as --people developers, each the ladder of their own track
    /                    the inbox: as --people developers, as 100 team leads, as HR
    /dashboard/          as HR and as the manager, whole and narrowed by a track
    /healthz             the trivial view, anonymous: the framework's own floor here

For each case: a warm-up pass over its first 20 requests (templates compiled, connections
open); then --requests rounds in which every case, the trivial view too, makes one timed
request in turn, so that a machine whose speed drifts during the run slows every case
alike; then a pass counting the SQL statements of 20 requests per case. Printed per case:
median and 90th percentile of the wall time, median CPU time of this process (on SQLite
the database's work is in it; on MariaDB the server's is not), statements per request,
and the median's ratio to the trivial view's. Goal: every page at
or under 20 ms median with at most 8 statements; the inbox, which gathers several pages'
lists, at or under 100 ms with at most 12; the dashboard, which counts everyone on each
request, at or under 100 ms with at most 13. The machine may be shared: the load
average is printed before and after, and CPU time moves less with it than wall time.

Not part of the test suite: it prints figures, it does not assert them.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
import warnings
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SQLITE_FILE = Path("/tmp/gradesys-pages-bench.sqlite3")
GOAL_MS = 20.0
GOAL_QUERIES = 8
# The home inbox gathers the lists of several pages (gradesys.inbox): a goal of its own.
HOME_GOAL_MS = 100.0
HOME_GOAL_QUERIES = 12
WARMUP = 20
COUNTED = 20
LEADS = 100
DASHBOARD_GOAL_MS = 100.0
DASHBOARD_GOAL_QUERIES = 13
# The dashboard as it opens, and narrowed by a track and by a period.
DASHBOARD_URLS = ("/dashboard/", "/dashboard/?track=backend", "/dashboard/?days=30&track=fullstack")


def configure() -> str:
    """The environment of the project for this process; must run before django.setup()."""
    sys.path.insert(0, str(ROOT))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_FILE}"
    parsed = urlsplit(url)
    if parsed.scheme in ("mysql", "mariadb") and parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("DATABASE_URL must point at a database server on this machine.")
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "0",
            "GRADESYS_DEMO": "1",  # seed_demo fills the bench database
            "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
            "DJANGO_SETTINGS_MODULE": "gradesys.settings",
            # The test client's host. setup_test_environment() would add it, but it also
            # wraps every template render in a signal that copies the context: test-only cost.
            "ALLOWED_HOSTS": "testserver",
            "SECURE_SSL_REDIRECT": "0",  # the test client speaks plain HTTP
            "CACHE_URL": "dummycache://",  # nothing is kept between requests
            "SESSION_ENGINE": "django.contrib.sessions.backends.db",
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("REPORTS_DATABASE_URL", "LEGACY_DATABASE_URL"):
        os.environ.pop(name, None)
    return url


def prepare_database(url: str, reseed: bool) -> None:
    """Create (or empty, with --reseed) the bench's database before Django connects to it."""
    parsed = urlsplit(url)
    if parsed.scheme == "sqlite":
        if reseed:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{parsed.path}{suffix}").unlink(missing_ok=True)
        return
    import MySQLdb  # mysqlclient, in requirements.txt

    name = parsed.path.strip("/")
    if not name.replace("_", "").isalnum():
        raise SystemExit(f"The database name {name!r} must be letters, digits and underscores.")
    server = MySQLdb.connect(
        host=parsed.hostname, port=parsed.port or 3306, user=parsed.username or "root",
        password=parsed.password or "", connect_timeout=5,
    )  # fmt: skip
    with server.cursor() as cursor:
        if reseed:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server.close()


def seed(employees: int) -> None:
    from django.core.management import call_command

    from grades.models import Employee

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")
    have = Employee.objects.count()
    if have >= employees:
        print(f"reusing the database: {have:,} employees")
        return
    started = time.perf_counter()
    call_command("seed_demo", employees=employees, verbosity=0)
    print(f"seed_demo --employees {employees}: {time.perf_counter() - started:.1f} s")


# --- Who asks for what ------------------------------------------------------------------------


class Case:
    """One page as one kind of visitor: an endless rotation of (user, url)."""

    def __init__(
        self, page: str, visitor: str, visits: list[tuple[object, str]], *,
        goal_ms: float = GOAL_MS, goal_queries: int = GOAL_QUERIES,
    ):
        if not visits:
            raise SystemExit(f"The demo has nobody to ask for {page} as {visitor}.")
        self.page = page
        self.visitor = visitor
        self.goal_ms = goal_ms
        self.goal_queries = goal_queries
        self.distinct = len({(getattr(user, "pk", None), url) for user, url in visits})
        self._visits = itertools.cycle(visits)

    def next(self):
        return next(self._visits)


def cases(rng: random.Random, people: int) -> list[Case]:
    from django.contrib.auth import get_user_model
    from django.core.paginator import Paginator

    from grades.models import Employee
    from reviews.models import CommitteeSeat, PromotionReview

    users = get_user_model().objects
    hr = users.get(username="hr")
    manager = users.get(username="manager")

    def sample(items: list, n: int) -> list:
        return rng.sample(items, min(n, len(items)))

    leads_of = {}
    for lead_user_id, report_id in Employee.objects.filter(team_lead__isnull=False).values_list(
        "team_lead__user_id", "pk"
    ):
        leads_of.setdefault(lead_user_id, []).append(report_id)
    developer_ids = sample(
        list(
            Employee.objects.filter(left_on__isnull=True, reports__isnull=True)
            .exclude(user_id__in=list(leads_of))
            .values_list("user_id", flat=True)
        ),
        people,
    )
    developers = list(users.filter(pk__in=developer_ids).select_related("employee__track"))
    lead_users = {u.pk: u for u in users.filter(pk__in=sample(sorted(leads_of), LEADS))}
    everyone = list(Employee.objects.values_list("pk", flat=True))
    review_ids = list(PromotionReview.objects.values_list("pk", flat=True))
    seats = sample(list(CommitteeSeat.objects.values_list("member_id", "review_id")), people)
    members = {u.pk: u for u in users.filter(pk__in={member for member, _review in seats})}
    people_pages = Paginator(range(len(everyone)), 50).num_pages
    home_goal = {"goal_ms": HOME_GOAL_MS, "goal_queries": HOME_GOAL_QUERIES}
    review_pages = Paginator(review_ids, 50).num_pages

    return [
        Case("/me/", "developer", [(u, "/me/") for u in developers]),
        Case("/people/<id>/", "lead", [
            (u, f"/people/{rng.choice(leads_of[pk])}/") for pk, u in lead_users.items()
        ]),
        Case("/people/<id>/", "hr", [(hr, f"/people/{pk}/") for pk in sample(everyone, people)]),
        Case("/people/", "lead", [(u, "/people/") for u in lead_users.values()]),
        Case("/people/", "hr", [(hr, f"/people/?page={n}") for n in range(1, people_pages + 1)]),
        Case("/reviews/", "hr", [(hr, f"/reviews/?page={n}") for n in range(1, review_pages + 1)]),
        Case("/reviews/", "lead", [(u, "/reviews/") for u in lead_users.values()]),
        Case("/reviews/<id>/", "committee", [(members[m], f"/reviews/{r}/") for m, r in seats]),
        Case("/reviews/<id>/", "hr", [(hr, f"/reviews/{pk}/") for pk in sample(review_ids, people)]),
        Case("/tracks/<slug>/", "developer", [(u, f"/tracks/{u.employee.track.slug}/") for u in developers]),
        Case("/", "developer", [(u, "/") for u in developers], **home_goal),
        Case("/", "lead", [(u, "/") for u in lead_users.values()], **home_goal),
        Case("/", "hr", [(hr, "/")], **home_goal),
        # Aggregates over everyone on every request: a goal of its own, a dozen statements.
        *[
            Case("/dashboard/", visitor, [(user, url) for url in DASHBOARD_URLS],
                 goal_ms=DASHBOARD_GOAL_MS, goal_queries=DASHBOARD_GOAL_QUERIES)
            for visitor, user in (("hr", hr), ("manager", manager))
        ],
    ]


# --- Timing -----------------------------------------------------------------------------------


class Clients:
    """Who the test client is: one client, with the session cookie of each person in turn.

    One client for everyone because a client loads the middleware on its first request
    (WhiteNoise then scans every static file): a server does that once per process, so
    a client per person would time it on every first visit.
    """

    def __init__(self):
        from django.conf import settings
        from django.test import Client

        self.client = Client()
        self._cookie = settings.SESSION_COOKIE_NAME
        self._sessions: dict[int, str] = {}

    def of(self, user):
        cookies = self.client.cookies
        if user is None:
            cookies.pop(self._cookie, None)
            return self.client
        key = self._sessions.get(user.pk)
        if key is None:
            # A session of their own, as a sign-in makes; without the previous person's
            # cookie, or signing in would end that person's session.
            cookies.pop(self._cookie, None)
            self.client.force_login(user)
            key = self._sessions[user.pk] = cookies[self._cookie].value
        cookies[self._cookie] = key
        return self.client


def request(clients: Clients, user, url: str):
    response = clients.of(user).get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} as {getattr(user, 'username', 'anonymous')} answered "
                         f"{response.status_code}; the bench needs 200.")
    return response


def measure(clients: Clients, cases: list[Case], requests: int) -> list[dict]:
    """The figures of each case, its timed requests taken in turns with the other cases'.

    Round after round, every case makes one request: a machine whose speed drifts during
    the run (a shared host, another process starting) moves every case alike, so the
    pages compare with each other and with the trivial view in the same conditions.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for case in cases:
        for _ in range(WARMUP):
            request(clients, *case.next())
    wall: list[list[float]] = [[] for _ in cases]
    cpu: list[list[float]] = [[] for _ in cases]
    for _ in range(requests):
        for index, case in enumerate(cases):
            user, url = case.next()
            client = clients.of(user)  # signing in is not part of the page's time
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            cpu[index].append((time.process_time() - started_cpu) * 1000)
            wall[index].append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}; the bench needs 200.")
    figures = []
    for index, case in enumerate(cases):
        queries = []
        for _ in range(COUNTED):
            user, url = case.next()
            client = clients.of(user)  # signing in is not the page's
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            queries.append(len(captured.captured_queries))
            if response.status_code != 200:
                raise SystemExit(f"GET {url} answered {response.status_code}; the bench needs 200.")
        figures.append({
            "median": statistics.median(wall[index]),
            "p90": statistics.quantiles(wall[index], n=10)[8],
            "cpu": statistics.median(cpu[index]),
            "queries": (min(queries), max(queries)),
        })
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per case")
    parser.add_argument("--people", type=int, default=300, help="distinct people per rotating case")
    parser.add_argument("--seed", type=int, default=1, help="the random choice of people")
    parser.add_argument("--reseed", action="store_true", help="start from an empty database")
    args = parser.parse_args()

    url = configure()
    prepare_database(url, args.reseed)
    import django

    # WhiteNoise warns that STATIC_ROOT does not exist: the bench never runs collectstatic.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    django.setup()
    from django.conf import settings
    from django.db import connection

    # DEBUG=0 picks the manifest storage, which needs collectstatic; a plain storage's
    # lookup costs the pages the same.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    seed(args.employees)
    from grades.models import Employee

    rng = random.Random(args.seed)
    print(f"{Employee.objects.count():,} employees; database: {connection.vendor} "
          f"{connection.settings_dict['NAME']}; cache: {settings.CACHES['default']['BACKEND']}")
    if connection.vendor == "mysql":
        from _support import mariadb_memory

        with connection.cursor() as cursor:
            print(mariadb_memory(cursor))
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    clients = Clients()
    trivial_case = Case("/healthz", "anonymous", [(None, "/healthz")])
    all_cases = cases(rng, args.people)
    trivial, *measured = measure(clients, [trivial_case, *all_cases], args.requests)

    print()
    header = f"{'page':<16} {'as':<10} {'distinct':>8} {'median ms':>10} {'p90 ms':>8} {'cpu ms':>7} {'queries':>8} {'x trivial':>10}  goal"
    print(header)
    print("-" * len(header))

    def line(case: Case, figures: dict, *, goal: bool = True) -> bool:
        low, high = figures["queries"]
        count = f"{low}" if low == high else f"{low}-{high}"
        ok = figures["median"] <= case.goal_ms and high <= case.goal_queries
        print(
            f"{case.page:<16} {case.visitor:<10} {case.distinct:>8} {figures['median']:>10.1f} "
            f"{figures['p90']:>8.1f} {figures['cpu']:>7.1f} {count:>8} "
            f"{figures['median'] / trivial['median']:>10.1f}  {('ok' if ok else 'MISSED') if goal else ''}"
        )
        return ok

    line(trivial_case, trivial, goal=False)
    missed = [f"{case.page} as {case.visitor}" for case, figures in zip(all_cases, measured, strict=True)
              if not line(case, figures)]
    print()
    print("distinct: different (person, address) pairs the case rotated over")
    print("cpu ms: this process only; x trivial: the median over /healthz's median")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"every page within its goal ({GOAL_MS:.0f} ms median and {GOAL_QUERIES} statements; the inbox "
          f"{HOME_GOAL_MS:.0f} ms and {HOME_GOAL_QUERIES}; the dashboard {DASHBOARD_GOAL_MS:.0f} ms and "
          f"{DASHBOARD_GOAL_QUERIES})"
          if not missed else f"missed the goal: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
