"""``leads.scoring``: every operator, disqualifying rules, decay, caps and validation.

Pure functions: no database here.
"""

from datetime import timedelta

import pytest

from leads.models import TouchpointKind
from leads.scoring import Rule, TouchpointFact, facts_from, fit_matches, rule_errors, score

from .conftest import NOW, engagement, fit


def touch(kind, days_ago=0.0):
    return TouchpointFact(kind=kind, occurred_at=NOW - timedelta(days=days_ago))


def errors(rule):
    return rule_errors(rule, touchpoint_kinds=TouchpointKind.values)


@pytest.mark.parametrize(
    ("rule", "facts", "expected"),
    [
        (fit("country", "equals", "DE"), {"country": "de"}, True),
        (fit("country", "equals", "DE"), {"country": "DK"}, False),
        (fit("country", "one_of", "de, at ,ch"), {"country": "AT"}, True),
        (fit("country", "one_of", "de,at,ch"), {"country": "FR"}, False),
        (fit("job_title", "contains", "chief|head"), {"job_title": "Head of IT"}, True),
        (fit("job_title", "contains", "chief|head"), {"job_title": "Engineer"}, False),
        (fit("job_title", "matches", r"^v\.?p\b"), {"job_title": "V.P. Sales"}, True),
        (fit("job_title", "matches", r"^v\.?p\b"), {"job_title": "MVP"}, False),
        (fit("company_size", "between", "201-1000"), {"company_size": 1000}, True),
        (fit("company_size", "between", "201-1000"), {"company_size": 1001}, False),
        (fit("phone", "is_empty"), {"phone": ""}, True),
        (fit("phone", "is_empty"), {"phone": "+49 30 1234"}, False),
    ],
)
def test_each_operator_matches_what_it_says(rule, facts, expected):
    assert fit_matches(rule, facts) is expected


@pytest.mark.parametrize("operator", ["equals", "one_of", "contains", "matches"])
def test_an_empty_field_matches_nothing_but_is_empty(operator):
    rule = fit("industry", operator, ".*" if operator == "matches" else "x")
    assert fit_matches(rule, {"industry": "  "}) is False


def test_the_email_domain_is_a_fact_of_its_own():
    facts = facts_from({"email": "ana@gmail.com"})
    assert fit_matches(fit("email_domain", "one_of", "gmail.com,yahoo.com"), facts)


def test_a_free_mail_rule_takes_points_away():
    rules = [fit("email_domain", "one_of", "gmail.com", -10, "Free e-mail domain")]
    result = score(facts_from({"email": "ana@gmail.com"}), [], rules, half_life_days=30, now=NOW)
    assert (result.fit, result.breakdown) == (
        -10,
        [{"rule": "Free e-mail domain", "kind": "fit", "points": -10}],
    )


def test_a_disqualifying_rule_gives_a_verdict_with_the_rule_as_reason():
    rules = [
        fit("job_title", "contains", "vp", 20),
        fit("email_domain", "equals", "rival.com", 0, "Competitor", disqualifies=True),
    ]
    facts = facts_from({"email": "spy@rival.com", "job_title": "VP Sales"})
    result = score(facts, [], rules, half_life_days=30, now=NOW)
    assert result.disqualified_by == "Competitor"
    assert result.breakdown[-1] == {
        "rule": "Competitor",
        "kind": "fit",
        "points": 0,
        "disqualifies": True,
    }


def test_a_disqualifying_rule_that_does_not_match_says_nothing():
    rules = [fit("email_domain", "equals", "rival.com", 0, disqualifies=True)]
    result = score(facts_from({"email": "ana@acme.com"}), [], rules, half_life_days=30, now=NOW)
    assert (result.disqualified_by, result.breakdown) == ("", [])


def test_decay_follows_the_half_life_of_the_version():
    rules = [engagement("webinar_attended", 16)]
    result = score({}, [touch("webinar_attended", 14)], rules, half_life_days=7, now=NOW)
    assert result.engagement == 4


def test_the_cap_applies_to_the_decayed_points():
    rules = [engagement("page_view", 10, cap=15)]
    fresh = score({}, [touch("page_view")] * 3, rules, half_life_days=30, now=NOW)
    old = score({}, [touch("page_view", 60)] * 3, rules, half_life_days=30, now=NOW)
    assert (fresh.engagement, old.engagement) == (15, 8)


def test_the_cap_is_per_touchpoint_kind():
    rules = [engagement("page_view", 5, cap=5), engagement("email_click", 3, cap=6)]
    touchpoints = [touch("page_view")] * 4 + [touch("email_click")] * 4
    result = score({}, touchpoints, rules, half_life_days=30, now=NOW)
    assert [line["points"] for line in result.breakdown] == [5, 6]


def test_a_valid_rule_has_no_errors():
    assert errors(fit("job_title", "matches", r"\b(vp|head)\b", 20)) == {}


def test_an_invalid_regular_expression_is_refused():
    assert "regular expression" in errors(fit("job_title", "matches", "(vp"))["value"][0]


@pytest.mark.parametrize("spec", ["big", "-", "10-x", "1000-10"])
def test_a_range_must_be_low_high(spec):
    assert "value" in errors(fit("company_size", "between", spec))


def test_a_range_is_for_numeric_fields():
    assert "numbers" in errors(fit("job_title", "between", "1-10"))["value"][0]


@pytest.mark.parametrize("operator", ["equals", "one_of", "contains", "matches", "between"])
def test_an_operator_that_compares_needs_a_value(operator):
    assert "value" in errors(fit("company_size", operator, " "))


def test_is_empty_needs_no_value():
    assert errors(fit("phone", "is_empty")) == {}


def test_a_fit_rule_needs_a_known_field_and_operator():
    assert set(errors(fit("shoe_size", "resembles", "42"))) == {"field", "operator"}


def test_an_engagement_rule_needs_a_known_touchpoint_kind():
    assert "touchpoint_kind" in errors(engagement("telepathy", 5))


def test_a_cap_cannot_be_negative():
    assert "cap" in errors(engagement("page_view", 5, cap=-1))


def test_only_a_fit_rule_disqualifies():
    rule = Rule(kind="engagement", touchpoint_kind="page_view", points=0, disqualifies=True)
    assert "disqualifies" in errors(rule)


def test_points_stay_within_reason():
    assert "points" in errors(fit("country", "equals", "us", 100_000))


def test_an_unknown_kind_is_refused():
    assert set(errors(Rule(kind="mood", points=1))) == {"kind"}
