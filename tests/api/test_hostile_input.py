"""Hostile input answers 400 (or 413) with a message, never a 500: dates and times no
database or zone can hold, bulk rows that are bad in any way, JSON nested deep or sent
too large. Run on SQLite and on PostgreSQL: offsets past ±15:59 break only there."""

import json
from datetime import UTC, datetime

import pytest
from django.test import Client

from alignment.fields import OFFSET_MESSAGE, RANGE_MESSAGE
from handoffs.models import Activity
from leads.models import Lead, Touchpoint
from tests.factories import CampaignFactory, LeadFactory

BAD_OFFSETS = ["2026-03-01T10:00:00+16:00", "2026-03-01T10:00:00-16:00"]
# Past year 9999 or before year 1 in UTC (the last two only once converted to UTC).
BAD_YEARS = [
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+05:00",
]
FILTERS = [
    ("/api/v1/leads/", "created_after"),
    ("/api/v1/leads/", "created_before"),
    ("/api/v1/touchpoints/", "occurred_after"),
    ("/api/v1/touchpoints/", "occurred_before"),
    ("/api/v1/activities/", "occurred_after"),
]


def nested_lists(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


# Dates and times ------------------------------------------------------------------------


@pytest.mark.parametrize("value", BAD_OFFSETS)
@pytest.mark.parametrize(("url", "name"), FILTERS)
def test_a_filter_with_an_offset_no_zone_uses_answers_400(api_as, manager, url, name, value):
    LeadFactory()

    response = api_as(manager).get(url, {name: value})

    assert response.status_code == 400
    assert response.json() == {name: [OFFSET_MESSAGE]}


@pytest.mark.parametrize("value", BAD_YEARS)
@pytest.mark.parametrize(("url", "name"), FILTERS)
def test_a_filter_with_a_year_out_of_range_answers_400(api_as, manager, url, name, value):
    response = api_as(manager).get(url, {name: value})

    assert response.status_code == 400
    assert response.json()[name]


@pytest.mark.parametrize("value", ["2000-01-01T00:00:00+14:00", "2000-01-01T00:00:00-14:00"])
def test_a_filter_takes_every_offset_a_zone_uses(api_as, manager, value):
    lead = LeadFactory()

    response = api_as(manager).get("/api/v1/leads/", {"created_after": value})

    assert [row["id"] for row in response.json()["results"]] == [lead.pk]


def test_the_lead_list_page_with_a_bad_offset_answers_the_page(client, manager):
    client.force_login(manager)

    response = client.get("/leads/", {"created_after": BAD_OFFSETS[0]})

    assert response.status_code < 500


@pytest.mark.parametrize("value", [*BAD_OFFSETS, *BAD_YEARS])
def test_a_touchpoint_at_a_time_no_database_holds_answers_400(api_as, marketer, mql_lead, value):
    body = {"lead": mql_lead.pk, "kind": "ad_click", "occurred_at": value}

    response = api_as(marketer).post("/api/v1/touchpoints/", body, format="json")

    assert response.status_code == 400
    assert response.json()["occurred_at"]
    assert not Touchpoint.objects.filter(lead=mql_lead).exists()


@pytest.mark.parametrize("value", [*BAD_OFFSETS, *BAD_YEARS])
def test_an_activity_at_a_time_no_database_holds_answers_400(api_as, rep, mql_lead, value):
    body = {"lead": mql_lead.pk, "kind": "call", "occurred_at": value}

    response = api_as(rep).post("/api/v1/activities/", body, format="json")

    assert response.status_code == 400
    assert response.json()["occurred_at"]
    assert not Activity.objects.exists()


def test_a_time_a_page_could_not_show_in_every_zone_is_refused(api_as, marketer, mql_lead):
    # 23:00 UTC on the last day is the next year east of Greenwich: a page would break.
    body = {"lead": mql_lead.pk, "kind": "ad_click", "occurred_at": "9999-12-31T23:00:00Z"}

    response = api_as(marketer).post("/api/v1/touchpoints/", body, format="json")

    assert response.json() == {"occurred_at": [RANGE_MESSAGE]}


def test_time_away_with_an_offset_no_zone_uses_answers_400(api_as, rep):
    body = {"away_from": "2026-08-01T00:00:00-16:00"}

    response = api_as(rep).put(f"/api/v1/reps/{rep.pk}/availability/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"away_from": [OFFSET_MESSAGE]}


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/kpis/summary/", {"start": "0001-01-01"}, "start"),
        ("/api/v1/kpis/summary/", {"end": "9999-12-31"}, "end"),
        ("/api/v1/kpis/trend/", {"metric": "leads", "start": "0001-01-01"}, "start"),
        ("/api/v1/kpis/campaigns/", {"start": BAD_OFFSETS[0]}, "start"),
        ("/api/v1/kpis/reps/", {"end": "10000-01-01"}, "end"),
        ("/api/v1/campaigns/", {"starts_after": BAD_OFFSETS[0]}, "starts_after"),
        ("/api/v1/campaigns/", {"ends_before": "0000-01-01"}, "ends_before"),
    ],
)
def test_a_date_out_of_range_in_a_query_answers_400(api_as, manager, url, params, field):
    response = api_as(manager).get(url, params)

    assert response.status_code == 400
    assert response.json()[field]


def test_a_goal_out_of_range_answers_400(api_as, manager):
    body = {"metric": "leads", "target": "10", "period_start": "0001-01-01"}

    response = api_as(manager).post("/api/v1/goals/", body, format="json")

    assert response.status_code == 400
    assert response.json()["period_start"]


# Bulk rows ------------------------------------------------------------------------------

