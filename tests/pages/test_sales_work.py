"""My leads and activity logging."""

from django.urls import reverse

from handoffs.models import Activity, Handoff
from leads.models import Stage
from tests.factories import LeadFactory


def log(browser, lead, **data):
    return browser.post(reverse("handoffs:log_activity", args=[lead.pk]), data)


def test_my_leads_lists_the_leads_the_rep_claimed(client_as, rep, claimed_lead):
    LeadFactory(first_name="Someone", last_name="Else")

    response = client_as(rep).get(reverse("handoffs:my_leads"))

    assert [row["lead"] for row in response.context["rows"]] == [claimed_lead]
    assert "First contact within" in response.content.decode()


def test_my_leads_hides_closed_leads_until_asked_for_all(client_as, rep, claimed_lead):
    browser = client_as(rep)
    browser.post(
        reverse("handoffs:change_stage", args=[claimed_lead.pk]),
        {"stage": "lost", "reason": "Went with a competitor"},
    )

    working = browser.get(reverse("handoffs:my_leads"))
    everything = browser.get(reverse("handoffs:my_leads"), {"show": "all"})

    assert working.context["rows"] == []
    assert [row["lead"] for row in everything.context["rows"]] == [claimed_lead]


def test_my_leads_offers_the_activity_form_and_stage_buttons(client_as, rep, claimed_lead):
    response = client_as(rep).get(reverse("handoffs:my_leads"))

    body = response.content.decode()
    assert f'id="activity-{claimed_lead.pk}-kind"' in body
    assert reverse("handoffs:change_stage", args=[claimed_lead.pk]) in body


def test_the_owner_logs_a_call_and_stops_the_contact_clock(client_as, rep, claimed_lead):
    response = log(
        client_as(rep), claimed_lead, kind="call", outcome="connected", note="Demo next week"
    )

    activity = Activity.objects.get(lead=claimed_lead)
    handoff = Handoff.objects.get(lead=claimed_lead)
    assert response.status_code == 302
    assert (activity.kind, activity.outcome, activity.rep) == ("call", "connected", rep)
    assert handoff.first_contact_at is not None


def test_an_activity_without_a_kind_shows_the_error(client_as, rep, claimed_lead):
    response = log(client_as(rep), claimed_lead, kind="", note="?")

    assert response.status_code == 400
    assert not Activity.objects.exists()
    assert 'id="id_kind_error"' in response.content.decode()


def test_another_rep_cannot_log_on_a_lead_they_do_not_own(client_as, other_rep, claimed_lead):
    response = log(client_as(other_rep), claimed_lead, kind="call")

    assert response.status_code == 403
    assert not Activity.objects.exists()


def test_a_marketer_cannot_log_sales_activities(client_as, marketer, claimed_lead):
    response = log(client_as(marketer), claimed_lead, kind="call")

    assert response.status_code == 403


def test_logging_from_my_leads_returns_there(client_as, rep, claimed_lead):
    my_leads = reverse("handoffs:my_leads")

    response = log(client_as(rep), claimed_lead, kind="email", next=my_leads)

    assert response["Location"] == my_leads


def test_my_leads_query_count_does_not_grow_with_rows(
    client_as, rep, django_assert_max_num_queries
):
    for _ in range(30):
        LeadFactory(owner=rep, stage=Stage.SAL)
    browser = client_as(rep)

    # session, user, roles, unread count, page count, rows, live handoffs
    with django_assert_max_num_queries(8):  # one is the reader's time zone
        response = browser.get(reverse("handoffs:my_leads"))

    assert len(response.context["rows"]) == 25
