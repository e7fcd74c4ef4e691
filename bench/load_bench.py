"""
Mixed load on the production server, on loopback, against MariaDB with 10,000 people.

    .venv/bin/python bench/load_bench.py [--seconds 60] [--readers 8] [--read-rate 0] [--write-rate 6]
                                         [--workers N] [--employees 10000] [--reseed]

Needs MariaDB on 127.0.0.1:3306 (root, empty password) or BENCH_DATABASE_URL
(mysql://user:password@127.0.0.1:3306/name), plus Debian's redis-server and curl.

What it does, all on 127.0.0.1, every loop bounded in time and in requests:
  1. Prepares a database of its own (`gradesys_bench` unless BENCH_DATABASE_URL names
     another): creates it, migrates, seeds `seed_demo --employees 10000` unless it already
     holds exactly that many demo people and an unvoted committee seat per writer (earlier
     runs' votes stay; too few seats, and it seeds anew; --reseed always drops it and starts
     again), collects the static files.
  2. Starts a private Redis (no persistence, a free port) as the shared cache and session
     cache, as the README's production settings use, then gunicorn with
     gradesys/gunicorn.conf.py: DEBUG=0, a fresh SECRET_KEY, ALLOWED_HOSTS=127.0.0.1,
     behind a TLS proxy (the bench sends X-Forwarded-Proto: https, as nginx would).
  3. Signs people in by writing their sessions directly (backend
     django.contrib.auth.backends.ModelBackend), so the sign-in throttle is not touched:
     2,000 developers and 50 of their team leads, the committee members of the scheduled
     defenses, and a manager.
  4. Runs the phases, each printed as a table of requests, req/s, p50/p90/p99/max latency
     and errors per case:
       trivial    /healthz alone for --trivial-seconds: the framework's ceiling here.
       mixed      --seconds of readers (closed loop, --readers connections; or, with
                  --read-rate R, R reads a second arriving in an open loop) picking
                  /me/, /reviews/, /reviews/<id>/ as one of the 2,000 developers (each
                  visited in turn) and /me/, /people/, /people/<id>/ of a report,
                  /reviews/, /reviews/<id>/ of a report's defense as one of the 50 team
                  leads, while writers post through the real forms at --write-rate per
                  second in total (open loop): a developer's evidence claim, a team lead's
                  confirmation or rejection of a waiting claim, a committee member's vote.
                  Each write reads its page, posts the form with its CSRF token, Origin and
                  Referer like a browser, expects the redirect and follows it (the page
                  after it must show the confirmation). A probe reads /healthz 4 times a
                  second throughout: the trivial view under the same load.
       download   the same for --seconds while curl downloads /exports/skill-matrix.csv as
                  the manager again and again, reading every byte; then each page's
                  slowdown versus the mixed phase.
       mixed again  the mixed phase once more, after the download: the download is compared
                  with the mean of the two phases without it, one before and one after, so
                  that the machine's speed drifting over the minutes cancels out.
  5. Prints the cache's reads and hit rate per phase (Redis counters; sessions account for
     one read per signed-in request), CPU use, and the goals with PASS/FAIL: zero errors
     in every phase; p99 under 300 ms for every page in both mixed phases; the download
     slowing the pages by no more than a quarter (page requests/s with the download at
     least 0.75 of the mean of the two phases without); writes at 5/s or more. Exit
     status 0 when all pass.

It stops every process it started (by process id: gunicorn and its workers, Redis, curl)
on success, on failure and on Ctrl-C. The bench's writes stay in its database; --reseed
starts from a fresh seed.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import http.client
import http.cookies
import json
import math
import os
import random
import re
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from _support import PROJECT, free_port, mariadb_memory

PYTHON = sys.executable
GUNICORN = str(Path(PYTHON).parent / "gunicorn")
DEFAULT_DATABASE_URL = "mysql://root@127.0.0.1:3306/gradesys_bench"
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 30  # seconds; a request slower than this counts as an error
P99_GOAL_MS = 300.0
SLOWDOWN_GOAL = 0.25
WRITE_RATE_GOAL = 5.0
HEALTHZ_PROBE_RATE = 4.0  # per second, during the mixed phases

# Reads: (weight, role, page). The weights are the share of the readers' requests.
READ_MIX = (
    (40, "developer", "/me/"),
    (5, "developer", "/reviews/"),
    (5, "developer", "/reviews/<id>/"),
    (5, "lead", "/me/"),
    (10, "lead", "/people/"),
    (20, "lead", "/people/<id>/"),
    (5, "lead", "/reviews/"),
    (10, "lead", "/reviews/<id>/"),
)
WRITE_KINDS = ("claim", "decide", "vote")
WRITE_CASES = {
    "claim": "write: claim (developer)",
    "decide": "write: confirm/reject (lead)",
    "vote": "write: vote (committee)",
}
# The forms' addresses, as grades/urls.py and reviews/urls.py define them.
# The forms' addresses without their fragment (a checklist line's "#req-<id>": a browser
# never sends it either).
CLAIM_ACTION = re.compile(r"^/people/\d+/claim/\d+/$")
# The progress page links each line to its claim form, which the page's script reads when the
# line's box opens (grades.views.claim_form).
CLAIM_FORM_LINK = re.compile(rb'href="(/people/\d+/claim/\d+/form/)"')
DECIDE_ACTION = re.compile(r"^/evidence/\d+/decide/$")
VOTE_ACTION = re.compile(r"^/reviews/\d+/vote/$")
FORM_TAG = re.compile(rb"<form\b[^>]*>", re.I)
ACTION_ATTR = re.compile(rb"""\baction\s*=\s*["']([^"']*)["']""", re.I)
CSRF_INPUT = re.compile(rb"""name=["']csrfmiddlewaretoken["'][^>]*?value=["']([^"']+)["']""", re.I)
CHOICES = {
    "decision": re.compile(rb"""name=["']decision["'][^>]*?value=["']([a-z]+)["']""", re.I),
    "value": re.compile(rb"""<input[^>]*type=["']radio["'][^>]*name=["']value["'][^>]*value=["']([a-z]+)["']""", re.I),
}
SUCCESS_MESSAGE = re.compile(rb"""<li[^>]*class=["'][^"']*\bsuccess\b""", re.I)


class BenchError(Exception):
    """The bench cannot go on; the message says why and what to do."""


# --- Child processes ------------------------------------------------------------------------


class Children:
    """Every process the bench starts, each in a session (process group) of its own, so that
    Ctrl-C reaches the bench only and the bench stops them in order, by process id."""

    def __init__(self) -> None:
        self._procs: list[tuple[str, subprocess.Popen, float]] = []
        self._lock = threading.Lock()

    def start(self, name: str, args: list[str], *, grace: float = 5.0, **kwargs) -> subprocess.Popen:
        proc = subprocess.Popen(args, start_new_session=True, **kwargs)
        with self._lock:
            self._procs.append((name, proc, grace))
        return proc

    def stop(self, proc: subprocess.Popen) -> None:
        """SIGTERM, then SIGKILL to what is left of its process group after `grace` seconds."""
        with self._lock:
            entry = next((e for e in self._procs if e[1] is proc), None)
            if entry:
                self._procs.remove(entry)
        grace = entry[2] if entry else 5.0
        if proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
            except ProcessLookupError:
                pass
        # The group's id is the child's pid (start_new_session): workers it forked go too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass

    def stop_all(self) -> None:
        with self._lock:
            procs = [proc for _name, proc, _grace in reversed(self._procs)]
        for proc in procs:
            self.stop(proc)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


# --- Database, cache and server -------------------------------------------------------------


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    parsed = urlsplit(url)
    if parsed.scheme not in ("mysql", "mariadb") or not parsed.path.strip("/"):
        raise BenchError(f"BENCH_DATABASE_URL must look like {DEFAULT_DATABASE_URL}; got {url!r}.")
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise BenchError("BENCH_DATABASE_URL must point at a database server on this machine (loopback).")
    return url


def server_env(db_url: str, cache_url: str, secret: str) -> dict:
    """The environment of everything that runs the project: production settings, loopback only."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("REPORTS_DATABASE_URL", "LEGACY_DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update({
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "SECRET_KEY": secret,
        "ALLOWED_HOSTS": HOST,
        "CACHE_URL": cache_url,
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def manage(env: dict, *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stdout[-2000:]}{result.stderr[-4000:]}")
    return result.stdout


def child(env: dict, *args: str) -> dict:
    """Run this file's Django-side helper (below) with `env`; its answer is the last line, JSON."""
    result = subprocess.run([PYTHON, __file__, "_child", *args], cwd=PROJECT, env=env,
                            capture_output=True, text=True)
    if result.returncode:
        raise BenchError(f"{' '.join(args)} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def prepare_database(db_url: str, env: dict, employees: int, reseed: bool, seats_needed: int = 0) -> str:
    import MySQLdb  # mysqlclient, in requirements.txt

    parsed = urlsplit(db_url)
    name = parsed.path.strip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise BenchError(f"The database name {name!r} must be letters, digits and underscores.")

    def connect():
        return MySQLdb.connect(host=parsed.hostname, port=parsed.port or 3306, user=parsed.username or "root",
                               password=parsed.password or "", connect_timeout=5)

    def create(*, fresh: bool) -> None:
        """The database (dropped first when `fresh`), migrated."""
        try:
            server = connect()
        except MySQLdb.OperationalError as exc:
            raise BenchError(f"Cannot reach MariaDB at {parsed.hostname}:{parsed.port or 3306}: {exc}") from None
        with server.cursor() as cursor:
            if fresh:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
        server.close()
        manage(env, "migrate", "--noinput", "-v0")

    create(fresh=reseed)
    size = child(env, "size", str(employees))
    if size["more"]:
        raise BenchError(f"{name} holds more than {employees:,} demo people: run with --reseed, "
                         "or point BENCH_DATABASE_URL at another database.")
    reuse, why = size["complete"], ""
    if reuse and size["free_seats"] < seats_needed:
        # Earlier runs' votes stay in the database: with no seat left unvoted, this run's
        # votes would fail for want of a seat, not because of the product.
        why = (f" anew: earlier runs left {size['free_seats']} committee seats unvoted, "
               f"this run needs {seats_needed}")
        create(fresh=True)
        reuse = False
    if reuse:
        seeded = f"reused ({employees:,} demo people already there)"
    else:
        started = time.perf_counter()
        # The demo app is a development tool: installed for the seeding only, not in the server.
        manage({**env, "GRADESYS_DEMO": "1"}, "seed_demo", "--employees", str(employees), "-v0")
        seeded = f"seeded {employees:,} demo people{why} in {time.perf_counter() - started:.0f} s"
    manage(env, "collectstatic", "--noinput", "-v0")
    manage(env, "clearsessions")
    server = connect()
    with server.cursor() as cursor:
        seeded += f"; {mariadb_memory(cursor)}"
    server.close()
    return seeded


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
            raise BenchError(f"{what} exited with status {proc.returncode} while starting.\n{tail}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"{what} did not listen on {HOST}:{port} within {seconds:.0f} s.")


def redis_command(port: int, *words: str) -> bytes:
    """One command in Redis's protocol; the raw reply (enough for PING and INFO)."""
    with socket.create_connection((HOST, port), timeout=5) as conn:
        conn.sendall(b"".join(
            [f"*{len(words)}\r\n".encode()] + [f"${len(w)}\r\n{w}\r\n".encode() for w in words]))
        reply = b""
        while True:
            chunk = conn.recv(65536)
            reply += chunk
            if not chunk or (reply.startswith(b"+") and reply.endswith(b"\r\n")):
                break
            if reply.startswith(b"$"):
                length = int(reply[1:reply.index(b"\r\n")])
                if length < 0 or len(reply) >= reply.index(b"\r\n") + 2 + length + 2:
                    break
        return reply


def redis_stats(port: int | None) -> dict[str, int]:
    if port is None:
        return {}
    text = redis_command(port, "INFO", "stats").decode(errors="replace")
    return {key: int(value) for key, value in re.findall(r"^(keyspace_hits|keyspace_misses):(\d+)", text, re.M)}


# --- CPU accounting (Linux /proc) -------------------------------------------------------------


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def process_tree_cpu(root: int) -> float:
    """CPU seconds of `root`, its reaped children and its live children (gunicorn's workers)."""
    total = 0.0
    fields = _stat_fields(root)
    if fields:
        total += sum(int(fields[i]) for i in (11, 12, 13, 14)) / CLOCK_TICKS
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and fields[1] == str(root):
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def database_server_cpu() -> float | None:
    """CPU seconds of the local MariaDB/MySQL server, when one runs here (read from /proc)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if comm in ("mariadbd", "mysqld"):
                fields = _stat_fields(int(entry.name))
                if fields:
                    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return None


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values) - idle) / CLOCK_TICKS, sum(values) / CLOCK_TICKS


def cpu_snapshot(gunicorn_pid: int) -> dict[str, float | None]:
    times = os.times()
    busy, total = machine_busy()
    return {
        "server": process_tree_cpu(gunicorn_pid),
        "database": database_server_cpu(),
        "client": times.user + times.system + times.children_user + times.children_system,
        "busy": busy,
        "total": total,
    }


# --- Measurements ------------------------------------------------------------------------------


@dataclass
class Case:
    latencies: list[float] = field(default_factory=list)  # ms of the answers that were right
    requests: int = 0
    errors: collections.Counter = field(default_factory=collections.Counter)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class Phase:
    """One measured stretch of time: what each case did in it."""

    every: list[Phase] = []  # so that an interruption can end them all

    def __init__(self, name: str, seconds: float) -> None:
        Phase.every.append(self)
        self.name, self.seconds = name, seconds
        self.cases: dict[str, Case] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.started = self.ended = 0.0
        self.cpu: tuple[dict, dict] | None = None
        self.cache: tuple[dict, dict] | None = None
        self.signed_in_requests = 0
        self.skipped: collections.Counter = collections.Counter()
        self.extra: dict = {}

    def record(self, case: str, ms: float | None, error: str | None = None, *, signed_in: bool = False) -> None:
        with self.lock:
            entry = self.cases.setdefault(case, Case())
            entry.requests += 1
            if signed_in:
                self.signed_in_requests += 1
            if error:
                entry.errors[error] += 1
            elif ms is not None:
                entry.latencies.append(ms)

    def error(self, case: str, error: str) -> None:
        """A failure that was not a request of its own (e.g. no confirmation after a write)."""
        with self.lock:
            self.cases.setdefault(case, Case()).errors[error] += 1

    def skip(self, case: str, reason: str) -> None:
        """A write the workload had nothing for (not the site's fault; it lowers the write rate)."""
        with self.lock:
            self.skipped[f"{case}: {reason}"] += 1

    @property
    def elapsed(self) -> float:
        return max(1e-9, (self.ended or time.monotonic()) - self.started)

    def total_errors(self) -> int:
        return sum(sum(c.errors.values()) for c in self.cases.values())


class Budget:
    """The most requests the whole run may send; every loop stops when it is spent."""

    def __init__(self, limit: int) -> None:
        self.left, self.lock, self.spent = limit, threading.Lock(), False

    def take(self) -> bool:
        with self.lock:
            if self.left <= 0:
                self.spent = True
                return False
            self.left -= 1
            return True


# --- The HTTP client ---------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage | None
    body: bytes
    ms: float
    error: str | None = None


@dataclass
class Person:
    """A signed-in person as their browser: the session cookie, and what the site set."""

    username: str
    role: str
    cookies: dict[str, str]  # name -> value as sent; starts with the session cookie alone
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.signed_in = dict(self.cookies)
        self.session = self.cookie_header()  # what a reader sends

    def tab(self) -> Person:
        """The same person in a fresh tab with cookies of its own: a write's CSRF cookie and
        its confirmation message cannot be taken by another write of theirs running at once."""
        return Person(self.username, self.role, dict(self.signed_in))

    def cookie_header(self) -> str:
        with self.lock:
            return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def absorb(self, answer: Answer) -> None:
        if answer.headers is None:
            return
        for header in answer.headers.get_all("Set-Cookie") or []:
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(header)
            except http.cookies.CookieError:
                continue
            with self.lock:
                for name, morsel in jar.items():
                    if morsel["max-age"] in ("0", 0) or morsel.value == "":
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.coded_value


class Site:
    """The server under test, spoken to like a browser behind the TLS-terminating proxy."""

    def __init__(self, port: int, budget: Budget) -> None:
        self.port, self.budget = port, budget
        self.origin = f"https://{HOST}:{port}"

    def send(self, method: str, path: str, headers: dict, body: bytes | None = None) -> Answer | None:
        """One request on a fresh connection (sync workers close it after each answer).
        None when the request budget is spent."""
        if not self.budget.take():
            return None
        headers = {
            "User-Agent": "gradesys-load-bench",
            "Accept": "text/html,application/xhtml+xml",
            "Accept-Language": "en",
            "X-Forwarded-Proto": "https",
            **headers,
        }
        started = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            return Answer(response.status, response.headers, data, (time.perf_counter() - started) * 1000)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(0, None, b"", (time.perf_counter() - started) * 1000, f"{type(exc).__name__}")
        finally:
            conn.close()

    def page(self, phase: Phase, case: str, person: Person | None, path: str, *, jar: bool = False,
             fragment: bool = False) -> Answer | None:
        """GET a page and record it; `jar` sends and keeps every cookie (a writer's browser),
        otherwise only the session cookie goes (a reader). `fragment`: a part of a page that
        the page's script asks for when a box opens (X-Requested-With: fetch), such as a line's
        claim form."""
        headers = {"X-Requested-With": "fetch"} if fragment else {}
        if person is not None:
            headers["Cookie"] = person.cookie_header() if jar else person.session
        answer = self.send("GET", path, headers)
        if answer is None:
            return None
        if jar and person is not None:
            person.absorb(answer)
        error = answer.error or page_error(answer, path, fragment=fragment)
        phase.record(case, answer.ms, error, signed_in=person is not None)
        return None if error else answer

    def submit(self, phase: Phase, case: str, person: Person, page_path: str, page: Answer, action: str,
               fields: dict[str, str]) -> bool:
        """POST a form read from `page` as the browser would and follow the redirect; whether
        the site took it."""
        token = CSRF_INPUT.search(page.body)
        if not token:
            phase.error(case, "no CSRF token in the form's page")
            return False
        body = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), **fields}).encode()
        answer = self.send("POST", action, {
            "Cookie": person.cookie_header(),
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
            "Referer": self.origin + page_path,
        }, body)
        if answer is None:
            return False
        person.absorb(answer)
        location = (answer.headers.get("Location") or "") if answer.headers else ""
        if answer.error:
            phase.record(case, answer.ms, answer.error, signed_in=True)
            return False
        if answer.status != 302 or not location:
            phase.record(case, answer.ms, f"HTTP {answer.status} (expected a redirect)", signed_in=True)
            return False
        target = urlsplit(location).path or "/"
        if target.startswith("/accounts/login"):
            phase.record(case, answer.ms, "redirected to sign in", signed_in=True)
            return False
        phase.record(case, answer.ms, signed_in=True)
        # The browser follows the redirect; the page shows the confirmation.
        followed = self.page(phase, page_case(target, person.role), person, target, jar=True)
        if followed is not None and not SUCCESS_MESSAGE.search(followed.body):
            phase.error(case, "the page after the write shows no confirmation")
        return True


def page_error(answer: Answer, path: str, *, fragment: bool = False) -> str | None:
    if answer.status != 200:
        where = ""
        if answer.headers is not None and answer.headers.get("Location"):
            where = f" to {urlsplit(answer.headers['Location']).path}"
        return f"HTTP {answer.status}{where}"
    # A page ends its document; a fragment (a form) its form.
    end = b"</form>" if fragment else b"</html>"
    if path != "/healthz" and end not in answer.body[-200:].lower():
        return "incomplete page"
    return None


def page_case(path: str, role: str) -> str:
    """The case a page's request counts in: its address with ids folded, and who reads it."""
    kind = re.sub(r"/\d+/", "/<id>/", path.split("?")[0])
    return f"{kind} ({role})"


def form_actions(body: bytes, pattern: re.Pattern) -> list[str]:
    actions = []
    for tag in FORM_TAG.findall(body):
        match = ACTION_ATTR.search(tag)
        if match:
            action = match.group(1).decode().replace("&amp;", "&").split("#", 1)[0]
            if pattern.match(action):
                actions.append(action)
    return actions


# --- The workload ------------------------------------------------------------------------------


class Rotation:
    """Items handed out one at a time, each to one user at once, and put back at the end."""

    def __init__(self, items) -> None:
        self.items, self.lock = collections.deque(items), threading.Lock()

    def take(self):
        with self.lock:
            return self.items.popleft() if self.items else None

    def give_back(self, item) -> None:
        with self.lock:
            self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)


class Reports(Rotation):
    """(lead, report's employee id) in turn, those with a claim known to be waiting first."""

    def __init__(self, items, waiting) -> None:
        super().__init__(items)
        self.waiting = set(waiting)

    def claimed(self, employee: int) -> None:
        with self.lock:
            self.waiting.add(employee)

    def take(self):
        with self.lock:
            if not self.items:
                return None
            # A report being decided right now is out of the deque: one decision per report at once.
            for index, item in enumerate(self.items):
                if item[1] in self.waiting:
                    del self.items[index]
                    self.waiting.discard(item[1])
                    return item
            return self.items.popleft()


@dataclass
class Plan:
    developers: list[Person]
    developer_reviews: dict[str, list[int]]
    leads: list[Person]
    lead_reports: dict[str, list[int]]
    lead_reviews: dict[str, list[int]]
    claimers: Rotation  # (developer, their employee id)
    deciders: Reports
    voters: Rotation  # (member, review id)
    manager: Person
    signed_in: int


def load_plan(data: dict) -> Plan:
    cookie = data["session_cookie"]

    def signed_in(username: str, role: str) -> Person:
        return Person(username, role, {cookie: data["sessions"][username]})

    people = {name: signed_in(name, "developer") for name in data["developers"]}
    people.update({name: signed_in(name, "lead") for name in data["leads"]})
    developers = [people[name] for name in data["developers"]]
    leads = [people[name] for name in data["leads"]]
    committee = {name: signed_in(name, "committee") for name in {member for member, _review in data["voters"]}}
    return Plan(
        developers=developers,
        developer_reviews=data["developer_reviews"],
        leads=leads,
        lead_reports=data["lead_reports"],
        lead_reviews=data["lead_reviews"],
        claimers=Rotation((people[name], employee) for name, employee in data["claimers"]),
        deciders=Reports(((people[lead], employee) for lead, employee in data["deciders"]), data["waiting"]),
        voters=Rotation((committee[member], review) for member, review in data["voters"]),
        manager=signed_in(data["manager"], "manager"),
        signed_in=len(data["sessions"]),
    )


class Readers:
    """Chooses the next read: developers in turn (so all 2,000 are visited), leads at random."""

    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan = plan
        order = list(plan.developers)
        random.Random(seed).shuffle(order)
        self.developers = collections.deque(order)
        with_reviews = [p for p in order if plan.developer_reviews.get(p.username)]
        self.with_reviews = collections.deque(with_reviews)
        self.lock = threading.Lock()
        self.weights = [w for w, _role, _page in READ_MIX]

    def _next(self, queue: collections.deque) -> Person:
        with self.lock:
            person = queue.popleft()
            queue.append(person)
            return person

    def choose(self, rng: random.Random) -> tuple[str, Person, str]:
        _weight, role, page = rng.choices(READ_MIX, weights=self.weights)[0]
        if role == "developer":
            if page == "/reviews/<id>/" and self.with_reviews:
                person = self._next(self.with_reviews)
                path = f"/reviews/{rng.choice(self.plan.developer_reviews[person.username])}/"
            else:
                person = self._next(self.developers)
                path = "/reviews/" if page == "/reviews/<id>/" else page
        else:
            person = rng.choice(self.plan.leads)
            if page == "/people/<id>/":
                path = f"/people/{rng.choice(self.plan.lead_reports[person.username])}/"
            elif page == "/reviews/<id>/" and self.plan.lead_reviews.get(person.username):
                path = f"/reviews/{rng.choice(self.plan.lead_reviews[person.username])}/"
            elif page == "/people/":
                # Leads open the list as it comes and sorted by waiting claims, the way to find work.
                path = "/people/?order=waiting" if rng.random() < 0.3 else "/people/"
            else:
                path = "/reviews/" if page == "/reviews/<id>/" else page
        return page_case(path, role), person, path


def reader_loop(site: Site, phase: Phase, readers: Readers, seed: int) -> None:
    rng = random.Random(seed)
    while not phase.stop.is_set():
        case, person, path = readers.choose(rng)
        if site.page(phase, case, person, path) is None and site.budget.spent:
            return


class ReadPool:
    """Open-loop reading: `paced` hands out a read at the read rate; --readers threads serve them.

    As people arrive: a slow page does not slow the arrivals down (a closed loop would wait for
    it and so measure its own queue). Reads far behind are dropped and counted, not piled up.
    """

    def __init__(self, site: Site, phase: Phase, readers: Readers, threads: int, seed: int) -> None:
        self.site, self.phase, self.readers = site, phase, readers
        self.rng = random.Random(seed)
        self.tasks: collections.deque[tuple[str, Person, str]] = collections.deque()
        self.ready = threading.Condition()
        self.scheduled = self.dropped = 0
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]

    def schedule(self, _i: int) -> None:
        with self.ready:
            self.scheduled += 1
            if len(self.tasks) > 4 * len(self.threads):
                self.dropped += 1
                return
            self.tasks.append(self.readers.choose(self.rng))
            self.ready.notify()

    def _work(self) -> None:
        while True:
            with self.ready:
                while not self.tasks and not self.phase.stop.is_set():
                    self.ready.wait(0.2)
                if self.phase.stop.is_set():
                    return
                case, person, path = self.tasks.popleft()
            if self.site.page(self.phase, case, person, path) is None and self.site.budget.spent:
                return


