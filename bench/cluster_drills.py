"""Fault drills on the local cluster (scripts/cluster.py): what people see when part of it goes away.

    .venv/bin/python bench/cluster_drills.py [--seconds 15] [--dir FOLDER]

Brings a cluster up (or uses the one in --dir, leaving it up) and runs, printing figures:

1. an app server stopped and started again under a GET/POST load through nginx: failed GETs
   (goal: zero), failed POSTs, and every claim the load posted checked for half-writes (a claim
   without its event or its history row);
2. the replica stopped during a report download: how the download ends, what the next
   download answers, and the pages meanwhile (goal: all succeed);
3. the primary restarted: the answers while it is down (503 with Retry-After, nothing else),
   and the seconds from its return to the first page served, with no restart of the app;
4. sessions across servers: signed in on one, used on the other; signed out on one, refused on
   the other;
5. a decision posted at once on both app servers: decisions and grade changes recorded.

Stops everything it started, also on Ctrl-C or a failure.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import importlib.util
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

from _support import PROJECT

_spec = importlib.util.spec_from_file_location("gradesys_cluster", PROJECT / "scripts" / "cluster.py")
cl = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = cl
_spec.loader.exec_module(cl)

PASSWORD = os.environ.get("DEMO_PASSWORD") or "gradesys-demo"
READ_PATHS = ("/me/", "/people/", "/reviews/")


def signed_in(base: str, username: str) -> cl.Visitor:
    visitor = cl.Visitor()
    status = visitor.sign_in(base, username, PASSWORD)
    if status != 302:
        raise cl.ClusterError(f"{username} could not sign in ({status}).")
    return visitor


def heading(text: str) -> None:
    print(f"\n== {text}")


# --- 1. An app server stopped under load -----------------------------------------------------------


def developers(cluster, count: int, skip: int = 0) -> list[str]:
    rows = cl.query(
        cluster, "primary",
        "SELECT u.username FROM grades_employee e JOIN auth_user u ON u.id = e.user_id "
        "JOIN auth_user_groups ug ON ug.user_id = u.id JOIN auth_group g ON g.id = ug.group_id "
        "WHERE g.name = 'Developer' AND u.is_active ORDER BY e.id LIMIT %s OFFSET %s", (count, skip),
    )
    return [row["username"] for row in rows]


def drill_app_server_stopped(cluster, seconds: float, *, drain: bool) -> None:
    how = "taken out of nginx first, then stopped" if drain else "stopped while nginx still sends it requests"
    heading(f"app1 {how}, under a GET/POST load ({seconds:.0f} s: stopped at 1/3, back at 2/3)")
    stop_at = threading.Event()
    gets = collections.Counter()
    posts = collections.Counter()
    markers: list[tuple[str, str]] = []  # (marker, outcome)
    lock = threading.Lock()
    prefix = f"drill-{int(time.time())}"
    # Each reader's pages, as their role may open them; writers sign in before the load.
    readers = {"lead": READ_PATHS, "hr": ("/people/", "/reviews/", "/dashboard/"), "dev": ("/me/", "/reviews/", "/")}
    # Other people in each run, so that each has requirements left to claim.
    writers = [(name, signed_in(cluster.url, name)) for name in developers(cluster, 8, skip=8 if drain else 0)]
    signed = {name: signed_in(cluster.url, name) for name in readers}

    def reader(username: str, paths: tuple[str, ...]) -> None:
        visitor = signed[username]
        i = 0
        while not stop_at.is_set():
            status, _h, _b = visitor.get(cluster.url + paths[i % len(paths)])
            i += 1
            with lock:
                gets["ok" if status == 200 else f"failed ({status})"] += 1

    def writer(index: int) -> None:
        # Each writer its own people: two claims of one requirement at once would be a refusal
        # of the product's (one open claim per requirement), not a failure of the cluster.
        people = writers[index::2]
        n = 0
        while not stop_at.is_set() and people:
            name, visitor = people[n % len(people)]
            status, _h, page = visitor.get(cluster.url + "/me/")
            # The page links each line to its claim form, read when the line's box opens.
            link = re.search(rb'href="(/people/\d+/claim/\d+/form/)"', page) if status == 200 else None
            with lock:
                gets["ok" if status == 200 else f"failed ({status})"] += 1
            if link is None:
                if status == 200:
                    people.remove((name, visitor))  # nothing left to claim
                continue
            status, _h, form = visitor.get(cluster.url + link.group(1).decode())
            with lock:
                gets["ok" if status == 200 else f"failed ({status})"] += 1
            if status != 200:
                continue
            action = re.search(rb'action="(/people/\d+/claim/\d+/)', form).group(1).decode()
            marker = f"{prefix}-{index}x{n}"
            n += 1
            status, _h, _b = cl.request(
                cluster.url + action, opener=visitor.opener,
                data={"csrfmiddlewaretoken": visitor.CSRF.search(form.decode()).group(1),
                      "description": f"Shipped {marker}; reviewed.", "links": f"https://git.example.com/{marker}"},
                headers={"Referer": cluster.url + "/me/"},
            )
            outcome = "ok" if status == 302 else f"failed ({status})"
            with lock:
                posts[outcome] += 1
                markers.append((marker, outcome))

    threads = [threading.Thread(target=reader, args=item) for item in readers.items()]
    threads += [threading.Thread(target=writer, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(seconds / 3)
        began = time.monotonic()
        if drain:
            cl.nginx_drain(cluster, "app1")
        cl.app_stop(cluster, "app1")
        print(f"app1 stopped ({time.monotonic() - began:.1f} s{', after nginx reloaded without it' if drain else ''})")
        time.sleep(seconds / 3)
        began = time.monotonic()
        cl.app_start(cluster, "app1")
        if drain:
            cl.nginx_drain(cluster, None)
        print(f"app1 started again ({time.monotonic() - began:.1f} s to answer /healthz{', back in nginx' if drain else ''})")
        time.sleep(seconds / 3)
    finally:
        stop_at.set()
        for thread in threads:
            thread.join(60)
        cl.app_start(cluster, "app1")
        cl.nginx_drain(cluster, None)
    print(f"GETs:  {sum(gets.values())}, " + ", ".join(f"{k} {v}" for k, v in sorted(gets.items())))
    print(f"POSTs: {sum(posts.values())}, " + ", ".join(f"{k} {v}" for k, v in sorted(posts.items())))
    # Every claim: one row with its 'claimed' event and its history row, or nothing at all.
    rows = cl.query(
        cluster, "primary",
        "SELECT e.description, (SELECT COUNT(*) FROM grades_evidenceevent v WHERE v.evidence_id = e.id) AS events, "
        "(SELECT COUNT(*) FROM grades_historicalevidence h WHERE h.id = e.id) AS history "
        "FROM grades_evidence e WHERE e.description LIKE %s", (f"Shipped {prefix}-%",),
    )
    found = collections.Counter(re.search(rf"{prefix}-\d+x\d+", row["description"]).group(0) for row in rows)
    half = [row for row in rows if row["events"] < 1 or row["history"] < 1]
    written_ok = sum(1 for marker, outcome in markers if outcome == "ok" and found[marker] == 1)
    failed_written = sum(1 for marker, outcome in markers if outcome != "ok" and found[marker])
    print(f"claims answered ok and written once: {written_ok}/{posts['ok']}; failed but written: "
          f"{failed_written}; written twice: {sum(1 for n in found.values() if n > 1)}; half-written: {len(half)}")
    print(f"GOAL zero failed GETs: {'PASS' if set(gets) <= {'ok'} else 'FAIL'}; "
          f"nothing half-written: {'PASS' if not half and written_ok == posts['ok'] else 'FAIL'}")


# --- 2. The replica stopped during a download -------------------------------------------------------


def drill_replica_stopped(cluster) -> None:
    heading("replica stopped during a report download")
    hr = signed_in(cluster.url, "hr")
    port = cluster.port("nginx")
    conn = http.client.HTTPConnection(cl.HOST, port, timeout=60)
    cookie = "; ".join(f"{c.name}={c.value}" for c in hr.jar)
    conn.request("GET", "/exports/skill-matrix.csv", headers={"Cookie": cookie})
    response = conn.getresponse()
    first = response.read(4096)
    print(f"download began: {response.status}, first {len(first)} bytes read; stopping the replica")
    pages = collections.Counter()
    stopping = threading.Thread(target=cl.mariadb_stop, args=(cluster, "replica"))
    stopping.start()
    try:
        rest = b""
        try:
            while chunk := response.read(65536):
                rest += chunk
                time.sleep(0.05)
            ending = "complete (the rows had already left the replica)"
        except (http.client.IncompleteRead, ConnectionError, OSError) as exc:
            ending = f"cut off ({type(exc).__name__}): the client sees an incomplete file, never a short one"
        conn.close()
        stopping.join()
        print(f"download: {len(first) + len(rest):,} bytes, {ending}")
        status, headers, body = hr.get(cluster.url + "/exports/roster.csv", headers={"Accept": "text/html"})
        title = re.search(rb"<h1>([^<]+)</h1>", body)
        said = title.group(1).decode() if title else repr(body[:80])
        print(f"next download while the replica is down: {status}, Retry-After {headers.get('Retry-After')}, “{said}”")
        for _ in range(30):
            status, _h, _b = hr.get(cluster.url + READ_PATHS[_ % 3])
            pages["ok" if status == 200 else f"failed ({status})"] += 1
        print("pages meanwhile: " + ", ".join(f"{k} {v}" for k, v in sorted(pages.items())))
    finally:
        stopping.join()
        cl.mariadb_start(cluster, "replica")
    began = time.monotonic()
    cl.wait_for_replica(cluster)
    status, _h, _b = hr.get(cluster.url + "/exports/roster.csv")
    print(f"replica started again, caught up in {time.monotonic() - began:.1f} s; download: {status}")
    print(f"GOAL pages unaffected: {'PASS' if set(pages) == {'ok'} else 'FAIL'}")


# --- 3. The primary restarted -------------------------------------------------------------------------


def drill_primary_restart(cluster) -> None:
    heading("primary restarted (the app servers are not touched)")
    visitor = signed_in(cluster.url, "lead")
    answers = collections.Counter()
    retry_after = set()
    began = time.monotonic()
    cl.mariadb_stop(cluster, "primary")
    print(f"primary stopped ({time.monotonic() - began:.1f} s)")
    try:
        for i in range(10):
            status, headers, _b = visitor.get(cluster.url + READ_PATHS[i % 3])
            answers[status] += 1
            if status == 503:
                retry_after.add(headers.get("Retry-After"))
    finally:
        cl.mariadb_start(cluster, "primary")
    back = time.monotonic()
    first_ok = None
    for _ in range(300):
        status, _h, _b = visitor.get(cluster.url + "/me/")
        if status == 200:
            first_ok = time.monotonic() - back
            break
        time.sleep(0.1)
    print("answers while down: " + ", ".join(f"{k}: {v}" for k, v in sorted(answers.items()))
          + f" (Retry-After {', '.join(sorted(str(r) for r in retry_after)) or '-'})")
    print(f"first page after the primary answered again: {first_ok:.2f} s" if first_ok is not None
          else "no page within 30 s of the primary's return")
    cl.wait_for_replica(cluster)
    for _ in range(100):  # the replica reconnects by itself (MASTER_CONNECT_RETRY=1)
        status = cl.replication_status(cluster)
        if status.get("Slave_IO_Running") == "Yes":
            break
        time.sleep(0.1)
    print(f"replication after the restart: IO {status.get('Slave_IO_Running')}, SQL {status.get('Slave_SQL_Running')}")
    ok = set(answers) == {503} and first_ok is not None
    print(f"GOAL only 503 while down, recovery by itself: {'PASS' if ok else 'FAIL'}")


# --- 4. Sessions across servers ---------------------------------------------------------------------


def drill_sessions(cluster) -> None:
    heading("sessions across app servers")
    one, other = (cluster.app_url(name) for name in cl.APP_SERVERS)
    results = collections.Counter()
    for username in ("dev", "lead", "hr", "manager"):
        visitor = signed_in(one, username)
        status, _h, _b = visitor.get(other + "/me/")
        results["signed in on app1, page on app2: " + ("ok" if status == 200 else f"failed ({status})")] += 1
        visitor.post(other + "/accounts/logout/", {}, form_url=other + "/me/")
        status, headers, _b = visitor.get(one + "/me/")
        signed_out = status == 302 and "/accounts/login/" in headers.get("Location", "")
        results["signed out on app2, refused on app1: " + ("yes" if signed_out else f"no ({status})")] += 1
    for line, count in sorted(results.items()):
        print(f"{line} ×{count}")


# --- 5. A decision posted on both servers at once ------------------------------------------------------


def drill_racing_decision(cluster) -> None:
    heading("a decision posted at once on both app servers")
    reviews = cl.query(
        cluster, "primary",
        "SELECT id, candidate_id FROM reviews_promotionreview WHERE status = 'scheduled' "
        "AND scheduled_for <= UTC_TIMESTAMP() ORDER BY id",
    )
    if not reviews:
        print("no scheduled defense whose day has come is left: nothing to race")
        return
    hr = signed_in(cluster.url, "hr")
    for review in reviews:
        path = f"/reviews/{review['id']}/"
        for seat in cl.query(cluster, "primary", "SELECT u.username FROM reviews_committeeseat s JOIN auth_user u "
                             "ON u.id = s.member_id WHERE s.review_id = %s", (review["id"],)):
            signed_in(cluster.url, seat["username"]).post(cluster.url + path + "vote/", {"value": "approve"},
                                                           form_url=cluster.url + path)
        _s, _h, page = hr.get(cluster.url + path)
        token = hr.CSRF.search(page.decode()).group(1)
        ledger = "SELECT COUNT(*) AS n FROM grades_gradechange WHERE employee_id = %s"
        before = cl.query(cluster, "primary", ledger, (review["candidate_id"],))[0]["n"]
        barrier = threading.Barrier(2)
        answers = {}

        def decide(name: str) -> None:
            barrier.wait()
            answers[name] = cl.request(cluster.app_url(name) + path + "decide/", opener=hr.opener,
                                       data={"csrfmiddlewaretoken": token, "note": "Decided in a drill."},
                                       headers={"Referer": cluster.app_url(name) + path})[0]

        threads = [threading.Thread(target=decide, args=(name,)) for name in cl.APP_SERVERS]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        after = cl.query(cluster, "primary", ledger, (review["candidate_id"],))[0]["n"]
        events = cl.query(cluster, "primary", "SELECT COUNT(*) AS n FROM reviews_reviewevent WHERE review_id = %s "
                          "AND action IN ('passed', 'failed')", (review["id"],))[0]["n"]
        print(f"review {review['id']}: answers {answers}; decisions recorded {events}, grade changes +{after - before}")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15, help="length of the load in drill 1 (default 15)")
    parser.add_argument("--dir", help="use the cluster `scripts/cluster.py up` started in this folder; leave it up")
    parser.add_argument("--employees", type=int, default=200)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    cluster = cl.Cluster.load(args.dir) if args.dir else cl.up(employees=args.employees)
    try:
        drill_app_server_stopped(cluster, args.seconds, drain=False)
        drill_app_server_stopped(cluster, args.seconds, drain=True)
        drill_replica_stopped(cluster)
        drill_primary_restart(cluster)
        drill_sessions(cluster)
        drill_racing_decision(cluster)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        if not args.dir:
            cl.down(cluster)
    return 0


if __name__ == "__main__":
    sys.exit(main())
