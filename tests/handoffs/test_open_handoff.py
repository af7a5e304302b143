"""``handoffs.services.open_handoff``: brief, route, SLA due time, notifications."""

from datetime import UTC, datetime, timedelta

from alignment.models import AgreementVersion, Event, Notification
from handoffs.models import Handoff
from handoffs.services import open_handoff
from leads import lifecycle
from leads.models import Stage
from tests.factories import CampaignFactory, LeadFactory, TouchpointFactory

NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def mql_lead(**fields):
    campaign = CampaignFactory(name="Spring webinar")
    lead = LeadFactory(
        stage=Stage.MQL,
        first_name="Ana",
        last_name="Lima",
        email="ana@acme.com",
        company="Acme",
        job_title="VP Marketing",
        company_size=300,
        country="PT",
        phone="+351 21 000 0000",
        campaign=campaign,
        score=72,
        fit_score=40,
        engagement_score=32,
        score_breakdown=[
            {"rule": "Senior title", "kind": "fit", "points": 20},
            {"rule": "Demo requested", "kind": "engagement", "points": 25, "count": 1},
            {"rule": "Free e-mail domain", "kind": "fit", "points": -10},
        ],
        **fields,
    )
    TouchpointFactory(lead=lead, kind="webinar_attended", occurred_at=NOW - timedelta(days=3))
    TouchpointFactory(
        lead=lead, kind="pricing_page_view", occurred_at=NOW - timedelta(days=2), campaign=campaign
    )
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=NOW - timedelta(hours=1))
    return lead


def test_the_brief_says_who_the_lead_is(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    assert handoff.brief["who"] == {
        "name": "Ana Lima",
        "email": "ana@acme.com",
        "job_title": "VP Marketing",
        "company": "Acme",
        "company_size": 300,
        "industry": "",
        "country": "PT",
        "phone": "+351 21 000 0000",
    }


def test_the_brief_says_what_they_are_looking_for_in_the_order_they_showed_it(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    assert handoff.brief["looking_for"] == [
        "attended a webinar",
        "looked at pricing",
        "asked for a demo",
    ]


def test_the_brief_lists_the_touchpoints_that_led_here(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    assert handoff.brief["touchpoint_count"] == 3
    assert [row["kind"] for row in handoff.brief["touchpoints"]] == [
        "webinar_attended",
        "pricing_page_view",
        "demo_requested",
    ]
    assert handoff.brief["touchpoints"][1]["campaign"] == "Spring webinar"
    assert handoff.brief["first_touch_campaign"] == "Spring webinar"


def test_the_brief_carries_the_score_and_its_strongest_reasons_first(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    assert (handoff.brief["score"], handoff.brief["fit_score"]) == (72, 40)
    assert [row["rule"] for row in handoff.brief["top_reasons"]] == [
        "Demo requested",
        "Senior title",
        "Free e-mail domain",
    ]


def test_it_keeps_the_marketers_note(db):
    handoff = open_handoff(mql_lead(), note="Met her at the booth.", now=NOW)
    assert Handoff.objects.get(pk=handoff.pk).note == "Met her at the booth."


def test_it_goes_to_the_team_queue_and_says_why(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    assert handoff.routed_to is None
    assert handoff.routing_reason == "No rule matched → team queue."


def test_the_claim_deadline_is_the_claim_sla_of_the_agreement_in_force(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    assert handoff.created_at == NOW
    assert handoff.claim_due_at == NOW + timedelta(minutes=60)
    assert handoff.agreement.number == 1
    assert handoff.status == Handoff.Status.OPEN


def test_a_new_agreement_version_sets_the_deadline_of_later_handoffs(db):
    AgreementVersion.objects.filter(number=1).update(status=AgreementVersion.Status.SUPERSEDED)
    second = AgreementVersion.objects.create(
        number=2,
        status=AgreementVersion.Status.IN_FORCE,
        mql_threshold=50,
        claim_sla_minutes=15,
        first_contact_sla_minutes=90,
    )
    handoff = open_handoff(mql_lead(), now=NOW)
    assert handoff.agreement == second
    assert handoff.claim_due_at == NOW + timedelta(minutes=15)


def test_it_notifies_every_rep_and_nobody_else(db, rep, other_rep, marketer, manager):
    open_handoff(mql_lead(), now=NOW)
    rows = Notification.objects.filter(kind="handoff.opened")
    assert {row.recipient for row in rows} == {rep, other_rep}
    assert all(row.in_app for row in rows)
    assert "Claim it by today 10:00 (1 h of working time)" in rows[0].body


def test_it_records_a_handoff_opened_event(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    event = Event.objects.get(name="handoff.opened")
    assert event.payload == {
        "handoff": handoff.pk,
        "lead": handoff.lead_id,
        "routed_to": None,
        "routing_reason": "No rule matched → team queue.",
        "sla_segment": "",
        "claim_due_at": (NOW + timedelta(minutes=60)).isoformat(),
    }


def test_a_lead_becoming_an_mql_opens_its_handoff_in_the_same_transaction(db):
    lead = LeadFactory(stage=Stage.NEW)
    change = lifecycle.advance(lead, Stage.MQL, automatic=True, at=NOW)
    handoff = Handoff.objects.get(lead=lead)
    assert handoff.created_at == change.changed_at == NOW


def test_a_recycled_lead_that_returns_gets_a_new_handoff(db, handoff, marketer):
    lead = handoff.lead
    lifecycle.advance(lead, Stage.RECYCLED, by=marketer, reason="Bad timing.")
    lifecycle.advance(lead, Stage.MQL, automatic=True)
    assert list(
        Handoff.objects.filter(lead=lead).order_by("id").values_list("status", flat=True)
    ) == [Handoff.Status.WITHDRAWN, Handoff.Status.OPEN]


def test_the_brief_says_when_they_were_last_active_and_the_budget_signals(db):
    handoff = open_handoff(mql_lead(), now=NOW)
    assert handoff.brief["last_active_at"] == (NOW - timedelta(hours=1)).isoformat()
    assert handoff.brief["budget_signals"] == [
        "Viewed pricing 1 time",
        "Asked for a demo",
        "Company of 300 people",
    ]


def test_a_lead_without_touchpoints_has_no_last_activity(db):
    handoff = open_handoff(LeadFactory(stage=Stage.MQL, company_size=None), now=NOW)
    assert (handoff.brief["last_active_at"], handoff.brief["budget_signals"]) == (None, [])