def trivial_loop(site: Site, phase: Phase) -> None:
    while not phase.stop.is_set():
        if site.page(phase, "/healthz (trivial)", None, "/healthz") is None and site.budget.spent:
            return


def paced(phase: Phase, rate: float, action) -> None:
    """Call `action(i)` at `rate` per second (open loop) until the phase ends."""
    started, i = time.monotonic(), 0
    while not phase.stop.is_set():
        delay = started + i / rate - time.monotonic()
        if delay > 0 and phase.stop.wait(delay):
            return
        action(i)
        i += 1


class Writers:
    """Evidence claims, decisions and votes at a fixed total rate, through the pages' forms."""

    def __init__(self, site: Site, plan: Plan, seed: int) -> None:
        self.site, self.plan = site, plan
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()

    def _random(self) -> random.Random:
        with self.rng_lock:
            return random.Random(self.rng.getrandbits(64))

    def run(self, phase: Phase, kind: str) -> None:
        getattr(self, kind)(phase, self._random())

    def claim(self, phase: Phase, rng: random.Random) -> None:
        case = WRITE_CASES["claim"]
        for _attempt in range(5):
            claimer = self.plan.claimers.take()
            if claimer is None:
                break
            person, employee = claimer
            keep = True
            try:
                tab = person.tab()
                page = self.site.page(phase, page_case("/me/", "developer"), tab, "/me/", jar=True)
                if page is None:
                    return
                links = CLAIM_FORM_LINK.findall(page.body)
                if not links:
                    keep = False  # nothing left to claim: this developer leaves the rotation
                    continue
                # The developer opens one line's claim box: the page's script reads its form.
                link = rng.choice(links).decode()
                form = self.site.page(phase, page_case(link, "developer"), tab, link, jar=True, fragment=True)
                if form is None:
                    return
                actions = form_actions(form.body, CLAIM_ACTION)
                if not actions:
                    phase.error(case, "the claim form has no claim action")
                    return
                number = rng.randrange(1, 10**6)
                if self.site.submit(phase, case, tab, "/me/", form, actions[0], {
                    "description": f"Shipped change {number} that shows this; reviewed and released.",
                    "links": f"https://git.example.com/platform/service/-/merge_requests/{number}",
                }):
                    self.plan.deciders.claimed(employee)
                return
            finally:
                if keep:
                    self.plan.claimers.give_back(claimer)
        phase.skip(case, "no developer had a requirement left to claim")

    def decide(self, phase: Phase, rng: random.Random) -> None:
        case = WRITE_CASES["decide"]
        for _attempt in range(8):
            target = self.plan.deciders.take()
            if target is None:
                break
            lead, employee = target
            try:
                path = f"/people/{employee}/"
                tab = lead.tab()
                page = self.site.page(phase, page_case(path, "lead"), tab, path, jar=True)
                if page is None:
                    return
                actions = form_actions(page.body, DECIDE_ACTION)
                if not actions:
                    continue  # no claim waiting for this report now; try the next
                choices = {m.decode() for m in CHOICES["decision"].findall(page.body)}
                if not {"confirm", "reject"} <= choices:
                    phase.error(case, "the decision form has no confirm/reject buttons")
                    return
                confirm = rng.random() < 0.7
                fields = {"decision": "confirm" if confirm else "reject",
                          "comment": "" if confirm else "Link the merged change, please; the one given is a draft."}
                self.site.submit(phase, case, tab, path, page, rng.choice(actions), fields)
                return
            finally:
                self.plan.deciders.give_back(target)
        phase.skip(case, "no claim was waiting for the leads")

    def vote(self, phase: Phase, rng: random.Random) -> None:
        case = WRITE_CASES["vote"]
        target = self.plan.voters.take()
        if target is None:
            phase.error(case, "no committee seat free to vote in")
            return
        member, review = target
        try:
            path = f"/reviews/{review}/"
            tab = member.tab()
            page = self.site.page(phase, page_case(path, "committee"), tab, path, jar=True)
            if page is None:
                return
            actions = form_actions(page.body, VOTE_ACTION)
            values = sorted({m.decode() for m in CHOICES["value"].findall(page.body)})
            if not actions or not values:
                phase.error(case, "no vote form on a scheduled defense's page")
                return
            self.site.submit(phase, case, tab, path, page, actions[0], {
                "value": rng.choice(values), "comment": rng.choice(["", "Clear packet; strong evidence."]),
            })
        finally:
            self.plan.voters.give_back(target)


