"""Reports follow each person's own ladder: the next level's minimum time on the roster, and a
fork's shared requirements (its parent's, below the fork) on the skill matrix."""

import csv
import datetime
import io
from pathlib import Path

import pytest

from exports.services import csv_chunks, get_report
from grades.versions import load_framework
from grades.tests.factories import hire

# Committed data: on MariaDB the export reads through a connection of its own, which
# cannot see a test transaction. serialized_rollback restores the migrations' rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DATA = Path(__file__).resolve().parents[2] / "grades" / "tests" / "data"


def report(name: str, **filters) -> list[list[str]]:
    body = b"".join(csv_chunks(get_report(name), filters)).decode()
    return list(csv.reader(io.StringIO(body), delimiter=";"))


@pytest.fixture
def people():
    load_framework(DATA / "fork-parent.yaml")
    load_framework(DATA / "fork-manager.yaml")
    load_framework(DATA / "five-levels.yaml")
    return {
        "manager": hire(track_slug="eng-manager", level_code="senior-1", hire_date=datetime.date(2021, 1, 10)),
        "support": hire(track_slug="support", level_code="trainee", hire_date=datetime.date(2021, 1, 10)),
        "backend": hire(track_slug="backend", level_code="middle", hire_date=datetime.date(2021, 1, 10)),
    }


def test_the_roster_takes_the_next_level_of_each_persons_ladder(people):
    rows = {int(row[0]): row for row in report("roster")[1:]}
    # Senior Engineer 2 (People Manager) after 12 months; Associate after 3; Middle+ after 6.
    assert rows[people["manager"].pk][5:] == ["Senior Engineer 1", "2021-01-10", "", rows[people["manager"].pk][8], "2022-01-10"]
    assert rows[people["support"].pk][9] == "2021-04-10"
    assert rows[people["backend"].pk][9] == "2021-07-10"


def test_the_roster_filters_by_a_levels_key(people):
    rows = report("roster", level="trainee")
    assert [int(row[0]) for row in rows[1:]] == [people["support"].pk]


def test_the_skill_matrix_holds_a_forks_shared_requirements(people):
    manager = people["manager"]
    lines = [row for row in report("skill-matrix")[1:] if int(row[0]) == manager.pk]
    assert [row[5] for row in lines] == [
        "plans-own-work", "reviews-code", "leads-a-project", "runs-one-to-ones", "hires"
    ]
    # Each line names its level's own name, shared or not.
    assert [row[6] for row in lines] == [
        "Engineer", "Engineer", "Senior Engineer 1",
        "Senior Engineer 2 (People Manager)", "Senior Engineer 2 (People Manager)",
    ]
