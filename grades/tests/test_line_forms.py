"""The progress page's forms are read when their box opens: a checklist line's claim form and
growth goal form, a book's "mark as read" form.

The page sends each line a link instead of its forms (grades.views.claim_form, goal_form,
book_read_form); the page's script swaps the form in, and without the script the link opens
the form as a page of its own. A form refused on submit comes back inline, open, as before.
Who may open which form is in gradesys/tests/test_access_table.py.
"""

import re

import pytest

from grades.models import BookReading, Evidence, GrowthGoal
from grades.tests.test_books_read import book_item, book_of
from grades.tests.test_growth_plan import line_html
from grades.tests.test_views import evidence_state, next_level_requirement, team  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

FETCH = {"X-Requested-With": "fetch"}


def claim_form_url(employee, requirement) -> str:
    return f"/people/{employee.pk}/claim/{requirement.pk}/form/"


def goal_form_url(employee, requirement) -> str:
    return f"/people/{employee.pk}/plan/{requirement.pk}/form/"


def book_form_url(employee, book) -> str:
    return f"/people/{employee.pk}/books/{book.pk}/read/form/"


def text(response) -> str:
    return response.content.decode()


def test_the_page_links_each_line_to_its_forms_instead_of_carrying_them(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)

    body = text(client.get("/me/"))

    line = line_html(body, requirement.pk)
    assert f'<a href="{claim_form_url(dev, requirement)}" data-fragment-link>Open the claim form</a>' in line
    assert f'<a href="{goal_form_url(dev, requirement)}" data-fragment-link>Open the goal form</a>' in line
    # No line carries a form's fields: they come when a box opens.
    assert 'name="description"' not in body and 'name="text"' not in body
    claim_boxes = body.count('<details class="action claim-action" data-fragment>')
    assert claim_boxes > 1
    assert len(re.findall(rf'href="/people/{dev.pk}/claim/\d+/form/" data-fragment-link', body)) == claim_boxes
    assert '<script src="/static/js/on-open.js" defer></script>' in body


def test_the_claim_form_comes_alone_and_its_post_claims_the_line(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)

    response = client.get(claim_form_url(dev, requirement), headers=FETCH)

    assert response.status_code == 200
    assert "X-Requested-With" in response["Vary"]
    form = text(response)
    assert "<html" not in form
    assert f'action="/people/{dev.pk}/claim/{requirement.pk}/#req-{requirement.pk}" class="claim-form"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    # Ids of the line's own, so that several lines' forms can be open on one page.
    assert f'<label for="claim-{requirement.pk}-description">What did you do that shows this?</label>' in form
    assert f'id="claim-{requirement.pk}-links"' in form
    assert Evidence.objects.count() == 0

    action = re.search(r'action="([^"#]+)', form).group(1)
    posted = client.post(action, {"description": "Built the retry worker", "links": "https://git.example.com/pr/7"})

    assert posted.status_code == 302 and posted["Location"] == f"/me/#req-{requirement.pk}"
    claim = Evidence.objects.get(employee=dev, requirement=requirement)
    assert (claim.description, claim.links) == ("Built the retry worker", ["https://git.example.com/pr/7"])


def test_the_goal_form_comes_alone_for_the_person_and_their_lead(client, team):
    dev, lead = team["dev"], team["lead"]
    requirement = next_level_requirement(dev)
    for person, back in ((dev, f"/me/#req-{requirement.pk}"), (lead, f"/people/{dev.pk}/#req-{requirement.pk}")):
        client.force_login(person.user)
        form = text(client.get(goal_form_url(dev, requirement), headers=FETCH))
        assert "<html" not in form
        assert f'action="/people/{dev.pk}/plan/{requirement.pk}/#req-{requirement.pk}" class="goal-form"' in form
        assert f'id="goal-{requirement.pk}-text"' in form and f'id="goal-{requirement.pk}-due_on"' in form
        # Without the script: a page of the site, back to the line.
        page = text(client.get(goal_form_url(dev, requirement)))
        assert "<html" in page and f'href="{back}"' in page and requirement.text_en in page

    response = client.post(f"/people/{dev.pk}/plan/{requirement.pk}/", {"text": "Pair on the retries"})
    assert response.status_code == 302
    assert GrowthGoal.objects.get(employee=dev, requirement=requirement).created_by == lead.user


def test_without_the_script_the_claim_form_is_a_page_of_the_site(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)

    page = text(client.get(claim_form_url(dev, requirement)))

    assert "<html" in page and "<h1>Claim</h1>" in page
    assert requirement.text_en in page
    assert f'href="/me/#req-{requirement.pk}"' in page
    assert 'class="claim-form"' in page and "Send claim" in page