class WritePool:
    """Writer threads taking write tasks from a queue that `paced` fills at the write rate."""

    def __init__(self, writers: Writers, phase: Phase, threads: int) -> None:
        self.writers, self.phase = writers, phase
        self.tasks: collections.deque[str] = collections.deque()
        self.ready = threading.Condition()
        self.scheduled = self.dropped = 0
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]

    def schedule(self, i: int) -> None:
        with self.ready:
            self.scheduled += 1
            # Writers far behind: the rate is not being met; don't pile up work past the phase.
            if len(self.tasks) > 4 * len(self.threads):
                self.dropped += 1
                return
            self.tasks.append(WRITE_KINDS[i % len(WRITE_KINDS)])
            self.ready.notify()

    def _work(self) -> None:
        while True:
            with self.ready:
                while not self.tasks and not self.phase.stop.is_set():
                    self.ready.wait(0.2)
                if self.phase.stop.is_set():
                    return
                kind = self.tasks.popleft()
            try:
                self.writers.run(self.phase, kind)
            except Exception as exc:  # a bug in the bench must show, not stop the phase
                self.phase.error(WRITE_CASES[kind], f"bench error: {type(exc).__name__}: {exc}")
            if self.writers.site.budget.spent:
                return


class Download(threading.Thread):
    """curl downloads the skill matrix as the manager again and again until the phase ends;
    its output comes through a pipe, so every byte is read and counted."""

    CASE = "download /exports/skill-matrix.csv (manager)"

    def __init__(self, children: Children, port: int, manager: Person, phase: Phase) -> None:
        super().__init__(daemon=True)
        self.children, self.port, self.manager, self.phase = children, port, manager, phase
        self.completed = self.failed = self.cut = 0
        self.bytes = 0  # read during the phase, complete downloads or not
        self.seconds: list[float] = []
        self.first_byte_ms: list[float] = []

    def run(self) -> None:
        while not self.phase.stop.is_set():
            self._once()

    def _once(self) -> None:
        args = ["curl", "--silent", "--show-error", "--fail", "--max-time", "900", "--output", "-",
                "--write-out", "%{stderr}HTTP %{http_code}\n",
                "--header", f"Cookie: {self.manager.cookie_header()}",
                "--header", "X-Forwarded-Proto: https",
                f"http://{HOST}:{self.port}/exports/skill-matrix.csv"]
        started = time.monotonic()
        proc = self.children.start("curl", args, grace=2, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = None
        cut = False
        try:
            fd = proc.stdout.fileno()
            while True:
                if self.phase.stop.is_set():
                    cut = True
                    break
                if select.select([fd], [], [], 0.2)[0]:
                    chunk = os.read(fd, 1 << 20)
                    if not chunk:
                        break
                    if first is None:
                        first = time.monotonic() - started
                    self.bytes += len(chunk)
            if not cut:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            self.children.stop(proc)
            err = proc.stderr.read().decode(errors="replace").strip()
            proc.stdout.close()
            proc.stderr.close()
        if cut:
            self.cut += 1  # stopped at the end of the phase: neither done nor failed
        elif proc.returncode == 0 and err.endswith("HTTP 200"):
            self.completed += 1
            self.seconds.append(time.monotonic() - started)
            self.first_byte_ms.append((first or 0) * 1000)
        else:
            self.failed += 1
            self.phase.error(self.CASE, f"curl exit {proc.returncode}: {err.splitlines()[-1][:100] if err else ''}")


# --- Running the phases ------------------------------------------------------------------------


def run_phase(phase: Phase, site: Site, *, threads: list[threading.Thread], gunicorn_pid: int,
              redis_port: int | None, before_start=None) -> Phase:
    print(f"\n{phase.name} ({phase.seconds:g} s)", flush=True)
    cpu_before, cache_before = cpu_snapshot(gunicorn_pid), redis_stats(redis_port)
    phase.started = time.monotonic()
    if before_start:
        before_start()
    for thread in threads:
        thread.start()
    deadline = phase.started + phase.seconds
    while time.monotonic() < deadline and not site.budget.spent:
        time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
    phase.stop.set()
    phase.ended = time.monotonic()
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
    phase.cpu = (cpu_before, cpu_snapshot(gunicorn_pid))
    phase.cache = (cache_before, redis_stats(redis_port))
    return phase


def mixed_threads(site: Site, phase: Phase, plan: Plan, args, writers: Writers, seed: int) -> list[threading.Thread]:
    readers = Readers(plan, seed)
    if args.read_rate > 0:
        reads = ReadPool(site, phase, readers, args.readers, seed)
        phase.extra["reads"] = reads
        threads = [threading.Thread(target=paced, args=(phase, args.read_rate, reads.schedule), daemon=True),
                   *reads.threads]
    else:
        threads = [threading.Thread(target=reader_loop, args=(site, phase, readers, seed * 1000 + i), daemon=True)
                   for i in range(args.readers)]
    threads.append(threading.Thread(
        target=paced, args=(phase, HEALTHZ_PROBE_RATE,
                            lambda _i: site.page(phase, "/healthz (trivial)", None, "/healthz")), daemon=True))
    if args.write_rate > 0:
        pool = WritePool(writers, phase, args.writer_threads)
        phase.extra["writes"] = pool
        threads.append(threading.Thread(target=paced, args=(phase, args.write_rate, pool.schedule), daemon=True))
        threads.extend(pool.threads)
    return threads


# --- Report ------------------------------------------------------------------------------------


def fmt_ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.0f}" if value >= 100 else f"{value:.1f}"


