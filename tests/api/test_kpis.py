"""API: kpis/summary/."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from handoffs.services import move_lead
from tests.factories import CampaignFactory, CostEntryFactory

URL = "/api/v1/kpis/summary/"


def test_it_answers_the_last_30_days_by_default(api_as, manager):
    response = api_as(manager).get(URL)

    assert response.status_code == 200
    body = response.json()
    today = timezone.localdate()
    assert (body["start"], body["end"]) == (
        (today - timedelta(days=29)).isoformat(),
        today.isoformat(),
    )
    assert (body["leads"], body["spend"], body["won_amount"], body["roi"]) == (
        0,
        "0.00",
        "0.00",
        None,
    )


def test_it_counts_the_journey_and_gives_money_as_strings(api_as, manager, rep, claimed_handoff):
    lead = claimed_handoff.lead
    move_lead(lead, to_stage="sql", by=rep)
    move_lead(lead, to_stage="won", by=rep, amount=Decimal("3000"))
    CostEntryFactory(campaign=lead.campaign, amount=Decimal("1000"))

    response = api_as(manager).get(URL)

    body = response.json()
    assert (body["sals"], body["sqls"], body["won"]) == (1, 1, 1)
    assert (body["won_amount"], body["spend"], body["cost_per_sql"]) == (
        "3000.00",
        "1000.00",
        "1000.00",
    )
    assert body["roi"] == 2.0


def test_it_scopes_the_numbers_to_a_campaign(api_as, manager, claimed_handoff):
    CostEntryFactory(campaign=claimed_handoff.lead.campaign, amount=Decimal("10"))
    other = CampaignFactory()
    CostEntryFactory(campaign=other, amount=Decimal("99"))

    response = api_as(manager).get(URL, {"campaign": other.pk})

    assert (response.json()["sals"], response.json()["spend"]) == (0, "99.00")


def test_it_takes_an_explicit_period(api_as, marketer):
    response = api_as(marketer).get(URL, {"start": "2026-01-01", "end": "2026-03-31"})

    assert (response.json()["start"], response.json()["end"]) == ("2026-01-01", "2026-03-31")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "last week"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-03-01", "end": "2026-02-01"}, "end"),
        ({"end": "9999-12-31"}, "end"),
        ({"start": "0001-01-01"}, "start"),
        ({"campaign": 999999}, "campaign"),
        ({"campaign": "spring"}, "campaign"),
        ({"channel": "carrier_pigeon"}, "channel"),
    ],
)
def test_it_answers_400_with_field_errors_for_bad_parameters(api_as, manager, params, field):
    response = api_as(manager).get(URL, params)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_the_numbers(api_as, persona, role):
    assert api_as(persona(role)).get(URL).status_code == 200


def test_an_outsider_cannot_read_the_numbers(api_as, outsider):
    assert api_as(outsider).get(URL).status_code == 403


def test_anonymous_callers_get_401(api, db):
    assert api.get(URL).status_code == 401
