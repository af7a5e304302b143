"""Campaign services validate; ``with_spend`` sums the cost entries in one query."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign, CostEntry
from campaigns.queries import with_spend
from campaigns.services import add_cost, create_campaign, update_campaign
from tests.factories import CampaignFactory, CostEntryFactory


def campaign_fields(**overrides):
    fields = {
        "name": "Spring webinar",
        "channel": "webinar",
        "starts_on": date(2026, 3, 1),
        "ends_on": date(2026, 3, 31),
        "budget": Decimal("2500.00"),
        "utm_campaign": "spring-webinar",
    }
    return {**fields, **overrides}


def test_it_creates_a_campaign_owned_by_the_marketer(db, marketer):
    campaign = create_campaign(owner=marketer, **campaign_fields())
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.name, stored.owner, stored.status) == ("Spring webinar", marketer, "planned")
    assert stored.form_key


def test_a_campaign_that_ends_before_it_starts_is_refused(db, marketer):
    with pytest.raises(ValidationError):
        create_campaign(owner=marketer, **campaign_fields(ends_on=date(2026, 2, 1)))
    assert not Campaign.objects.exists()


def test_a_campaign_may_end_on_the_day_it_starts(db, marketer):
    campaign = create_campaign(owner=marketer, **campaign_fields(ends_on=date(2026, 3, 1)))
    assert campaign.pk


def test_a_negative_budget_is_refused(db, marketer):
    with pytest.raises(ValidationError) as caught:
        create_campaign(owner=marketer, **campaign_fields(budget=Decimal("-1")))
    assert "budget" in caught.value.message_dict


def test_an_unknown_channel_is_refused(db, marketer):
    with pytest.raises(ValidationError) as caught:
        create_campaign(owner=marketer, **campaign_fields(channel="carrier_pigeon"))
    assert "channel" in caught.value.message_dict


def test_a_utm_code_already_in_use_is_refused(db, marketer):
    CampaignFactory(utm_campaign="spring-webinar")
    with pytest.raises(ValidationError) as caught:
        create_campaign(owner=marketer, **campaign_fields(utm_campaign="Spring-Webinar"))
    assert "utm_campaign" in caught.value.message_dict


def test_the_utm_code_is_stored_lowercase(db, marketer):
    campaign = create_campaign(owner=marketer, **campaign_fields(utm_campaign=" Spring-Webinar "))
    assert Campaign.objects.get(pk=campaign.pk).utm_campaign == "spring-webinar"


def test_an_update_is_validated_like_a_create(db):
    campaign = CampaignFactory(starts_on=date(2026, 3, 1))
    with pytest.raises(ValidationError):
        update_campaign(campaign, ends_on=date(2026, 2, 28))
    assert Campaign.objects.get(pk=campaign.pk).ends_on is None


def test_an_update_saves_the_new_values(db):
    campaign = CampaignFactory()
    update_campaign(campaign, name="Renamed", status="paused")
    stored = Campaign.objects.get(pk=campaign.pk)
    assert (stored.name, stored.status) == ("Renamed", "paused")


def test_add_cost_records_who_spent_what_when(db, marketer):
    campaign = CampaignFactory()
    add_cost(campaign, date=date(2026, 3, 2), amount=Decimal("120.50"), note="Ads", by=marketer)
    entry = CostEntry.objects.get()
    assert (entry.campaign, entry.date, entry.amount, entry.note, entry.created_by) == (
        campaign,
        date(2026, 3, 2),
        Decimal("120.50"),
        "Ads",
        marketer,
    )


def test_a_negative_cost_is_refused(db):
    with pytest.raises(ValidationError):
        add_cost(CampaignFactory(), date=date(2026, 3, 2), amount=Decimal("-10"))
    assert not CostEntry.objects.exists()


def test_with_spend_sums_each_campaigns_cost_entries(db):
    spent, idle = CampaignFactory(), CampaignFactory()
    CostEntryFactory(campaign=spent, amount=Decimal("100.00"))
    CostEntryFactory(campaign=spent, amount=Decimal("250.25"))
    CostEntryFactory(amount=Decimal("999.00"))
    spend = dict(
        with_spend(Campaign.objects.filter(pk__in=[spent.pk, idle.pk])).values_list("pk", "spend")
    )
    assert spend == {spent.pk: Decimal("350.25"), idle.pk: Decimal("0.00")}


def test_with_spend_lists_campaigns_in_one_query(db, django_assert_num_queries):
    for campaign in CampaignFactory.create_batch(3):
        CostEntryFactory.create_batch(2, campaign=campaign)
    with django_assert_num_queries(1):
        assert [campaign.spend for campaign in with_spend()] == [Decimal("200.00")] * 3
