"""API: kpis/summary/ beyond the first contract: every KPI, the period before, the
currency and the owner filter."""

from decimal import Decimal

import pytest

from kpis.queries import DEFAULT_METRICS, METRICS, Period, compare
from tests.factories import CampaignFactory, CostEntryFactory
from tests.kpis.builders import at, history, lead_created

URL = "/api/v1/kpis/summary/"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def march(db, marketer, rep):
    """The marketer's campaign: 2 leads in March (1 an MQL, 1 owned by the rep), 1 in
    February; 300 spent in March, 100 in February. The rep also owns a lead of another
    campaign."""
    campaign = CampaignFactory(owner=marketer)
    mql = lead_created(at(2), campaign)
    history(mql, ("mql", at(3)))
    lead_created(at(4), campaign, owner=rep)
    lead_created(at(10, month=2), campaign)
    lead_created(at(5), CampaignFactory(), owner=rep)
    CostEntryFactory(campaign=campaign, date=at(9).date(), amount=Decimal("300"))
    CostEntryFactory(campaign=campaign, date=at(9, month=2).date(), amount=Decimal("100"))
    return campaign


def test_it_answers_every_kpi_with_the_period_before(api_as, manager, march):
    body = api_as(manager).get(URL, MARCH).json()

    assert set(DEFAULT_METRICS) <= set(body)
    assert (body["previous_start"], body["previous_end"]) == ("2026-01-29", "2026-02-28")
    assert (body["leads"], body["previous"]["leads"]) == (3, 1)
    assert (body["spend"], body["previous"]["spend"]) == ("300.00", "100.00")
    assert (body["cost_per_lead"], body["previous"]["cost_per_lead"]) == ("100.00", "100.00")
    assert body["lead_velocity"] is None
    assert body["previous"]["unowned_leads"] is None


def test_it_agrees_with_the_query_functions(api_as, manager, march):
    body = api_as(manager).get(URL, MARCH).json()
    numbers = compare(Period.from_dates(*(at(1).date(), at(31).date())))

    for name in DEFAULT_METRICS:
        expected = numbers.current[name]
        if METRICS[name].kind == "money" and expected is not None:
            expected = str(expected)
        assert body[name] == expected, name


def test_money_comes_with_its_currency(api_as, manager, march, settings):
    settings.CURRENCY = "USD"

    assert api_as(manager).get(URL, MARCH).json()["currency"] == "USD"


def test_it_filters_by_owner(api_as, manager, rep, marketer, march):
    for_rep = api_as(manager).get(URL, {**MARCH, "owner": rep.pk}).json()
    for_marketer = api_as(manager).get(URL, {**MARCH, "owner": marketer.pk}).json()

    assert (for_rep["leads"], for_rep["spend"]) == (2, "0.00")
    assert (for_marketer["leads"], for_marketer["mqls"], for_marketer["spend"]) == (
        2,
        1,
        "300.00",
    )


@pytest.mark.parametrize("owner", [999999, "sam"])
def test_an_unknown_owner_is_a_400(api_as, manager, owner):
    response = api_as(manager).get(URL, {"owner": owner})

    assert response.status_code == 400
    assert "owner" in response.json()


def test_it_takes_at_most_ten_queries_with_every_filter(
    api_as, manager, rep, march, django_assert_max_num_queries
):
    client = api_as(manager)
    with django_assert_max_num_queries(10):
        response = client.get(URL, {**MARCH, "campaign": march.pk, "owner": rep.pk})
    assert response.status_code == 200
