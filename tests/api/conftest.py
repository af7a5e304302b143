"""Fixtures for the API tests: a campaign, handoffs in each state, and the cast by name."""

import pytest

from handoffs.services import claim_handoff, open_handoff
from leads.models import Stage
from tests.factories import CampaignFactory, LeadFactory


@pytest.fixture
def persona(request, db):
    """Look a persona fixture up by name, for tests parametrized over roles.

    It asks for ``db`` itself: pytest-django orders tests and sets up reference data by the
    fixtures a test declares, and personas looked up by name are not declared.
    """
    return lambda name: request.getfixturevalue(name)


@pytest.fixture
def campaign(db, marketer):
    return CampaignFactory(name="Spring webinar", utm_campaign="spring-webinar", owner=marketer)


@pytest.fixture
def mql_lead(db, campaign):
    return LeadFactory(email="ana@acme.com", campaign=campaign, stage=Stage.MQL, score=60)


@pytest.fixture
def handoff(mql_lead):
    """An open handoff of an MQL, in the team queue."""
    return open_handoff(mql_lead)


@pytest.fixture
def claimed_handoff(handoff, rep):
    return claim_handoff(handoff, rep=rep)
