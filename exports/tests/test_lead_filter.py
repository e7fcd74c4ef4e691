"""The reports narrowed to a team lead's people (`lead`), and the reviews by decision date (`dates`)."""

import csv
import datetime
import io
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from dashboard.tests.factories import organisation
from grades.models import Employee, GradeChange, Level
from grades.tests.factories import hire
from reviews.models import CommitteeSeat, PromotionReview, ReviewStatus, SeatRole

# Committed data: on MariaDB the export reads through a connection of its own, which
# cannot see a test transaction. serialized_rollback restores the migrations' rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}

# The reports whose rows are a person's, and the column of that person's employee id.
PERSON_COLUMN = {"roster": 0, "grade-history": 1, "reviews": 1, "votes": 1, "skill-matrix": 0}


@pytest.fixture
def org():
    """Two teams with ledgers, decided reviews and claims; someone who left the big team; someone
    led by nobody; a committee on one review of each team; an open review requested this week."""
    org = organisation()
    gone = hire(level_code="middle", team_lead=org["big"], hire_date=datetime.date(2021, 3, 1))
    Employee.objects.filter(pk=gone.pk).update(left_on=datetime.date(2024, 1, 31))
    org["unled"] = hire(level_code="junior")
    for lead in ("big", "small"):
        review = PromotionReview.objects.filter(candidate__team_lead=org[lead]).order_by("id").first()
        CommitteeSeat.objects.create(review=review, role=SeatRole.CTO, member=org["manager"])
        CommitteeSeat.objects.create(review=review, role=SeatRole.HR_DIRECTOR, member=org["hr"])
    candidate = org["big_team"][2]
    org["open"] = PromotionReview.objects.create(
        candidate=candidate, track=candidate.track, from_level=candidate.current_level,
        to_level=Level.objects.of_track(candidate.track_id).get(rank=candidate.current_level.rank + 1),
        status=ReviewStatus.REQUESTED, requested_by=org["hr"],
        requested_at=timezone.now() - datetime.timedelta(days=2),
    )
    return org


def download(client, name, query="", **extra):
    response = client.get(f"/exports/{name}.csv" + (f"?{query}" if query else ""), **extra)
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content).decode()
    header, *rows = csv.reader(io.StringIO(body), delimiter=";")
    return header, rows


@pytest.mark.parametrize("name", sorted(PERSON_COLUMN))
@pytest.mark.parametrize("lead", ["big", "small"])
def test_each_report_narrowed_to_a_lead_holds_exactly_their_peoples_rows(client, org, name, lead):
    client.force_login(org["hr"])
    lead = org[lead]
    team = {str(pk) for pk in Employee.objects.filter(team_lead=lead).values_list("pk", flat=True)}
    column = PERSON_COLUMN[name]
    header, everyone = download(client, name)
    narrowed_header, narrowed = download(client, name, f"lead={lead.pk}")
    assert narrowed_header == header  # the same columns, the lead or not
    # The rows of the unfiltered report whose person the lead leads, in the same order.
    assert narrowed == [row for row in everyone if row[column] in team]
    assert narrowed and len(narrowed) < len(everyone)


def test_the_narrowed_rows_are_the_orms(client, org):
    client.force_login(org["hr"])
    big = org["big"]

    def ids(name, column=0):
        return sorted(int(row[column]) for row in download(client, name, f"lead={big.pk}")[1])

    assert ids("roster") == sorted(Employee.objects.filter(team_lead=big, left_on__isnull=True).values_list("pk", flat=True))
    # The ledger and the reviews keep someone who has left: they were led by the lead.
    assert ids("grade-history") == sorted(GradeChange.objects.filter(employee__team_lead=big).values_list("pk", flat=True))
    assert ids("reviews") == sorted(PromotionReview.objects.filter(candidate__team_lead=big).values_list("pk", flat=True))
    assert ids("votes") == sorted(
        CommitteeSeat.objects.filter(review__candidate__team_lead=big).values_list("review_id", flat=True))
    people = set(Employee.objects.filter(team_lead=big, left_on__isnull=True).values_list("pk", flat=True))
    assert set(ids("skill-matrix")) == people
    # The lead with the other filters: both apply.
    _header, rows = download(client, "roster", f"lead={big.pk}&track=fullstack&level=middle-plus")
    assert [int(row[0]) for row in rows] == list(
        Employee.objects.filter(team_lead=big, left_on__isnull=True, track__slug="fullstack",
                                current_level__code="middle-plus").values_list("pk", flat=True))


