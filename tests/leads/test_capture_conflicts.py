"""Merge rules of capture: a filled field keeps its value; another offer goes on the timeline."""

from handoffs.queries import lead_timeline
from leads.models import Lead, LeadFieldConflict
from leads.services import capture_lead, capture_leads
from tests.factories import CampaignFactory


def test_a_conflicting_value_is_kept_as_a_conflict_not_written(db):
    campaign = CampaignFactory()
    capture_lead(email="ana@acme.com", company="Acme Inc")

    capture_lead(email="ana@acme.com", company="Acme GmbH", campaign=campaign)

    lead = Lead.objects.get()
    assert lead.company == "Acme Inc"
    conflict = LeadFieldConflict.objects.get()
    assert (
        conflict.lead,
        conflict.field,
        conflict.kept_value,
        conflict.offered_value,
        conflict.source,
        conflict.campaign,
    ) == (lead, "company", "Acme Inc", "Acme GmbH", "form_submitted", campaign)


def test_a_value_that_differs_only_in_case_is_no_conflict(db):
    capture_lead(email="ana@acme.com", company="Acme")

    capture_lead(email="ana@acme.com", company="ACME")

    assert not LeadFieldConflict.objects.exists()


def test_the_same_offer_made_twice_is_kept_once(db):
    capture_lead(email="ana@acme.com", job_title="CMO")

    capture_lead(email="ana@acme.com", job_title="CEO")
    capture_leads([{"email": "ana@acme.com", "job_title": "CEO"}])

    assert LeadFieldConflict.objects.count() == 1


def test_a_number_that_conflicts_is_kept_as_text(db):
    capture_lead(email="ana@acme.com", company_size=250)

    capture_lead(email="ana@acme.com", company_size="300")

    conflict = LeadFieldConflict.objects.get()
    assert (conflict.field, conflict.kept_value, conflict.offered_value) == (
        "company_size",
        "250",
        "300",
    )


def test_other_utm_codes_of_a_later_capture_are_no_conflict(db):
    capture_lead(email="ana@acme.com", utm_source="linkedin")

    capture_lead(email="ana@acme.com", utm_source="newsletter")

    assert Lead.objects.get().utm_source == "linkedin"
    assert not LeadFieldConflict.objects.exists()


def test_an_empty_offer_neither_fills_nor_conflicts(db):
    capture_lead(email="ana@acme.com", company="Acme")

    capture_lead(email="ana@acme.com", company="  ")

    assert Lead.objects.get().company == "Acme"
    assert not LeadFieldConflict.objects.exists()


def test_the_timeline_shows_a_kept_value_and_the_offer(db):
    capture_lead(email="ana@acme.com", company="Acme Inc")
    capture_lead(email="ana@acme.com", company="Acme GmbH", touchpoint_kind="imported")

    [entry] = [e for e in lead_timeline(Lead.objects.get()) if e.kind == "field_conflict"]

    assert entry.title == "Company kept: Acme Inc"
    assert entry.detail == "Not overwritten by “Acme GmbH” (Imported)"
    assert entry.data == {
        "field": "company",
        "kept": "Acme Inc",
        "offered": "Acme GmbH",
        "source": "imported",
    }


def test_consent_once_given_keeps_its_time_through_later_captures(db):
    capture_leads([{"email": "ana@acme.com", "consent": True}])
    given_at = Lead.objects.get().consent_at

    capture_leads([{"email": "ana@acme.com", "consent": True}, {"email": "ana@acme.com"}])

    lead = Lead.objects.get()
    assert (lead.consent, lead.consent_at) == (True, given_at)


def test_consent_text_is_kept_on_the_touchpoint_only_with_consent(db):
    capture_leads(
        [
            {"email": "ana@acme.com", "consent": True, "consent_text": "You may email me."},
            {"email": "ana@acme.com", "consent": False, "consent_text": "You may email me."},
        ]
    )

    assert list(
        Lead.objects.get().touchpoints.order_by("id").values_list("consent_text", flat=True)
    ) == ["You may email me.", ""]
