"""Fixtures for the public web form: a campaign asking for a few fields, fresh rate limits."""

import pytest
from django.core.cache import cache

from tests.factories import CampaignFactory

CONSENT_TEXT = "Yes, Brightwave may email me about the webinar."


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate limits count in the cache; every test starts with none used."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def campaign(marketer):
    return CampaignFactory(
        name="Spring webinar",
        owner=marketer,
        utm_campaign="spring-webinar",
        form_fields={
            "first_name": "required",
            "last_name": "optional",
            "company": "optional",
            "message": "optional",
            "consent": "optional",
        },
        form_consent_text=CONSENT_TEXT,
        form_thank_you="Thanks! See you at the webinar.",
    )
