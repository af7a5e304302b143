"""The lead page and the queue: the brief quotes the visitor, says the company size as it
was chosen, and says how the deal ended (its amount, "Won" rather than "Claimed")."""

from decimal import Decimal

import pytest
from django.urls import reverse

from handoffs.models import Handoff
from handoffs.services import move_lead
from leads import lifecycle
from leads.models import Stage
from tests.factories import LeadFactory, TouchpointFactory
from tests.pages.conftest import make_mql

MESSAGE = "What do you need? A demo. Please book us a demo next week, Tuesday if you can."


@pytest.fixture
def asked_for_a_demo(campaign):
    """An MQL from the web form: a size chosen as a band, and a message."""
    lead = LeadFactory(
        first_name="Lena",
        last_name="Fischer",
        company="Tailspin",
        company_size=201,
        campaign=campaign,
    )
    TouchpointFactory(lead=lead, campaign=campaign, kind="form_submitted", note=MESSAGE)
    lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Score reached the threshold.")
    return lead


def test_the_brief_quotes_what_the_visitor_wrote(client_as, rep, asked_for_a_demo):
    page = client_as(rep).get(reverse("leads:detail", args=[asked_for_a_demo.pk]))

    body = page.content.decode()
    assert "In their words" in body
    assert "Please book us a demo next week, Tuesday if you can." in body
    assert "Form submitted · Spring webinar" in body


def test_the_queue_quotes_the_latest_message(client_as, rep, asked_for_a_demo):
    body = client_as(rep).get(reverse("handoffs:queue")).content.decode()

    assert "They wrote: “What do you need? A demo. Please book us a demo" in body


def test_the_lead_page_shows_the_size_band_as_chosen(client_as, rep, asked_for_a_demo):
    body = client_as(rep).get(reverse("leads:detail", args=[asked_for_a_demo.pk])).content.decode()

    assert "<dt>Size</dt><dd>201–500 people</dd>" in body
    assert "Company of 201–500 people" in body
    assert "201 employees" not in body


def test_the_queue_shows_the_size_band_as_chosen(client_as, rep, asked_for_a_demo):
    body = client_as(rep).get(reverse("handoffs:queue")).content.decode()

    assert "Tailspin · 201–500 people" in body


def test_an_exact_size_is_shown_as_the_number(client_as, rep, campaign):
    lead = make_mql(campaign=campaign, company="Acme", company_size=1250)

    body = client_as(rep).get(reverse("leads:detail", args=[lead.pk])).content.decode()

    assert "<dt>Size</dt><dd>1,250 people</dd>" in body


def test_a_won_lead_shows_its_deal_and_its_brief_says_won(client_as, rep, claimed_lead):
    move_lead(claimed_lead, to_stage=Stage.SQL, by=rep)
    move_lead(claimed_lead, to_stage=Stage.WON, by=rep, amount=Decimal("24000"))

    response = client_as(rep).get(reverse("leads:detail", args=[claimed_lead.pk]))

    body = response.content.decode()
    assert response.context["outcome"].amount == Decimal("24000")
    assert "Deal <strong>24,000.00\u00a0EUR</strong>" in body
    assert '<span class="badge stage stage--won">Won</span>' in body
    assert '<span class="badge status--claimed">Claimed</span>' not in body
    assert "Won by Sam Seller" in body


def test_a_lost_lead_says_lost_and_why(client_as, rep, claimed_lead):
    move_lead(claimed_lead, to_stage=Stage.SQL, by=rep)
    move_lead(claimed_lead, to_stage=Stage.LOST, by=rep, reason="Chose a competitor.")

    body = client_as(rep).get(reverse("leads:detail", args=[claimed_lead.pk])).content.decode()

    assert '<span class="badge stage stage--lost">Lost</span>' in body
    assert "Lost by Sam Seller" in body
    assert "Chose a competitor." in body
    assert "Deal <strong>" not in body


def test_an_sql_brief_says_it_is_qualified(client_as, rep, claimed_lead):
    move_lead(claimed_lead, to_stage=Stage.SQL, by=rep)

    body = client_as(rep).get(reverse("leads:detail", args=[claimed_lead.pk])).content.decode()

    assert '<span class="badge stage stage--sql">Qualified (SQL)</span>' in body


def test_a_claimed_lead_not_yet_worked_still_says_claimed(client_as, rep, claimed_lead):
    body = client_as(rep).get(reverse("leads:detail", args=[claimed_lead.pk])).content.decode()

    assert '<span class="badge status--claimed">Claimed</span>' in body
    assert 'id="lead-outcome"' not in body


def test_the_deal_is_read_without_more_queries(
    client_as, rep, claimed_lead, django_assert_max_num_queries
):
    """The outcome comes from the timeline the page loads anyway."""
    browser = client_as(rep)
    with django_assert_max_num_queries(60) as before:
        browser.get(reverse("leads:detail", args=[claimed_lead.pk]))
    move_lead(claimed_lead, to_stage=Stage.SQL, by=rep)
    move_lead(claimed_lead, to_stage=Stage.WON, by=rep, amount=Decimal("900"))

    with django_assert_max_num_queries(len(before.captured_queries)):
        response = browser.get(reverse("leads:detail", args=[claimed_lead.pk]))

    assert response.context["outcome"].amount == Decimal("900")
    assert Handoff.objects.get(lead=claimed_lead).status == Handoff.Status.CLAIMED
