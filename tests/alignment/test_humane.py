"""Numbers and codes as people say them: durations and country names, in code and pages."""

import pytest
from django.template import Context, Template

from alignment.humane import country_name, country_names, duration_text, joined


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (45, "45 min"),
        (60, "1 h"),
        (90, "1 h 30 min"),
        (240, "4 h"),
        (1440, "1 day"),
        (1500, "1 day 1 h"),
        (2970, "2 days 1 h 30 min"),
        (10080, "7 days"),
        (12.6, "13 min"),
    ],
)
def test_a_duration_is_said_in_days_hours_and_minutes(minutes, text):
    assert duration_text(minutes) == text


def test_a_duration_about_keeps_its_two_largest_units():
    assert duration_text(4337, exact=False) == "3 days"
    assert duration_text(4397, exact=False) == "3 days 1 h"
    assert duration_text(125, exact=False) == "2 h 5 min"


def test_a_negative_duration_reads_as_its_size_and_none_as_a_dash():
    assert duration_text(-75) == "1 h 15 min"
    assert duration_text(None) == "—"


def test_a_country_code_reads_as_the_countrys_common_name():
    assert country_name("de") == "Germany"
    assert country_name("GB") == "United Kingdom"
    assert country_name("kr") == "South Korea"
    assert country_name(" tw ") == "Taiwan"


def test_an_unknown_country_code_stays_as_it_was_given():
    assert country_name("xk") == "XK"
    assert country_name("") == ""
    assert country_name(None) == ""


def test_a_list_of_codes_reads_as_names_in_its_order():
    assert country_names("us,gb, de,,fr") == [
        "United States",
        "United Kingdom",
        "Germany",
        "France",
    ]
    assert country_names(["nl", "ca"]) == ["Netherlands", "Canada"]


def test_a_list_in_a_sentence_ends_with_or():
    assert joined(["a"]) == "a"
    assert joined(["a", "b"]) == "a or b"
    assert joined(["a", "b", "c"], last="and") == "a, b and c"


def render(text: str, **context) -> str:
    return Template("{% load humane %}" + text).render(Context(context))


def test_the_duration_filter_says_minutes_as_people_do():
    assert render("{{ 240|duration }}") == "4 h"
    assert render("{{ 90|duration }}") == "1 h 30 min"
    assert render("{{ 1440|duration }}") == "1 day"
    assert render("{{ 4337|duration:'about' }}") == "3 days"
    assert render("{{ nothing|duration }}") == "—"


def test_the_tandem_librarys_duration_filter_is_the_same():
    assert Template("{% load tandem %}{{ 240|duration }} {{ 1440|duration }}").render(
        Context()
    ) == ("4 h 1 day")


def test_the_country_filters_show_names():
    assert render("{{ code|country }}", code="de") == "Germany"
    assert render("{{ code|country|default:'—' }}", code="") == "—"
    assert render("{{ codes|countries }}", codes="us,fr") == "United States, France"
    assert render("{{ codes|countries }}", codes=["gb"]) == "United Kingdom"