def case_order(name: str) -> tuple:
    return (name.startswith("write:"), name.startswith("download"), not name.startswith("/healthz"), name)


def print_phase(phase: Phase, baseline: Phase | None = None) -> None:
    header = f"  {'case':<34} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} {'errors':>6}"
    if baseline:
        header += f" {'p50 x':>6}"
    print(header)
    for name in sorted(phase.cases, key=case_order):
        case = phase.cases[name]
        line = (f"  {name:<34} {case.requests:>8} {case.requests / phase.elapsed:>7.1f} "
                f"{fmt_ms(case.percentile(0.5)):>7} {fmt_ms(case.percentile(0.9)):>7} "
                f"{fmt_ms(case.percentile(0.99)):>7} {fmt_ms(case.percentile(1.0)):>7} {sum(case.errors.values()):>6}")
        if baseline and name in baseline.cases and is_page(name):
            before = baseline.cases[name].percentile(0.5)
            line += f" {case.percentile(0.5) / before:>6.2f}" if before and not math.isnan(before) else ""
        print(line)
    pages = page_totals(phase)
    if pages[0]:
        print(f"  {'all pages':<34} {pages[0]:>8} {pages[0] / phase.elapsed:>7.1f} {fmt_ms(pages[1]):>7} "
              f"{fmt_ms(pages[2]):>7} {fmt_ms(pages[3]):>7}")
    for name in sorted(phase.cases, key=case_order):
        for error, count in phase.cases[name].errors.most_common(5):
            print(f"    error in {name}: {error} x{count}")
    reads = phase.extra.get("reads")
    if reads is not None:
        print(f"  reads: {reads.scheduled} arrived ({reads.scheduled / phase.elapsed:.1f}/s, open loop)"
              + (f", {reads.dropped} dropped because the readers were behind" if reads.dropped else ""))
    pool = phase.extra.get("writes")
    if pool is not None:
        done = sum(phase.cases[c].requests for c in WRITE_CASES.values() if c in phase.cases)
        print(f"  writes: {done} posted ({done / phase.elapsed:.1f}/s) of {pool.scheduled} scheduled"
              + (f", {pool.dropped} dropped because the writers were behind" if pool.dropped else ""))
        for reason, count in phase.skipped.items():
            print(f"    skipped {reason} x{count}")
    print_cpu(phase)
    print_cache(phase)


