"""
The salary band invariants as the database holds them, on SQLite and on MariaDB.

Rows are written with objects.create / QuerySet.update so that no model validation
runs first: the database itself must refuse each violation. Each refused write sits
in its own transaction.atomic() so the test can go on and check what is stored.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from grades.models import Level
from pay.models import SalaryBand
from pay.tests.factories import SalaryBandFactory, track

pytestmark = pytest.mark.django_db

D = datetime.date


def _refused(write):
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def middle():
    return Level.objects.get(code="middle")


def create(**overrides):
    values = dict(level=middle(), track=None, currency="EUR", minimum=Decimal(3000),
                  maximum=Decimal(4000), valid_from=D(2025, 1, 1))
    values.update(overrides)
    return SalaryBand.objects.create(**values)


def test_a_negative_minimum_is_refused():
    _refused(lambda: create(minimum=Decimal("-0.01"), maximum=Decimal(10)))
    assert not SalaryBand.objects.exists()


def test_a_maximum_below_the_minimum_is_refused():
    _refused(lambda: create(minimum=Decimal(3000), maximum=Decimal("2999.99")))
    band = create(minimum=Decimal(3000), maximum=Decimal(3000))  # a band of one amount is allowed
    _refused(lambda: SalaryBand.objects.filter(pk=band.pk).update(maximum=Decimal(2000)))
    band.refresh_from_db()
    assert band.maximum == Decimal(3000)


def test_a_currency_is_three_letters():
    _refused(lambda: create(currency="EU"))
    _refused(lambda: create(currency=""))
    assert not SalaryBand.objects.exists()


def test_two_all_tracks_bands_of_one_level_currency_and_date_are_refused():
    """The NULL track: a plain unique index would admit any number of these."""
    create()
    _refused(lambda: create(minimum=Decimal(3100), maximum=Decimal(4100)))
    assert SalaryBand.objects.count() == 1


def test_two_bands_of_one_track_level_currency_and_date_are_refused():
    create(track=track("backend"))
    _refused(lambda: create(track=track("backend"), minimum=Decimal(1)))
    assert SalaryBand.objects.count() == 1


def test_bands_differing_in_track_currency_date_or_level_live_side_by_side():
    create()
    create(track=track("backend"))
    create(track=track("fullstack"))
    create(currency="USD")
    create(valid_from=D(2026, 1, 1))
    create(level=Level.objects.get(code="senior"))
    assert SalaryBand.objects.count() == 6


def test_the_generated_key_is_zero_for_all_tracks_and_the_track_id_otherwise():
    general = create()
    own = create(track=track("backend"))
    general.refresh_from_db()
    own.refresh_from_db()
    assert general.track_key == 0
    assert own.track_key == track("backend").pk


def test_moving_a_band_onto_another_scope_is_refused_like_a_new_row():
    create()
    own = create(track=track("backend"))
    _refused(lambda: SalaryBand.objects.filter(pk=own.pk).update(track=None))
    own.refresh_from_db()
    assert own.track_id == track("backend").pk


def test_amounts_keep_their_cents():
    band = create(minimum=Decimal("1234.56"), maximum=Decimal("9999999999.99"))
    band.refresh_from_db()
    assert (band.minimum, band.maximum) == (Decimal("1234.56"), Decimal("9999999999.99"))


def test_edits_are_kept_in_the_history():
    band = SalaryBandFactory(minimum=Decimal(3000), maximum=Decimal(4000))
    band.minimum = Decimal(3200)
    band.save()
    amounts = [(h.history_type, h.minimum) for h in band.history.order_by("history_id")]
    assert amounts == [("+", Decimal(3000)), ("~", Decimal(3200))]


def test_a_level_with_bands_cannot_be_deleted():
    from django.db.models import ProtectedError

    band = SalaryBandFactory(level=Level.objects.get(code="senior-plus-plus"))
    with pytest.raises(ProtectedError), transaction.atomic():
        band.level.delete()
    assert SalaryBand.objects.filter(pk=band.pk).exists()


@pytest.mark.mysql_only
def test_mariadb_holds_the_key_as_a_stored_generated_column():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXTRA, GENERATION_EXPRESSION FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'pay_salaryband' AND COLUMN_NAME = 'track_key'"
        )
        extra, expression = cursor.fetchone()
    assert "STORED" in extra.upper()
    assert "track_id" in expression
