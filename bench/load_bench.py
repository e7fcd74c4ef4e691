"""
Load test of the production server on loopback, against MariaDB with the demo organisation.

    .venv/bin/python bench/load_bench.py [--mysql-url mysql://root:@127.0.0.1:3306]
                                         [--employees 10000] [--seconds 15] [--workers 4]

Prepares `gradesys_load` (migrate + seed_demo; kept between runs), starts gunicorn
the way `make serve` does (DEBUG off, WhiteNoise, one process per worker) on a
free loopback port, signs in the demo users by creating their sessions, and drives
it with wrk (Debian's package: apt-get install wrk) for a bounded time per case:

  trivial    /healthz — the framework's own ceiling on this machine, measured before and
             after the page cases; the ratios use the faster of the two
  progress   /me/ as dev, /me/ as 200 developers in turn, /people/<id>/ as lead
             (one of their reports); pages are kept in the shared cache (Redis), as the
             README's production settings say
  people     /people/ as lead and as hr
  reviews    /reviews/ as hr
and the same page cases again while another client downloads the skill-matrix
export over and over. Prints requests/s, latency percentiles and errors for each,
the ratio of each page to the trivial view, and how much the export slowed them.
Goals: zero errors; progress page >= 1/3 of trivial; the export slows the other
pages by no more than a quarter. Traffic goes to 127.0.0.1 only and every wrk run
stops by itself.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import http.client
from pathlib import Path

from _support import free_port

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def env_for(url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
        "LOG_LEVEL": "WARNING",
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "CONN_MAX_AGE": "60",
        # As the README's production settings: a cache every worker shares, sessions cached in it.
        "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/7"),
        "SESSION_ENGINE": "django.contrib.sessions.backends.cached_db",
    }


def mysql(server_url: str, sql: str) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(server_url)
    args = ["mysql", "--protocol=TCP", "-h", parsed.hostname or "127.0.0.1", "-P", str(parsed.port or 3306),
            "-u", parsed.username or "root"]
    if parsed.password:
        args.append(f"-p{parsed.password}")
    subprocess.run(args + ["-e", sql], check=True)


def manage(url: str, *args, capture=False) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=PROJECT, env=env_for(url), check=True,
                            capture_output=capture, text=True)
    return result.stdout if capture else ""


SESSIONS_CODE = """
import json, os, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gradesys.settings')
django.setup()
from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from grades.models import Employee
def session_for(user):
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = 'gradesys.auth.UserBackend'
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return s.session_key
User = get_user_model()
out = {name: session_for(User.objects.get(username=name)) for name in ('dev', 'lead', 'hr', 'manager')}
# Many developers, each viewing their own page: sessions for 200 of them.
out['developers'] = [
    session_for(user)
    for user in User.objects.filter(employee__isnull=False, groups__name='Developer')
    .exclude(username__in=('dev', 'lead')).order_by('id')[:200]
]
lead = Employee.objects.get(user__username='lead')
out['report'] = Employee.objects.filter(team_lead=lead).exclude(user__username='dev').values_list('pk', flat=True).first()
print(json.dumps(out))
"""


ROTATE_LUA = """
local cookies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", nil, {["Cookie"] = "sessionid=" .. cookies[(n %% #cookies) + 1]})
end
"""


def wrk(port: int, path: str, cookie, seconds: int, connections: int = 8) -> dict:
    """wrk against one path; `cookie` is one session key, or a list to rotate through."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if isinstance(cookie, list):
        script = Path(f"/tmp/gradesys-load-{os.getpid()}.lua")
        script.write_text(ROTATE_LUA % ", ".join(f'"{c}"' for c in cookie))
        args += ["-s", str(script)]
    elif cookie:
        args += ["-H", f"Cookie: sessionid={cookie}"]
    out = subprocess.run(args + [f"http://127.0.0.1:{port}{path}"], check=True, capture_output=True, text=True).stdout

    def ms(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return {"rate": rate, "p50": ms("50"), "p90": ms("90"), "p99": ms("99"), "errors": errors}


class ExportLoop(threading.Thread):
    """Downloads the big export again and again until stopped; counts rows and failures."""

    def __init__(self, port: int, cookie: str):
        super().__init__(daemon=True)
        self.port, self.cookie = port, cookie
        self.stop = threading.Event()
        self.downloads = self.failures = 0
        self.bytes = 0

    def run(self):
        while not self.stop.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
                conn.request("GET", "/exports/skill-matrix.csv", headers={"Cookie": f"sessionid={self.cookie}"})
                response = conn.getresponse()
                if response.status != 200:
                    self.failures += 1
                while chunk := response.read(1 << 20):
                    self.bytes += len(chunk)
                    if self.stop.is_set():
                        break
                conn.close()
                self.downloads += 1
            except OSError:
                self.failures += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mysql-url", default="mysql://root:@127.0.0.1:3306")
    parser.add_argument("--employees", type=int, default=10000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    import json

    name = "gradesys_load"
    url = f"{args.mysql_url.rstrip('/')}/{name}"
    mysql(args.mysql_url, f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    print("Preparing", name)
    manage(url, "migrate", "--noinput", "-v0")
    started = time.perf_counter()
    manage(url, "seed_demo", "--employees", str(args.employees), "-v0")
    print(f"  seed_demo --employees {args.employees}: {time.perf_counter() - started:.0f} s (quick when already there)")
    manage(url, "collectstatic", "--noinput", "-v0")
    sessions = json.loads(manage(url, "shell", "-c", SESSIONS_CODE, capture=True).strip().splitlines()[-1])

    port = free_port()
    env = env_for(url) | {"WEB_CONCURRENCY": str(args.workers), "GUNICORN_BIND": f"127.0.0.1:{port}"}
    server = subprocess.Popen([str(Path(PYTHON).parent / "gunicorn"), "-c", "gradesys/gunicorn.conf.py",
                               "gradesys.wsgi:application"], cwd=PROJECT, env=env)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        cases = [
            ("progress /me/ (dev)", "/me/", sessions["dev"]),
            (f"progress /me/ ({len(sessions['developers'])} developers)", "/me/", sessions["developers"]),
            ("progress /people/<id>/ (lead)", f"/people/{sessions['report']}/", sessions["lead"]),
            ("people /people/ (lead)", "/people/", sessions["lead"]),
            ("people /people/ (hr)", "/people/", sessions["hr"]),
            ("reviews /reviews/ (hr)", "/reviews/", sessions["hr"]),
        ]
        # Warm every worker's connection and caches: each developer's page once, then each case.
        for cookie in sessions["developers"]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            conn.request("GET", "/me/", headers={"Cookie": f"sessionid={cookie}"})
            conn.getresponse().read()
            conn.close()
        for _label, path, cookie in [("trivial", "/healthz", None)] + cases:
            wrk(port, path, cookie, 2)
        print(f"\ngunicorn, {args.workers} sync workers, MariaDB, wrk 2 threads / 8 connections, {args.seconds} s per case\n")
        # The trivial view before and after the page cases; the ratios use the faster of the two.
        trivial_runs = [wrk(port, "/healthz", None, args.seconds)]
        results = [(label, wrk(port, path, cookie, args.seconds)) for label, path, cookie in cases]
        trivial_runs.append(wrk(port, "/healthz", None, args.seconds))
        trivial = max(trivial_runs, key=lambda r: r["rate"])
        export = ExportLoop(port, sessions["manager"])
        export.start()
        time.sleep(1)
        loaded = [(label, wrk(port, path, cookie, args.seconds)) for label, path, cookie in cases]
        export.stop.set()
        export.join(timeout=120)

        header = f"{'case':<34} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7} {'x trivial':>9}"
        print(header)
        for when, run in zip(("first", "last"), trivial_runs):
            print(f"{'trivial /healthz (' + when + ')':<34} {run['rate']:>8.1f} {run['p50']:>8.1f} {run['p90']:>8.1f} "
                  f"{run['p99']:>8.1f} {run['errors']:>7} {run['rate'] / trivial['rate']:>9.2f}")
        for label, r in results:
            print(f"{label:<34} {r['rate']:>8.1f} {r['p50']:>8.1f} {r['p90']:>8.1f} {r['p99']:>8.1f} "
                  f"{r['errors']:>7} {r['rate'] / trivial['rate']:>9.2f}")
        print("\nwith a concurrent skill-matrix export running the whole time:")
        print(f"{'case':<34} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'errors':>7} {'slowdown':>9}")
        for (label, before), (_label, r) in zip(results, loaded):
            slowdown = 1 - r["rate"] / before["rate"]
            print(f"{label:<34} {r['rate']:>8.1f} {r['p50']:>8.1f} {r['p90']:>8.1f} {r['p99']:>8.1f} "
                  f"{r['errors']:>7} {slowdown:>8.0%}")
        print(f"export: {export.downloads} full downloads, {export.bytes / 1e6:.0f} MB, {export.failures} failures")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