def is_page(name: str) -> bool:
    return name.startswith("/") and not name.startswith("/healthz")


def page_totals(phase: Phase) -> tuple[int, float, float, float]:
    merged = Case()
    for name, case in phase.cases.items():
        if is_page(name):
            merged.requests += case.requests
            merged.latencies.extend(case.latencies)
    return merged.requests, merged.percentile(0.5), merged.percentile(0.9), merged.percentile(0.99)


def print_cpu(phase: Phase) -> None:
    if not phase.cpu:
        return
    before, after = phase.cpu
    seconds = phase.elapsed

    def cores(key: str) -> str:
        if before.get(key) is None or after.get(key) is None:
            return "?"
        return f"{(after[key] - before[key]) / seconds:.2f}"

    busy = (after["busy"] - before["busy"]) / max(1e-9, after["total"] - before["total"]) * (os.cpu_count() or 1)
    print(f"  CPU in cores: gunicorn {cores('server')}, database {cores('database')}, bench client {cores('client')}; "
          f"whole machine {busy:.2f} of {os.cpu_count()}")


def print_cache(phase: Phase) -> None:
    if not phase.cache or not phase.cache[0]:
        return
    before, after = phase.cache
    hits = after.get("keyspace_hits", 0) - before.get("keyspace_hits", 0)
    misses = after.get("keyspace_misses", 0) - before.get("keyspace_misses", 0)
    reads = hits + misses
    if not reads:
        print("  cache (Redis): no reads")
        return
    line = f"  cache (Redis): {reads} reads, hit rate {hits / reads:.1%}"
    # cached_db sessions: one read per signed-in request, found there (the sessions were written
    # through it). What is left is the pages' own use of the cache.
    other_reads = reads - phase.signed_in_requests
    other_hits = hits - phase.signed_in_requests
    if other_reads > max(10, 0.02 * phase.signed_in_requests):
        line += (f"; besides the {phase.signed_in_requests} session reads: about {other_reads} reads, "
                 f"hit rate {max(0, other_hits) / other_reads:.1%}")
    else:
        line += f"; all of them the session reads of {phase.signed_in_requests} signed-in requests"
    print(line)


