"""Scoring rules in words: what the rules pages and the list of changes say a rule does."""

import pytest

from leads.scoring.rules.queries import changes_between
from leads.scoring.rules.wording import fit_words, pattern_alternatives, rule_sentence
from tests.scoring.conftest import engagement, fit

SENIOR = r"\b(vp|vice[ -]president|head|director|chief|ceo|cto|cmo|cfo|founder)\b"


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (
            SENIOR,
            [
                "vp",
                "vice president",
                "head",
                "director",
                "chief",
                "ceo",
                "cto",
                "cmo",
                "cfo",
                "founder",
            ],
        ),
        (r"\b(manager|lead)\b", ["manager", "lead"]),
        (r"\bvp\b|\bhead\b", ["vp", "head"]),
        (r"(?:owner|partner)", ["owner", "partner"]),
        (r"head\s+of\s+growth", ["head of growth"]),
        (r"co\.uk", ["co.uk"]),
    ],
)
def test_a_pattern_that_lists_words_reads_as_its_words(pattern, words):
    assert pattern_alternatives(pattern) == words


@pytest.mark.parametrize(
    "pattern", [r"(a|b)c(d)", r"sr\.? engineer", r".*", r"vp.", r"[a-z]+ manager", r"\d{3}", ""]
)
def test_a_pattern_richer_than_a_list_of_words_is_not_guessed_at(pattern):
    assert pattern_alternatives(pattern) is None


def test_a_title_pattern_reads_as_the_titles_it_finds():
    words = fit_words(fit("job_title", "matches", SENIOR))
    assert str(words) == (
        "Job title mentions VP, Vice president, Head, Director, Chief, CEO, CTO, CMO, CFO "
        "or Founder"
    )
    assert words.pattern == SENIOR


def test_an_anchored_pattern_says_where_the_words_are():
    assert str(fit_words(fit("job_title", "matches", r"^(head of|chief of)"))) == (
        "Job title starts with Head of or Chief of"
    )
    assert str(fit_words(fit("email", "matches", r"(\.gov|\.edu)$"))) == (
        "Email ends with .gov or .edu"
    )


def test_a_pattern_without_words_is_shown_as_the_pattern():
    words = fit_words(fit("job_title", "matches", r"^(senior|sr\.?) "))
    assert (words.subject, words.test, words.pattern) == (
        "Job title",
        "matches the pattern",
        r"^(senior|sr\.?) ",
    )
    assert rule_sentence(fit("job_title", "matches", r"^(senior|sr\.?) ", 3)) == (
        r"Job title matches the pattern ^(senior|sr\.?)  → +3"
    )


def test_country_codes_read_as_country_names():
    assert str(fit_words(fit("country", "one_of", "us,gb,de"))) == (
        "Country is United States, United Kingdom or Germany"
    )
    assert str(fit_words(fit("country", "equals", "fr"))) == "Country is France"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("51-200", "Company size is 51 to 200"),
        ("1001-", "Company size is 1,001 or more"),
        ("-50", "Company size is 50 or less"),
    ],
)
def test_a_range_reads_as_from_and_to(value, words):
    assert str(fit_words(fit("company_size", "between", value))) == words


def test_the_other_tests_read_as_sentences():
    assert str(fit_words(fit("email_domain", "one_of", "gmail.com,yahoo.com"))) == (
        "Email domain is gmail.com or yahoo.com"
    )
    assert str(fit_words(fit("company", "contains", "acme|globex"))) == (
        "Company contains “acme” or “globex”"
    )
    assert str(fit_words(fit("industry", "equals", "Software"))) == "Industry is “Software”"
    assert str(fit_words(fit("phone", "is_empty"))) == "Phone is empty"


def test_a_rule_and_its_effect_in_one_line():
    assert rule_sentence(fit("country", "one_of", "de,at", 5)) == (
        "Country is Germany or Austria → +5"
    )
    assert rule_sentence(fit("company", "contains", "acme", disqualifies=True)) == (
        "Company contains “acme” → disqualify"
    )
    assert rule_sentence(engagement("demo_requested", 40, cap=80)) == (
        "Each demo requested → +40 (at most 80)"
    )


def test_what_changed_says_the_rules_in_words():
    before = [fit("country", "one_of", "us,gb", 5, "Target market")]
    after = [fit("country", "one_of", "us,gb,de", 5, "Target market")]
    [change] = changes_between(before, after)
    assert (change.before, change.after) == (
        "Country is United States or United Kingdom → +5",
        "Country is United States, United Kingdom or Germany → +5",
    )
