"""API: goals/ and goals/{id}/: each role and method, bad bodies, filters, query counts."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.models import Channel
from kpis.goals import create_goal
from kpis.models import Goal
from leads.models import Stage
from tests.factories import CampaignFactory, LeadFactory, StageChangeFactory

URL = "/api/v1/goals/"


def detail(goal: Goal) -> str:
    return f"{URL}{goal.pk}/"


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def set_goal(by, metric="sqls", target=10, **fields) -> Goal:
    fields.setdefault("period_start", this_month())
    fields.setdefault("period_kind", Goal.PeriodKind.MONTH)
    return create_goal(by=by, metric=metric, target=Decimal(target), **fields)


@pytest.fixture
def company_goal(manager):
    return set_goal(manager, target=120)


def body(**changes) -> dict:
    return {
        "metric": "sqls",
        "period_kind": "month",
        "period_start": this_month().isoformat(),
        "target": "120",
        **changes,
    }


# Reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_the_goals_with_their_progress(api_as, persona, role, company_goal):
    StageChangeFactory(lead=LeadFactory(), to_stage=Stage.SQL, changed_at=timezone.now())

    response = api_as(persona(role)).get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row == {
        "id": company_goal.pk,
        "metric": "sqls",
        "label": "SQLs",
        "unit": "count",
        "period_kind": "month",
        "period_start": company_goal.period_start.isoformat(),
        "period_end": company_goal.period_end.isoformat(),
        "target": "120",
        "scope": {"campaign": None, "channel": None, "owner": None},
        "currency": None,
        "actual": "1",
        "progress": round(1 / 120, 4),
        "expected_now": row["expected_now"],
        "elapsed": row["elapsed"],
        "state": "running",
        "pace": row["pace"],
        "pace_text": row["pace_text"],
        "met": None,
        "created_by": company_goal.created_by_id,
        "created_at": row["created_at"],
    }
    assert 0 < row["elapsed"] <= 1
    assert row["pace"] in ("ahead", "on_track", "behind")


def test_money_goals_carry_the_currency(api_as, manager, settings):
    settings.CURRENCY = "CHF"
    goal = set_goal(manager, metric="won_amount", target=50000)

    row = api_as(manager).get(detail(goal)).json()

    assert (row["currency"], row["target"], row["actual"]) == ("CHF", "50000.00", "0.00")


def test_an_outsider_reads_no_goals(api_as, outsider, company_goal):
    assert api_as(outsider).get(URL).status_code == 403


def test_goals_need_credentials(api, company_goal):
    assert api.get(URL).status_code == 401


def test_an_unknown_goal_is_404(api_as, manager):
    response = api_as(manager).get(f"{URL}999999/")

    assert response.status_code == 404
    assert "detail" in response.json()


# Filters ---------------------------------------------------------------------------------


def test_active_lists_only_goals_running_today(api_as, manager, company_goal):
    last_year = set_goal(manager, period_start=this_month().replace(year=this_month().year - 1))

    running = api_as(manager).get(URL, {"active": "true"}).json()["results"]
    other = api_as(manager).get(URL, {"active": "false"}).json()["results"]

    assert [row["id"] for row in running] == [company_goal.pk]
    assert [row["id"] for row in other] == [last_year.pk]


def test_goals_filter_by_metric_campaign_and_owner(api_as, manager, rep):
    campaign = CampaignFactory()
    on_campaign = set_goal(manager, metric="mqls", campaign=campaign)
    on_rep = set_goal(manager, owner=rep)
    set_goal(manager, metric="won")
    client = api_as(manager)

    def ids(**params):
        return [row["id"] for row in client.get(URL, params).json()["results"]]

    assert ids(metric="mqls") == [on_campaign.pk]
    assert ids(campaign=campaign.pk) == [on_campaign.pk]
    assert ids(owner=rep.pk) == [on_rep.pk]


def test_a_bad_filter_is_400(api_as, manager):
    response = api_as(manager).get(URL, {"metric": "happiness", "owner": "x"})

    assert response.status_code == 400
    assert set(response.json()) == {"metric", "owner"}


def test_the_list_costs_the_same_queries_for_five_goals_of_one_period_and_scope_as_for_one(
    api_as, manager, django_assert_max_num_queries
):
    client = api_as(manager)
    set_goal(manager, metric="sqls")
    with django_assert_max_num_queries(50) as alone:
        assert client.get(URL).status_code == 200
    for metric in ("mqls", "sals", "won", "lost"):
        set_goal(manager, metric=metric)

    with django_assert_max_num_queries(len(alone)):
        response = client.get(URL)

    assert response.json()["count"] == 5


# Writing: who may set which goal ---------------------------------------------------------


@pytest.fixture
def scopes(marketer, rep, other_rep):
    """A goal body's ``scope`` for each case, by name."""
    mine = CampaignFactory(owner=marketer)
    theirs = CampaignFactory(owner=other_rep)
    return {
        "company": None,
        "channel": {"channel": "email"},
        "own campaign": {"campaign": mine.pk},
        "someone else's campaign": {"campaign": theirs.pk},
        "the marketer": {"owner": marketer.pk},
        "the rep": {"owner": rep.pk},
    }