GOOD_ROW = {"email": "good@acme.com", "first_name": "Gil"}
BAD_ROWS = {
    "an offset no zone uses": ({"occurred_at": BAD_OFFSETS[0]}, "occurred_at"),
    "a year that overflows in UTC": ({"occurred_at": "9999-12-31T23:00:00-05:00"}, "occurred_at"),
    "a year before UTC's first": ({"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
    "an object for a name": ({"first_name": {"text": "Bad"}}, "first_name"),
    "a list for a phone": ({"phone": ["+1"]}, "phone"),
    "an object for the touchpoint kind": ({"touchpoint_kind": {"a": 1}}, "touchpoint_kind"),
    "a list for the touchpoint kind": ({"touchpoint_kind": ["form_submitted"]}, "touchpoint_kind"),
    "a campaign id past 64 bits": ({"campaign": 10**30}, "campaign"),
    "a campaign id past 64 bits as text": ({"campaign": "9" * 30}, "campaign"),
    "a negative campaign id past 64 bits": ({"campaign": -(10**30)}, "campaign"),
    "a company size past the column": ({"company_size": 10**30}, "company_size"),
    "a company size of 1e300": ({"company_size": 1e300}, "company_size"),
    "a NUL in the phone": ({"phone": "+1\x00555"}, "phone"),
    "a NUL in a UTM code": ({"utm_source": "news\x00letter"}, "utm_source"),
    "a lone surrogate in a name": ({"first_name": "Ada\ud800"}, "first_name"),
    "a lone surrogate in the url": ({"url": "https://acme.example/\udc00"}, "url"),
    "a name past the column": ({"last_name": "x" * 1000}, "last_name"),
}


@pytest.mark.parametrize(("extra", "field"), BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_a_bad_bulk_row_is_reported_and_the_good_ones_are_captured(api_as, marketer, extra, field):
    body = json.dumps({"leads": [{"email": "bad@acme.com", **extra}, GOOD_ROW]})

    response = api_as(marketer).post("/api/v1/leads/bulk/", body, content_type="application/json")

    assert response.status_code == 200, response.content
    bad, good = response.json()["results"]
    assert bad["status"] == "error"
    assert bad["errors"][field]
    assert good["status"] == "created"
    assert Lead.objects.get(pk=good["id"]).first_name == "Gil"
    assert not Lead.objects.filter(email="bad@acme.com").exists()


def test_a_bulk_row_at_a_time_with_an_offset_is_stored_in_utc(api_as, marketer):
    row = {"email": "ada@acme.com", "occurred_at": "2026-03-01T10:00:00+14:00"}

    api_as(marketer).post("/api/v1/leads/bulk/", {"leads": [row]}, format="json")

    touchpoint = Touchpoint.objects.get(lead__email="ada@acme.com")
    assert touchpoint.occurred_at == datetime(2026, 2, 28, 20, tzinfo=UTC)


# Nesting and size -------------------------------------------------------------------------


@pytest.mark.parametrize("body", [nested_lists(1000), nested_objects(1000)], ids=["[[", "{a:"])
@pytest.mark.parametrize(
    "url", ["/api/v1/leads/", "/api/v1/leads/bulk/", "/api/v1/imports/", "/api/v1/campaigns/"]
)
def test_json_nested_a_thousand_deep_answers_400(api_as, manager, url, body):
    response = api_as(manager).post(url, body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_a_two_kilobyte_body_of_brackets_answers_400_with_an_idempotency_key(api_as, marketer):
    response = api_as(marketer).post(
        "/api/v1/leads/",
        nested_lists(1000),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="nested-1",
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"


def test_json_nested_past_the_limit_is_refused_where_python_would_still_read_it(api_as, marketer):
    body = '{"email": "ada@acme.com", "first_name": ' + nested_lists(32) + "}"

    response = api_as(marketer).post("/api/v1/leads/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]


def test_json_nested_up_to_the_limit_reaches_the_fields(api_as, marketer):
    body = '{"email": "ada@acme.com", "first_name": ' + nested_lists(31) + "}"

    response = api_as(marketer).post("/api/v1/leads/", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"first_name": ["Not a valid string."]}


def test_an_import_mapping_nested_deep_is_a_field_error(api_as, marketer):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("leads.csv", b"email\nada@acme.com\n", content_type="text/csv")

    response = api_as(marketer).post(
        "/api/v1/imports/", {"file": upload, "mapping": nested_objects(1000)}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["mapping"]


@pytest.fixture
def form_url(db, marketer):
    campaign = CampaignFactory(owner=marketer, status="active")
    return f"/f/{campaign.form_key}/"


@pytest.mark.parametrize("body", [nested_lists(1000), nested_objects(1000)], ids=["[[", "{a:"])
def test_the_public_form_refuses_deeply_nested_json_without_a_login(form_url, body):
    response = Client().post(form_url, body, content_type="application/json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert not Lead.objects.exists()


def test_the_public_form_refuses_json_nested_past_the_limit(form_url):
    body = '{"email": "ada@acme.com", "first_name": ' + nested_lists(32) + "}"

    response = Client().post(form_url, body, content_type="application/json")

    assert response.status_code == 400
    assert not Lead.objects.exists()


@pytest.mark.parametrize("format_", ["json", "multipart"])
def test_a_body_over_the_upload_limit_answers_413_json(api_as, marketer, settings, format_):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api_as(marketer).post(
        "/api/v1/leads/", {"email": "ada@acme.com", "company": "x" * 2000}, format=format_
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert "too large" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_a_json_body_over_the_limit_on_the_public_form_answers_413_json(form_url, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"email": "ada@acme.com", "message": "x" * 2000})

    response = Client().post(form_url, body, content_type="application/json")

    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
