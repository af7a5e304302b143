"""A batch ends exactly as the same rows captured one by one with ``capture_lead``."""

from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError

from alignment.models import Event
from leads.models import Lead, LeadFieldConflict, Touchpoint
from leads.services import PROFILE_FIELDS, UTM_FIELDS, capture_lead, capture_leads
from tests.factories import CampaignFactory

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def mixed_rows(spring, summer):
    """Known and new emails, duplicates inside the batch, fills, conflicts, bad rows."""
    return [
        # Known lead: a conflicting first name, an empty job title filled, first touch kept.
        {"email": "ana@acme.com", "first_name": "Anna", "job_title": "CMO", "campaign": summer},
        # Known lead without a campaign: its UTM code attaches one.
        {"email": " BO@beta.io ", "company": "Beta", "utm_campaign": "Spring-Launch"},
        {"email": "cy@corp.io", "first_name": "Cy", "consent": True, "consent_text": "Yes."},
        {"email": "bad-email", "company": "Nobody"},
        # The same new email again: a second name is a conflict, the rest fills.
        {"email": "cy@corp.io", "first_name": "Cyrus", "company": "Corp", "phone": "555 0100"},
        {"email": "di@delta.io", "company_size": "250", "country": " de "},
        {"email": "di@delta.io", "company_size": 300, "country": "DE", "note": "Call me"},
        {"email": "ed@echo.io", "company_size": -1},
        # Only the case differs: the same value, no conflict.
        {"email": "ANA@ACME.COM", "company": "ACME", "touchpoint_kind": "pricing_page_view"},
        {
            "email": "fay@fox.io",
            "occurred_at": "2026-03-01T08:00:00+00:00",
            "url": "https://fox.io/p",
            "referrer": "https://news.example/",
            "campaign": spring.pk,
        },
        {"email": "cy@corp.io", "consent": False, "utm_source": "newsletter"},
    ]


def prepare(spring):
    """The leads that exist before the rows arrive."""
    capture_lead(email="ana@acme.com", first_name="Ana", company="Acme", campaign=spring)
    capture_lead(email="bo@beta.io")
    Event.objects.all().delete()


def snapshot(started):
    """The end state by email (ids and capture times differ between the two runs)."""
    email_of = dict(Lead.objects.values_list("pk", "email"))
    fields = [*PROFILE_FIELDS, *UTM_FIELDS, "campaign_id", "consent", "stage", "score"]
    leads = {
        lead["email"]: {
            **lead,
            "consent_at": lead["consent_at"] is not None,
            "scored_at": lead["scored_at"],
        }
        for lead in Lead.objects.values("email", "consent_at", "scored_at", *fields)
    }
    touchpoints = [
        (
            email_of[t.lead_id],
            t.kind,
            t.campaign_id,
            "now" if t.occurred_at >= started else t.occurred_at,
            t.url,
            t.referrer,
            t.note,
            t.consent_text,
        )
        for t in Touchpoint.objects.order_by("id")
    ]
    conflicts = sorted(
        (email_of[c.lead_id], c.field, c.kept_value, c.offered_value, c.source, c.campaign_id)
        for c in LeadFieldConflict.objects.all()
    )
    events = [
        (event.name, {**event.payload, "lead": email_of[event.payload["lead"]]})
        for event in Event.objects.order_by("id")
    ]
    return leads, touchpoints, conflicts, events


def wipe():
    Lead.objects.all().delete()
    Event.objects.all().delete()


def test_a_batch_ends_as_the_same_rows_captured_one_by_one(db):
    spring = CampaignFactory(utm_campaign="spring-launch")
    summer = CampaignFactory()
    started = datetime.now(UTC) - timedelta(seconds=1)

    prepare(spring)
    one_by_one = []
    for row in mixed_rows(spring, summer):
        row = dict(row)
        if isinstance(row.get("campaign"), int):
            row["campaign"] = type(spring).objects.get(pk=row["campaign"])
        try:
            result = capture_lead(**row)
        except ValidationError:
            one_by_one.append("error")
        else:
            one_by_one.append("created" if result.created else "updated")
    expected = snapshot(started)
    wipe()

    prepare(spring)
    batch = capture_leads(mixed_rows(spring, summer))

    assert [row.status for row in batch.rows] == one_by_one
    assert snapshot(started) == expected


def test_the_mixed_data_set_exercises_every_rule(db):
    """Guards the test above: the data set really has fills, conflicts and bad rows."""
    spring = CampaignFactory(utm_campaign="spring-launch")
    summer = CampaignFactory()
    prepare(spring)

    result = capture_leads(mixed_rows(spring, summer))

    assert result.counts == {"created": 3, "updated": 6, "error": 2}
    ana = Lead.objects.get(email="ana@acme.com")
    assert (ana.first_name, ana.job_title, ana.campaign) == ("Ana", "CMO", spring)
    assert Lead.objects.get(email="bo@beta.io").campaign == spring
    assert set(LeadFieldConflict.objects.values_list("field", "offered_value")) == {
        ("first_name", "Anna"),
        ("first_name", "Cyrus"),
        ("company_size", "300"),
    }
    assert Lead.objects.get(email="cy@corp.io").consent is True
