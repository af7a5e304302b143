"""The brief quotes what the person wrote, and says a company size as it was chosen."""

from datetime import UTC, datetime, timedelta

import pytest

from campaigns.models import company_size_label
from handoffs.services import build_brief
from leads.models import Stage
from tests.factories import CampaignFactory, LeadFactory, TouchpointFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def lead(db):
    return LeadFactory(stage=Stage.NEW, company_size=None)


def test_the_brief_quotes_the_visitors_message(lead):
    campaign = CampaignFactory(name="Demo days")
    TouchpointFactory(
        lead=lead,
        campaign=campaign,
        kind="form_submitted",
        occurred_at=NOW,
        note="What do you need? A demo. Please book us a demo next week.",
    )

    assert build_brief(lead)["messages"] == [
        {
            "text": "What do you need? A demo. Please book us a demo next week.",
            "label": "Form submitted",
            "campaign": "Demo days",
            "occurred_at": NOW.isoformat(),
        }
    ]


def test_the_brief_quotes_the_two_latest_messages_newest_first(lead):
    for days, note in ((3, "First"), (2, ""), (1, "Second"), (0, "Third")):
        TouchpointFactory(lead=lead, occurred_at=NOW - timedelta(days=days), note=note)

    assert [message["text"] for message in build_brief(lead)["messages"]] == ["Third", "Second"]


def test_a_long_message_is_cut_with_an_ellipsis(lead):
    TouchpointFactory(lead=lead, occurred_at=NOW, note="word " * 400)

    text = build_brief(lead)["messages"][0]["text"]
    assert len(text) == 1000
    assert text.endswith("…")


def test_a_lead_that_wrote_nothing_has_no_messages(lead):
    TouchpointFactory(lead=lead, occurred_at=NOW, kind="page_view")

    assert build_brief(lead)["messages"] == []


def test_a_size_chosen_as_a_band_is_said_as_the_band(lead):
    lead.company_size = 201
    lead.save()

    assert "Company of 201–500 people" in build_brief(lead)["budget_signals"]


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (1, "1–10 people"),
        (201, "201–500 people"),
        (5001, "5,001 or more people"),
        (250, "250 people"),
        (12000, "12,000 people"),
        (None, ""),
    ],
)
def test_a_company_size_reads_as_chosen_or_as_the_number(size, said):
    assert company_size_label(size) == said