def test_the_forms_speak_russian(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)

    page = text(client.get("/me/", HTTP_ACCEPT_LANGUAGE="ru"))
    form = text(client.get(claim_form_url(dev, requirement), headers=FETCH, HTTP_ACCEPT_LANGUAGE="ru"))

    line = line_html(page, requirement.pk)
    assert "Открыть форму заявки" in line and "Открыть форму цели" in line
    assert "Что вы сделали, что это подтверждает?" in form and "Отправить заявку" in form


def test_the_book_form_comes_alone_and_its_post_marks_the_book(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)
    item = book_item(text(client.get("/me/")), book)
    assert f'<a href="{book_form_url(dev, book)}" data-fragment-link>Open the form</a>' in item
    assert 'name="note"' not in item

    form = text(client.get(book_form_url(dev, book), headers=FETCH))
    page = text(client.get(book_form_url(dev, book)))

    assert "<html" not in form
    assert f'action="/people/{dev.pk}/books/{book.pk}/read/#book-{book.pk}" class="reading-form"' in form
    assert f'id="reading-{book.pk}-note"' in form and 'maxlength="' in form
    assert f'id="reading-{book.pk}-read_on"' in form
    assert "<html" in page and book.title in page and f'href="/me/#book-{book.pk}"' in page
    action = re.search(r'action="([^"#]+)', form).group(1)
    assert client.post(action, {"note": "Small steps", "read_on": ""}).status_code == 302
    assert BookReading.objects.get(employee=dev, book=book).note == "Small steps"


def test_a_refused_book_mark_comes_back_open_on_its_book(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    client.force_login(dev.user)

    response = client.post(f"/people/{dev.pk}/books/{book.pk}/read/", {"note": "   "})

    assert response.status_code == 400
    item = book_item(text(response), book)
    assert '<details class="action reading-action" open>' in item and 'name="note"' in item
    assert book_form_url(dev, book) not in item
    assert BookReading.objects.count() == 0


def test_someone_elses_book_form_is_refused(client, team):
    dev = team["dev"]
    book = book_of("backend", "middle-plus")
    client.force_login(team["lead"].user)
    assert client.get(book_form_url(dev, book), headers=FETCH).status_code == 403
    client.force_login(team["stranger"].user)
    assert client.get(book_form_url(dev, book), headers=FETCH).status_code == 404


@pytest.mark.parametrize("url", [claim_form_url, goal_form_url, book_form_url])
def test_a_line_that_does_not_exist_is_404_in_the_sites_layout(client, team, url):
    dev = team["dev"]
    client.force_login(dev.user)
    missing = type("Missing", (), {"pk": 999_999})()

    response = client.get(url(dev, missing))

    assert response.status_code == 404
    assert "<html" in text(response)


@pytest.mark.parametrize("url", [claim_form_url, goal_form_url, book_form_url])
def test_the_forms_are_read_only_addresses(client, team, url):
    """A POST to a form's address is refused and writes nothing: the form posts elsewhere."""
    dev = team["dev"]
    line = book_of("backend", "middle-plus") if url is book_form_url else next_level_requirement(dev)
    client.force_login(dev.user)
    before = evidence_state(), list(GrowthGoal.objects.values()), list(BookReading.objects.values())

    response = client.post(url(dev, line), {"description": "Built it", "text": "A goal", "note": "Read it"})

    assert response.status_code == 405
    assert (evidence_state(), list(GrowthGoal.objects.values()), list(BookReading.objects.values())) == before


def test_a_refused_claim_comes_back_open_on_its_line_and_the_others_keep_their_links(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(dev.user)

    response = client.post(f"/people/{dev.pk}/claim/{requirement.pk}/", {"description": "  ", "links": ""})

    assert response.status_code == 400
    body = text(response)
    line = line_html(body, requirement.pk)
    assert '<details class="action claim-action" open>' in line
    assert 'name="description"' in line and "This field is required." in line
    assert claim_form_url(dev, requirement) not in line
    assert body.count('<details class="action claim-action" data-fragment>') > 0
    assert Evidence.objects.count() == 0


def test_a_refused_goal_comes_back_open_on_its_line(client, team):
    dev = team["dev"]
    requirement = next_level_requirement(dev)
    client.force_login(team["lead"].user)

    response = client.post(f"/people/{dev.pk}/plan/{requirement.pk}/", {"text": ""})

    assert response.status_code == 400
    line = line_html(text(response), requirement.pk)
    assert '<details class="action goal-action" open>' in line
    assert "Write the goal: what is to be done for this requirement." in line
    assert goal_form_url(dev, requirement) not in line
    assert GrowthGoal.objects.count() == 0
