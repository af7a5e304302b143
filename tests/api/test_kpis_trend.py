"""API: kpis/trend/, a KPI by week or month as a JSON list."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import CampaignFactory, CostEntryFactory
from tests.kpis.builders import at, lead_created

URL = "/api/v1/kpis/trend/"


@pytest.fixture
def march(db):
    campaign = CampaignFactory()
    lead_created(at(3), campaign)
    lead_created(at(4), campaign)
    lead_created(at(17), campaign)
    CostEntryFactory(campaign=campaign, date=date(2026, 3, 10), amount=Decimal("80"))
    return campaign


def test_it_answers_the_list_of_points(api_as, manager, march):
    response = api_as(manager).get(
        URL, {"metric": "leads", "interval": "week", "start": "2026-03-02", "end": "2026-03-22"}
    )

    assert response.status_code == 200
    assert response.json() == [
        {"period_start": "2026-03-02", "period_end": "2026-03-08", "value": 2, "currency": "EUR"},
        {"period_start": "2026-03-09", "period_end": "2026-03-15", "value": 0, "currency": "EUR"},
        {"period_start": "2026-03-16", "period_end": "2026-03-22", "value": 1, "currency": "EUR"},
    ]


def test_money_is_a_decimal_string_and_an_empty_ratio_null(api_as, manager, march):
    client = api_as(manager)
    params = {"interval": "month", "start": "2026-03-01", "end": "2026-04-30"}

    spend = client.get(URL, {**params, "metric": "spend"}).json()
    cost = client.get(URL, {**params, "metric": "cost_per_lead"}).json()

    assert [point["value"] for point in spend] == ["80.00", "0.00"]
    assert [point["value"] for point in cost] == ["26.67", None]


def test_it_draws_twelve_weeks_to_today_by_default(api_as, manager):
    body = api_as(manager).get(URL, {"metric": "mqls"}).json()

    today = timezone.localdate()
    assert len(body) == 12
    assert body[-1]["period_start"] == (today - timedelta(days=today.weekday())).isoformat()


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({}, "metric", "required"),
        ({"metric": "happiness"}, "metric", "Choose one of: leads, mqls"),
        ({"metric": "unowned_leads"}, "metric", "has no trend"),
        ({"metric": "leads", "interval": "day"}, "interval", "valid choice"),
        ({"metric": "leads", "start": "2026-03-02", "end": "2026-03-01"}, "end", "before"),
        ({"metric": "leads", "start": "2020-01-01", "end": "2026-03-01"}, "start", "157 weeks"),
        ({"metric": "leads", "start": "2026-02-30"}, "start", "YYYY-MM-DD"),
    ],
)
def test_bad_trend_parameters_are_400s_that_say_why(api_as, manager, params, field, words):
    response = api_as(manager).get(URL, params)

    assert response.status_code == 400
    assert words in " ".join(response.json()[field])


def test_months_allow_a_longer_range(api_as, manager):
    response = api_as(manager).get(
        URL, {"metric": "leads", "interval": "month", "start": "2020-01-01", "end": "2026-03-01"}
    )

    assert (response.status_code, len(response.json())) == (200, 75)


def test_a_trend_takes_at_most_ten_queries(
    api_as, manager, rep, march, django_assert_max_num_queries
):
    client = api_as(manager)
    params = {
        "metric": "roi",
        "interval": "week",
        "start": "2025-04-01",
        "end": "2026-03-31",
        "campaign": march.pk,
        "owner": rep.pk,
    }
    with django_assert_max_num_queries(10):
        response = client.get(URL, params)
    assert (response.status_code, len(response.json())) == (200, 53)


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_a_trend(api_as, persona, role):
    assert api_as(persona(role)).get(URL, {"metric": "leads"}).status_code == 200


def test_an_outsider_cannot_read_a_trend(api_as, outsider):
    assert api_as(outsider).get(URL, {"metric": "leads"}).status_code == 403


def test_anonymous_callers_get_401_for_a_trend(api, db):
    assert api.get(URL, {"metric": "leads"}).status_code == 401


@pytest.mark.parametrize(
    "path", ["/api/v1/kpis/summary/", "/api/v1/kpis/campaigns/", "/api/v1/kpis/reps/"]
)
def test_a_period_of_centuries_answers_400_not_500(api_as, manager, path):
    response = api_as(manager).get(path, {"start": "1900-01-01", "end": "2999-12-31"})

    assert response.status_code == 400
    assert response.json()["start"] == ["A period is at most 100 years long."]


def test_kpi_days_are_the_teams_whoever_asks(api_as, manager, settings):
    from datetime import UTC, datetime

    from alignment.models import TeamCalendar

    settings.TIME_ZONE = "UTC"
    TeamCalendar.objects.filter(pk=1).update(time_zone="Europe/Berlin")
    lead_created(datetime(2026, 1, 31, 23, 30, tzinfo=UTC))  # 1 February, 00:30 in Berlin

    january = api_as(manager).get(
        "/api/v1/kpis/summary/", {"start": "2026-01-01", "end": "2026-01-31"}
    )
    february = api_as(manager).get(
        "/api/v1/kpis/summary/", {"start": "2026-02-01", "end": "2026-02-28"}
    )

    assert (january.json()["leads"], february.json()["leads"]) == (0, 1)
