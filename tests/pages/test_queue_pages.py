"""The sales queue: claim with and without JavaScript, lose a race, send a lead back."""

from django.urls import reverse

from handoffs.models import Handoff
from leads.models import Stage
from tests.pages.conftest import make_mql


def claim(browser, handoff, **headers):
    return browser.post(reverse("handoffs:claim", args=[handoff.pk]), **headers)


def test_the_queue_shows_an_open_handoff_with_its_brief_and_clock(client_as, rep, handoff):
    response = client_as(rep).get(reverse("handoffs:queue"))

    body = response.content.decode()
    assert list(response.context["page"].object_list) == [handoff]
    assert "Ana Alvarez" in body
    assert "Claim within" in body
    assert 'class="sla sla--ok"' in body


def test_an_empty_queue_says_so(client_as, rep):
    response = client_as(rep).get(reverse("handoffs:queue"))

    assert "The queue is empty" in response.content.decode()


def test_a_plain_post_claims_and_redirects_with_a_message(client_as, rep, handoff):
    browser = client_as(rep)

    response = claim(browser, handoff)

    handoff.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("handoffs:queue")
    assert (handoff.status, handoff.claimed_by) == ("claimed", rep)
    assert "Claimed Ana Alvarez" in browser.get(response["Location"]).content.decode()


def test_an_htmx_claim_swaps_the_row_and_toasts(client_as, rep, handoff):
    response = claim(client_as(rep), handoff, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    handoff.lead.refresh_from_db()
    assert response.status_code == 200
    assert "<html" not in body
    assert f'id="handoff-{handoff.pk}"' in body
    assert "Claimed by you" in body
    assert 'hx-swap-oob="beforeend"' in body
    assert "Claimed Ana Alvarez" in body
    assert handoff.lead.stage == Stage.SAL


def test_a_second_plain_claim_says_it_was_already_claimed(client_as, rep, other_rep, handoff):
    claim(client_as(rep), handoff)
    browser = client_as(other_rep)

    response = claim(browser, handoff)

    handoff.refresh_from_db()
    assert response.status_code == 302
    assert handoff.claimed_by == rep
    assert "already claimed by Sam Seller" in browser.get(response["Location"]).content.decode()


def test_a_second_htmx_claim_is_a_409_that_shows_who_has_it(client_as, rep, other_rep, handoff):
    claim(client_as(rep), handoff)

    response = claim(client_as(other_rep), handoff, HTTP_HX_REQUEST="true")

    body = response.content.decode()
    assert response.status_code == 409
    assert "Already claimed by Sam Seller" in body
    assert "already claimed" in body


def test_a_marketer_cannot_claim(client_as, marketer, handoff):
    response = claim(client_as(marketer), handoff)

    handoff.refresh_from_db()
    assert response.status_code == 403
    assert handoff.status == "open"


def test_a_manager_claims_from_the_queue(client_as, manager, handoff):
    claim(client_as(manager), handoff)

    handoff.refresh_from_db()
    assert handoff.claimed_by == manager


def test_a_claim_needs_a_post(client_as, rep, handoff):
    response = client_as(rep).get(reverse("handoffs:claim", args=[handoff.pk]))

    assert response.status_code == 405


def test_a_rep_sends_a_lead_back_with_a_reason(client_as, rep, handoff):
    data = {"reason": "no_budget", "note": "Asked again next year."}

    response = client_as(rep).post(reverse("handoffs:reject", args=[handoff.pk]), data)

    handoff.refresh_from_db()
    handoff.lead.refresh_from_db()
    assert response.status_code == 302
    assert (handoff.status, handoff.rejection_reason) == ("rejected", "no_budget")
    assert handoff.lead.stage == Stage.RECYCLED


def test_sending_back_without_a_reason_shows_the_error_in_the_row(client_as, rep, handoff):
    response = client_as(rep).post(reverse("handoffs:reject", args=[handoff.pk]), {"note": "?"})

    handoff.refresh_from_db()
    body = response.content.decode()
    assert response.status_code == 400
    assert handoff.status == "open"
    assert f'id="reject-reason-{handoff.pk}-error"' in body


def test_sending_back_without_a_reason_by_htmx_is_a_422_row(client_as, rep, handoff):
    response = client_as(rep).post(
        reverse("handoffs:reject", args=[handoff.pk]), {"reason": ""}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 422
    assert "<html" not in response.content.decode()


def test_sending_back_a_lead_someone_claimed_is_refused(client_as, rep, other_rep, handoff):
    claim(client_as(rep), handoff)

    response = client_as(other_rep).post(
        reverse("handoffs:reject", args=[handoff.pk]),
        {"reason": "not_a_fit"},
        HTTP_HX_REQUEST="true",
    )

    handoff.refresh_from_db()
    assert response.status_code == 409
    assert handoff.status == "claimed"


def test_the_queue_query_count_does_not_grow_with_rows(
    client_as, rep, campaign, django_assert_max_num_queries
):
    for index in range(30):
        make_mql(campaign=campaign, email=f"queue{index}@example.com")
    browser = client_as(rep)

    # session, user, roles, unread count, page count, rows (with lead and campaign)
    with django_assert_max_num_queries(8):  # the reader's time zone; the agreed reasons
        response = browser.get(reverse("handoffs:queue"))

    assert len(response.context["page"].object_list) == 25
    assert Handoff.objects.filter(status="open").count() == 30


def test_a_rep_claims_from_the_lead_page_and_returns_to_it(client_as, rep, handoff):
    lead_url = reverse("leads:detail", args=[handoff.lead_id])
    browser = client_as(rep)
    assert "Claim this lead" in browser.get(lead_url).content.decode()

    response = browser.post(reverse("handoffs:claim", args=[handoff.pk]), {"next": lead_url})

    handoff.refresh_from_db()
    assert response["Location"] == lead_url
    assert handoff.claimed_by == rep


def test_the_queue_names_a_leads_country(client_as, rep, handoff):
    handoff.lead.country = "de"
    handoff.lead.save(update_fields=["country"])
    body = client_as(rep).get(reverse("handoffs:queue")).content.decode()
    assert '<span title="DE">Germany</span>' in body