def goals(phases: dict[str, Phase], download: Download | None, write_rate_wanted: float) -> bool:
    print("\nGoals")
    results = []

    def goal(ok: bool, text: str) -> None:
        results.append(ok)
        print(f"  {'PASS' if ok else 'FAIL'}  {text}")

    errors = {name: phase.total_errors() for name, phase in phases.items()}
    goal(not any(errors.values()), "zero errors (" + ", ".join(f"{n}: {e}" for n, e in errors.items()) + ")")

    mixed = phases["mixed"]
    quiet = [name for name in ("mixed", "mixed again") if name in phases]  # no download
    without = [phases[name] for name in quiet]
    worst = max(((phases[name].cases[n].percentile(0.99), f"{n}, {name}")
                 for name in quiet for n in phases[name].cases if is_page(n)),
                default=(float("nan"), "-"))
    goal(not math.isnan(worst[0]) and worst[0] < P99_GOAL_MS,
         f"p99 under {P99_GOAL_MS:.0f} ms for every page while writes go on (worst: {fmt_ms(worst[0])} ms, {worst[1]})")

    if write_rate_wanted > 0:
        done = sum(mixed.cases[c].requests for c in WRITE_CASES.values() if c in mixed.cases)
        rate = done / mixed.elapsed
        goal(rate >= WRITE_RATE_GOAL, f"writes at {WRITE_RATE_GOAL:.0f}/s or more during the mixed phase ({rate:.1f}/s)")

    if "download" in phases:
        loaded = phases["download"]
        busy = download is not None and download.bytes > 0
        # Against the mean of the phases without the download, before it and after it.
        if "reads" in mixed.extra:
            # Open loop: the pages arrive at the same rate in every phase, so the download shows
            # as time per page, the median of all pages.
            each = [page_totals(phase)[1] for phase in without]
            before, after = sum(each) / len(each), page_totals(loaded)[1]
            slowdown = after / before - 1 if before else float("nan")
            figures = (f"pages' median {' and '.join(fmt_ms(v) for v in each)} ms without, "
                       f"{fmt_ms(after)} ms with it")
        else:
            # Closed loop: the readers ask as fast as they are answered; it shows as throughput.
            each = [page_totals(phase)[0] / phase.elapsed for phase in without]
            before = sum(each) / len(each)
            after = page_totals(loaded)[0] / loaded.elapsed
            slowdown = 1 - after / before if before else float("nan")
            figures = f"pages {' and '.join(f'{v:.1f}' for v in each)} req/s without, {after:.1f} with it"
        change = f"{slowdown:.0%} slower" if slowdown >= 0 else f"{-slowdown:.0%} faster"
        goal(busy and slowdown <= SLOWDOWN_GOAL,
             f"the download slows the pages by at most {SLOWDOWN_GOAL:.0%} "
             f"({figures}: {change}" + ("" if busy else "; but nothing was downloaded") + ")")
    return all(results)


# --- Django-side helpers (run in a child process with the bench's environment) -----------------


def child_main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradesys.settings")
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    command = argv[0]
    if command == "size":
        print(json.dumps(_seeded_size(int(argv[1]))))
    elif command == "plan":
        print(json.dumps(_plan(developers=int(argv[1]), leads=int(argv[2]), seed=int(argv[3]))))
    else:
        raise SystemExit(f"unknown helper {command!r}")


