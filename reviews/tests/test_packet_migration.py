"""Migration 0011 (notes and reasons per criterion, the packet kept at the decision) on a database
with reviews decided before it: they come through with no packet kept, no notes and no reasons,
and their page says the packet as decided was not kept and shows today's under that label."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from grades.tests.test_ladder_migration import drop_views, leaf_nodes, rows
from reviews.models import PacketSnapshot, PromotionReview, Vote
from reviews.tests.factories import confirm_checklist, decided, organisation

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = "0008_decision_policy_row"


def test_reviews_decided_before_the_migration_have_no_kept_packet():
    org = organisation()
    confirm_checklist(org["dev"])
    review = decided(org)
    drop_views()
    executor = MigrationExecutor(connection)
    executor.migrate(leaf_nodes(executor, reviews=BEFORE))
    before = rows("reviews_promotionreview")[review.pk]
    assert "decision_reasons" not in before and before["status"] == "passed"

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(leaf_nodes(executor))
    call_command("sync_views", verbosity=0)

    review = PromotionReview.objects.get(pk=review.pk)
    assert not PacketSnapshot.objects.filter(review=review).exists()
    assert review.decision_reasons == {} and review.decision_note == before["decision_note"]
    assert list(Vote.objects.filter(seat__review=review).values_list("notes", flat=True)) == [{}] * 4
    client = Client()
    client.force_login(org["dev"].user)
    response = client.get(f"/reviews/{review.pk}/")
    assert response.status_code == 200
    assert response.context["packet_not_kept"] and not response.context["packet_frozen"]
    html = response.content.decode()
    assert 'data-testid="packet-not-kept"' in html and "The packet as decided was not kept" in html
    # Today's packet, labelled as such: after the promotion it is the next level's checklist.
    assert response.context["progress"].next_level.code == "middle-plus-plus"
