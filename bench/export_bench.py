"""
Benchmark of the skill-matrix CSV export on MariaDB, side by side in one run.

    .venv/bin/python bench/export_bench.py [--mysql-url mysql://root:@127.0.0.1:3306]
                                           [--rows 100000 1000000] [--keep]

For each size it prepares a database `gradesys_bench_<rows>` with seed_demo
(enough employees for about that many skill-matrix rows; kept between runs, so a
second run skips the seeding), then measures on the same rows:

  mysql     the `mysql --batch --quick` client dumping the report's single SELECT to /dev/null
  product   gunicorn (one sync worker) serving /exports/skill-matrix.csv on loopback
            (the default: rows assembled in Python from small statements),
            read to the end by curl: rows/s, time to first byte, and the worker's
            peak memory (VmHWM) after the download (a first download, read and
            counted in Python, checks the rows and the size)
  db-lines  the same with EXPORTS_SERVER_SIDE_CSV=1: MariaDB builds each CSV line
  fetchall  the naive way: cursor.fetchall() then csv.writer, in a child process,
            with its peak memory

and prints rows/s, the ratio to the mysql client, peak memory and time to first
byte. Goals: product >= 0.75x mysql; worker peak memory grows < 20 MB from the
small size to the large one; first byte within 200 ms.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from _support import free_port, signed_in_session
from urllib.parse import urlparse

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ROWS_PER_EMPLOYEE = 21.5  # the demo organisation's average skill-matrix rows per person


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=PROJECT, env=env, check=True, **kwargs)


def env_for(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on loopback: no TLS proxy in front.
        "SECURE_SSL_REDIRECT": "0",
    }


def mysql_args(url: str) -> list[str]:
    parsed = urlparse(url)
    args = ["mysql", "--batch", "--quick", "--skip-column-names", "--protocol=TCP",
            "-h", parsed.hostname or "127.0.0.1", "-P", str(parsed.port or 3306),
            "-u", parsed.username or "root"]
    if parsed.password:
        args.append(f"-p{parsed.password}")
    return args


def prepare(server_url: str, rows: int) -> tuple[str, str, int]:
    """A seeded database for about `rows` skill-matrix rows; returns its URL, name and row count."""
    name = f"gradesys_bench_{rows}"
    url = f"{server_url.rstrip('/')}/{name}"
    subprocess.run(
        mysql_args(server_url) + ["-e", f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"],
        check=True,
    )
    env = env_for(url)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    employees = max(10, int(rows / ROWS_PER_EMPLOYEE))
    started = time.perf_counter()
    run([PYTHON, "manage.py", "seed_demo", "--employees", str(employees), "-v0"], env)
    seeded = time.perf_counter() - started
    print(f"  {name}: {employees:,} employees (seed_demo took {seeded:.0f} s; quick when already there)")
    return url, name


def plain_sql() -> str:
    """The skill-matrix rows as one plain SELECT for the mysql client: the same columns, joins
    and filters, all employees at once, and no ORDER BY (the cheapest way to get the rows, so
    the baseline is the strictest one)."""
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gradesys.settings'); "
        "django.setup(); from exports.reports import REPORTS; from exports.db import MAX_ID; "
        "s = REPORTS['skill-matrix'].build('mysql', {}); "
        "sql = 'SELECT ' + ', '.join(s.expressions) + ' ' + s.body; "
        "params = s.with_bounds(0, MAX_ID); "
        "sql = sql.replace('%%', chr(0)); "
        "sql = sql % tuple(str(int(p)) for p in params); "
        "print(sql.replace(chr(0), '%'))"
    )
    env = env_for("mysql://root:@127.0.0.1:3306/none")
    return subprocess.run([PYTHON, "-c", code], cwd=PROJECT, env=env, check=True,
                          capture_output=True, text=True).stdout


def time_mysql_client(server_url: str, name: str, sql: str) -> tuple[float, int]:
    """Seconds for the mysql client to dump the rows, and how many rows it wrote."""
    started = time.perf_counter()
    process = subprocess.Popen(mysql_args(server_url) + [name, "-e", sql], stdout=subprocess.PIPE)
    rows = 0
    while chunk := process.stdout.read(1 << 20):
        rows += chunk.count(b"\n")
    if process.wait() != 0:
        raise RuntimeError("the mysql client failed")
    return time.perf_counter() - started, rows


def time_fetchall(url: str) -> tuple[float, float]:
    """The naive way in a child process: seconds and peak RSS in MB."""
    code = """
import csv, io, os, resource, time, django
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'gradesys.settings')
django.setup()
from django.db import connection
from exports.reports import REPORTS
from exports.db import MAX_ID
s = REPORTS['skill-matrix'].build('mysql', {})
started = time.perf_counter()
with connection.cursor() as cursor:
    cursor.execute(s.sql(), s.with_bounds(0, MAX_ID))
    rows = cursor.fetchall()
