"""``Percentile`` gives PostgreSQL's ``percentile_cont`` answers on either database."""

from datetime import timedelta

import pytest
from django.db.models import F, Q

from handoffs.models import Handoff
from kpis.queries.handoff_figures import duration
from kpis.queries.percentile import Percentile
from tests.kpis.builders import MINUTE, at, lead_created, opened


@pytest.fixture
def claims(db, rep):
    """Claimed after 10, 20, 30 and 40 minutes; one more never claimed."""
    for day, minutes in enumerate((40, 10, 30, 20), start=2):
        opened(
            lead_created(at(day)), at(day), claimed_at=at(day) + minutes * MINUTE, claimed_by=rep
        )
    opened(lead_created(at(9)), at(9))


def test_the_median_of_an_even_count_is_between_the_middle_two(claims):
    took = duration("created_at", "claimed_at")
    result = Handoff.objects.aggregate(median=Percentile(took, 0.5))

    assert result["median"] == timedelta(minutes=25)


def test_a_p90_interpolates_between_ranks(claims):
    took = duration("created_at", "claimed_at")
    result = Handoff.objects.aggregate(p90=Percentile(took, 0.9), lowest=Percentile(took, 0))

    # Position 0.9 × 3 = 2.7: 30 + 0.7 × (40 − 30).
    assert result == {"p90": timedelta(minutes=37), "lowest": timedelta(minutes=10)}


def test_a_filter_and_a_group_by_work_as_for_count(claims):
    took = duration("created_at", "claimed_at")
    rows = (
        Handoff.objects.values(even=F("created_at__day") % 2)
        .annotate(median=Percentile(took, 0.5, filter=Q(claimed_at__isnull=False)))
        .order_by("even")
    )

    # Even days 2 and 4: 40 and 30 minutes; odd days 3 and 5: 10 and 20 (9: unclaimed).
    assert [(row["even"], row["median"]) for row in rows] == [
        (0, timedelta(minutes=35)),
        (1, timedelta(minutes=15)),
    ]


def test_no_rows_give_none(db):
    result = Handoff.objects.aggregate(median=Percentile(duration("created_at", "claimed_at"), 0.5))

    assert result["median"] is None


def test_a_fraction_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError):
        Percentile(F("x"), 1.5)
