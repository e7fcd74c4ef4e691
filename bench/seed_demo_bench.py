"""
Benchmark of `manage.py seed_demo` on a fresh SQLite file.

    .venv/bin/python bench/seed_demo_bench.py [--sizes 1000 10000] [--seed 1]

For each size: a new temporary database, `migrate`, then `seed_demo --employees N`
in its own process. Prints the wall time of the seeding process (Django start-up
included, migrate excluded), the rows it created per table, rows per second, and
the time of a second run, which must create nothing. The target is 10,000
employees in under 60 seconds.
"""

from __future__ import annotations

import argparse
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
TABLES = (
    "auth_user",
    "auth_user_groups",
    "grades_employee",
    "grades_gradechange",
    "grades_mentorship",
    "grades_evidence",
    "grades_evidenceevent",
    "reviews_promotionreview",
    "reviews_committeeseat",
    "reviews_vote",
    "reviews_reviewevent",
)
TARGET_SECONDS = 60


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def manage(env: dict, *args: str) -> tuple[float, float]:
    """Run manage.py with `args`; (wall, CPU) seconds. Stops the benchmark on failure."""
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        cwd=PROJECT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return elapsed, children_cpu() - cpu


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}


def run(size: int, seed: int) -> bool:
    with tempfile.TemporaryDirectory(prefix="seed-demo-bench-") as folder:
        path = Path(folder) / "bench.sqlite3"
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{path}",
            "DEBUG": "0",
            "GRADESYS_DEMO": "1",
            "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-secret-key",
        }
        manage(env, "migrate", "-v0")
        before = row_counts(path)
        seconds, cpu = manage(env, "seed_demo", "--employees", str(size), "--seed", str(seed), "-v0")
        after = row_counts(path)
        again, _ = manage(env, "seed_demo", "--employees", str(size), "--seed", str(seed), "-v0")
        unchanged = row_counts(path) == after

    created = {table: after[table] - before[table] for table in TABLES}
    total = sum(created.values())
    print(
        f"\n--employees {size:,}: {seconds:.1f} s wall ({cpu:.1f} s CPU), {total:,} rows, "
        f"{total / seconds:,.0f} rows/s"
    )
    for table, count in created.items():
        print(f"  {table:<22} {count:>9,}")
    print(f"  second run: {again:.1f} s, {'nothing created' if unchanged else 'ROWS CHANGED'}")
    ok = unchanged and (size < 10_000 or seconds < TARGET_SECONDS)
    if size >= 10_000:
        print(f"  target {TARGET_SECONDS} s for 10,000: {'met' if seconds < TARGET_SECONDS else 'MISSED'}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    # Wall time on a busy machine is mostly waiting: the load average and CPU time say how busy.
    print(
        f"seed_demo on SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    results = [run(size, options.seed) for size in options.sizes]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