def _free_seats():
    """Seats not voted yet on defenses whose day has come: votes are taken from that day on."""
    from django.utils import timezone

    from reviews.models import CommitteeSeat, ReviewStatus

    day_over = timezone.make_aware(datetime.datetime.combine(timezone.localdate() + datetime.timedelta(days=1),
                                                              datetime.time.min))
    return CommitteeSeat.objects.filter(review__status=ReviewStatus.SCHEDULED, member__is_active=True,
                                        review__scheduled_for__lt=day_over, vote__isnull=True)


def _seeded_size(employees: int) -> dict:
    """Whether the demo organisation of `employees` people is there (usernames are numbered)."""
    from django.contrib.auth import get_user_model

    from demo.people import USERNAME_PATTERN
    from grades.models import Employee

    users = get_user_model().objects
    last = USERNAME_PATTERN.format(employees)
    return {
        "free_seats": _free_seats().count(),
        "complete": users.filter(username=last).exists() and Employee.objects.filter(user__username=last).exists()
        and Employee.objects.filter(user__username__in=["lead", "dev"]).count() == 2,
        "more": users.filter(username=USERNAME_PATTERN.format(employees + 1)).exists(),
    }


def _plan(*, developers: int, leads: int, seed: int) -> dict:
    """Who reads and writes what, with a signed-in session for each of them.

    Leads: `leads` team leads with at least three current reports (the demo `lead` among
    them). Developers: every report of those leads, then other people without reports up
    to `developers`. The leads' reports are the ones who claim, and their claims are what
    the leads decide; the committee members vote on the scheduled defenses.
    """
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.db.models import Count, Q

    from grades.models import Employee, Evidence, EvidenceStatus
    from grades.roles import MANAGER
    from reviews.models import PromotionReview

    rng = random.Random(seed)
    current = Employee.objects.filter(left_on__isnull=True, user__is_active=True)
    lead_rows = list(
        current.annotate(n=Count("reports", filter=Q(reports__left_on__isnull=True, reports__user__is_active=True)))
        .filter(n__gte=3).order_by("pk").values_list("pk", "user__username")
    )
    if len(lead_rows) < leads:
        raise SystemExit(f"only {len(lead_rows)} team leads with three or more reports; {leads} are needed")
    named = [row for row in lead_rows if row[1] == "lead"]
    others = [row for row in lead_rows if row[1] != "lead"]
    chosen_leads = named + rng.sample(others, leads - len(named))
    lead_by_pk = dict(chosen_leads)

    reports = list(current.filter(team_lead__in=lead_by_pk).exclude(reports__isnull=False)
                   .order_by("pk").values_list("pk", "user__username", "team_lead_id").distinct())
    lead_reports: dict[str, list[int]] = collections.defaultdict(list)
    for pk, _username, lead_pk in reports:
        lead_reports[lead_by_pk[lead_pk]].append(pk)
    report_names = [username for _pk, username, _lead in reports][:developers]
    taken = set(report_names) | set(lead_by_pk.values())
    candidates = [username for username in current.filter(reports__isnull=True).order_by("pk")
                  .values_list("user__username", flat=True) if username not in taken]
    more = developers - len(report_names)
    if len(candidates) < more:
        raise SystemExit(f"only {len(candidates) + len(report_names)} developers without reports; {developers} needed")
    developer_names = report_names + rng.sample(candidates, more)

    developer_reviews: dict[str, list[int]] = collections.defaultdict(list)
    for username, review in PromotionReview.objects.filter(candidate__user__username__in=developer_names) \
            .values_list("candidate__user__username", "pk"):
        developer_reviews[username].append(review)
    report_lead = {pk: lead_by_pk[lead_pk] for pk, _u, lead_pk in reports}
    lead_reviews: dict[str, list[int]] = collections.defaultdict(list)
    for candidate, review in PromotionReview.objects.filter(candidate__in=report_lead).values_list("candidate_id", "pk"):
        lead_reviews[report_lead[candidate]].append(review)

    # The leads decide first where a claim waits; the bench's own claims join those as it goes.
    waiting = sorted(set(Evidence.objects.filter(employee__in=report_lead, status=EvidenceStatus.CLAIMED)
                         .values_list("employee_id", flat=True)))
    deciders = [(report_lead[pk], pk) for pk in sorted(report_lead)]
    claimers = [(username, pk) for pk, username, _lead in reports]
    rng.shuffle(claimers)
    voters = list(_free_seats().order_by("review_id", "pk").values_list("member__username", "review_id"))
    rng.shuffle(voters)
    managers = list(get_user_model().objects.filter(groups__name=MANAGER, is_active=True)
                    .order_by("pk").values_list("username", flat=True))
    manager_name = "manager" if "manager" in managers else next(iter(managers), None)
    if manager_name is None:
        raise SystemExit("no active user in the Manager group to download the skill matrix")

    # Signed in as Django's login() would leave them, without the sign-in form (and its throttle).
    store = import_module(settings.SESSION_ENGINE).SessionStore
    users = get_user_model().objects.in_bulk(
        set(developer_names) | set(lead_by_pk.values()) | {m for m, _r in voters} | {manager_name},
        field_name="username")
    sessions = {}
    for username, user in users.items():
        session = store()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions[username] = session.session_key
    return {
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "sessions": sessions,
        "developers": developer_names,
        "developer_reviews": developer_reviews,
        "leads": list(lead_by_pk.values()),
        "lead_reports": lead_reports,
        "lead_reviews": lead_reviews,
        "claimers": claimers,
        "deciders": deciders,
        "waiting": waiting,
        "voters": voters,
        "manager": manager_name,
    }


