"""The production topology on one machine: nginx → two app servers → MariaDB primary + replica,
sessions and cache in a shared Redis (scripts/cluster.py brings it up and down).

Marked `cluster`: it runs in the default `make test` (about a minute to bring the cluster up).
`-m "not cluster"` leaves it out. GRADESYS_CLUSTER_DIR=<folder> reuses a cluster that
`scripts/cluster.py up` started (its max lag must be small, as below), and leaves it up.

Every test leaves the cluster as it found it (servers running, replication running, rows
as they were), in `finally` blocks; the module's fixture stops everything even when a test fails.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import sys
import threading
from pathlib import Path

import pytest

# One process runs them all (make test shares the suite out with --dist loadgroup): one cluster.
pytestmark = [pytest.mark.cluster, pytest.mark.xdist_group("cluster")]

PROJECT = Path(__file__).resolve().parents[2]
MAX_LAG_SECONDS = 5
PASSWORD = os.environ.get("DEMO_PASSWORD") or "gradesys-demo"


def _load_cluster_module():
    spec = importlib.util.spec_from_file_location("gradesys_cluster", PROJECT / "scripts" / "cluster.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


cl = _load_cluster_module()


@pytest.fixture(scope="module")
def cluster():
    existing = os.environ.get("GRADESYS_CLUSTER_DIR")
    if existing:
        yield cl.Cluster.load(existing)
        return
    # A CI job that is cancelled sends SIGTERM: stop the cluster then too, as on Ctrl-C.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        running = cl.up(employees=200, max_lag=MAX_LAG_SECONDS, log=lambda line: None)
        try:
            yield running
        finally:
            cl.down(running)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def signed_in(cluster, username: str, base: str | None = None):
    visitor = cl.Visitor()
    assert visitor.sign_in(base or cluster.url, username, PASSWORD) == 302
    return visitor


def upstreams(headers) -> set[str]:
    """The app servers nginx tried for one answer (X-Upstream: "a" or "a, b" after a retry)."""
    return {part.strip() for part in headers.get("X-Upstream", "").split(",") if part.strip()}


def app_addresses(cluster) -> dict[str, str]:
    return {name: f"{cl.HOST}:{cluster.port(name)}" for name in cl.APP_SERVERS}


def a_developer(cluster) -> dict:
    """A current demo employee with a user (the roster lists them): id, user id, first name."""
    return cl.query(
        cluster, "primary",
        "SELECT e.id, u.id AS user_id, u.first_name FROM grades_employee e "
        "JOIN auth_user u ON u.id = e.user_id WHERE u.username = %s", ("dev",),
    )[0]


# --- Pages and sessions -------------------------------------------------------------------------


def test_the_cluster_tests_run_in_one_process(request):
    """make test shares the suite out with --dist loadgroup: these tests must all go to one
    process (one cluster, and no two tests stopping its servers at once). pytest-xdist marks
    such a test by adding the group to its id; when it cannot (as with pytest 9.2), the tests
    are shared out one by one and each process brings up a cluster of its own."""
    if not getattr(request.config.option, "loadgroup", False):
        pytest.skip("not run by pytest-xdist with --dist loadgroup")
    assert request.node.nodeid.endswith("@cluster")


def test_pages_work_on_both_servers_and_sessions_are_shared(cluster):
    addresses = app_addresses(cluster)
    # Signed in on one app server, the same cookie is a session on the other.
    visitor = signed_in(cluster, "lead", cluster.app_url("app1"))
    status, _h, body = visitor.get(cluster.app_url("app2") + "/me/")
    assert status == 200
    assert b'name="csrfmiddlewaretoken"' in body or b"/accounts/logout/" in body
    status, headers, _b = visitor.get(cluster.app_url("app2") + "/accounts/login/")
    # Through nginx: every answer is a page, and both servers answer in turn.
    seen = set()
    for _ in range(8):
        status, headers, _body = visitor.get(cluster.url + "/people/")
        assert status == 200
        seen |= upstreams(headers)
    assert seen == set(addresses.values())
    # Signing out on one server ends the session on the other too.
    visitor.post(cluster.app_url("app2") + "/accounts/logout/", {}, form_url=cluster.app_url("app2") + "/me/")
    status, headers, _b = visitor.get(cluster.app_url("app1") + "/me/")
    assert status == 302 and "/accounts/login/" in headers["Location"]


def test_static_files_come_from_the_clusters_own_folder(cluster):
    """collectstatic filled the cluster's folder (never the checkout's, which another cluster
    or a bench may be filling at the same time), and the app servers serve from it."""
    manifest = Path(cluster.dir) / "static" / "staticfiles.json"
    assert manifest.exists()
    visitor = signed_in(cluster, "dev")
    status, _h, page = visitor.get(cluster.url + "/me/")
    assert status == 200
    stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', page)
    assert stylesheet, "the page links a hashed stylesheet"
    path = stylesheet.group(1).decode()
    assert path.removeprefix("/static/") in manifest.read_text()
    status, headers, _b = visitor.get(cluster.url + path)
    assert status == 200 and "text/css" in headers.get("Content-Type", "")


def test_a_write_through_nginx_is_read_back_at_once(cluster):
    developer = signed_in(cluster, "dev")
    status, _h, page = developer.get(cluster.url + "/me/")
    assert status == 200
    # The page links each line to its claim form, read when the line's box opens.
    form_url = re.search(rb'href="(/people/\d+/claim/\d+/form/)"', page)
    assert form_url, "dev has a requirement left to claim"
    form_url = cluster.url + form_url.group(1).decode()
    status, _h, form = developer.get(form_url)
    assert status == 200
    action = re.search(rb'action="(/people/\d+/claim/\d+/)', form).group(1).decode()
    marker = f"cluster-write-{os.getpid()}"
    status, headers, _b = developer.post(cluster.url + action, {
        "description": f"Shipped {marker}; reviewed and released.", "links": f"https://git.example.com/mr/{marker}",
    }, form_url=form_url)
    assert status == 302
    # The next request may land on the other app server: it reads the primary, so it sees the claim.
    for _ in range(2):
        status, headers, page = developer.get(cluster.url + "/me/")
        assert status == 200
        assert marker.encode() in page


# --- Reports read the replica ---------------------------------------------------------------------


def roster_names(visitor, cluster) -> tuple[int, dict, str]:
    status, headers, body = visitor.get(cluster.url + "/exports/roster.csv")
    return status, headers, body.decode("utf-8", errors="replace")


def test_reports_read_the_replica_and_pages_the_primary(cluster):
    developer = a_developer(cluster)
    hr = signed_in(cluster, "hr")
    original = developer["first_name"]
    only_on_replica = "Replicaonly"
    # A row the primary does not have: changed on the replica alone, outside its binary log
    # (a local GTID would clash with the primary's under gtid_strict_mode).
    replica = cl.connect(cluster, "replica", database=cl.DATABASE)
    try:
        cursor = replica.cursor()
        cursor.execute("SET SESSION sql_log_bin = 0")
        cursor.execute("UPDATE auth_user SET first_name = %s WHERE id = %s", (only_on_replica, developer["user_id"]))
        status, headers, csv_text = roster_names(hr, cluster)
        assert status == 200
        assert only_on_replica in csv_text
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", headers["X-Data-As-Of"])
        assert "-as-of-" in headers["Content-Disposition"]
        assert csv_text.startswith("employee_id;")  # the first row is still the column names
        status, _h, page = hr.get(cluster.url + f"/people/{developer['id']}/")
        assert status == 200
        assert only_on_replica.encode() not in page and original.encode() in page
    finally:
        # Back as the primary has it, before replication next touches the row.
        cursor.execute("UPDATE auth_user SET first_name = %s WHERE id = %s", (original, developer["user_id"]))
        replica.close()


def test_a_lagging_replica_refuses_reports_while_pages_go_on(cluster):
    developer = a_developer(cluster)
    hr = signed_in(cluster, "hr")
    original, changed = developer["first_name"], "Laggedname"
    cl.query(cluster, "replica", "STOP SLAVE SQL_THREAD", database=None)
    try:
        cl.query(cluster, "primary", "UPDATE auth_user SET first_name = %s WHERE id = %s",
                 (changed, developer["user_id"]))
        # Pages read the primary: the change is there at once.
        status, _h, page = hr.get(cluster.url + f"/people/{developer['id']}/")
        assert status == 200 and changed.encode() in page
        # The replica is not applying anything (Seconds_Behind_Master NULL): refused, in the
        # site's layout for a browser, as one sentence for a script; on both app servers.
        for base in (cluster.app_url("app1"), cluster.app_url("app2")):
            status, headers, body = hr.get(base + "/exports/roster.csv", headers={"Accept": "text/html"})
            assert status == 503
            assert "Content-Disposition" not in headers
            assert b"Reports are delayed" in body and b"/exports/" in body
        status, headers, body = hr.get(cluster.url + "/exports/roster.csv")
        assert status == 503 and headers["Content-Type"].startswith("text/plain")
        status, _h, body = hr.get(cluster.url + "/exports/roster.csv",
                                       headers={"Accept": "text/html", "Accept-Language": "ru"})
        assert status == 503 and "Отчёты задерживаются" in body.decode()
        assert cl.query(cluster, "replica", "SELECT first_name FROM auth_user WHERE id = %s",
                        (developer["user_id"],))[0]["first_name"] == original
    finally:
        cl.query(cluster, "replica", "START SLAVE SQL_THREAD", database=None)
        cl.wait_for_replica(cluster)
    # Caught up: the report comes again, with the change.
    status, _h, csv_text = roster_names(hr, cluster)
    assert status == 200 and changed in csv_text
    cl.query(cluster, "primary", "UPDATE auth_user SET first_name = %s WHERE id = %s",
             (original, developer["user_id"]))
    cl.wait_for_replica(cluster)


def test_a_stopped_replica_refuses_reports_while_pages_go_on(cluster):
    hr = signed_in(cluster, "hr")
    cl.mariadb_stop(cluster, "replica")
    try:
        status, headers, body = hr.get(cluster.url + "/exports/roster.csv", headers={"Accept": "text/html"})
        assert status == 503 and b"Reports are delayed" in body
        assert "Content-Disposition" not in headers
        for path in ("/people/", "/reviews/", "/exports/"):
            assert hr.get(cluster.url + path)[0] == 200
    finally:
        cl.mariadb_start(cluster, "replica")
        cl.wait_for_replica(cluster)
    assert hr.get(cluster.url + "/exports/roster.csv")[0] == 200


# --- One app server away ------------------------------------------------------------------------


def test_gets_all_succeed_with_one_app_server_stopped(cluster):
    visitor = signed_in(cluster, "lead")
    cl.app_stop(cluster, "app1")
    try:
        answers = [visitor.get(cluster.url + path) for path in ("/me/", "/people/", "/reviews/") * 6]
        assert [status for status, _h, _b in answers] == [200] * len(answers)
        # Every answer came from the server still running: nginx passes a request it could
        # not deliver to the stopped one on to the other (X-Upstream then names both).
        last = {h["X-Upstream"].split(",")[-1].strip() for _s, h, _b in answers}
        assert last == {app_addresses(cluster)["app2"]}
    finally:
        cl.app_start(cluster, "app1")
    status, headers, _b = visitor.get(cluster.app_url("app1") + "/me/")
    assert status == 200


# --- A decision posted on both app servers at once ----------------------------------------------------


def a_review_to_decide(cluster) -> dict:
    """A scheduled defense whose day has come, every seat's member voting approve through the
    site (a vote cast earlier is changed: votes may change until the decision)."""
    reviews = cl.query(
        cluster, "primary",
        "SELECT id, candidate_id FROM reviews_promotionreview WHERE status = 'scheduled' "
        "AND scheduled_for <= UTC_TIMESTAMP() ORDER BY id LIMIT 1",
    )
    assert reviews, "the demo organisation has a scheduled defense whose day has come"
    review = reviews[0]
    seats = cl.query(
        cluster, "primary",
        "SELECT u.username FROM reviews_committeeseat s JOIN auth_user u ON u.id = s.member_id "
        "WHERE s.review_id = %s", (review["id"],),
    )
    path = f"/reviews/{review['id']}/"
    for seat in seats:
        member = signed_in(cluster, seat["username"])
        status, _h, _b = member.post(cluster.url + path + "vote/", {"value": "approve"}, form_url=cluster.url + path)
        assert status == 302, seat["username"]
    return review


def test_a_decision_posted_on_both_servers_at_once_is_recorded_once(cluster):
    review = a_review_to_decide(cluster)
    path = f"/reviews/{review['id']}/"
    hr = signed_in(cluster, "hr")
    status, _h, page = hr.get(cluster.url + path)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
    ledger = "SELECT COUNT(*) AS n FROM grades_gradechange WHERE employee_id = %s"
    before = cl.query(cluster, "primary", ledger, (review["candidate_id"],))[0]["n"]

    start = threading.Barrier(2)
    answers: dict[str, tuple] = {}

    def decide(name: str) -> None:
        start.wait()
        answers[name] = cl.request(cluster.app_url(name) + path + "decide/", opener=hr.opener,
                                   data={"csrfmiddlewaretoken": token, "note": "Decided on both servers at once."},
                                   headers={"Referer": cluster.app_url(name) + path})

    threads = [threading.Thread(target=decide, args=(name,)) for name in cl.APP_SERVERS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    statuses = sorted(answer[0] for answer in answers.values())
    # One records the decision (redirect to the review); the other is told it is decided already.
    assert statuses[0] == 302 and statuses[1] in (200, 400, 409), statuses
    assert cl.query(cluster, "primary", "SELECT status FROM reviews_promotionreview WHERE id = %s",
                    (review["id"],))[0]["status"] == "passed"
    assert cl.query(cluster, "primary", ledger, (review["candidate_id"],))[0]["n"] == before + 1
    assert cl.query(cluster, "primary", "SELECT COUNT(*) AS n FROM reviews_reviewevent WHERE review_id = %s "
                    "AND action IN ('passed', 'failed')", (review["id"],))[0]["n"] == 1
