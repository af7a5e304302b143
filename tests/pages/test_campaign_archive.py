"""Campaign pages: archive a campaign; delete one only while nothing names it."""

from django.urls import reverse

from campaigns.models import Campaign
from tests.factories import CampaignFactory, CostEntryFactory, LeadFactory


def archived(campaign: Campaign) -> bool:
    campaign.refresh_from_db()
    return campaign.status == Campaign.Status.ARCHIVED


def test_a_marketer_archives_a_campaign_from_its_page(client_as, marketer, campaign):
    browser = client_as(marketer)

    response = browser.post(reverse("campaigns:archive", args=[campaign.pk]), follow=True)

    assert archived(campaign)
    page = response.content.decode()
    assert "is archived: it is out of the campaign list" in page
    assert "This campaign is archived" in page


def test_the_page_offers_archive_and_delete_to_editors_only(client_as, marketer, rep, campaign):
    url = reverse("campaigns:detail", args=[campaign.pk])

    editor = client_as(marketer).get(url).content.decode()
    reader = client_as(rep).get(url).content.decode()

    for action in ("archive", "delete"):
        path = reverse(f"campaigns:{action}", args=[campaign.pk])
        assert path in editor and path not in reader


def test_a_rep_cannot_archive_a_campaign(client_as, rep, campaign):
    response = client_as(rep).post(reverse("campaigns:archive", args=[campaign.pk]))

    assert response.status_code == 403
    assert not archived(campaign)


def test_the_delete_page_of_a_campaign_with_leads_says_to_archive_it(client_as, marketer, campaign):
    LeadFactory.create_batch(2, campaign=campaign)
    CostEntryFactory(campaign=campaign)

    page = client_as(marketer).get(reverse("campaigns:delete", args=[campaign.pk]))

    text = page.content.decode()
    assert "has 2 leads and 1 cost entry: deleting it would take them out of every KPI" in text
    assert reverse("campaigns:archive", args=[campaign.pk]) in text
    assert "Delete campaign</button>" not in text


def test_deleting_a_campaign_with_leads_is_refused_with_the_reason(client_as, marketer, campaign):
    LeadFactory(campaign=campaign)

    response = client_as(marketer).post(reverse("campaigns:delete", args=[campaign.pk]))

    assert response.status_code == 409
    assert "has 1 lead: deleting it would take them out of every KPI" in response.content.decode()
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_campaign_nothing_names_is_deleted_after_a_confirmation(client_as, marketer, campaign):
    browser = client_as(marketer)

    confirm = browser.get(reverse("campaigns:delete", args=[campaign.pk]))
    response = browser.post(reverse("campaigns:delete", args=[campaign.pk]), follow=True)

    assert "Delete campaign</button>" in confirm.content.decode()
    assert response.redirect_chain[-1][0] == reverse("campaigns:list")
    assert "Campaign “Spring webinar” deleted." in response.content.decode()
    assert not Campaign.objects.filter(pk=campaign.pk).exists()


def test_a_rep_cannot_delete_a_campaign(client_as, rep, campaign):
    response = client_as(rep).post(reverse("campaigns:delete", args=[campaign.pk]))

    assert response.status_code == 403
    assert Campaign.objects.filter(pk=campaign.pk).exists()


def test_the_list_hides_archived_campaigns_and_says_how_to_see_them(client_as, marketer, campaign):
    CampaignFactory(name="Last year's fair", status=Campaign.Status.ARCHIVED)
    browser = client_as(marketer)

    default = browser.get(reverse("campaigns:list"))
    asked = browser.get(reverse("campaigns:list"), {"status": "archived"})

    assert [c.name for c in default.context["page"].object_list] == ["Spring webinar"]
    assert "1 archived campaign is not shown" in default.content.decode()
    assert "?status=archived" in default.content.decode()
    assert [c.name for c in asked.context["page"].object_list] == ["Last year's fair"]


def test_a_search_says_when_only_archived_campaigns_match(client_as, marketer, campaign):
    CampaignFactory(name="Last year's fair", status=Campaign.Status.ARCHIVED)

    response = client_as(marketer).get(reverse("campaigns:list"), {"search": "fair"})

    page = response.content.decode()
    assert "Only archived campaigns match" in page
    assert "search=fair&amp;status=archived" in page


def test_the_public_form_of_an_archived_campaign_is_closed(client, campaign):
    campaign.status = Campaign.Status.ARCHIVED
    campaign.save()

    response = client.get(reverse("capture:form", args=[campaign.form_key]))

    assert response.status_code == 410
    assert "This form is closed." in response.content.decode()
