"""``leads.services.merge_leads``: a duplicate folded into the survivor, history and all."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from alignment.models import Event
from handoffs.models import Activity, Handoff
from handoffs.queries import lead_timeline
from handoffs.services import claim_handoff, log_activity
from leads import lifecycle
from leads.models import Lead, LeadFieldConflict, LeadMerge, Stage, StageChange, Touchpoint
from leads.services import capture_lead, capture_leads, merge_leads, plan_merge
from tests.factories import CampaignFactory, LeadFactory, TouchpointFactory


def lead(email, **fields):
    defaults = {"first_name": "", "last_name": "", "company": "", "job_title": ""}
    defaults.update(country="", company_size=None)
    return LeadFactory(email=email, **{**defaults, **fields})


def mql(email, **fields):
    found = lead(email, **fields)
    lifecycle.advance(found, Stage.MQL, automatic=True)
    return found


def test_the_duplicates_history_moves_to_the_survivor(db, rep, marketer):
    survivor, duplicate = lead("ana@acme.com"), mql("ana.a@acme.com")
    TouchpointFactory.create_batch(2, lead=duplicate)
    claim_handoff(duplicate.handoffs.get(), rep=rep)
    log_activity(Lead.objects.get(pk=duplicate.pk), rep=rep, kind="call")
    lifecycle.advance(survivor, Stage.MQL, automatic=True)
    claim_handoff(survivor.handoffs.get(), rep=rep)
    survivor.refresh_from_db()

    merge_leads(survivor, Lead.objects.get(pk=duplicate.pk), by=marketer)

    assert Touchpoint.objects.filter(lead=survivor).count() == 2
    assert Activity.objects.filter(lead=survivor).count() == 1
    assert Handoff.objects.filter(lead=survivor).count() == 2
    assert StageChange.objects.filter(lead=survivor, to_stage=Stage.SAL).count() == 2
    assert not Lead.objects.filter(pk=duplicate.pk).exists()


def test_the_survivor_takes_the_duplicates_values_for_its_empty_fields(db, marketer):
    survivor = lead("ana@acme.com", first_name="Ana")
    duplicate = lead("ana.a@acme.com", job_title="CMO", company_size=250, phone="+1 555 0100")

    merge_leads(survivor, duplicate, by=marketer)

    survivor.refresh_from_db()
    assert (survivor.first_name, survivor.job_title, survivor.company_size, survivor.phone) == (
        "Ana",
        "CMO",
        250,
        "+1 555 0100",
    )


def test_a_value_both_hold_differently_stays_and_the_other_is_kept(db, marketer):
    survivor = lead("ana@acme.com", company="Acme Inc")
    duplicate = lead("ana.a@acme.com", company="Acme GmbH")

    merge_leads(survivor, duplicate, by=marketer)

    assert Lead.objects.get(pk=survivor.pk).company == "Acme Inc"
    conflict = LeadFieldConflict.objects.get(lead=survivor)
    assert (conflict.field, conflict.kept_value, conflict.offered_value, conflict.source) == (
        "company",
        "Acme Inc",
        "Acme GmbH",
        "merge",
    )


def test_offers_both_leads_kept_stay_once(db, marketer):
    capture_lead(email="ana@acme.com", company="Acme Inc")
    capture_lead(email="ana@acme.com", company="Acme AG")
    capture_lead(email="ana.a@acme.com", company="Acme Inc")
    capture_lead(email="ana.a@acme.com", company="Acme AG")
    survivor, duplicate = (Lead.objects.get(email=e) for e in ("ana@acme.com", "ana.a@acme.com"))

    merge_leads(survivor, duplicate, by=marketer)

    assert list(
        LeadFieldConflict.objects.filter(lead=survivor).values_list("offered_value", flat=True)
    ) == ["Acme AG"]


def test_the_earlier_lead_gives_the_first_touch_campaign_and_capture_time(db, marketer):
    first, later = CampaignFactory(), CampaignFactory()
    survivor = lead("ana@acme.com", campaign=later)
    duplicate = lead("ana.a@acme.com", campaign=first)
    earlier = timezone.now() - timedelta(days=30)
    Lead.objects.filter(pk=duplicate.pk).update(created_at=earlier)

    merge_leads(survivor, Lead.objects.get(pk=duplicate.pk), by=marketer)

    survivor.refresh_from_db()
    assert (survivor.campaign, survivor.created_at) == (first, earlier)


def test_consent_given_by_either_stays_with_the_earliest_time(db, marketer):
    given = timezone.now() - timedelta(days=3)
    survivor = lead("ana@acme.com")
    duplicate = lead("ana.a@acme.com", consent=True, consent_at=given)

    merge_leads(survivor, duplicate, by=marketer)

    survivor.refresh_from_db()
    assert (survivor.consent, survivor.consent_at) == (True, given)


def test_the_merge_is_recorded_with_what_it_did(db, marketer):
    survivor = lead("ana@acme.com")
    duplicate = lead("ana.a@acme.com", job_title="CMO", stage=Stage.NEW)
    TouchpointFactory(lead=duplicate)
    duplicate_id = duplicate.pk

    merge = merge_leads(survivor, duplicate, by=marketer)

    assert LeadMerge.objects.get() == merge
    assert (merge.lead, merge.merged_lead_id, merge.merged_email, merge.merged_by) == (
        survivor,
        duplicate_id,
        "ana.a@acme.com",
        marketer,
    )
    assert merge.filled == {"job_title": "CMO"}
    assert merge.moved["touchpoints"] == 1
    assert merge.snapshot["job_title"] == "CMO"
    event = Event.objects.get(name="lead.merged")
    assert event.payload["merged"] == {"id": duplicate_id, "email": "ana.a@acme.com"}


def test_the_timeline_shows_the_merge_and_who_made_it(db, marketer):
    survivor = lead("ana@acme.com")
    duplicate = lead("ana.a@acme.com", job_title="CMO")
    TouchpointFactory(lead=duplicate)

    merge_leads(survivor, duplicate, by=marketer)

    [entry] = [e for e in lead_timeline(survivor) if e.kind == "merge"]
    assert entry.title == "Merged with ana.a@acme.com"
    assert entry.detail == "Took job title · Moved 1 touchpoint"
    assert entry.actor == "Mia Marketer"


def test_a_later_capture_of_the_merged_email_lands_on_the_survivor(db, marketer):
    survivor, duplicate = lead("ana@acme.com"), lead("ana.a@acme.com")
    merge_leads(survivor, duplicate, by=marketer)

    result = capture_lead(email="ANA.A@acme.com", job_title="CMO")
    batch = capture_leads([{"email": "ana.a@acme.com"}])

    assert (result.created, result.lead.pk) == (False, survivor.pk)
    assert batch.rows[0].lead_id == survivor.pk
    assert Lead.objects.count() == 1
    assert Lead.objects.get().job_title == "CMO"


def test_a_chain_of_merges_keeps_every_address_on_the_last_survivor(db, marketer):
    first, second, third = lead("a@acme.com"), lead("b@acme.com"), lead("c@acme.com")
    merge_leads(second, first, by=marketer)
    merge_leads(third, Lead.objects.get(pk=second.pk), by=marketer)

    assert capture_lead(email="a@acme.com").lead.pk == third.pk
    assert LeadMerge.objects.filter(lead=third).count() == 2


def test_the_survivors_score_is_stale_and_scoring_runs_after_commit(
    db, marketer, django_capture_on_commit_callbacks
):
    survivor = lead("ana@acme.com", job_title="VP Marketing", company_size=300, country="US")
    Lead.objects.filter(pk=survivor.pk).update(scored_at=timezone.now())
    duplicate = lead("ana.a@acme.com")
    TouchpointFactory(lead=duplicate, kind="demo_requested")

    with django_capture_on_commit_callbacks(execute=True):
        merge_leads(Lead.objects.get(pk=survivor.pk), duplicate, by=marketer)

    survivor.refresh_from_db()
    assert survivor.scored_at is not None
    assert survivor.stage == Stage.MQL  # the demo request it brought along counts now


@pytest.mark.parametrize("role", ["rep", "outsider"])
def test_only_marketing_and_managers_merge(db, persona_by_name, role):
    survivor, duplicate = lead("ana@acme.com"), lead("ana.a@acme.com")

    with pytest.raises(PermissionDenied):
        merge_leads(survivor, duplicate, by=persona_by_name(role))

    assert Lead.objects.count() == 2


def test_a_manager_may_merge(db, manager):
    merge_leads(lead("ana@acme.com"), lead("ana.a@acme.com"), by=manager)

    assert Lead.objects.count() == 1


def test_a_lead_cannot_be_merged_into_itself(db, marketer):
    one = lead("ana@acme.com")

    with pytest.raises(ValidationError):
        merge_leads(one, one, by=marketer)

    assert Lead.objects.filter(pk=one.pk).exists()


def test_a_lead_sales_works_never_merges_into_one_further_back(db, marketer, rep):
    survivor = lead("ana@acme.com")
    duplicate = mql("ana.a@acme.com")
    claim_handoff(duplicate.handoffs.get(), rep=rep)

    with pytest.raises(ValidationError) as caught:
        merge_leads(survivor, Lead.objects.get(pk=duplicate.pk), by=marketer)

    assert "Keep ana.a@acme.com instead" in caught.value.messages[0]
    assert Lead.objects.count() == 2


def test_a_duplicate_already_merged_is_refused(db, marketer):
    survivor, duplicate = lead("ana@acme.com"), lead("ana.a@acme.com")
    stale_copy = Lead.objects.get(pk=duplicate.pk)
    merge_leads(survivor, duplicate, by=marketer)

    with pytest.raises(ValidationError):
        merge_leads(survivor, stale_copy, by=marketer)


def test_when_both_are_in_the_queue_the_duplicates_handoff_is_withdrawn_not_rejected(db, marketer):
    survivor, duplicate = mql("ana@acme.com"), mql("ana.a@acme.com")
    handoff = duplicate.handoffs.get()

    merge_leads(survivor, duplicate, by=marketer)

    handoff.refresh_from_db()
    assert (handoff.lead, handoff.status, handoff.withdrawn_by, handoff.rejected_by) == (
        survivor,
        Handoff.Status.WITHDRAWN,
        marketer,
        None,
    )
    assert handoff.steps.get().detail == "Merged into ana@acme.com."
    assert survivor.handoffs.get(status=Handoff.Status.OPEN)


def test_a_claimed_duplicate_handoff_closes_when_the_survivor_is_claimed_too(
    db, marketer, rep, other_rep
):
    survivor, duplicate = mql("ana@acme.com"), mql("ana.a@acme.com")
    claim_handoff(survivor.handoffs.get(), rep=rep)
    claim_handoff(duplicate.handoffs.get(), rep=other_rep)

    merge_leads(Lead.objects.get(pk=survivor.pk), Lead.objects.get(pk=duplicate.pk), by=marketer)

    statuses = set(Handoff.objects.filter(lead=survivor).values_list("status", "claimed_by"))
    assert statuses == {("claimed", rep.pk), ("closed", other_rep.pk)}
    assert Lead.objects.get(pk=survivor.pk).owner == rep


def test_the_preview_says_what_the_merge_does(db, marketer):
    survivor = lead("ana@acme.com", first_name="Ana", company="Acme")
    duplicate = lead("ana.a@acme.com", first_name="Anna", job_title="CMO")
    TouchpointFactory.create_batch(3, lead=duplicate)

    plan = plan_merge(survivor, duplicate)
    merge_leads(survivor, duplicate, by=marketer)

    outcomes = {row.name: row.outcome for row in plan.fields}
    assert (outcomes["first_name"], outcomes["job_title"], outcomes["company"]) == (
        "conflict",
        "filled",
        "kept",
    )
    assert plan.moved["touchpoints"] == 3
    survivor.refresh_from_db()
    assert (survivor.first_name, survivor.job_title) == ("Ana", "CMO")
    assert plan.refusal == ""