buffer = io.StringIO()
writer = csv.writer(buffer, delimiter=';')
for row in rows:
    writer.writerow(row)
data = buffer.getvalue().encode('utf-8')
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""
    out = subprocess.run([PYTHON, "-c", code], cwd=PROJECT, env=env_for(url), check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


class Server:
    """gunicorn with one sync worker on loopback."""

    def __init__(self, url: str, extra_env: dict | None = None):
        self.url = url
        self.extra_env = extra_env or {}
        self.port = free_port()
        self.process = None

    def __enter__(self):
        env = env_for(self.url) | self.extra_env
        run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "gradesys.wsgi:application", "--workers", "1",
             "--bind", f"127.0.0.1:{self.port}", "--timeout", "600", "--log-level", "warning"],
            cwd=PROJECT, env=env,
        )
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        # Warm the worker so imports and the first connection are not timed.
        self.get("/healthz", None)
        return self

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024

    def get(self, path: str, cookie: str | None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        first = response.read(1)
        ttfb = time.perf_counter() - started
        size = len(first)
        lines = first.count(b"\n")
        while chunk := response.read(1 << 20):
            size += len(chunk)
            lines += chunk.count(b"\n")
        total = time.perf_counter() - started
        conn.close()
        return response.status, ttfb, total, size, lines

    def curl(self, path: str, cookie: str):
        """The download read to the end by curl (as a person's client would), written to /dev/null."""
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-H", f"Cookie: sessionid={cookie}",
             "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}",
             f"http://127.0.0.1:{self.port}{path}"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        return int(out[0]), float(out[1]), float(out[2]), int(out[3])

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def session_for(url: str, username: str) -> str:
    return signed_in_session(env_for(url), username)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mysql-url", default="mysql://root:@127.0.0.1:3306")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()

    print("Preparing databases")
    prepared = [prepare(args.mysql_url, rows) for rows in args.rows]
    sql = plain_sql()
    results = []
    for url, name in prepared:
        cookie = session_for(url, "manager")
        mysql_seconds, count = min(time_mysql_client(args.mysql_url, name, sql) for _ in range(2))
        with Server(url) as server:
            base_rss = server.peak_rss_mb()
            # Once read and counted here, to check the rows; then timed with curl.
            status, _ttfb, _seconds, size, lines = server.get("/exports/skill-matrix.csv", cookie)
            assert status == 200, status
            status, ttfb, seconds, curl_size = min(
                (server.curl("/exports/skill-matrix.csv", cookie) for _ in range(2)), key=lambda r: r[2]
            )
            assert status == 200 and curl_size == size, (status, curl_size, size)
            peak = server.peak_rss_mb()
        with Server(url, {"EXPORTS_SERVER_SIDE_CSV": "1"}) as server:
            db_status, _ttfb, _seconds, db_size, db_lines = server.get("/exports/skill-matrix.csv", cookie)
            assert db_status == 200 and db_lines == lines and db_size == size, (db_status, db_lines, lines)
            db_status, _ttfb, db_seconds, _size = min(
                (server.curl("/exports/skill-matrix.csv", cookie) for _ in range(2)), key=lambda r: r[2]
            )
        naive_seconds, naive_mb = time_fetchall(url)
        results.append((count, mysql_seconds, seconds, ttfb, lines - 1, size, base_rss, peak,
                        naive_seconds, naive_mb, db_seconds))

    print()
    print(f"{'rows':>10} {'way':>9} {'seconds':>8} {'rows/s':>10} {'x mysql':>8} {'peak MB':>8} {'TTFB ms':>8}")
    for count, mysql_s, product_s, ttfb, lines, size, base, peak, naive_s, naive_mb, db_s in results:
        mysql_rate = count / mysql_s
        print(f"{count:>10,} {'mysql':>9} {mysql_s:>8.2f} {mysql_rate:>10,.0f} {1.0:>8.2f} {'':>8} {'':>8}")
        print(f"{count:>10,} {'product':>9} {product_s:>8.2f} {lines / product_s:>10,.0f} "
              f"{(lines / product_s) / mysql_rate:>8.2f} {peak:>8.1f} {ttfb * 1000:>8.0f}")
        print(f"{count:>10,} {'db-lines':>9} {db_s:>8.2f} {lines / db_s:>10,.0f} "
              f"{(lines / db_s) / mysql_rate:>8.2f} {'':>8} {'':>8}")
        print(f"{count:>10,} {'fetchall':>9} {naive_s:>8.2f} {count / naive_s:>10,.0f} "
              f"{(count / naive_s) / mysql_rate:>8.2f} {naive_mb:>8.1f} {'':>8}")
        assert lines == count, (lines, count)
    if len(results) >= 2:
        growth = results[-1][7] - results[0][7]
        print(f"\nworker peak memory growth from {results[0][0]:,} to {results[-1][0]:,} rows: {growth:+.1f} MB")


if __name__ == "__main__":
    main()
