"""``leads.scoring.calibration`` on constructed data with answers worked out by hand."""

from itertools import product

import pytest

from leads.scoring.calibration import (
    Acceptance,
    Band,
    acceptance_at,
    band_low,
    bands,
    roc_auc,
    suggest_threshold,
)

# The known data set: (score, reached SQL) for ten handoffs with an outcome.
#   positives: 90, 80, 70, 70, 40
#   negatives: 70, 60, 40, 30, 20
OUTCOMES = [
    (90, True),
    (80, True),
    (70, True),
    (70, True),
    (40, True),
    (70, False),
    (60, False),
    (40, False),
    (30, False),
    (20, False),
]


def counts_of(pairs):
    """``(score, positives, negatives)`` rows, one per pair (the maths merges them)."""
    return [(score, int(positive), int(not positive)) for score, positive in pairs]


def brute_force_auc(pairs):
    positives = [score for score, positive in pairs if positive]
    negatives = [score for score, positive in pairs if not positive]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in product(positives, negatives))
    return wins / (len(positives) * len(negatives))


def test_the_auc_of_the_known_data_set_counts_ties_as_halves():
    # Pairs won by each positive over the five negatives (ties ½):
    #   90 → 5, 80 → 5, 70 → 4 + ½ (ties the 70), 70 → 4.5, 40 → 2 + ½ (ties the 40)
    # U = 5 + 5 + 4.5 + 4.5 + 2.5 = 21.5 of 25 pairs.
    assert roc_auc(counts_of(OUTCOMES)) == 0.86


def test_the_auc_agrees_with_comparing_every_pair():
    assert roc_auc(counts_of(OUTCOMES)) == round(brute_force_auc(OUTCOMES), 4)


def test_a_perfect_ranking_has_an_auc_of_one():
    assert roc_auc([(90, 1, 0), (80, 2, 0), (10, 0, 3)]) == 1.0


def test_a_reversed_ranking_has_an_auc_of_zero():
    assert roc_auc([(10, 2, 0), (90, 0, 2)]) == 0.0


def test_every_score_tied_gives_a_coin_toss():
    assert roc_auc([(50, 3, 7)]) == 0.5


def test_rows_for_the_same_score_are_merged():
    assert roc_auc([(50, 1, 0), (50, 0, 1), (60, 1, 0)]) == roc_auc([(50, 1, 1), (60, 1, 0)])


def test_the_auc_is_none_without_negatives():
    assert roc_auc([(80, 3, 0), (60, 1, 0)]) is None


def test_the_auc_is_none_without_positives():
    assert roc_auc([(80, 0, 3)]) is None


def test_the_auc_is_none_without_outcomes():
    assert roc_auc([]) is None


@pytest.mark.parametrize(
    ("score", "low"),
    [(0, 0), (9, 0), (10, 10), (59, 50), (100, 100), (-1, -10), (-10, -10), (-11, -20)],
)
def test_a_score_belongs_to_the_band_of_ten_below_it(score, low):
    assert band_low(score) == low


def test_the_bands_of_the_known_data_set():
    # Per band of ten: handoffs, SQLs, won (say the 90 and one 70 were won).
    rows = [
        (20, 1, 0, 0),
        (30, 1, 0, 0),
        (40, 2, 1, 0),
        (60, 1, 0, 0),
        (70, 3, 2, 1),
        (80, 1, 1, 0),
        (90, 1, 1, 1),
    ]
    result = bands(rows)
    assert [band.as_dict() for band in result] == [
        {"low": 20, "high": 29, "leads": 1, "sql_rate": 0.0, "won_rate": 0.0},
        {"low": 30, "high": 39, "leads": 1, "sql_rate": 0.0, "won_rate": 0.0},
        {"low": 40, "high": 49, "leads": 2, "sql_rate": 0.5, "won_rate": 0.0},
        {"low": 50, "high": 59, "leads": 0, "sql_rate": None, "won_rate": None},
        {"low": 60, "high": 69, "leads": 1, "sql_rate": 0.0, "won_rate": 0.0},
        {"low": 70, "high": 79, "leads": 3, "sql_rate": 0.6667, "won_rate": 0.3333},
        {"low": 80, "high": 89, "leads": 1, "sql_rate": 1.0, "won_rate": 0.0},
        {"low": 90, "high": 99, "leads": 1, "sql_rate": 1.0, "won_rate": 1.0},
    ]


def test_bands_below_zero_run_up_to_the_first_positive_band():
    assert [(band.low, band.high) for band in bands([(-10, 1, 0, 0), (10, 1, 1, 0)])] == [
        (-10, -1),
        (0, 9),
        (10, 19),
    ]


def test_no_outcomes_make_no_bands():
    assert bands([]) == []


def test_a_band_keeps_its_counts_for_the_page():
    assert bands([(70, 3, 2, 1)]) == [Band(70, 79, 3, 2, 1)]


# Decided handoffs: (score, accepted, rejected).
#   score 90: 2 accepted          → from 90 up: 2 of 2   = 100 %
#   score 70: 2 accepted, 1 rej.  → from 70 up: 4 of 5   =  80 %
#   score 60: 0 accepted, 2 rej.  → from 60 up: 4 of 7   ≈  57 %
#   score 50: 3 accepted          → from 50 up: 7 of 10  =  70 %
#   score 40: 1 accepted, 1 rej.  → from 40 up: 8 of 12  ≈  67 %
DECIDED = [(90, 2, 0), (70, 2, 1), (60, 0, 2), (50, 3, 0), (40, 1, 1)]


def test_the_suggested_threshold_is_the_lowest_that_meets_the_target():
    assert suggest_threshold(DECIDED, 0.8) == Acceptance(70, accepted=4, rejected=1)


def test_a_lower_target_moves_the_threshold_down():
    assert suggest_threshold(DECIDED, 0.7) == Acceptance(50, accepted=7, rejected=3)


def test_a_threshold_below_a_failing_one_can_still_meet_the_target():
    # 60 fails 65 % (4 of 7) but 50 and 40 below it meet it: the lowest one wins.
    assert suggest_threshold(DECIDED, 0.65).threshold == 40


def test_a_target_of_one_needs_a_clean_record():
    assert suggest_threshold(DECIDED, 1.0) == Acceptance(90, accepted=2, rejected=0)


def test_no_threshold_is_suggested_when_none_meets_the_target():
    assert suggest_threshold([(90, 1, 1), (50, 0, 3)], 0.8) is None


def test_no_threshold_is_suggested_without_decisions():
    assert suggest_threshold([], 0.8) is None


def test_the_target_is_met_exactly_at_four_of_five():
    assert suggest_threshold([(60, 4, 1)], 0.8) == Acceptance(60, accepted=4, rejected=1)


def test_the_acceptance_rate_at_a_threshold_counts_what_is_at_or_above_it():
    result = acceptance_at(DECIDED, 60)
    assert (result.accepted, result.rejected, result.rate) == (4, 3, 0.5714)


def test_the_acceptance_rate_above_every_score_is_unknown():
    assert acceptance_at(DECIDED, 100).rate is None
