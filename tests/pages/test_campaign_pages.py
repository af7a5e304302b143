"""Campaign pages: list with filters, create and edit through the form, detail and costs."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CostEntry
from tests.factories import CampaignFactory, CostEntryFactory, LeadFactory


def campaign_form(**overrides):
    today = timezone.localdate()
    data = {
        "name": "Autumn trade show",
        "channel": "trade_show",
        "status": "planned",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "budget": "12000.00",
        "utm_campaign": "autumn-show",
        "target_leads": "200",
        "target_mqls": "40",
        "objective": "Meet buyers in person.",
    }
    data.update(overrides)
    return data


def test_a_marketer_creates_a_campaign_through_the_form(client_as, marketer):
    response = client_as(marketer).post(reverse("campaigns:create"), campaign_form())

    campaign = Campaign.objects.get(utm_campaign="autumn-show")
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:detail", args=[campaign.pk]) + "#web-form"
    assert campaign.owner == marketer
    assert campaign.budget == Decimal("12000.00")


def test_a_campaign_that_ends_before_it_starts_shows_the_error_inline(client_as, marketer):
    today = timezone.localdate()
    data = campaign_form(ends_on=(today - timedelta(days=1)).isoformat())

    response = client_as(marketer).post(reverse("campaigns:create"), data)

    assert response.status_code == 400
    assert not Campaign.objects.exists()
    assert 'class="form-errors"' in response.content.decode()


def test_a_missing_name_is_shown_next_to_the_field(client_as, marketer):
    response = client_as(marketer).post(reverse("campaigns:create"), campaign_form(name=""))

    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_name_error"' in body
    assert "This field is required." in body


def test_a_utm_code_already_in_use_is_refused(client_as, marketer, campaign):
    data = campaign_form(utm_campaign=campaign.utm_campaign)

    response = client_as(marketer).post(reverse("campaigns:create"), data)

    assert response.status_code == 400
    assert Campaign.objects.count() == 1


def test_a_rep_cannot_create_a_campaign(client_as, rep):
    response = client_as(rep).post(reverse("campaigns:create"), campaign_form())

    assert response.status_code == 403
    assert not Campaign.objects.exists()


def test_a_manager_edits_a_campaign(client_as, manager, campaign):
    data = campaign_form(name="Spring webinar (extended)", utm_campaign=campaign.utm_campaign)

    response = client_as(manager).post(reverse("campaigns:edit", args=[campaign.pk]), data)

    campaign.refresh_from_db()
    assert response.status_code == 302
    assert campaign.name == "Spring webinar (extended)"


def test_the_list_filters_by_channel_and_keeps_the_filter_in_the_url(client_as, marketer):
    CampaignFactory(name="Newsletter", channel="email")
    CampaignFactory(name="Search ads", channel="paid_search")

    response = client_as(marketer).get(reverse("campaigns:list"), {"channel": "paid_search"})

    body = response.content.decode()
    assert "Search ads" in body
    assert "Newsletter" not in body
    assert '<option value="paid_search" selected>' in body


def test_the_list_searches_by_name(client_as, marketer):
    CampaignFactory(name="Newsletter")
    CampaignFactory(name="Search ads")

    response = client_as(marketer).get(reverse("campaigns:list"), {"search": "news"})

    assert [c.name for c in response.context["page"].object_list] == ["Newsletter"]


def test_an_htmx_filter_request_gets_only_the_table(client_as, marketer, campaign):
    response = client_as(marketer).get(
        reverse("campaigns:list"), {"search": "spring"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert 'id="results"' in body
    assert "<html" not in body
    assert "Spring webinar" in body


def test_the_list_shows_spend_and_lead_counts(client_as, marketer, campaign):
    CostEntryFactory(campaign=campaign, amount=Decimal("250.00"))
    CostEntryFactory(campaign=campaign, amount=Decimal("50.00"))
    LeadFactory.create_batch(3, campaign=campaign)

    response = client_as(marketer).get(reverse("campaigns:list"))

    row = response.context["page"].object_list[0]
    assert row.spend == Decimal("300.00")
    assert row.lead_count == 3


def test_an_empty_list_says_how_to_start(client_as, marketer):
    response = client_as(marketer).get(reverse("campaigns:list"))

    assert "No campaigns yet" in response.content.decode()


def test_a_filter_that_matches_nothing_offers_to_clear_it(client_as, marketer, campaign):
    response = client_as(marketer).get(reverse("campaigns:list"), {"search": "zzz"})

    assert "clear the filters" in response.content.decode()


def test_the_list_pages_after_25_campaigns(client_as, marketer):
    CampaignFactory.create_batch(30)

    response = client_as(marketer).get(reverse("campaigns:list"), {"page": 2})

    assert len(response.context["page"].object_list) == 5


def test_the_detail_shows_the_campaign_funnel(client_as, marketer, mql_lead, campaign):
    response = client_as(marketer).get(reverse("campaigns:detail", args=[campaign.pk]))

    numbers = response.context["numbers"]
    assert numbers.leads == 1
    assert numbers.mqls == 1
    assert 'aria-label="MQL: 1"' in response.content.decode()


def test_the_detail_shows_money_in_the_currency_and_a_dash_for_ratios_without_a_base(
    client_as, marketer, campaign
):
    CostEntryFactory(campaign=campaign, amount=Decimal("1480.50"))

    body = client_as(marketer).get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()

    assert "1,480.50\u00a0EUR" in body
    assert "0.00\u00a0EUR revenue" in body
    cost_per_sql = body.split("Cost per SQL</span>")[1].split("</div>")[0]
    assert '<span class="kpi__value">—</span>' in cost_per_sql
    assert "per lead —" in cost_per_sql
    assert "0.00" not in cost_per_sql


def test_money_follows_the_currency_setting(client_as, marketer, campaign, settings):
    settings.CURRENCY = "USD"
    CostEntryFactory(campaign=campaign, amount=Decimal("250.00"))

    list_page = client_as(marketer).get(reverse("campaigns:list")).content.decode()
    detail = client_as(marketer).get(reverse("campaigns:detail", args=[campaign.pk]))

    assert "250.00\u00a0USD" in list_page
    assert "250.00\u00a0USD" in detail.content.decode()
    assert "Amount (USD)" in detail.content.decode()


def test_a_marketer_adds_a_cost(client_as, marketer, campaign):
    data = {"date": timezone.localdate().isoformat(), "amount": "480.50", "note": "Booth"}
    browser = client_as(marketer)

    response = browser.post(reverse("campaigns:add_cost", args=[campaign.pk]), data)

    assert response.status_code == 302
    entry = CostEntry.objects.get(campaign=campaign)
    assert entry.amount == Decimal("480.50")
    assert entry.created_by == marketer
    toast = browser.get(response["Location"]).content.decode()
    assert "Added a cost of 480.50\u00a0EUR." in toast


def test_a_cost_without_an_amount_is_refused_with_an_inline_error(client_as, marketer, campaign):
    data = {"date": timezone.localdate().isoformat(), "amount": ""}

    response = client_as(marketer).post(reverse("campaigns:add_cost", args=[campaign.pk]), data)

    assert response.status_code == 400
    assert not CostEntry.objects.exists()
    assert 'id="id_amount_error"' in response.content.decode()


def test_a_rep_cannot_add_a_cost(client_as, rep, campaign):
    data = {"date": timezone.localdate().isoformat(), "amount": "10"}

    response = client_as(rep).post(reverse("campaigns:add_cost", args=[campaign.pk]), data)

    assert response.status_code == 403
    assert not CostEntry.objects.exists()


def test_a_rep_reads_a_campaign_without_edit_controls(client_as, rep, campaign):
    response = client_as(rep).get(reverse("campaigns:detail", args=[campaign.pk]))

    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("campaigns:edit", args=[campaign.pk]) not in body
    assert "Add a cost" not in body