def test_a_lead_typed_as_a_login_is_the_same_filter_as_their_id(client, org):
    client.force_login(org["hr"])
    big = org["big"]
    by_id = download(client, "roster", f"lead={big.pk}")
    assert by_id[1]
    assert download(client, "roster", f"lead={big.user.username}") == by_id
    assert download(client, "roster", f"lead=%20{big.user.username.upper()}%20") == by_id


@pytest.mark.parametrize("value, message", [
    ("abc", "lead: No team lead abc."),
    ("0", "lead: No team lead 0."),
    ("99999999999", "lead: No team lead 99999999999."),
    ("999999", "lead: No team lead 999999."),
    ("x" * 151, "lead: Ensure this value has at most 150 characters (it has 151)."),
])
def test_a_bad_lead_is_a_400_naming_it(client, org, value, message):
    client.force_login(org["manager"])
    response = client.get(f"/exports/roster.csv?lead={value}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert message in response.content.decode()


def test_someone_who_leads_nobody_is_not_a_lead(client, org):
    client.force_login(org["manager"])
    developer = org["big_team"][0]
    for name in PERSON_COLUMN:
        response = client.get(f"/exports/{name}.csv?lead={developer.pk}")
        assert response.status_code == 400, name
        assert f"lead: No team lead {developer.pk}." in response.content.decode()


def test_a_bad_lead_reshows_the_form_with_the_message_by_the_field(client, org):
    client.force_login(org["manager"])
    response = client.get("/exports/grade-history.csv?lead=999999&track=backend", **HTML)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert 'class="topbar"' in page
    start = page.index('id="report-grade-history"')
    form = page[start : page.index("</section>", start)]
    assert re.search(
        r'id="grade-history-lead"[^>]*value="999999"[^>]*aria-describedby="grade-history-lead-error"[^>]*>\s*'
        r'<p class="error field-error" id="grade-history-lead-error">No team lead 999999.</p>',
        form, re.S,
    )
    assert 'data-testid="filter-refusal"' in form
    assert re.search(r'<option value="backend"\s*selected>', form)  # what was chosen is chosen again


def test_the_reports_page_offers_the_team_leads_where_a_report_takes_them(client, org):
    client.force_login(org["hr"])
    page = client.get("/exports/").content.decode()
    for name in PERSON_COLUMN:
        start = page.index(f'id="report-{name}"')
        form = page[start : page.index("</section>", start)]
        assert re.search(rf'<input type="text" id="{name}-lead" name="lead" list="team-leads"', form)
    # One list of the leads for all the forms, offered by name and typed as a login.
    [leads] = re.findall(r'<datalist id="team-leads">(.*?)</datalist>', page, re.S)
    assert re.findall(r'<option value="([^"]*)">([^<]*)</option>', leads) == [
        (org["big"].user.username, "Bella Biglead"), (org["small"].user.username, "Sam Smalllead"),
    ]
    start = page.index('id="report-salary-bands"')
    assert 'name="lead"' not in page[start : page.index("</section>", start)]
    start = page.index('id="report-reviews"')
    assert '<option value="decided">decision date</option>' in page[start : page.index("</section>", start)]

    client.cookies["django_language"] = "ru"
    page = client.get("/exports/").content.decode()
    assert "Все тимлиды" in page and "Даты по" in page and "дате решения" in page


def test_the_reviews_by_decision_date(client, org):
    client.force_login(org["hr"])
    today = timezone.localdate()
    since = today - datetime.timedelta(days=20)
    period = f"date_from={since:%Y-%m-%d}&date_to={today:%Y-%m-%d}"
    start = timezone.make_aware(datetime.datetime.combine(since, datetime.time.min))
    # The decided reviews were requested 40 days ago and decided 10 days ago.
    _h, by_request = download(client, "reviews", period)
    assert [int(row[0]) for row in by_request] == [org["open"].pk]
    for query in (f"{period}&dates=requested", period + "&dates="):
        assert download(client, "reviews", query)[1] == by_request
    _h, by_decision = download(client, "reviews", f"{period}&dates=decided")
    assert sorted(int(row[0]) for row in by_decision) == sorted(
        PromotionReview.objects.filter(decided_at__gte=start).values_list("pk", flat=True))
    assert len(by_decision) == 6 and {row[7] for row in by_decision} == {"passed", "failed"}
    # An open review has no decision date: left out whenever a date is given.
    assert org["open"].pk not in {int(row[0]) for row in by_decision}
    # With the lead too; and the votes report takes the same basis.
    _h, rows = download(client, "reviews", f"{period}&dates=decided&lead={org['small'].pk}")
    assert sorted(int(row[0]) for row in rows) == sorted(
        PromotionReview.objects.filter(decided_at__gte=start, candidate__team_lead=org["small"]).values_list("pk", flat=True))
    _h, seats = download(client, "votes", f"{period}&dates=decided")
    assert len(seats) == CommitteeSeat.objects.count() == 4
    assert download(client, "votes", period)[1] == []
    # Before the decisions: nothing.
    early = today - datetime.timedelta(days=15)
    assert download(client, "reviews", f"date_to={early:%Y-%m-%d}&dates=decided")[1] == []


def test_a_bad_date_basis_is_a_400(client, org):
    client.force_login(org["manager"])
    response = client.get("/exports/reviews.csv?dates=scheduled")
    assert response.status_code == 400
    assert "dates: Select a valid choice." in response.content.decode()
    response = client.get("/exports/reviews.csv?dates=scheduled", **HTML)
    assert response.status_code == 400
    assert 'id="reviews-dates-error"' in response.content.decode()


def test_the_command_takes_the_lead_and_the_date_basis(org):
    out = StringIO()
    call_command("export_report", "roster", "--lead", str(org["small"].pk), stdout=out)
    header, *rows = csv.reader(io.StringIO(out.getvalue()), delimiter=";")
    assert sorted(int(row[0]) for row in rows) == sorted(p.pk for p in org["small_team"])
    out = StringIO()
    since = timezone.localdate() - datetime.timedelta(days=20)
    call_command("export_report", "reviews", "--date-from", f"{since:%Y-%m-%d}", "--dates", "decided", stdout=out)
    assert len(out.getvalue().strip().split("\r\n")) == 1 + 6
    with pytest.raises(CommandError, match="No team lead 999999"):
        call_command("export_report", "roster", "--lead", "999999", stdout=StringIO())
    with pytest.raises(CommandError, match="has no filter lead"):
        call_command("export_report", "salary-bands", "--lead", str(org["big"].pk), "--as-user", "hr",
                     stdout=StringIO())


def test_a_refused_form_keeps_the_chosen_lead_and_date_basis(client, org):
    client.force_login(org["hr"])
    lead = org["small"].pk
    response = client.get(f"/exports/reviews.csv?lead={lead}&dates=decided&date_from=2024-05-01&date_to=2024-04-01", **HTML)
    assert response.status_code == 400
    page = response.content.decode()
    start = page.index('id="report-reviews"')
    form = page[start : page.index("</section>", start)]
    assert re.search(rf'<input type="text" id="reviews-lead" name="lead" list="team-leads" value="{lead}"', form)
    assert re.search(r'<option value="decided"\s*selected>decision date</option>', form)
    assert 'id="reviews-date_to-error"' in form and 'id="reviews-lead-error"' not in form
