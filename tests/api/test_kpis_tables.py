"""API: kpis/campaigns/ and kpis/reps/, the tables of the dashboard."""

from decimal import Decimal

import pytest

from campaigns.models import Channel
from handoffs.models import Handoff
from tests.factories import CampaignFactory, CostEntryFactory, TouchpointFactory
from tests.kpis.builders import at, history, lead_created, opened

CAMPAIGNS, REPS = "/api/v1/kpis/campaigns/", "/api/v1/kpis/reps/"
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def march(db, rep):
    """Campaign W (webinar, 300 spent): w1 touched by W then E, SQL and won for 1000;
    w2 sent back (no need). Campaign E (email, 100 spent): no lead of its own."""
    webinar = CampaignFactory(name="W", channel=Channel.WEBINAR)
    email = CampaignFactory(name="E", channel=Channel.EMAIL)
    CostEntryFactory(campaign=webinar, date=at(2).date(), amount=Decimal("300"))
    CostEntryFactory(campaign=email, date=at(2).date(), amount=Decimal("100"))
    w1 = lead_created(at(1), webinar, owner=rep)
    TouchpointFactory(lead=w1, campaign=webinar, occurred_at=at(1))
    TouchpointFactory(lead=w1, campaign=email, occurred_at=at(4))
    history(w1, ("mql", at(2)), ("sal", at(3)), ("sql", at(5)), ("won", at(9), Decimal(1000)))
    opened(w1, at(2), claimed_at=at(2, 10, 20), claimed_by=rep, first_contact_at=at(2, 11))
    w2 = lead_created(at(6), webinar)
    opened(
        w2,
        at(6),
        routed_to=rep,
        rejected_by=rep,
        status=Handoff.Status.REJECTED,
        rejected_at=at(6, 10, 30),
        rejection_reason="no_need",
    )
    return {"webinar": webinar, "email": email}


def test_the_campaign_table_answers_a_row_per_campaign(api_as, manager, march):
    response = api_as(manager).get(CAMPAIGNS, MARCH)

    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()}
    assert set(rows) == {"W", "E"}
    w = rows["W"]
    assert (w["campaign"], w["channel"], w["leads"], w["sqls"], w["won"]) == (
        march["webinar"].pk,
        "webinar",
        2,
        1,
        1,
    )
    assert (w["spend"], w["won_amount"], w["cost_per_lead"], w["cost_per_sql"]) == (
        "300.00",
        "1000.00",
        "150.00",
        "300.00",
    )
    assert (w["accepted"], w["rejected"], w["acceptance_rate"]) == (1, 1, 0.5)
    assert w["top_rejection_reason"] == "no_need"
    assert w["rejection_reasons"] == [
        {"reason": "no_need", "label": "No need right now", "count": 1}
    ]
    assert (w["attribution"], w["pipeline"], w["attributed_won_amount"], w["roi"]) == (
        "first_touch",
        1.0,
        "1000.00",
        2.3333,
    )
    assert w["currency"] == "EUR"


def test_the_attribution_model_moves_the_credit(api_as, manager, march):
    rows = api_as(manager).get(CAMPAIGNS, {**MARCH, "attribution": "linear"}).json()
    credit = {row["name"]: (row["pipeline"], row["attributed_won_amount"]) for row in rows}

    assert credit == {"W": (0.5, "500.00"), "E": (0.5, "500.00")}


def test_the_campaign_table_takes_the_dashboard_filters(api_as, manager, march):
    rows = api_as(manager).get(CAMPAIGNS, {**MARCH, "channel": "email"}).json()

    assert [row["name"] for row in rows] == ["E"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"attribution": "u_shaped"}, "attribution"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "end"),
        ({"campaign": 999999}, "campaign"),
        ({"owner": "nobody"}, "owner"),
        ({"channel": "smoke_signals"}, "channel"),
    ],
)
def test_bad_campaign_table_parameters_are_400s(api_as, manager, params, field):
    response = api_as(manager).get(CAMPAIGNS, params)

    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("attribution", ["first_touch", "last_touch", "linear"])
def test_the_campaign_table_takes_at_most_ten_queries(
    api_as, manager, rep, march, attribution, django_assert_max_num_queries
):
    for n in range(5):
        campaign = CampaignFactory()
        lead = lead_created(at(10 + n), campaign)
        TouchpointFactory(lead=lead, campaign=campaign, occurred_at=at(10 + n))
        history(lead, ("mql", at(11 + n)), ("sal", at(11 + n, 11)), ("sql", at(12 + n)))
    client = api_as(manager)
    params = {**MARCH, "attribution": attribution, "owner": rep.pk, "channel": "webinar"}
    with django_assert_max_num_queries(10):
        response = client.get(CAMPAIGNS, params)
    assert response.status_code == 200


def test_the_rep_table_answers_a_row_per_rep(api_as, manager, rep, march):
    response = api_as(manager).get(REPS, MARCH)

    assert response.status_code == 200
    sam = next(row for row in response.json() if row["username"] == "sam")
    assert (sam["rep"], sam["handoffs"], sam["claimed"], sam["rejections"]) == (rep.pk, 2, 1, 1)
    assert (sam["speed_to_claim_minutes_median"], sam["speed_to_contact_minutes_median"]) == (
        20.0,
        40.0,
    )
    assert (sam["sqls"], sam["won"], sam["won_amount"], sam["win_rate"]) == (1, 1, "1000.00", 1.0)
    assert sam["currency"] == "EUR"


def test_the_rep_table_takes_at_most_ten_queries(
    api_as, manager, rep, march, django_assert_max_num_queries
):
    client = api_as(manager)
    with django_assert_max_num_queries(10):
        response = client.get(REPS, {**MARCH, "owner": rep.pk, "campaign": march["webinar"].pk})
    assert response.status_code == 200


@pytest.mark.parametrize("url", [CAMPAIGNS, REPS])
@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_the_tables(api_as, persona, role, url):
    assert api_as(persona(role)).get(url).status_code == 200


@pytest.mark.parametrize("url", [CAMPAIGNS, REPS])
def test_an_outsider_cannot_read_the_tables(api_as, outsider, url):
    assert api_as(outsider).get(url).status_code == 403


@pytest.mark.parametrize("url", [CAMPAIGNS, REPS])
def test_anonymous_callers_get_401_for_the_tables(api, db, url):
    assert api.get(url).status_code == 401
