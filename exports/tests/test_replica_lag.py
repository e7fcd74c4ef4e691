"""The replica's lag: which database a report reads, and the refusal while it is too far behind.

The decision is a pure rule (exports.rules.report_source); the download asks the reports
database for its replication state (exports.db.replication), replaced here by a stand-in
state, since the suite runs without a replica. The real thing is tested against a running
primary and replica in gradesys/tests/test_cluster.py (marker `cluster`).
"""

import datetime
import re

import pytest
from django.db import OperationalError
from django.utils import timezone

from exports import db, services
from exports.reports import REPORTS
from exports.rules import FALLBACK_PRIMARY, FALLBACK_REFUSE, Source, report_source
from grades.tests.factories import UserFactory, hire

AS_OF = re.compile(r'filename="roster-\d{4}-\d{2}-\d{2}-as-of-(\d{8}T\d{6}Z)\.csv"')


# --- The rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "is_replica, lag, fallback, expected",
    [
        (False, None, FALLBACK_REFUSE, Source.REPLICA),  # a copy that follows nobody is read as it is
        (True, 0, FALLBACK_REFUSE, Source.REPLICA),
        (True, 30, FALLBACK_REFUSE, Source.REPLICA),  # at the limit: still recent enough
        (True, 31, FALLBACK_REFUSE, Source.REFUSE),
        (True, 31, FALLBACK_PRIMARY, Source.PRIMARY),
        (True, None, FALLBACK_REFUSE, Source.REFUSE),  # replication stopped: behind by an unknown amount
        (True, None, FALLBACK_PRIMARY, Source.PRIMARY),
    ],
)
def test_report_source_rule(is_replica, lag, fallback, expected):
    assert report_source(is_replica=is_replica, lag_seconds=lag, max_lag_seconds=30, fallback=fallback) is expected


# --- Without a replica -----------------------------------------------------------------------


@pytest.mark.django_db
def test_without_a_replica_nothing_is_checked(monkeypatch):
    def never(alias):
        raise AssertionError("no replica: the replication state must not be read")

    monkeypatch.setattr(db, "replication", never)
    assert not db.has_replica()
    assert services.report_source() == services.ReportSource(alias="default", as_of=None)


@pytest.mark.django_db
def test_a_database_that_replicates_nothing_says_so():
    assert db.replication("default") == db.Replication(is_replica=False)


# --- The download with a (stand-in) replica ----------------------------------------------------

pytestmark_db = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def replica(monkeypatch, settings):
    """A replica whose state the test sets; it is the default database under another name
    (the suite has one database), so the rows read are the default's."""
    state = {"value": db.Replication(is_replica=True, lag_seconds=0)}
    monkeypatch.setattr(db, "has_replica", lambda: True)
    monkeypatch.setattr(db, "REPORTS_ALIAS", "default")
    monkeypatch.setattr(db, "replication", lambda alias: state["value"])
    settings.REPORTS_MAX_LAG_SECONDS = 30
    settings.REPORTS_LAG_FALLBACK = FALLBACK_REFUSE

    def set_state(is_replica=True, lag_seconds=0):
        state["value"] = db.Replication(is_replica=is_replica, lag_seconds=lag_seconds)

    return set_state


@pytest.fixture
def manager(client):
    user = UserFactory(roles=["Manager"])
    client.force_login(user)
    return user


