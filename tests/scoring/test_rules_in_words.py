"""The rules pages say each rule in words, who made each version and since when it is in
force, and the editor shows a rule's name and test whole."""

import re

from django.urls import reverse

from leads.scoring.rules import services


def text_of(response) -> str:
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_rules_in_force_read_as_words_not_patterns_and_codes(client_as, rep, active):
    response = client_as(rep).get(reverse("leads:rules_detail", args=[active.pk]))

    body = text_of(response)
    assert (
        "Job title mentions VP, Vice president, Head, Director, Chief, CEO, CTO, CMO, CFO "
        "or Founder"
    ) in body
    assert "Job title mentions Manager or Lead" in body
    assert "Company size is 201 to 1,000" in body
    assert "Company size is 1,001 or more" in body
    assert (
        "Country is United States, United Kingdom, Germany, France, Netherlands, Canada or "
        "Australia"
    ) in body
    assert "us,gb,de" not in body
    # The pattern itself is still there for whoever wants it, on hover.
    html = response.content.decode()
    assert "<code>" not in html
    assert 'title="Pattern: \\b(manager|lead)\\b"' in html


def test_the_rules_that_came_with_tandem_say_so_and_since_when(client_as, rep, active):
    detail = text_of(client_as(rep).get(reverse("leads:rules_detail", args=[active.pk])))
    listing = text_of(client_as(rep).get(reverse("leads:rules")))

    since = f"{active.created_at:%-d %b %Y}"
    assert f"Tandem defaults · in force since {since}" in detail
    assert "made by —" not in detail
    assert f"Tandem defaults · {since} since {since}" in listing
    assert "—" not in listing


def test_a_version_made_and_activated_by_people_names_them(
    client_as, rep, marketer, manager, active
):
    draft = services.copy_to_draft(active, by=marketer)
    listing = text_of(client_as(rep).get(reverse("leads:rules")))
    assert "Mia Marketer" in listing
    assert "Not yet" in listing

    services.activate_ruleset(draft, by=manager)
    draft.refresh_from_db()
    detail = text_of(client_as(rep).get(reverse("leads:rules_detail", args=[draft.pk])))
    listing = text_of(client_as(rep).get(reverse("leads:rules")))

    assert "made by Mia Marketer" in detail
    assert "activated by Max Manager" in detail
    assert f"since {draft.activated_at:%-d %b %Y}" in listing
    retired = f"{active.created_at:%-d %b %Y} – {draft.activated_at:%-d %b %Y}"
    assert retired in listing


def test_the_editor_gives_a_rule_name_and_its_test_room_to_be_read(client_as, marketer, active):
    draft = services.copy_to_draft(active, by=marketer)

    html = client_as(marketer).get(reverse("leads:rules_detail", args=[draft.pk])).content.decode()

    # The name is whole in its field (no maxlength shorter than a name may be), in the
    # cell that sizes it, and the test's menu names a pattern in words that fit.
    name = re.search(r'<input[^>]*value="Senior title \(VP, Head, Director, Chief\)"[^>]*>', html)
    assert name is not None
    assert 'maxlength="200"' in name.group(0)
    assert '<td class="rules-table__name">' in html
    assert '<option value="matches" selected>matches a pattern</option>' in html
    assert html.count('class="rule-inputs"') == draft.rules.filter(kind="fit").count()


def test_the_list_of_versions_costs_a_fixed_number_of_queries(
    client_as, marketer, active, django_assert_max_num_queries
):
    for _ in range(3):
        services.copy_to_draft(active, by=marketer)
    browser = client_as(marketer)
    with django_assert_max_num_queries(10):
        response = browser.get(reverse("leads:rules"))
    assert text_of(response).count("Mia Marketer · ") == 3
