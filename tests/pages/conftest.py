"""Fixtures for the page tests: logged-in clients and leads at each point of the journey."""

import pytest

from handoffs.models import Handoff
from handoffs.services import claim_handoff
from leads import lifecycle
from leads.models import Stage
from tests.factories import CampaignFactory, LeadFactory


@pytest.fixture
def campaign(marketer):
    return CampaignFactory(name="Spring webinar", owner=marketer, utm_campaign="spring-webinar")


def make_mql(**fields):
    """A lead that just became an MQL; the stage change opens its handoff."""
    lead = LeadFactory(
        score=72,
        fit_score=32,
        engagement_score=40,
        score_breakdown=[
            {"rule": "Job title is VP or C-level", "kind": "fit", "points": 20},
            {"rule": "Company size 200–1000", "kind": "fit", "points": 12},
            {"rule": "Demo requested", "kind": "engagement", "points": 40},
        ],
        **fields,
    )
    lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Score reached the threshold.")
    return lead


@pytest.fixture
def mql_lead(campaign):
    return make_mql(campaign=campaign, first_name="Ana", last_name="Alvarez", company="Acme")


@pytest.fixture
def handoff(mql_lead):
    return Handoff.objects.get(lead=mql_lead)


@pytest.fixture
def claimed_lead(handoff, rep):
    """An MQL the rep claimed: stage SAL, owned by the rep."""
    claim_handoff(handoff, rep=rep)
    lead = handoff.lead
    lead.refresh_from_db()
    return lead
