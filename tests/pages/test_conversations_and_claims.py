"""The rep's day in the browser: claim next, offers to a routed rep, my leads in the order
things are due, a manager's reassignment, comments with mentions, notification
preferences, and times in the reader's own time zone."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from alignment.models import Notification, Preferences, TeamCalendar
from handoffs.models import Handoff, HandoffStep
from handoffs.services import claim_handoff
from leads.models import Comment
from tests.pages.conftest import make_mql


def test_claim_next_claims_the_most_urgent_lead_and_opens_it(client_as, rep, campaign):
    later = make_mql(campaign=campaign, first_name="Later")
    sooner = make_mql(campaign=campaign, first_name="Sooner")
    Handoff.objects.filter(lead=sooner).update(claim_due_at=timezone.now() + timedelta(minutes=5))

    response = client_as(rep).post(reverse("handoffs:claim_next"))

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:detail", args=[sooner.pk])
    assert Handoff.objects.get(lead=sooner).claimed_by == rep
    assert Handoff.objects.get(lead=later).status == Handoff.Status.OPEN


def test_claim_next_with_nothing_to_claim_says_so(client_as, rep):
    browser = client_as(rep)

    response = browser.post(reverse("handoffs:claim_next"), follow=True)

    assert "Nothing to claim" in response.content.decode()


def test_a_lead_offered_to_another_rep_cannot_be_claimed_before_its_clock_runs_out(
    client_as, rep, other_rep, handoff
):
    Handoff.objects.filter(pk=handoff.pk).update(routed_to=other_rep)
    browser = client_as(rep)

    response = browser.post(reverse("handoffs:claim", args=[handoff.pk]), follow=True)

    assert Handoff.objects.get(pk=handoff.pk).status == Handoff.Status.OPEN
    assert "offered to Rob Rival until" in response.content.decode()


def test_the_routed_rep_sees_the_lead_as_theirs_in_the_queue(client_as, rep, handoff):
    Handoff.objects.filter(pk=handoff.pk).update(
        routed_to=rep, routing_reason="Rule 1 DACH → Sam Seller."
    )

    body = client_as(rep).get(reverse("handoffs:queue")).content.decode()

    assert "Routed to you" in body
    assert "Rule 1 DACH → Sam Seller." in body


def test_my_leads_puts_an_overdue_first_contact_on_top(client_as, rep, campaign):
    fresh, late = make_mql(campaign=campaign), make_mql(campaign=campaign)
    for lead in (fresh, late):
        claim_handoff(Handoff.objects.get(lead=lead), rep=rep)
    Handoff.objects.filter(lead=late).update(
        first_contact_due_at=timezone.now() - timedelta(days=47)
    )

    response = client_as(rep).get(reverse("handoffs:my_leads"))

    rows = response.context["rows"]
    assert [row["lead"] for row in rows] == [late, fresh]
    assert rows[0]["next"]["overdue"] is True
    assert "Make first contact" in response.content.decode()


def test_a_manager_reassigns_a_claimed_lead_with_a_reason(
    client_as, manager, other_rep, claimed_lead
):
    handoff = Handoff.objects.get(lead=claimed_lead)

    response = client_as(manager).post(
        reverse("handoffs:reassign", args=[handoff.pk]),
        {"to": other_rep.pk, "reason": "Sam is on leave."},
    )

    claimed_lead.refresh_from_db()
    step = HandoffStep.objects.get(handoff=handoff, kind="reassigned")
    assert response.status_code == 302
    assert claimed_lead.owner == other_rep
    assert step.detail == "Sam Seller → Rob Rival: Sam is on leave."


def test_a_rep_may_not_reassign(client_as, rep, other_rep, claimed_lead):
    handoff = Handoff.objects.get(lead=claimed_lead)

    response = client_as(rep).post(
        reverse("handoffs:reassign", args=[handoff.pk]), {"to": other_rep.pk}
    )

    assert response.status_code == 403


def test_reassigning_to_nobody_shows_the_form_error(client_as, manager, claimed_lead):
    handoff = Handoff.objects.get(lead=claimed_lead)

    response = client_as(manager).post(reverse("handoffs:reassign", args=[handoff.pk]), {})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_a_comment_with_a_mention_notifies_the_colleague(client_as, rep, other_rep, mql_lead):
    response = client_as(rep).post(
        reverse("leads:comment", args=[mql_lead.pk]), {"body": "@rob can you take this?"}
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert list(comment.mentions.all()) == [other_rep]
    notification = Notification.objects.get(kind="mention")
    assert notification.recipient == other_rep
    assert notification.title == f"Sam Seller mentioned you on {mql_lead}"


def test_the_comment_is_on_the_lead_timeline(client_as, marketer, rep, mql_lead):
    client_as(rep).post(
        reverse("leads:comment", args=[mql_lead.pk]), {"body": "Called, no answer."}
    )

    body = client_as(marketer).get(reverse("leads:detail", args=[mql_lead.pk])).content.decode()

    assert "Called, no answer." in body
    assert 'id="comment-' in body


def test_an_empty_comment_is_refused_on_the_page(client_as, rep, mql_lead):
    response = client_as(rep).post(reverse("leads:comment", args=[mql_lead.pk]), {"body": "  "})

    assert response.status_code == 400
    assert not Comment.objects.exists()


def test_an_outsider_cannot_comment(client_as, outsider, mql_lead):
    response = client_as(outsider).post(
        reverse("leads:comment", args=[mql_lead.pk]), {"body": "Hi"}
    )

    assert response.status_code == 403


def test_preferences_choose_channels_per_kind_and_a_time_zone(client_as, rep):
    data = {"time_zone": "Europe/Berlin", "mention__in_app": "on", "mention__digest": "on"}

    response = client_as(rep).post(reverse("notification_preferences"), data)

    stored = Preferences.objects.get(user=rep)
    assert response.status_code == 302
    assert stored.time_zone == "Europe/Berlin"
    assert stored.channels["mention"] == ["in_app", "digest"]
    assert stored.channels["handoff__routed".replace("__", ".")] == []


def test_email_and_digest_together_is_refused_with_the_kind_named(client_as, rep):
    data = {"mention__email": "on", "mention__digest": "on"}

    response = client_as(rep).post(reverse("notification_preferences"), data)

    assert response.status_code == 400
    assert "Someone mentioned you: Choose an email now or the daily digest" in (
        response.content.decode()
    )


def test_pages_show_times_in_the_readers_time_zone(client_as, rep, handoff):
    TeamCalendar.objects.filter(pk=1).update(time_zone="Asia/Tokyo")
    due = timezone.localtime(handoff.claim_due_at, timezone.get_fixed_timezone(9 * 60))

    body = client_as(rep).get(reverse("leads:detail", args=[handoff.lead_id])).content.decode()

    assert f'datetime="{due.isoformat()}"' in body


def test_a_lead_whose_offer_ran_out_is_shown_open_to_the_team(client_as, rep, other_rep, handoff):
    Handoff.objects.filter(pk=handoff.pk).update(
        routed_to=other_rep, requeued_at=timezone.now(), claim_due_at=timezone.now()
    )

    body = client_as(rep).get(reverse("handoffs:queue")).content.decode()

    assert "Was offered to Rob Rival; open to the team." in body
    assert f'aria-label="Claim {handoff.lead}"' in body
