"""
Scripted fault checks against the production server on loopback and the local MariaDB.

    .venv/bin/python bench/fault_check.py [--database gradesys_bench_100000] [--skip-restart]

1. Database restart under load: gunicorn (2 workers) serves /healthz and /me/ to four
   client threads; MariaDB is stopped, kept down a few seconds and started again.
   Expected: while it is down every answer is a 503 (healthz's JSON, or the short
   "temporarily unavailable" page), never a traceback or a 500; after it is back the
   answers return to 200 by themselves (CONN_HEALTH_CHECKS reconnects).
2. A client that drops a large download: the skill-matrix export is read for a moment
   and the socket closed. Expected: the worker serves the next requests, a full
   export afterwards is complete, and no export connection is left on the server.
3. A decision interrupted by a database error: run by the test suite
   (reviews/tests/test_services.py: the event write fails after the promotion was
   appended, and both roll back); this script prints that test's result.

Step 1 stops and starts the machine's MariaDB (start-stop-daemon, as the machine
starts it); run it on a machine where nothing else needs the database then.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from _support import free_port, signed_in_session

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MYSQL = ["mysql", "--protocol=TCP", "-h", "127.0.0.1", "-uroot"]


def env_for(url: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": "fault-check-only-secret-key-0123456789abcdefghijklmnop",
            "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "ERROR", "GUNICORN_ACCESS_LOG": "/dev/null",
            "CONN_MAX_AGE": "60"}


def session(url: str, username: str) -> str:
    return signed_in_session(env_for(url), username)


def get(port, path, cookie=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}"} if cookie else {})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def mariadb_up() -> bool:
    return subprocess.run(MYSQL + ["-e", "SELECT 1"], capture_output=True).returncode == 0


def stop_mariadb():
    subprocess.run(["start-stop-daemon", "--stop", "--oknodo", "--retry", "30", "--exec", "/usr/sbin/mariadbd"],
                   check=True)


def start_mariadb():
    subprocess.run(["start-stop-daemon", "--start", "--oknodo", "--background", "--exec", "/usr/sbin/mariadbd"],
                   check=True)
    for _ in range(60):
        if mariadb_up():
            return
        time.sleep(1)
    raise RuntimeError("MariaDB did not come back")


class Server:
    def __init__(self, url, workers):
        self.url, self.workers, self.port = url, workers, free_port()

    def __enter__(self):
        env = env_for(self.url) | {"WEB_CONCURRENCY": str(self.workers), "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=PROJECT, env=env, check=True)
        self.process = subprocess.Popen([str(Path(PYTHON).parent / "gunicorn"), "-c", "gradesys/gunicorn.conf.py",
                                         "gradesys.wsgi:application"], cwd=PROJECT, env=env,
                                        stderr=subprocess.PIPE, text=True)
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        _out, err = self.process.communicate(timeout=30)
        self.stderr = err


def restart_under_load(url: str) -> None:
    print("1. MariaDB restarted under load")
    cookie = session(url, "dev")
    with Server(url, 2) as server:
        phases = collections.defaultdict(collections.Counter)
        tracebacks = 0
        phase = {"name": "before"}
        stop = threading.Event()

        def client(path, use_cookie):
            nonlocal tracebacks
            while not stop.is_set():
                try:
                    status, body = get(server.port, path, cookie if use_cookie else None)
                except OSError:
                    status, body = "conn-error", b""
                phases[phase["name"]][(path, status)] += 1
                if b"Traceback" in body:
                    tracebacks += 1
                time.sleep(0.02)

        threads = [threading.Thread(target=client, args=(p, c), daemon=True)
                   for p, c in [("/healthz", False), ("/healthz", False), ("/me/", True), ("/me/", True)]]
        for t in threads:
            t.start()
        time.sleep(3)
        phase["name"] = "stopping"
        stop_mariadb()
        phase["name"] = "down"
        time.sleep(5)
        phase["name"] = "starting"
        start_mariadb()
        phase["name"] = "back"
        time.sleep(5)
        stop.set()
        for t in threads:
            t.join(timeout=15)
    for name in ("before", "stopping", "down", "starting", "back"):
        counts = ", ".join(f"{path} {status}: {n}" for (path, status), n in sorted(phases[name].items(), key=str))
        print(f"   {name:<9} {counts}")
    errors_in_log = server.stderr.count("Traceback")
    print(f"   tracebacks sent to clients: {tracebacks}; tracebacks in the server log: {errors_in_log}")
    only_503 = all(status == 503 for (_path, status) in phases["down"])
    back = phases["back"]
    recovered = back[("/healthz", 200)] > 0 and back[("/me/", 200)] > 0
    print(f"   while down only 503: {only_503}; both pages answer 200 again by themselves: {recovered}")


def dropped_download(url: str) -> None:
    print("2. A client drops a large download mid-way")
    cookie = session(url, "manager")
    name = url.rsplit("/", 1)[1]

    def export_connections():
        out = subprocess.run(MYSQL + ["-N", "-e", f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{name}'"],
                             capture_output=True, text=True, check=True).stdout
        return int(out.strip())

    with Server(url, 1) as server:
        get(server.port, "/healthz")
        before = export_connections()
        sock = socket.create_connection(("127.0.0.1", server.port))
        sock.sendall(f"GET /exports/skill-matrix.csv HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sessionid={cookie}\r\n\r\n".encode())
        received = 0
        while received < 2_000_000:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += len(chunk)
        during = export_connections()
        sock.close()
        time.sleep(2)
        after = export_connections()
        status, body = get(server.port, "/healthz")
        started = time.perf_counter()
        full_status, full = get(server.port, "/exports/skill-matrix.csv", cookie, timeout=300)
        seconds = time.perf_counter() - started
        rows = full.count(b"\n") - 1
    print(f"   read {received / 1e6:.1f} MB then closed; database connections for the site: "
          f"before {before}, during {during}, 2 s after {after}")
    print(f"   next /healthz: {status} {json.loads(body)}; next full export: {full_status}, "
          f"{rows:,} rows in {seconds:.1f} s")


def interrupted_decision() -> None:
    print("3. A decision interrupted by a database error (test suite)")
    result = subprocess.run([PYTHON, "-m", "pytest", "-q", "reviews/tests/test_services.py", "-k",
                             "one_transaction or half_written"], cwd=PROJECT, capture_output=True, text=True)
    print("   " + (result.stdout.strip().splitlines() or ["(no output)"])[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="gradesys_bench_100000")
    parser.add_argument("--skip-restart", action="store_true")
    args = parser.parse_args()
    url = f"mysql://root:@127.0.0.1:3306/{args.database}"
    if not args.skip_restart:
        restart_under_load(url)
    dropped_download(url)
    interrupted_decision()


if __name__ == "__main__":
    main()