CREATES = [
    ("manager", "company", 201),
    ("manager", "channel", 201),
    ("manager", "someone else's campaign", 201),
    ("manager", "the rep", 201),
    ("marketer", "company", 403),
    ("marketer", "channel", 403),
    ("marketer", "own campaign", 201),
    ("marketer", "someone else's campaign", 403),
    ("marketer", "the marketer", 201),
    ("marketer", "the rep", 403),
    ("rep", "company", 403),
    ("rep", "own campaign", 403),
    ("rep", "the rep", 201),
    ("rep", "the marketer", 403),
    ("outsider", "company", 403),
    ("outsider", "the rep", 403),
]


@pytest.mark.parametrize(("role", "scope", "status"), CREATES)
def test_post_sets_a_goal_on_the_scopes_a_role_may(api_as, persona, scopes, role, scope, status):
    response = api_as(persona(role)).post(URL, body(scope=scopes[scope]), format="json")

    assert response.status_code == status, response.json()
    assert Goal.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["scope"] == {
            "campaign": None,
            "channel": None,
            "owner": None,
            **(scopes[scope] or {}),
        }
    else:
        assert "detail" in response.json()


def test_post_derives_the_end_of_a_quarter(api_as, manager):
    response = api_as(manager).post(
        URL,
        body(period_kind="quarter", period_start="2026-04-01", target="120"),
        format="json",
    )

    assert response.status_code == 201
    row = response.json()
    assert (row["period_kind"], row["period_end"], row["created_by"]) == (
        "quarter",
        "2026-06-30",
        manager.pk,
    )


UPDATES = [("manager", 200), ("marketer", 403), ("rep", 403), ("outsider", 403)]


@pytest.mark.parametrize(("role", "status"), UPDATES)
def test_patch_on_a_company_goal_is_for_managers(api_as, persona, company_goal, role, status):
    response = api_as(persona(role)).patch(detail(company_goal), {"target": "150"}, format="json")

    assert response.status_code == status
    company_goal.refresh_from_db()
    assert company_goal.target == (150 if status == 200 else 120)


@pytest.mark.parametrize(("role", "status"), [("manager", 200), ("marketer", 200), ("rep", 403)])
def test_patch_on_a_marketers_campaign_goal(api_as, persona, marketer, role, status):
    goal = set_goal(marketer, metric="mqls", campaign=CampaignFactory(owner=marketer))

    response = api_as(persona(role)).patch(detail(goal), {"target": "80"}, format="json")

    assert response.status_code == status


def test_patch_with_a_scope_replaces_the_scope(api_as, manager, rep):
    goal = set_goal(manager, channel=Channel.EMAIL)

    response = api_as(manager).patch(detail(goal), {"scope": {"owner": rep.pk}}, format="json")

    assert response.status_code == 200
    assert response.json()["scope"] == {"campaign": None, "channel": None, "owner": rep.pk}


@pytest.mark.parametrize(("role", "status"), UPDATES)
def test_delete_of_a_company_goal_is_for_managers(api_as, persona, company_goal, role, status):
    expected = 204 if status == 200 else status

    response = api_as(persona(role)).delete(detail(company_goal))

    assert response.status_code == expected
    assert Goal.objects.filter(pk=company_goal.pk).exists() == (expected != 204)


