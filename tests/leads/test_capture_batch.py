"""``leads.services.capture_leads``: the batch form of capture, set-based, row by row results."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alignment.models import Event
from leads.models import Lead, Touchpoint
from leads.services import capture_lead, capture_leads
from tests.factories import CampaignFactory

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_batch_creates_one_lead_per_email_and_a_touchpoint_per_row(db):
    result = capture_leads(
        [{"email": "ana@acme.com"}, {"email": "bo@beta.io"}, {"email": "cy@corp.io"}],
        touchpoint_kind="imported",
    )

    assert [row.status for row in result.rows] == ["created", "created", "created"]
    assert Lead.objects.count() == 3
    assert list(Touchpoint.objects.values_list("kind", flat=True)) == ["imported"] * 3
    assert [row.lead_id for row in result.rows] == [
        Lead.objects.get(email=email).pk for email in ("ana@acme.com", "bo@beta.io", "cy@corp.io")
    ]


def test_rows_with_one_email_in_a_batch_end_as_one_lead(db):
    result = capture_leads(
        [
            {"email": "ana@acme.com", "first_name": "Ana"},
            {"email": " ANA@acme.com", "company": "Acme"},
        ]
    )

    assert [row.status for row in result.rows] == ["created", "updated"]
    lead = Lead.objects.get()
    assert (lead.first_name, lead.company) == ("Ana", "Acme")
    assert lead.touchpoints.count() == 2
    assert result.rows[0].lead_id == result.rows[1].lead_id == lead.pk


def test_a_known_email_is_updated(db):
    existing = capture_lead(email="ana@acme.com").lead

    result = capture_leads([{"email": "ana@acme.com", "job_title": "CMO"}])

    assert result.rows[0].status == "updated"
    assert result.rows[0].lead_id == existing.pk
    assert Lead.objects.get().job_title == "CMO"


def test_a_bad_row_is_reported_and_the_good_ones_are_captured(db):
    result = capture_leads(
        [
            {"email": "ana@acme.com"},
            {"email": "not-an-email", "company_size": "many"},
            {"email": "bo@beta.io"},
        ]
    )

    assert [row.status for row in result.rows] == ["created", "error", "created"]
    assert set(result.rows[1].errors) == {"email", "company_size"}
    assert set(Lead.objects.values_list("email", flat=True)) == {"ana@acme.com", "bo@beta.io"}
    assert result.counts == {"created": 2, "updated": 0, "error": 1}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"company": "x" * 201}, "company"),
        ({"company": {"name": "Acme"}}, "company"),
        ({"first_name": "Ana\x00"}, "first_name"),
        ({"company_size": True}, "company_size"),
        ({"company_size": 2.5}, "company_size"),
        ({"company_size": 10**20}, "company_size"),
        ({"country": "D1"}, "country"),
        ({"consent": "perhaps"}, "consent"),
        ({"occurred_at": "last tuesday"}, "occurred_at"),
        ({"touchpoint_kind": "telepathy"}, "touchpoint_kind"),
        ({"url": "https://acme.com/" + "a" * 500}, "url"),
        ({"campaign": 999_999}, "campaign"),
        ({"campaign": "spring"}, "campaign"),
    ],
)
def test_a_value_the_lead_cannot_hold_is_that_rows_field_error(db, row, field):
    result = capture_leads([{"email": "ana@acme.com", **row}])

    assert result.rows[0].status == "error"
    assert field in result.rows[0].errors
    assert not Lead.objects.exists()


def test_spreadsheet_values_are_read_as_the_lead_stores_them(db):
    capture_leads(
        [
            {
                "email": "ana@acme.com",
                "company_size": " 250 ",
                "country": " de ",
                "consent": "Yes",
                "phone": 5550100,
                "occurred_at": "2026-03-02T10:30:00+01:00",
            }
        ]
    )

    lead = Lead.objects.get()
    assert (lead.company_size, lead.country, lead.consent, lead.phone) == (
        250,
        "DE",
        True,
        "5550100",
    )
    assert lead.touchpoints.get().occurred_at == AT


def test_a_field_the_capture_does_not_know_is_a_programming_error(db):
    with pytest.raises(TypeError):
        capture_leads([{"email": "ana@acme.com", "stage": "won"}])


def test_the_batch_campaign_is_the_default_of_rows_without_one(db):
    default, own = CampaignFactory(), CampaignFactory()

    capture_leads(
        [{"email": "ana@acme.com"}, {"email": "bo@beta.io", "campaign": own.pk}],
        campaign=default,
    )

    assert Lead.objects.get(email="ana@acme.com").campaign == default
    assert Lead.objects.get(email="bo@beta.io").campaign == own


def test_a_utm_code_attaches_its_campaign_in_any_case(db):
    campaign = CampaignFactory(utm_campaign="spring-launch")

    capture_leads([{"email": "ana@acme.com", "utm_campaign": "Spring-LAUNCH"}])

    assert Lead.objects.get().campaign == campaign
    assert Touchpoint.objects.get().campaign == campaign


def test_a_batch_records_one_captured_event_per_new_lead(db):
    capture_lead(email="old@acme.com")
    Event.objects.all().delete()

    capture_leads([{"email": "old@acme.com"}, {"email": "ana@acme.com"}, {"email": "ana@acme.com"}])

    [event] = Event.objects.filter(name="lead.captured")
    assert event.payload["email"] == "ana@acme.com"


def test_every_captured_lead_is_marked_for_scoring(db):
    capture_lead(email="old@acme.com")
    Lead.objects.update(scored_at=timezone.now())

    capture_leads([{"email": "old@acme.com"}, {"email": "ana@acme.com"}])

    assert not Lead.objects.filter(scored_at__isnull=False).exists()


def test_a_batch_asks_for_scoring_once_after_commit(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        capture_leads([{"email": f"lead{n}@acme.com"} for n in range(3)])

    assert len(callbacks) == 1
    assert not Lead.objects.filter(scored_at__isnull=True).exists()


def test_a_batch_of_only_bad_rows_writes_nothing(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = capture_leads([{"email": "nope"}, {"email": ""}])

    assert [row.status for row in result.rows] == ["error", "error"]


def test_a_batch_takes_the_same_few_queries_for_ten_rows_or_two_hundred(
    db, django_assert_max_num_queries
):
    CampaignFactory(utm_campaign="spring")
    rows = [
        {"email": f"lead{n}@acme.com", "company": "Acme", "utm_campaign": "spring"}
        for n in range(200)
    ]

    # Merged emails, campaign codes, existing emails (SQLite only), the upsert (SQLite:
    # 58 rows a statement), the leads read back, touchpoints, events, and the savepoints.
    with django_assert_max_num_queries(16):
        result = capture_leads(rows)

    assert result.counts["created"] == 200


def test_capture_lead_raises_the_rows_errors(db):
    with pytest.raises(ValidationError) as caught:
        capture_lead(email="ana@acme.com", company_size="lots", country="Germany")

    assert set(caught.value.message_dict) == {"company_size", "country"}
