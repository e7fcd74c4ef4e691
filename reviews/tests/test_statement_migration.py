"""The migration that adds the candidate's statement: reviews requested before it keep every
value and get an empty statement, which their page calls "no statement was written".
Run with MigrationExecutor, as the ladder migration's test does."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from grades.tests.test_ladder_migration import drop_views, leaf_nodes, rows
from reviews.models import PromotionReview
from reviews.tests.factories import organisation, requested

# The flush after a transactional test would leave the next tests without the data the
# migrations create: it is put back from a serialized copy.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = ("reviews", "0008_decision_policy_row")


def test_reviews_from_before_the_statement_get_an_empty_one(client):
    org = organisation()
    review = requested(org)
    drop_views()
    executor = MigrationExecutor(connection)
    executor.migrate(leaf_nodes(executor, reviews=BEFORE[1]))
    before = rows("reviews_promotionreview")
    assert "statement" not in before[review.pk]

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaf_nodes(executor))
    call_command("sync_views", verbosity=0)

    after = rows("reviews_promotionreview")
    assert after[review.pk]["statement"] == ""
    assert {name: after[review.pk][name] for name in before[review.pk]} == before[review.pk]
    assert PromotionReview.history.filter(id=review.pk).latest().statement == ""
    client.force_login(org["dev"].user)
    html = client.get(review.get_absolute_url()).content.decode()
    start = html.index('id="packet-statement"')
    assert "No statement was written." in html[start : html.index("</section>", start)]