def test_a_rep_deletes_their_own_goal(api_as, rep):
    goal = set_goal(rep, owner=rep)

    assert api_as(rep).delete(detail(goal)).status_code == 204
    assert not Goal.objects.exists()


# Bad bodies ------------------------------------------------------------------------------


def test_an_unknown_kpi_is_answered_with_the_ones_there_are(api_as, manager):
    response = api_as(manager).post(URL, body(metric="happiness"), format="json")

    assert response.status_code == 400
    [message] = response.json()["metric"]
    assert message.startswith('"happiness" is not a KPI; use one of: leads, mqls, ')
    assert "sla_compliance_rate" in message


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"period_kind": "custom", "period_start": "2026-05-10", "period_end": "2026-05-01"},
            {"period_end": ["The period cannot end before it starts."]},
        ),
        (
            {"period_kind": "month", "period_start": "2026-05-10"},
            {"period_start": ["A month goal starts on the 1st of a month."]},
        ),
        (
            {"period_kind": "quarter", "period_start": "2026-05-01"},
            {"period_start": ["A quarter goal starts on 1 January, 1 April, 1 July or 1 October."]},
        ),
        (
            {"period_kind": "custom", "period_start": "2026-05-10"},
            {"period_end": ["Give the last day, or a period_kind of month or quarter."]},
        ),
        (
            {"metric": "sla_compliance_rate", "target": "90"},
            {"target": ["A rate is a fraction of 1: 0.9 for 90 %."]},
        ),
    ],
)
def test_a_goal_against_the_rules_is_400_by_field(api_as, manager, changes, errors):
    response = api_as(manager).post(URL, body(**changes), format="json")

    assert response.status_code == 400
    assert response.json() == errors
    assert not Goal.objects.exists()


def test_a_goal_with_two_scopes_is_400(api_as, manager, rep):
    response = api_as(manager).post(
        URL, body(scope={"channel": "email", "owner": rep.pk}), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"scope": ["Give at most one of campaign, channel and owner."]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"target": "-1"}, "target"),
        ({"target": "1e20"}, "target"),
        ({"target": "abc"}, "target"),
        ({"period_start": "yesterday"}, "period_start"),
        ({"period_kind": "fortnight"}, "period_kind"),
        ({"scope": {"team": "north"}}, "scope.team"),
        ({"scope": {"campaign": 999999}}, "scope.campaign"),
        ({"scope": {"campaign": 2**70}}, "scope.campaign"),
        ({"scope": {"channel": "carrier_pigeon"}}, "scope.channel"),
        ({"scope": "everyone"}, "scope.non_field_errors"),
    ],
)
def test_a_badly_shaped_goal_is_400_by_field(api_as, manager, changes, field):
    response = api_as(manager).post(URL, body(**changes), format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_a_goal_without_its_fields_names_each_of_them(api_as, manager):
    response = api_as(manager).post(URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"metric", "period_start", "target"}


def test_patch_against_the_rules_changes_nothing(api_as, manager, company_goal):
    response = api_as(manager).patch(
        detail(company_goal), {"period_start": "2026-05-10"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["period_start"]
    company_goal.refresh_from_db()
    assert company_goal.period_start == this_month()


def test_the_schema_documents_goals(api_as, manager):
    response = api_as(manager).get("/api/v1/schema/", {"format": "json"})

    paths = response.json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/goals/"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/goals/{id}/"])


def test_a_lead_velocity_goal_in_the_teams_time_zone_answers_like_any_other(api_as, manager):
    from alignment.models import TeamCalendar

    TeamCalendar.objects.filter(pk=1).update(time_zone="Europe/Berlin")
    body = {"metric": "lead_velocity", "period_start": "2026-01-01", "period_kind": "quarter",
            "target": "0.1"}  # fmt: skip

    created = api_as(manager).post(URL, body, format="json")
    listed = api_as(manager).get(URL)

    assert created.status_code == 201, created.content
    assert listed.status_code == 200
    assert [goal["metric"] for goal in listed.json()["results"]] == ["lead_velocity"]
