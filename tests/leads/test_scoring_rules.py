"""``leads.scoring``: pure functions, so no database here."""

from datetime import UTC, datetime, timedelta

import pytest

from leads.scoring import Rule, TouchpointFact, decay_factor, fit_matches, score

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def fit(field, operator, value="", points=10, label=""):
    return Rule(kind="fit", field=field, operator=operator, value=value, points=points, label=label)


def engagement(kind, points, cap=None, label=""):
    return Rule(kind="engagement", touchpoint_kind=kind, points=points, cap=cap, label=label)


def touch(kind, days_ago=0.0):
    return TouchpointFact(kind=kind, occurred_at=NOW - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("value", "fact", "expected"),
    [
        ("us", "US", True),
        ("us", " us ", True),
        ("us", "USA", False),
        ("us", "", False),
        ("us", None, False),
    ],
)
def test_equals_compares_trimmed_text_ignoring_case(value, fact, expected):
    assert fit_matches(fit("country", "equals", value), {"country": fact}) is expected


@pytest.mark.parametrize(
    ("fact", "expected"),
    [("DE", True), ("fr", True), ("ES", False), ("", False)],
)
def test_one_of_matches_any_item_of_the_comma_separated_list(fact, expected):
    rule = fit("country", "one_of", "us, gb,de ,fr")
    assert fit_matches(rule, {"country": fact}) is expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("VP Marketing", True),
        ("Head of Growth", True),
        ("Marketing Manager", False),
        ("", False),
    ],
)
def test_contains_matches_any_alternative_as_a_substring(title, expected):
    rule = fit("job_title", "contains", "vp|head|director")
    assert fit_matches(rule, {"job_title": title}) is expected


@pytest.mark.parametrize(
    ("pattern", "fact", "expected"),
    [
        (r"^(ceo|cto)$", "CTO", True),
        (r"^(ceo|cto)$", "CTO Office", False),
        (r"\.edu$", "uni.edu", True),
        (r"[unclosed", "anything", False),
    ],
)
def test_matches_is_a_case_insensitive_regular_expression(pattern, fact, expected):
    assert fit_matches(fit("email_domain", "matches", pattern), {"email_domain": fact}) is expected


@pytest.mark.parametrize(
    ("spec", "size", "expected"),
    [
        ("51-200", 51, True),
        ("51-200", 200, True),
        ("51-200", 50, False),
        ("51-200", 201, False),
        ("1001-", 1001, True),
        ("1001-", 50000, True),
        ("1001-", 1000, False),
        ("-50", 0, True),
        ("-50", 50, True),
        ("-50", 51, False),
        ("51-200", None, False),
        ("51-200", "many", False),
        ("51-200", "120", True),
    ],
)
def test_between_is_inclusive_and_either_side_may_be_open(spec, size, expected):
    assert fit_matches(fit("company_size", "between", spec), {"company_size": size}) is expected


@pytest.mark.parametrize(
    ("fact", "expected"), [("", True), (None, True), ("  ", True), ("x", False)]
)
def test_is_empty_matches_missing_and_blank_values(fact, expected):
    assert fit_matches(fit("phone", "is_empty"), {"phone": fact}) is expected


def test_an_unknown_operator_never_matches():
    assert fit_matches(fit("country", "resembles", "us"), {"country": "us"}) is False


def test_a_negative_fit_rule_takes_points_away():
    rules = [
        fit("job_title", "contains", "vp", 20),
        fit("email_domain", "equals", "gmail.com", -10),
    ]
    result = score(
        {"job_title": "VP Sales", "email_domain": "gmail.com"},
        [],
        rules,
        half_life_days=30,
        now=NOW,
    )
    assert (result.fit, result.engagement, result.total) == (10, 0, 10)


def test_engagement_gives_points_per_touchpoint_of_the_kind():
    rules = [engagement("page_view", 2), engagement("demo_requested", 40)]
    touchpoints = [touch("page_view"), touch("page_view"), touch("page_view"), touch("ad_click")]
    result = score({}, touchpoints, rules, half_life_days=30, now=NOW)
    assert result.engagement == 6


def test_engagement_points_stop_at_the_cap_of_the_rule():
    rules = [engagement("page_view", 3, cap=10)]
    result = score({}, [touch("page_view")] * 8, rules, half_life_days=30, now=NOW)
    assert result.engagement == 10


def test_a_negative_engagement_rule_is_capped_from_below():
    rules = [engagement("email_click", -4, cap=10)]
    result = score({}, [touch("email_click")] * 5, rules, half_life_days=30, now=NOW)
    assert result.engagement == -10


def test_decay_is_one_for_a_touchpoint_that_happened_now():
    assert decay_factor(NOW, NOW, 30) == 1.0


def test_decay_halves_at_the_half_life():
    assert decay_factor(NOW - timedelta(days=30), NOW, 30) == pytest.approx(0.5)


def test_decay_quarters_at_two_half_lives():
    assert decay_factor(NOW - timedelta(days=14), NOW, 7) == pytest.approx(0.25)


def test_a_touchpoint_in_the_future_does_not_gain_points():
    assert decay_factor(NOW + timedelta(days=3), NOW, 30) == 1.0


def test_engagement_points_decay_with_the_age_of_the_touchpoint():
    rules = [engagement("demo_requested", 40)]
    result = score({}, [touch("demo_requested", days_ago=30)], rules, half_life_days=30, now=NOW)
    assert result.engagement == 20


def test_points_that_decay_to_nothing_add_no_line():
    rules = [engagement("page_view", 1)]
    result = score({}, [touch("page_view", days_ago=365)], rules, half_life_days=30, now=NOW)
    assert (result.engagement, result.breakdown) == (0, [])


def test_the_breakdown_has_one_line_per_rule_that_gave_points():
    rules = [
        fit("job_title", "contains", "vp", 20, label="Senior title"),
        fit("country", "equals", "fr", 5, label="France"),
        fit("company_size", "between", "201-1000", 15),
        engagement("pricing_page_view", 10, cap=30, label="Pricing page view"),
        engagement("webinar_attended", 15),
    ]
    result = score(
        {"job_title": "VP Sales", "country": "US", "company_size": 300},
        [touch("pricing_page_view"), touch("pricing_page_view"), touch("webinar_attended")],
        rules,
        half_life_days=30,
        now=NOW,
    )
    assert result.breakdown == [
        {"rule": "Senior title", "kind": "fit", "points": 20},
        {"rule": "company_size between 201-1000", "kind": "fit", "points": 15},
        {"rule": "Pricing page view", "kind": "engagement", "points": 20, "count": 2},
        {"rule": "webinar attended", "kind": "engagement", "points": 15, "count": 1},
    ]
    assert result.total == sum(line["points"] for line in result.breakdown) == 70
