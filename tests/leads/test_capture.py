"""``leads.services.capture_lead``: normalise, dedupe, upsert, touchpoint, scoring after commit."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from alignment.models import Event
from leads.models import Lead, Stage, Touchpoint
from leads.services import capture_lead, normalise_email
from tests.factories import CampaignFactory


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ana@Acme.COM  ", "ana@acme.com"),
        ("ANA@ACME.COM", "ana@acme.com"),
        # Full-width letters (NFKC folds them to ASCII) are the same address.
        ("ａｎａ@ａｃｍｅ.com", "ana@acme.com"),
        ("\tana@acme.com\n", "ana@acme.com"),
    ],
)
def test_it_normalises_an_email(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "not-an-email", "ana@", "@acme.com", "ana @acme.com", None]
)
def test_it_refuses_an_invalid_email_with_a_field_error(raw):
    with pytest.raises(ValidationError) as caught:
        normalise_email(raw)
    assert "email" in caught.value.message_dict


@pytest.mark.parametrize(
    "address",
    [
        "a@b.co",
        "a@localhost",
        "x@[127.0.0.1]",
        "x@[::1]",
        "x@[999.1.1.1]",
        "a@@b.com",
        "a@b",
        '"q u"@ex.com',
        "a.b@ex-ample.com",
        "a..b@ex.com",
        "a@ex..com",
        "a@-ex.com",
        "ü@ex.com",
        "a@exämple.com",
        "a@ex.c0m",
        "a@ex.com.",
        "a@" + "b" * 64 + ".com",
    ],
)
def test_it_accepts_exactly_the_addresses_django_accepts(address):
    # Capture remembers each domain's verdict; it must stay Django's verdict.
    try:
        validate_email(address)
        django_accepts = True
    except ValidationError:
        django_accepts = False
    try:
        normalise_email(address)
        accepted = True
    except ValidationError:
        accepted = False
    assert accepted is django_accepts


def test_it_refuses_an_email_longer_than_the_column():
    with pytest.raises(ValidationError):
        normalise_email("a" * 64 + "@" + "b" * 185 + ".com")


def test_it_creates_no_lead_for_an_invalid_email(db):
    with pytest.raises(ValidationError):
        capture_lead(email="nope")
    assert not Lead.objects.exists()


def test_it_creates_a_lead_with_the_normalised_email(db):
    result = capture_lead(email=" Ana@Acme.COM ", first_name="Ana")
    assert result.created is True
    lead = Lead.objects.get()
    assert (lead.email, lead.first_name, lead.stage) == ("ana@acme.com", "Ana", Stage.NEW)


def test_the_same_email_twice_gives_one_lead_with_two_touchpoints(db):
    first = capture_lead(email="ana@acme.com", touchpoint_kind="page_view")
    second = capture_lead(email=" ANA@acme.com", touchpoint_kind="demo_requested")
    assert second.created is False
    assert second.lead.pk == first.lead.pk
    assert Lead.objects.count() == 1
    assert list(Touchpoint.objects.filter(lead=first.lead).values_list("kind", flat=True)) == [
        "page_view",
        "demo_requested",
    ]


def test_a_repeat_capture_fills_empty_fields_and_keeps_filled_ones(db):
    capture_lead(email="ana@acme.com", first_name="Ana", company="Acme")
    capture_lead(email="ana@acme.com", first_name="Anna", company="", job_title="CMO")
    lead = Lead.objects.get()
    assert (lead.first_name, lead.company, lead.job_title) == ("Ana", "Acme", "CMO")


def test_it_trims_values_and_upper_cases_the_country(db):
    capture_lead(email="ana@acme.com", company="  Acme  ", country=" de ")
    lead = Lead.objects.get()
    assert (lead.company, lead.country) == ("Acme", "DE")


def test_it_refuses_fields_a_lead_does_not_have(db):
    with pytest.raises(TypeError):
        capture_lead(email="ana@acme.com", stage="won")


def test_it_refuses_an_unknown_touchpoint_kind(db):
    with pytest.raises(ValidationError):
        capture_lead(email="ana@acme.com", touchpoint_kind="telepathy")
    assert not Lead.objects.exists()


def test_it_keeps_the_first_touch_campaign(db):
    first, later = CampaignFactory(), CampaignFactory()
    capture_lead(email="ana@acme.com", campaign=first)
    result = capture_lead(email="ana@acme.com", campaign=later)
    result.lead.refresh_from_db()
    assert result.lead.campaign == first
    assert result.touchpoint.campaign == later


def test_a_later_capture_sets_the_campaign_of_a_lead_that_had_none(db):
    campaign = CampaignFactory()
    capture_lead(email="ana@acme.com")
    capture_lead(email="ana@acme.com", campaign=campaign)
    assert Lead.objects.get().campaign == campaign


def test_the_utm_campaign_code_attaches_the_campaign_in_any_case(db):
    campaign = CampaignFactory(utm_campaign="spring-launch")
    result = capture_lead(email="ana@acme.com", utm_campaign="Spring-Launch", utm_source="li")
    lead = Lead.objects.get(pk=result.lead.pk)
    assert lead.campaign == campaign
    assert result.touchpoint.campaign == campaign
    assert (lead.utm_campaign, lead.utm_source) == ("Spring-Launch", "li")


def test_an_unknown_utm_code_leaves_the_campaign_empty(db):
    result = capture_lead(email="ana@acme.com", utm_campaign="nobody-knows")
    assert Lead.objects.get(pk=result.lead.pk).campaign is None


def test_it_records_consent_with_its_time(db):
    capture_lead(email="ana@acme.com", consent=True)
    lead = Lead.objects.get()
    assert lead.consent is True
    assert lead.consent_at is not None


def test_a_capture_without_consent_keeps_consent_given_earlier(db):
    capture_lead(email="ana@acme.com", consent=True)
    given_at = Lead.objects.get().consent_at
    capture_lead(email="ana@acme.com", consent=False)
    lead = Lead.objects.get()
    assert (lead.consent, lead.consent_at) == (True, given_at)


def test_it_records_the_touchpoint_at_the_time_given(db):
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    result = capture_lead(
        email="ana@acme.com", touchpoint_kind="webinar_attended", occurred_at=at, url="https://x.io"
    )
    touchpoint = Touchpoint.objects.get(pk=result.touchpoint.pk)
    assert (touchpoint.kind, touchpoint.occurred_at, touchpoint.url) == (
        "webinar_attended",
        at,
        "https://x.io",
    )


def test_it_queues_scoring_only_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = capture_lead(email="ana@acme.com", job_title="VP Sales")
    assert Lead.objects.get(pk=result.lead.pk).scored_at is None
    assert len(callbacks) == 1
    callbacks[0]()
    assert Lead.objects.get(pk=result.lead.pk).scored_at is not None


def test_a_captured_lead_with_enough_points_becomes_an_mql_with_an_open_handoff(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = capture_lead(
            email="ana@acme.com",
            job_title="VP Marketing",
            company_size=300,
            country="us",
            touchpoint_kind="demo_requested",
        )
    lead = Lead.objects.get(pk=result.lead.pk)
    assert lead.score == 20 + 15 + 5 + 40
    assert lead.stage == Stage.MQL
    assert lead.handoffs.get().status == "open"


def test_it_records_a_lead_captured_event(db):
    campaign = CampaignFactory()
    result = capture_lead(email="ana@acme.com", campaign=campaign)
    event = Event.objects.get(name="lead.captured")
    assert event.subject == f"lead:{result.lead.pk}"
    assert event.payload == {
        "lead": result.lead.pk,
        "email": "ana@acme.com",
        "campaign": campaign.pk,
    }


def test_a_repeat_capture_records_no_second_captured_event(db):
    capture_lead(email="ana@acme.com")
    capture_lead(email="ana@acme.com")
    assert Event.objects.filter(name="lead.captured").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"company": "x" * 201}, "company"),
        ({"company_size": "many"}, "company_size"),
        ({"company_size": -3}, "company_size"),
        ({"country": "Germany"}, "country"),
    ],
)
def test_a_value_the_lead_cannot_hold_is_a_field_error(db, fields, field):
    with pytest.raises(ValidationError) as caught:
        capture_lead(email="ana@acme.com", **fields)
    assert field in caught.value.message_dict
    assert not Lead.objects.exists()


def test_a_number_given_as_text_is_stored_as_a_number(db):
    capture_lead(email="ana@acme.com", company_size=" 250 ")
    assert Lead.objects.get().company_size == 250


def test_a_touchpoint_url_longer_than_the_column_is_a_field_error(db):
    with pytest.raises(ValidationError) as caught:
        capture_lead(email="ana@acme.com", url="https://acme.com/" + "a" * 500)
    assert "url" in caught.value.message_dict
