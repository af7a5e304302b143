"""A campaign anything names is archived, never deleted: its figures stay in every KPI."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.filters import CampaignFilter
from campaigns.models import Campaign
from campaigns.services import CampaignInUse, archive_campaign, delete_campaign
from kpis.queries import Period, Scope, campaign_rows, summary
from tests.factories import CampaignFactory, CostEntryFactory, LeadFactory, TouchpointFactory


@pytest.fixture
def campaign(db):
    return CampaignFactory(name="Spring webinar")


def still_there(campaign: Campaign) -> bool:
    return Campaign.objects.filter(pk=campaign.pk).exists()


def last_month() -> Period:
    today = timezone.localdate()
    return Period.from_dates(today - timedelta(days=30), today)


def test_a_campaign_nothing_names_is_deleted(campaign):
    delete_campaign(campaign)

    assert not still_there(campaign)


def test_a_campaign_with_a_lead_is_not_deleted(campaign):
    LeadFactory(campaign=campaign)

    with pytest.raises(CampaignInUse) as refused:
        delete_campaign(campaign)

    assert still_there(campaign)
    assert str(refused.value) == (
        "“Spring webinar” has 1 lead: deleting it would take them out of every KPI. "
        "Archive it instead."
    )


def test_a_campaign_with_only_a_touchpoint_is_not_deleted(campaign):
    TouchpointFactory(campaign=campaign, lead=LeadFactory(campaign=None))

    with pytest.raises(CampaignInUse, match="1 touchpoint"):
        delete_campaign(campaign)

    assert still_there(campaign)


def test_a_campaign_with_only_costs_is_not_deleted(campaign):
    CostEntryFactory(campaign=campaign)

    with pytest.raises(CampaignInUse, match="1 cost entry"):
        delete_campaign(campaign)

    assert still_there(campaign)


def test_the_refusal_counts_everything_the_campaign_holds(campaign):
    LeadFactory.create_batch(2, campaign=campaign)
    TouchpointFactory.create_batch(3, campaign=campaign)
    CostEntryFactory.create_batch(2, campaign=campaign)

    with pytest.raises(CampaignInUse, match="has 2 leads, 3 touchpoints and 2 cost entries:"):
        delete_campaign(campaign)


def test_archiving_keeps_everything_the_campaign_holds(campaign):
    lead = LeadFactory(campaign=campaign)
    cost = CostEntryFactory(campaign=campaign)

    archive_campaign(campaign)

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.ARCHIVED
    assert list(campaign.leads.all()) == [lead]
    assert list(campaign.costs.all()) == [cost]


def test_an_archived_campaigns_leads_and_spend_still_count_in_the_kpis(campaign):
    LeadFactory.create_batch(3, campaign=campaign)
    CostEntryFactory(campaign=campaign, amount=Decimal("300.00"))
    before = summary(last_month())

    archive_campaign(campaign)

    after = summary(last_month())
    assert (after.leads, after.spend) == (before.leads, before.spend) == (3, Decimal("300.00"))
    [row] = [row for row in campaign_rows(last_month()) if row.campaign == campaign.pk]
    assert (row.leads, row.spend) == (3, Decimal("300.00"))
    assert summary(last_month(), Scope(campaign=campaign.pk)).spend == Decimal("300.00")


def test_an_archived_campaign_stops_its_form(campaign):
    archive_campaign(campaign)

    assert not campaign.form_is_open


def filtered(**params) -> list[str]:
    return sorted(c.name for c in CampaignFilter(params, queryset=Campaign.objects.all()).qs)


def test_the_filter_leaves_archived_campaigns_out_unless_asked_for(db):
    CampaignFactory(name="Live", status=Campaign.Status.ACTIVE)
    CampaignFactory(name="Done", status=Campaign.Status.COMPLETED)
    CampaignFactory(name="Put away", status=Campaign.Status.ARCHIVED)

    assert filtered() == ["Done", "Live"]
    assert filtered(status="archived") == ["Put away"]
    assert filtered(status="completed") == ["Done"]


def test_other_filters_leave_archived_campaigns_out_too(db):
    CampaignFactory(name="Spring live", status=Campaign.Status.ACTIVE)
    CampaignFactory(name="Spring past", status=Campaign.Status.ARCHIVED)

    assert filtered(search="spring") == ["Spring live"]
    assert filtered(search="spring", status="archived") == ["Spring past"]