def as_of(response) -> datetime.datetime:
    match = AS_OF.search(response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    moment = datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    assert response["X-Data-As-Of"] == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment


@pytestmark_db
def test_a_recent_replica_is_read_and_the_file_says_how_recent(client, manager, replica):
    hire(level_code="middle")
    replica(lag_seconds=20)
    before = timezone.now().replace(microsecond=0)
    response = client.get("/exports/roster.csv")
    after = timezone.now()
    assert response.status_code == 200
    # The data was current 20 seconds before the download began.
    moment = as_of(response)
    assert before - datetime.timedelta(seconds=20) <= moment <= after - datetime.timedelta(seconds=20)
    body = b"".join(response.streaming_content).decode("utf-8")
    # The CSV itself is unchanged: the first row is still the column names.
    assert body.startswith(";".join(REPORTS["roster"].column_names) + "\r\n")
    assert len(body.strip().splitlines()) == 2


@pytestmark_db
@pytest.mark.parametrize("lag", [31, None], ids=["behind", "stopped"])
def test_a_replica_too_far_behind_refuses_with_the_sites_page(client, manager, replica, lag):
    replica(lag_seconds=lag)
    response = client.get("/exports/roster.csv", HTTP_ACCEPT="text/html")
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert "Content-Disposition" not in response
    page = response.content.decode()
    assert "<nav" in page or "<header" in page  # the site's layout, not a bare error
    assert "Reports are delayed" in page
    assert "behind or cannot be reached right now" in page


@pytestmark_db
def test_the_refusal_is_translated(client, manager, replica):
    replica(lag_seconds=None)
    response = client.get("/exports/roster.csv", HTTP_ACCEPT="text/html", HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 503
    assert "Отчёты задерживаются" in response.content.decode()


@pytestmark_db
def test_a_script_gets_the_refusal_as_one_sentence(client, manager, replica):
    replica(lag_seconds=3600)
    response = client.get("/exports/grade-history.csv")
    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("Reports are read from a copy of the database that is behind")


@pytestmark_db
def test_fallback_reads_the_primary_and_says_it_is_current(client, manager, replica, settings, monkeypatch):
    settings.REPORTS_LAG_FALLBACK = FALLBACK_PRIMARY
    replica(lag_seconds=None)
    read = []
    real = services.csv_chunks
    monkeypatch.setattr(services, "csv_chunks", lambda *a, **kw: read.append(kw["alias"]) or real(*a, **kw))
    hire(level_code="middle")
    before = timezone.now().replace(microsecond=0)
    response = client.get("/exports/roster.csv")
    assert response.status_code == 200
    assert read == ["default"]
    assert before <= as_of(response) <= timezone.now()
    assert len(b"".join(response.streaming_content).decode().strip().splitlines()) == 2


@pytestmark_db
@pytest.mark.parametrize("fallback, status", [(FALLBACK_REFUSE, 503), (FALLBACK_PRIMARY, 200)])
def test_an_unreachable_replica_counts_as_stopped(client, manager, replica, settings, monkeypatch, fallback, status):
    def unreachable(alias):
        raise OperationalError(2002, "Can't connect to server")

    monkeypatch.setattr(db, "replication", unreachable)
    settings.REPORTS_LAG_FALLBACK = fallback
    response = client.get("/exports/roster.csv", HTTP_ACCEPT="text/html")
    assert response.status_code == status
    if status == 503:
        assert "Reports are delayed" in response.content.decode()
    else:
        assert "-as-of-" in response["Content-Disposition"]
        b"".join(response.streaming_content)


@pytestmark_db
def test_a_replica_that_refuses_the_status_query_is_not_taken_for_lag(manager, replica, settings, monkeypatch):
    """A missing grant (REPLICA MONITOR) is a configuration error, not replication lag: it is
    raised (the site answers it like any database failure), never read as a stopped replica
    and never silently sent to the primary."""
    def denied(alias):
        raise OperationalError(1227, "Access denied; you need the REPLICA MONITOR privilege")

    monkeypatch.setattr(db, "replication", denied)
    settings.REPORTS_LAG_FALLBACK = FALLBACK_PRIMARY
    with pytest.raises(OperationalError):
        services.report_source()


@pytestmark_db
def test_the_refusal_comes_after_access_and_filters(client, replica):
    """Who may not download, or asked wrongly, hears that first: the lag is nobody's business then."""
    replica(lag_seconds=None)
    client.force_login(UserFactory(roles=["Developer"]))
    assert client.get("/exports/roster.csv").status_code == 403
    client.force_login(UserFactory(roles=["Manager"]))
    assert client.get("/exports/roster.csv?delimiter=x").status_code == 400
