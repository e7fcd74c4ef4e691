"""
Benchmark of the skill-matrix CSV download on MariaDB against the mysql client, on the same rows.

    .venv/bin/python bench/export_bench.py [--mysql-url mysql://root:@127.0.0.1:3306]
                                           [--rows 100000 1000000] [--repeat 3]

For each size it prepares a database `gradesys_bench_<rows>` with seed_demo (enough
employees for about that many skill-matrix rows; kept between runs, so a second run
skips the seeding), then measures on the same rows:

  mysql    the `mysql --batch --quick` client dumping the skill matrix's rows as one
           SELECT (same columns, joins and filters; no ORDER BY, so the baseline is
           the cheapest way to get the rows) to a pipe: the fastest of three plans
           (the optimizer's, the people first, the people first with the rejected
           claims looked up by person: on a freshly seeded database the optimizer may
           look them up by requirement, thousands of rows per line)
  product  gunicorn (one sync worker, the production WSGI app) serving
           /exports/skill-matrix.csv on loopback, read to the end by curl; a first
           download, read here, checks the row count and times the first data row

Each is the best of --repeat runs. It prints seconds, rows/s, the ratio to the mysql
client, curl's time to the first byte, the time to the first data row, the CPU
seconds of the worker and of the database server for one download (read from
/proc; the server's figure counts every client it served meanwhile, so it is only
meaningful on an otherwise idle server), and the worker's memory (VmRSS before,
VmHWM after, from /proc).
Goals: product >= 0.75x mysql at the largest size; worker peak memory grows by
less than 20 MB from the smallest size to the largest; first byte within 200 ms.
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
from urllib.parse import urlparse

from _support import free_port, signed_in_session

PROJECT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ROWS_PER_EMPLOYEE = 21.5  # the demo organisation's average skill-matrix rows per person
TICKS = os.sysconf("SC_CLK_TCK")
URL = "/exports/skill-matrix.csv"


def run(args, env, **kwargs):
    return subprocess.run(args, cwd=PROJECT, env=env, check=True, **kwargs)


def env_for(database_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "GRADESYS_DEMO": "1",  # seed_demo fills the bench databases
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


def prepare(server_url: str, rows: int) -> tuple[str, str]:
    """A seeded database for about `rows` skill-matrix rows; returns its URL and name."""
    name = f"gradesys_bench_{rows}"
    url = f"{server_url.rstrip('/')}/{name}"
    subprocess.run(
        mysql_args(server_url)
        + ["-e", f"CREATE DATABASE IF NOT EXISTS {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"],
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


# The baseline's plans, the fastest counts: (join, index hint of the rejected-claim lookup).
PLANS = (("JOIN", ""), ("STRAIGHT_JOIN", ""), ("STRAIGHT_JOIN", "FORCE INDEX (evidence_emp_status)"))


def skill_matrix_select(join: str, rejected_index: str = "") -> str:
    """The skill matrix's rows as one SELECT: one row per person who has not left × active
    requirement of their track up to one level above their own, with the claim's state, who
    confirmed it and when (the report's definition, exports/reports.py _skill_matrix_rows)."""
    return f"""
        SELECT e.id, u.first_name, u.last_name, t.slug, cl.name, r.key, rl.name, r.category,
            CASE
                WHEN r.check_kind <> '' THEN 'by_data'
                WHEN ev.status IS NOT NULL THEN ev.status
                WHEN EXISTS (
                    SELECT 1 FROM grades_evidence rj {rejected_index}
                    WHERE rj.employee_id = e.id AND rj.requirement_id = r.id AND rj.status = 'rejected'
                ) THEN 'rejected'
                ELSE 'missing'
            END,
            CASE WHEN ev.status = 'confirmed' THEN du.username END,
            CASE WHEN ev.status = 'confirmed' THEN DATE_FORMAT(ev.decided_at, '%Y-%m-%d %H:%i:%s') END
        FROM grades_employee e
        {join} auth_user u ON u.id = e.user_id
        {join} grades_track t ON t.id = e.track_id
        {join} grades_level cl ON cl.id = e.current_level_id
        {join} grades_requirement r ON r.track_id = e.track_id
        {join} grades_tracklevel rtl ON rtl.id = r.track_level_id
        {join} grades_level rl ON rl.id = rtl.level_id AND rl.`rank` <= cl.`rank` + 1
        LEFT JOIN grades_evidence ev
               ON ev.employee_id = e.id AND ev.requirement_id = r.id AND ev.open_marker = 1
        LEFT JOIN auth_user du ON du.id = ev.decided_by_id
        WHERE e.left_on IS NULL AND r.is_active = 1
    """


def database_server_pid() -> int | None:
    """The local MariaDB/MySQL server's process, when it runs on this machine."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                    return int(entry.name)
            except OSError:
                continue
    return None


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat), 0 when unknown."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def time_mysql_client(server_url: str, name: str, sql: str, db_pid: int | None) -> tuple[float, int, float]:
    """Seconds for the mysql client to dump the rows, how many rows it wrote, and the server's CPU seconds."""
    db_cpu = cpu_seconds(db_pid)
    started = time.perf_counter()
    process = subprocess.Popen(mysql_args(server_url) + [name, "-e", sql], stdout=subprocess.PIPE)
    rows = 0
    while chunk := process.stdout.read(1 << 20):
        rows += chunk.count(b"\n")
    if process.wait() != 0:
        raise RuntimeError("the mysql client failed")
    return time.perf_counter() - started, rows, cpu_seconds(db_pid) - db_cpu


class Server:
    """gunicorn with one sync worker on loopback, serving the production WSGI application."""

    def __init__(self, url: str):
        self.url = url
        self.port = free_port()
        self.process = None

    def __enter__(self):
        env = env_for(self.url)
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

    def memory_mb(self, field: str) -> float:
        """VmRSS (now) or VmHWM (peak) of the worker, in MB."""
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        return int(re.search(rf"{field}:\s+(\d+) kB", status).group(1)) / 1024

    def get(self, path: str, cookie: str | None):
        """A download read here: status, seconds to the first data row, bytes, lines."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        headers = {"Cookie": f"sessionid={cookie}"} if cookie else {}
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        head = b""
        while head.count(b"\n") < 2:
            chunk = response.read1(1 << 16)
            if not chunk:
                break
            head += chunk
        first_row = time.perf_counter() - started
        size, lines = len(head), head.count(b"\n")
        while chunk := response.read(1 << 20):
            size += len(chunk)
            lines += chunk.count(b"\n")
        conn.close()
        return response.status, first_row, size, lines

    def curl(self, path: str, cookie: str, db_pid: int | None):
        """The download read to the end by curl (as a person's client would), written to /dev/null:
        status, first byte and total seconds, bytes, and the CPU seconds of the worker and the database."""
        worker_cpu, db_cpu = cpu_seconds(self.worker_pid()), cpu_seconds(db_pid)
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-H", f"Cookie: sessionid={cookie}",
             "-w", "%{http_code} %{time_starttransfer} %{time_total} %{size_download}",
             f"http://127.0.0.1:{self.port}{path}"],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        return (int(out[0]), float(out[1]), float(out[2]), int(out[3]),
                cpu_seconds(self.worker_pid()) - worker_cpu, cpu_seconds(db_pid) - db_cpu)

    def __exit__(self, *exc):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mysql-url", default="mysql://root:@127.0.0.1:3306")
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each way; the best counts")
    args = parser.parse_args()

    print("Preparing databases")
    prepared = [prepare(args.mysql_url, rows) for rows in args.rows]
    db_pid = database_server_pid()
    results = []
    for url, name in prepared:
        cookie = signed_in_session(env_for(url), "manager")
        mysql_runs = [
            time_mysql_client(args.mysql_url, name, skill_matrix_select(join, index), db_pid)
            for join, index in PLANS
            for _ in range(args.repeat)
        ]
        mysql_seconds, count, mysql_db_cpu = min(mysql_runs)
        with Server(url) as server:
            rss_before = server.memory_mb("VmRSS")
            # Once read here, to check the rows and time the first data row; then timed with curl.
            status, first_row, size, lines = server.get(URL, cookie)
            assert status == 200, status
            assert lines - 1 == count, (lines - 1, count)
            status, ttfb, seconds, curl_size, worker_cpu, db_cpu = min(
                (server.curl(URL, cookie, db_pid) for _ in range(args.repeat)), key=lambda r: r[2]
            )
            assert status == 200 and curl_size == size, (status, curl_size, size)
            peak = server.memory_mb("VmHWM")
        results.append({
            "rows": count, "mysql_s": mysql_seconds, "mysql_db_cpu": mysql_db_cpu, "product_s": seconds,
            "ttfb": ttfb, "first_row": first_row, "bytes": size, "rss_before": rss_before, "peak": peak,
            "worker_cpu": worker_cpu, "db_cpu": db_cpu,
        })

    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    print(f"{'rows':>10} {'way':>8} {'seconds':>8} {'rows/s':>10} {'x mysql':>8} {'1st byte':>9} "
          f"{'1st row':>8} {'worker s':>9} {'db s':>6} {'RSS MB':>7} {'peak MB':>8}")
    for r in results:
        mysql_rate = r["rows"] / r["mysql_s"]
        rate = r["rows"] / r["product_s"]
        print(f"{r['rows']:>10,} {'mysql':>8} {r['mysql_s']:>8.2f} {mysql_rate:>10,.0f} {1.0:>8.2f} {'':>9} "
              f"{'':>8} {'':>9} {r['mysql_db_cpu']:>6.2f}")
        print(f"{r['rows']:>10,} {'product':>8} {r['product_s']:>8.2f} {rate:>10,.0f} {rate / mysql_rate:>8.2f} "
              f"{r['ttfb'] * 1000:>7.0f}ms {r['first_row'] * 1000:>6.0f}ms {r['worker_cpu']:>9.2f} "
              f"{r['db_cpu']:>6.2f} {r['rss_before']:>7.1f} {r['peak']:>8.1f}")
    largest, smallest = results[-1], results[0]
    ratio = (largest["rows"] / largest["product_s"]) / (largest["rows"] / largest["mysql_s"])
    growth = largest["peak"] - smallest["peak"]
    ttfb = max(r["ttfb"] for r in results)
    print()
    print(f"speed at {largest['rows']:,} rows: {ratio:.2f}x the mysql client "
          f"(goal >= 0.75): {'ok' if ratio >= 0.75 else 'MISSED'}")
    if len(results) >= 2:
        print(f"worker peak memory from {smallest['rows']:,} to {largest['rows']:,} rows: {growth:+.1f} MB "
              f"(goal < 20): {'ok' if growth < 20 else 'MISSED'}")
    print(f"first byte: at most {ttfb * 1000:.0f} ms (goal < 200): {'ok' if ttfb < 0.2 else 'MISSED'}")


if __name__ == "__main__":
    main()