# --- Main --------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="length of each mixed phase (default 60)")
    parser.add_argument("--trivial-seconds", type=float, default=10, help="/healthz alone (default 10)")
    parser.add_argument("--warmup-seconds", type=float, default=5, help="unmeasured reads first (default 5)")
    parser.add_argument("--readers", type=int, default=8, help="concurrent reading connections (default 8)")
    parser.add_argument("--read-rate", type=float, default=0.0,
                        help="page reads per second arriving in an open loop, served by --readers "
                             "connections (default 0: a closed loop, each reader asks again as soon as "
                             "it has its answer, which measures the capacity)")
    parser.add_argument("--write-rate", type=float, default=6.0, help="writes per second in total (default 6)")
    parser.add_argument("--writer-threads", type=int, default=6, help="concurrent writers (default 6)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1,
                        help="gunicorn workers (default 2 x cores + 1, as gunicorn.conf.py)")
    parser.add_argument("--employees", type=int, default=10000, help="demo people (default 10000)")
    parser.add_argument("--developers", type=int, default=2000, help="distinct reading developers (default 2000)")
    parser.add_argument("--leads", type=int, default=50, help="distinct reading team leads (default 50)")
    parser.add_argument("--max-requests", type=int, default=1_000_000, help="the whole run's request budget")
    parser.add_argument("--no-download", action="store_true", help="skip the phase with the export download")
    parser.add_argument("--reseed", action="store_true", help="drop the bench database and seed it again")
    parser.add_argument("--seed", type=int, default=13, help="random seed of the choices (default 13)")
    args = parser.parse_args()
    if args.seconds <= 0 or args.readers < 1 or args.write_rate < 0 or args.writer_threads < 1 or args.read_rate < 0:
        parser.error("--seconds and --readers must be positive, --write-rate and --read-rate not negative")

    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it happens, also in a file
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    children = Children()
    workdir = Path(tempfile.mkdtemp(prefix="gradesys-load-"))
    try:
        return run(args, children, workdir)
    except BenchError as exc:
        print(f"\nload bench: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nload bench: interrupted; stopping what it started", file=sys.stderr)
        return 130
    finally:
        # Clients first (threads see their phase end; curl is stopped), then the server, then Redis.
        for phase in Phase.every:
            phase.stop.set()
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, children: Children, workdir: Path) -> int:
    for tool, package in (("curl", "curl"), ("redis-server", "redis-server")):
        if not args.no_download or tool != "curl":
            if shutil.which(tool) is None and not (tool == "redis-server" and os.environ.get("BENCH_CACHE_URL")):
                raise BenchError(f"{tool} is missing: apt-get install {package}")
    db_url = database_url()
    print(f"load bench: load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at the start")

    # The cache every worker shares: a private Redis, so its counters are this run's alone.
    redis_port = None
    cache_url = os.environ.get("BENCH_CACHE_URL")
    if not cache_url:
        redis_port = free_port()
        redis = children.start("redis", ["redis-server", "--bind", HOST, "--port", str(redis_port), "--save", "",
                                         "--appendonly", "no", "--dir", str(workdir)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(redis_port, redis, 10, "redis-server")
        cache_url = f"redis://{HOST}:{redis_port}/0"
    env = server_env(db_url, cache_url, secrets.token_urlsafe(50))

    print(f"database {urlsplit(db_url).path.strip('/')}: ", end="", flush=True)
    # A voter holds a seat while voting and gives it back (a member may vote again, changing
    # the vote); the plan hands out seats with no vote yet, at least one per writer.
    print(prepare_database(db_url, env, args.employees, args.reseed, seats_needed=args.writer_threads))
    started = time.perf_counter()
    plan = load_plan(child(env, "plan", str(args.developers), str(args.leads), str(args.seed)))
    print(f"signed in {plan.signed_in} people in "
          f"{time.perf_counter() - started:.0f} s: {len(plan.developers)} developers, {len(plan.leads)} team leads "
          f"({len(plan.claimers)} reports who claim), {len(plan.voters)} committee seats on scheduled defenses, "
          f"the manager")

    port = free_port()
    log = workdir / "gunicorn.log"
    with log.open("w") as log_file:
        server = children.start("gunicorn", [GUNICORN, "-c", "gradesys/gunicorn.conf.py", "gradesys.wsgi:application"],
                                grace=40, cwd=PROJECT, stdout=log_file, stderr=subprocess.STDOUT,
                                env=env | {"WEB_CONCURRENCY": str(args.workers), "GUNICORN_BIND": f"{HOST}:{port}"})
    wait_for_port(port, server, 60, "gunicorn", log)
    budget = Budget(args.max_requests)
    site = Site(port, budget)
    try:
        preflight(site, plan)
    except BenchError as exc:
        raise BenchError(f"{exc}\nLast lines of the server's log:\n{log.read_text(errors='replace')[-4000:]}") from None
    reading = (f"{args.read_rate:g}/s arriving, served by {args.readers} connections" if args.read_rate > 0
               else f"{args.readers} connections in a closed loop")
    print(f"gunicorn: {args.workers} sync workers on {HOST}:{port}; readers: {reading}; "
          f"writes: {args.write_rate:g}/s ({', '.join(WRITE_KINDS)} in turn) by {args.writer_threads} writers")

    warmup = Phase("warm-up", args.warmup_seconds)
    readers = Readers(plan, args.seed)
    run_phase(warmup, site, gunicorn_pid=server.pid, redis_port=redis_port, threads=[
        threading.Thread(target=reader_loop, args=(site, warmup, readers, i), daemon=True)
        for i in range(args.readers)])

    writers = Writers(site, plan, args.seed)
    phases: dict[str, Phase] = {}
    trivial = Phase("trivial: /healthz alone", args.trivial_seconds)
    phases["trivial"] = run_phase(trivial, site, gunicorn_pid=server.pid, redis_port=redis_port, threads=[
        threading.Thread(target=trivial_loop, args=(site, trivial), daemon=True) for _ in range(args.readers)])
    print_phase(trivial)

    mixed = Phase("mixed: pages while writes go on", args.seconds)
    phases["mixed"] = run_phase(mixed, site, gunicorn_pid=server.pid, redis_port=redis_port,
                                threads=mixed_threads(site, mixed, plan, args, writers, args.seed + 1))
    print_phase(mixed)

    download = None
    if not args.no_download:
        loaded = Phase("download: the same while the skill matrix downloads", args.seconds)
        download = Download(children, port, plan.manager, loaded)
        phases["download"] = run_phase(loaded, site, gunicorn_pid=server.pid, redis_port=redis_port,
                                       threads=[download, *mixed_threads(site, loaded, plan, args, writers,
                                                                         args.seed + 2)])
        print_phase(loaded, baseline=mixed)
        each = f", {sum(download.seconds) / len(download.seconds):.1f} s each" if download.seconds else ""
        first = (f", first byte after {fmt_ms(sorted(download.first_byte_ms)[len(download.first_byte_ms) // 2])} ms"
                 if download.first_byte_ms else "")
        print(f"  skill matrix: {download.bytes / 1e6:.1f} MB read in the phase; {download.completed} complete "
              f"downloads{each}{first}; {download.failed} failed; {download.cut} cut off at the phase's end")
        # The machine's speed drifts over minutes: the download phase is compared with the mean
        # of a mixed phase before it and one after it, so that a steady drift cancels out.
        again = Phase("mixed again: the same without the download, after it", args.seconds)
        phases["mixed again"] = run_phase(again, site, gunicorn_pid=server.pid, redis_port=redis_port,
                                          threads=mixed_threads(site, again, plan, args, writers, args.seed + 3))
        print_phase(again, baseline=mixed)
    if budget.spent:
        print(f"\nThe request budget (--max-requests {args.max_requests}) ran out: the phases ended early.")
    ok = goals(phases, download, args.write_rate)
    if any(phase.total_errors() for phase in phases.values()):
        tail = log.read_text(errors="replace")[-3000:].strip()
        if tail:
            print(f"\nLast lines of the server's log:\n{tail}")
    return 0 if ok else 1


def preflight(site: Site, plan: Plan) -> None:
    """One request of each kind before anything is measured: a wrong setup fails here, clearly."""
    phase = Phase("preflight", 0)
    developer, lead = plan.developers[0], plan.leads[0]
    checks = [(None, "/healthz"), (developer, "/me/"), (developer, "/reviews/"), (lead, "/people/"),
              (lead, f"/people/{plan.lead_reports[lead.username][0]}/"), (lead, "/reviews/")]
    for person, path in checks:
        site.page(phase, path, person, path)
    problems = [f"GET {name} as {'nobody' if p is None else p.username}: {', '.join(phase.cases[name].errors)}"
                for p, name in checks if phase.cases[name].errors]
    if problems:
        raise BenchError("the server does not answer as expected:\n  " + "\n  ".join(problems))


if __name__ == "__main__":
    if sys.argv[1:2] == ["_child"]:
        child_main(sys.argv[2:])
    else:
        sys.exit(main())
