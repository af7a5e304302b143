"""Lead pages: the filtered list and the lead detail with score, brief and timeline."""

from django.urls import reverse

from leads.models import Stage
from leads.services import capture_lead
from tests.factories import CampaignFactory, LeadFactory, TouchpointFactory
from tests.pages.conftest import make_mql


def test_the_list_filters_by_stage(client_as, marketer, mql_lead):
    LeadFactory(first_name="Nora", last_name="New")

    response = client_as(marketer).get(reverse("leads:list"), {"stage": "mql"})

    assert list(response.context["page"].object_list) == [mql_lead]


def test_the_list_filters_by_campaign_and_score_range(client_as, marketer, campaign):
    wanted = LeadFactory(campaign=campaign, score=60)
    LeadFactory(campaign=campaign, score=10)
    LeadFactory(campaign=CampaignFactory(), score=60)

    response = client_as(marketer).get(
        reverse("leads:list"), {"campaign": campaign.pk, "score_min": 50, "score_max": 80}
    )

    assert list(response.context["page"].object_list) == [wanted]


def test_the_list_filters_by_owner(client_as, manager, claimed_lead, rep):
    LeadFactory()

    response = client_as(manager).get(reverse("leads:list"), {"owner": rep.pk})

    assert list(response.context["page"].object_list) == [claimed_lead]


def test_the_list_searches_names_emails_and_companies(client_as, marketer):
    LeadFactory(company="Globex")
    wanted = LeadFactory(company="Initech")

    response = client_as(marketer).get(reverse("leads:list"), {"search": "initech"})

    assert list(response.context["page"].object_list) == [wanted]


def test_the_list_sorts_by_score(client_as, marketer):
    low = LeadFactory(score=5)
    high = LeadFactory(score=90)

    response = client_as(marketer).get(reverse("leads:list"), {"sort": "score"})

    assert list(response.context["page"].object_list) == [high, low]


def test_an_htmx_filter_request_gets_only_the_table(client_as, marketer, mql_lead):
    response = client_as(marketer).get(
        reverse("leads:list"), {"stage": "mql"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert 'id="results"' in body
    assert "<html" not in body
    assert "Ana Alvarez" in body


def test_an_htmx_history_restore_gets_the_whole_page(client_as, marketer):
    response = client_as(marketer).get(
        reverse("leads:list"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_HISTORY_RESTORE_REQUEST="true",
    )

    assert "<html" in response.content.decode()


def test_the_list_shows_the_score_explanation_on_the_chip(client_as, marketer, mql_lead):
    response = client_as(marketer).get(reverse("leads:list"))

    body = response.content.decode()
    assert 'role="tooltip"' in body
    assert "Demo requested" in body


def test_the_list_query_count_does_not_grow_with_rows(
    client_as, marketer, campaign, rep, django_assert_max_num_queries
):
    for _ in range(30):
        LeadFactory(campaign=campaign, owner=rep)
    browser = client_as(marketer)

    # session, user, roles, unread count, campaigns, owners, count, rows
    with django_assert_max_num_queries(9):  # one is the reader's time zone
        response = browser.get(reverse("leads:list"))

    assert len(response.context["page"].object_list) == 25


def test_the_detail_shows_score_stage_and_explanation(client_as, marketer, mql_lead):
    response = client_as(marketer).get(reverse("leads:detail", args=[mql_lead.pk]))

    body = response.content.decode()
    assert 'class="badge stage stage--mql"' in body
    assert "Job title is VP or C-level" in body
    assert "Company size 200–1000" in body
    assert ">72<" in body


def test_the_detail_shows_the_handoff_brief(client_as, rep, handoff):
    response = client_as(rep).get(reverse("leads:detail", args=[handoff.lead_id]))

    assert response.context["handoff"] == handoff
    assert "Handoff brief" in response.content.decode()


def test_the_detail_shows_the_timeline(client_as, marketer, mql_lead):
    TouchpointFactory(lead=mql_lead, kind="pricing_page_view")

    response = client_as(marketer).get(reverse("leads:detail", args=[mql_lead.pk]))

    titles = [entry.title for entry in response.context["timeline"]]
    assert "Pricing page view" in titles
    assert "New → MQL" in titles
    assert "Handed off to sales" in titles


def test_a_marketer_sees_qualify_and_disqualify_on_a_new_lead(client_as, marketer):
    lead = LeadFactory()

    response = client_as(marketer).get(reverse("leads:detail", args=[lead.pk]))

    stages = [action["stage"] for action in response.context["actions"]]
    assert stages == [Stage.MQL, Stage.DISQUALIFIED]


def test_the_owner_sees_the_sales_stage_buttons(client_as, rep, claimed_lead):
    response = client_as(rep).get(reverse("leads:detail", args=[claimed_lead.pk]))

    stages = [action["stage"] for action in response.context["actions"]]
    assert stages == [Stage.SQL, Stage.LOST, Stage.RECYCLED, Stage.DISQUALIFIED]
    assert response.context["activity_form"] is not None


def test_another_rep_sees_no_buttons_on_a_lead_they_do_not_own(client_as, other_rep, claimed_lead):
    response = client_as(other_rep).get(reverse("leads:detail", args=[claimed_lead.pk]))

    assert response.context["actions"] == []
    assert response.context["activity_form"] is None


def test_a_lead_that_does_not_exist_is_a_404(client_as, marketer):
    response = client_as(marketer).get(reverse("leads:detail", args=[999999]))

    assert response.status_code == 404


def test_many_mqls_render_on_the_list(client_as, manager, campaign):
    for index in range(3):
        make_mql(campaign=campaign, email=f"mql{index}@example.com")

    response = client_as(manager).get(reverse("leads:list"), {"stage": "mql"})

    assert response.context["page"].paginator.count == 3


def test_the_brief_shows_budget_signals_and_when_the_lead_was_last_active(
    client_as, rep, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lead = capture_lead(
            email="kim@hooli.example",
            first_name="Kim",
            job_title="VP Marketing",
            company_size=300,
            country="us",
            campaign=campaign,
            touchpoint_kind="demo_requested",
        ).lead

    response = client_as(rep).get(reverse("leads:detail", args=[lead.pk]))

    body = response.content.decode()
    assert "Budget signals" in body
    assert "Asked for a demo" in body
    assert "before the handoff, the last " in body
