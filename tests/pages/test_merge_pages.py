"""Possible duplicates on the lead page, and the merge preview and confirm pages."""

import pytest
from django.urls import reverse

from handoffs.services import claim_handoff
from leads import lifecycle
from leads.models import Lead, LeadMerge, Stage
from leads.services import capture_lead
from tests.factories import LeadFactory, TouchpointFactory

ROLES = ("marketer", "rep", "manager", "outsider")


@pytest.fixture
def pair(db):
    """Ana under two addresses: the older lead and a later one with more to give."""
    older = capture_lead(
        email="ana@acme.com", first_name="Ana", last_name="Alvarez", company="Acme"
    ).lead
    newer = capture_lead(
        email="ana.alvarez@acme.com",
        first_name="Ana",
        last_name="Alvarez",
        company="Acme",
        job_title="CMO",
        touchpoint_kind="demo_requested",
    ).lead
    return older, newer


def merge_url(survivor, duplicate):
    return reverse("leads:merge", args=[survivor.pk, duplicate.pk])


def test_the_lead_page_lists_possible_duplicates_with_a_merge_link(client_as, marketer, pair):
    older, newer = pair

    response = client_as(marketer).get(reverse("leads:detail", args=[newer.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Possible duplicates" in html
    assert "ana@acme.com" in html
    assert "Same name and company" in html
    # The older lead is suggested as the survivor.
    assert merge_url(older, newer) in html


def test_sales_sees_the_duplicates_without_the_merge_link(client_as, rep, pair):
    older, newer = pair

    response = client_as(rep).get(reverse("leads:detail", args=[newer.pk]))

    html = response.content.decode()
    assert "Possible duplicates" in html
    assert merge_url(older, newer) not in html


def test_a_lead_without_duplicates_shows_no_section(client_as, marketer):
    lead = LeadFactory()

    response = client_as(marketer).get(reverse("leads:detail", args=[lead.pk]))

    assert "Possible duplicates" not in response.content.decode()


def test_the_preview_shows_which_values_win_and_what_moves(client_as, marketer, pair):
    older, newer = pair
    TouchpointFactory(lead=newer)

    response = client_as(marketer).get(merge_url(older, newer))

    assert response.status_code == 200
    html = response.content.decode()
    assert "from the merged lead" in html  # the job title
    assert "CMO" in html
    assert "Touchpoints" in html
    assert response.context["plan"].moved["touchpoints"] == 2
    assert Lead.objects.count() == 2  # a preview writes nothing


@pytest.mark.parametrize("role", ROLES)
def test_the_preview_is_for_marketing_and_managers(request, client_as, pair, role):
    older, newer = pair

    response = client_as(request.getfixturevalue(role)).get(merge_url(older, newer))

    assert response.status_code == (200 if role in ("marketer", "manager") else 403)


def test_an_anonymous_visitor_is_sent_to_log_in(client, pair):
    older, newer = pair

    response = client.get(merge_url(older, newer))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_confirming_merges_and_lands_on_the_survivor(client_as, marketer, pair):
    older, newer = pair

    response = client_as(marketer).post(merge_url(older, newer), follow=True)

    assert response.redirect_chain[-1][0] == reverse("leads:detail", args=[older.pk])
    assert not Lead.objects.filter(pk=newer.pk).exists()
    assert Lead.objects.get(pk=older.pk).job_title == "CMO"
    html = response.content.decode()
    assert "Merged ana.alvarez@acme.com into" in html
    assert "Merged with ana.alvarez@acme.com" in html  # on the timeline


def test_a_manager_may_confirm(client_as, manager, pair):
    older, newer = pair

    client_as(manager).post(merge_url(older, newer))

    assert LeadMerge.objects.get().merged_by == manager


@pytest.mark.parametrize("role", ["rep", "outsider"])
def test_other_roles_cannot_merge(request, client_as, pair, role):
    older, newer = pair

    response = client_as(request.getfixturevalue(role)).post(merge_url(older, newer))

    assert response.status_code == 403
    assert Lead.objects.count() == 2


def test_a_refused_merge_says_why_and_changes_nothing(client_as, marketer, rep, pair):
    older, newer = pair
    lifecycle.advance(newer, Stage.MQL, automatic=True)
    claim_handoff(newer.handoffs.get(), rep=rep)

    response = client_as(marketer).post(merge_url(older, newer))

    assert response.status_code == 409
    assert "Keep ana.alvarez@acme.com instead" in response.content.decode()
    assert Lead.objects.count() == 2


def test_the_preview_of_a_refused_merge_offers_the_other_way(client_as, marketer, rep, pair):
    older, newer = pair
    lifecycle.advance(newer, Stage.MQL, automatic=True)
    claim_handoff(newer.handoffs.get(), rep=rep)

    response = client_as(marketer).get(merge_url(older, newer))

    html = response.content.decode()
    assert merge_url(newer, older) in html
    assert "Merge into" not in html


def test_an_unknown_lead_is_404(client_as, marketer, pair):
    older, _ = pair

    response = client_as(marketer).get(reverse("leads:merge", args=[older.pk, 999_999]))

    assert response.status_code == 404


def test_a_lead_is_not_merged_with_itself(client_as, marketer, pair):
    older, _ = pair

    assert client_as(marketer).get(merge_url(older, older)).status_code == 404
