"""API: routing/rules/, routing/rules/{id}/ and routing/dry-run/."""

import pytest

from alignment.roles import SALES
from handoffs.models import Handoff
from handoffs.routing import services as routing
from handoffs.routing.models import RoutingMember, RoutingRule
from handoffs.routing.services import decisions
from handoffs.services import open_handoff
from leads.models import Stage
from tests.factories import LeadFactory, UserFactory

URL = "/api/v1/routing/rules/"
DRY_RUN = "/api/v1/routing/dry-run/"


@pytest.fixture(autouse=True)
def fresh_rule_cache():
    decisions._cache.update(version=None, rules=[])


@pytest.fixture
def to_sam(manager, rep):
    return routing.create_rule(by=manager, name="To Sam", conditions=[], action="rep", rep=rep)


@pytest.fixture
def dach(manager, rep, other_rep):
    return routing.create_rule(
        by=manager,
        name="DACH",
        conditions=[{"field": "country", "operator": "one_of", "value": "DE, AT, CH"}],
        action="round_robin",
        members=[{"user": rep, "weight": 2}, {"user": other_rep, "weight": 1}],
    )


def detail(rule) -> str:
    return f"{URL}{rule.pk}/"


def flat(errors: dict) -> bool:
    """The contract's error shape: every field maps to a list of strings."""
    return all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in errors.values()
    )


# Reading ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_the_rules(api_as, persona, role, dach):
    response = api_as(persona(role)).get(URL)

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row == {
        "id": dach.pk,
        "position": 1,
        "name": "DACH",
        "conditions": [{"field": "country", "operator": "one_of", "value": "DE, AT, CH"}],
        "action": "round_robin",
        "rep": None,
        "members": [
            {"user": dach.members.get(weight=2).user_id, "weight": 2, "assigned": 0},
            {"user": dach.members.get(weight=1).user_id, "weight": 1, "assigned": 0},
        ],
        "active": True,
        "created_by": dach.created_by_id,
        "created_at": row["created_at"],
        "updated_by": dach.updated_by_id,
        "updated_at": row["updated_at"],
    }


def test_the_rules_are_listed_in_order(api_as, manager, rep):
    for name in ("B", "C"):
        routing.create_rule(by=manager, name=name, conditions=[], action="team_queue")
    routing.create_rule(by=manager, name="A", conditions=[], action="team_queue", position=1)

    rows = api_as(rep).get(URL).json()["results"]

    assert [(row["position"], row["name"]) for row in rows] == [(1, "A"), (2, "B"), (3, "C")]


def test_an_outsider_cannot_read_the_rules(api_as, outsider, dach):
    assert api_as(outsider).get(URL).status_code == 403


def test_an_anonymous_caller_gets_401(api, dach):
    assert api.get(URL).status_code == 401
    assert api.get(detail(dach)).status_code == 401
    assert api.post(DRY_RUN, {}, format="json").status_code == 401


def test_the_rule_list_takes_a_fixed_number_of_queries(
    api_as, manager, django_assert_max_num_queries
):
    reps = [UserFactory(roles=[SALES]) for _ in range(4)]
    for n in range(10):
        routing.create_rule(
            by=manager,
            name=f"Rule {n}",
            conditions=[],
            action="round_robin",
            members=[{"user": user} for user in reps],
        )
    client = api_as(manager)

    with django_assert_max_num_queries(3):
        response = client.get(URL)

    assert len(response.json()["results"]) == 10


def test_one_rule(api_as, rep, dach):
    response = api_as(rep).get(detail(dach))

    assert response.status_code == 200
    assert response.json()["name"] == "DACH"


def test_a_rule_id_too_big_for_the_database_is_404(api_as, manager):
    assert api_as(manager).get(f"{URL}{'9' * 30}/").status_code == 404


def test_an_unknown_rule_is_404(api_as, manager):
    assert api_as(manager).get(f"{URL}999999/").status_code == 404
    assert api_as(manager).patch(f"{URL}999999/", {"name": "x"}, format="json").status_code == 404


def test_put_on_a_rule_is_405_json(api_as, manager, dach):
    response = api_as(manager).put(detail(dach), {"name": "x"}, format="json")

    assert response.status_code == 405
    assert "detail" in response.json()


# Writing ----------------------------------------------------------------------------------


def test_a_manager_adds_a_round_robin_rule(api_as, manager, rep, other_rep):
    body = {
        "name": "DACH",
        "conditions": [{"field": "country", "operator": "one_of", "value": "DE, AT, CH"}],
        "action": "round_robin",
        "members": [{"user": rep.pk, "weight": 3}, {"user": other_rep.pk}],
    }

    response = api_as(manager).post(URL, body, format="json")

    assert response.status_code == 201
    data = response.json()
    assert (data["position"], data["name"], data["action"]) == (1, "DACH", "round_robin")
    assert [(m["user"], m["weight"]) for m in data["members"]] == [(rep.pk, 3), (other_rep.pk, 1)]
    rule = RoutingRule.objects.get()
    assert (rule.created_by, rule.updated_by) == (manager, manager)


def test_a_manager_adds_a_rule_at_the_top(api_as, manager, to_sam):
    response = api_as(manager).post(
        URL, {"name": "Queue", "action": "team_queue", "position": 1}, format="json"
    )

    assert response.json()["position"] == 1
    to_sam.refresh_from_db()
    assert to_sam.position == 2


def test_a_manager_adds_a_named_rep_rule(api_as, manager, rep):
    response = api_as(manager).post(
        URL, {"name": "Key", "action": "rep", "rep": rep.pk}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["rep"], response.json()["members"]) == (rep.pk, [])


@pytest.mark.parametrize("role", ["marketer", "rep"])
def test_only_managers_write_rules(api_as, persona, role, to_sam):
    client = api_as(persona(role))

    assert client.post(URL, {"name": "x", "action": "team_queue"}, format="json").status_code == (
        403
    )
    assert client.patch(detail(to_sam), {"name": "x"}, format="json").status_code == 403
    assert client.delete(detail(to_sam)).status_code == 403
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["To Sam"]


def test_an_outsider_cannot_write_rules(api_as, outsider):
    response = api_as(outsider).post(URL, {"name": "x", "action": "team_queue"}, format="json")

    assert response.status_code == 403


def test_a_manager_renames_a_rule(api_as, manager, to_sam):
    response = api_as(manager).patch(detail(to_sam), {"name": "Sam first"}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "Sam first"
    to_sam.refresh_from_db()
    assert (to_sam.name, to_sam.action, to_sam.updated_by.username) == ("Sam first", "rep", "max")


def test_a_patch_leaves_the_fields_it_does_not_name(api_as, manager, dach):
    api_as(manager).patch(detail(dach), {"name": "DACH region"}, format="json")

    dach.refresh_from_db()
    assert dach.conditions[0]["value"] == "DE, AT, CH"
    assert RoutingMember.objects.filter(rule=dach).count() == 2
    assert dach.active is True


def test_a_manager_moves_a_rule(api_as, manager, to_sam, dach):
    response = api_as(manager).patch(detail(dach), {"position": 1}, format="json")

    assert response.json()["position"] == 1
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["DACH", "To Sam"]


def test_a_manager_switches_a_rule_off(api_as, manager, to_sam):
    response = api_as(manager).patch(detail(to_sam), {"active": False}, format="json")

    assert response.json()["active"] is False
    assert routing.route(LeadFactory(stage=Stage.MQL)).rep is None


def test_a_manager_deletes_a_rule_and_the_rest_close_up(api_as, manager, to_sam, dach):
    response = api_as(manager).delete(detail(to_sam))

    assert response.status_code == 204
    assert list(RoutingRule.objects.values_list("name", "position")) == [("DACH", 1)]


def test_a_rule_that_routed_leads_can_be_deleted(api_as, manager, to_sam):
    handoff = open_handoff(LeadFactory(stage=Stage.MQL))

    assert api_as(manager).delete(detail(to_sam)).status_code == 204
    handoff.refresh_from_db()
    assert handoff.routing_reason == "Rule 1 To Sam → Sam Seller."


# Bad input --------------------------------------------------------------------------------


GOOD = {"name": "Rule", "action": "team_queue"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "team_queue"}, "name"),
        ({"name": "", "action": "team_queue"}, "name"),
        ({"name": "   ", "action": "team_queue"}, "name"),
        ({"name": "x" * 101, "action": "team_queue"}, "name"),
        ({"name": "a\x00b", "action": "team_queue"}, "name"),
        ({"name": {"nested": "x"}, "action": "team_queue"}, "name"),
        ({"name": "Rule"}, "action"),
        ({**GOOD, "action": "coin_toss"}, "action"),
        ({**GOOD, "action": ["rep"]}, "action"),
        ({**GOOD, "position": 0}, "position"),
        ({**GOOD, "position": "first"}, "position"),
        ({**GOOD, "position": 10**20}, "position"),
        ({**GOOD, "active": "maybe"}, "active"),
        ({**GOOD, "conditions": "country = DE"}, "conditions.non_field_errors"),
        ({**GOOD, "conditions": {"field": "country"}}, "conditions.non_field_errors"),
        ({**GOOD, "conditions": [[1, 2]]}, "conditions[0].non_field_errors"),
        ({**GOOD, "conditions": [{"field": "shoe", "operator": "equals", "value": "9"}]},
         "conditions[0].field"),
        ({**GOOD, "conditions": [{"field": "country", "operator": "is", "value": "DE"}]},
         "conditions[0].operator"),
        ({**GOOD, "conditions": [{"field": {"$ne": 1}, "operator": "equals", "value": "DE"}]},
         "conditions[0].field"),
        ({**GOOD, "conditions": [{"field": "country", "operator": "equals", "value": ["DE"]}]},
         "conditions[0].value"),
        ({**GOOD, "conditions": [{"field": "country", "operator": "equals", "value": "x" * 501}]},
         "conditions[0].value"),
        ({**GOOD, "conditions": [{"field": "country", "operator": "equals", "value": ""}]},
         "conditions"),
        ({**GOOD, "conditions": [{"field": "country", "operator": "between", "value": "1-5"}]},
         "conditions"),
        ({**GOOD, "conditions": [{"field": "industry", "operator": "matches", "value": "("}]},
         "conditions"),
        ({**GOOD, "conditions": [{"field": "country", "operator": "equals", "value": "DE"}] * 21},
         "conditions"),
        ({"name": "R", "action": "rep"}, "rep"),
        ({"name": "R", "action": "rep", "rep": 999999}, "rep"),
        ({"name": "R", "action": "rep", "rep": "sam"}, "rep"),
        ({"name": "R", "action": "rep", "rep": [1]}, "rep"),
        ({"name": "R", "action": "round_robin"}, "members"),
        ({"name": "R", "action": "round_robin", "members": []}, "members"),
        ({"name": "R", "action": "round_robin", "members": "sam"}, "members.non_field_errors"),
        ({"name": "R", "action": "round_robin", "members": [{"user": "abc"}]}, "members[0].user"),
        ({"name": "R", "action": "round_robin", "members": [{"weight": 1}]}, "members[0].user"),
        ({"name": "R", "action": "round_robin", "members": [{"user": 999999}]}, "members[0].user"),
    ],
)  # fmt: skip
def test_a_bad_rule_answers_400_with_flat_field_messages(api_as, manager, body, field):
    response = api_as(manager).post(URL, body, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert flat(errors), errors
    assert errors[field], errors
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("weight", [0, 101, "1e9", 1.5, True, None, [1]])
def test_a_bad_weight_answers_400(api_as, manager, rep, weight):
    body = {"name": "R", "action": "round_robin", "members": [{"user": rep.pk, "weight": weight}]}

    response = api_as(manager).post(URL, body, format="json")

    assert response.status_code == 400
    assert flat(response.json())
    assert "members[0].weight" in response.json()


def test_a_member_who_is_not_in_sales_answers_400(api_as, manager, marketer):
    body = {"name": "R", "action": "round_robin", "members": [{"user": marketer.pk}]}

    response = api_as(manager).post(URL, body, format="json")

    assert response.json() == {"members": ["Mia Marketer is not an active sales rep."]}


def test_a_rep_listed_twice_answers_400(api_as, manager, rep):
    body = {"name": "R", "action": "round_robin", "members": [{"user": rep.pk}] * 2}

    assert api_as(manager).post(URL, body, format="json").json() == {
        "members": ["Sam Seller is listed twice."]
    }


def test_a_body_that_is_not_an_object_answers_400(api_as, manager):
    for body in ([GOOD], "rule", 5):
        response = api_as(manager).post(URL, body, format="json")
        assert response.status_code == 400


def test_malformed_json_answers_400(api_as, manager):
    response = api_as(manager).post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400


def test_a_bad_patch_answers_400_and_changes_nothing(api_as, manager, to_sam):
    response = api_as(manager).patch(detail(to_sam), {"action": "round_robin"}, format="json")

    assert response.status_code == 400
    assert "members" in response.json()
    to_sam.refresh_from_db()
    assert to_sam.action == "rep"


# Dry run ----------------------------------------------------------------------------------


def mql(**fields):
    values = {"stage": Stage.MQL, "country": "US", "first_name": "Ana", "last_name": "Lima"}
    values.update(fields)
    return LeadFactory(**values)


def test_a_dry_run_of_chosen_leads_says_where_each_would_go_and_why(api_as, manager, dach):
    leads = [mql(country="DE"), mql(country="US")]

    response = api_as(manager).post(DRY_RUN, {"leads": [lead.pk for lead in leads]}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert (data["count"], data["changed"]) == (2, 1)
    first, second = data["results"]
    assert first == {
        "lead": leads[0].pk,
        "lead_name": "Ana Lima",
        "would_go_to": dach.members.get(weight=2).user_id,
        "would_go_to_name": "Sam Seller",
        "rule": dach.pk,
        "reason": "Rule 1 DACH → round robin Sam Seller, Rob Rival → Sam Seller.",
        "went_to": None,
        "went_to_name": "Team queue",
        "went_reason": "",
        "changed": True,
    }
    assert (second["would_go_to"], second["reason"], second["changed"]) == (
        None,
        "No rule matched → team queue.",
        False,
    )


def test_a_dry_run_changes_nothing(api_as, manager, dach):
    leads = [mql(country="DE") for _ in range(3)]
    turns = list(RoutingMember.objects.values_list("turn", "assigned"))

    api_as(manager).post(DRY_RUN, {"leads": [lead.pk for lead in leads]}, format="json")

    assert list(RoutingMember.objects.values_list("turn", "assigned")) == turns
    assert not Handoff.objects.exists()


def test_a_dry_run_of_a_sample_takes_the_latest_mqls(api_as, manager, to_sam):
    opened = [open_handoff(mql()) for _ in range(3)]

    response = api_as(manager).post(DRY_RUN, {"sample": 2}, format="json")

    assert [row["lead"] for row in response.json()["results"]] == [
        opened[2].lead_id,
        opened[1].lead_id,
    ]
    assert response.json()["results"][0]["went_to_name"] == "Sam Seller"


def test_a_dry_run_without_leads_or_sample_takes_the_latest_fifty(api_as, manager, to_sam):
    open_handoff(mql())

    response = api_as(manager).post(DRY_RUN, {}, format="json")

    assert response.json()["count"] == 1


def test_a_dry_run_tries_the_rules_as_edited(api_as, manager, to_sam, other_rep):
    went = open_handoff(mql(country="DE"))
    rules = [
        {"name": "DE to Rob", "action": "rep", "rep": other_rep.pk,
         "conditions": [{"field": "country", "operator": "equals", "value": "DE"}]},
        {"id": to_sam.pk, "name": "To Sam", "action": "rep", "rep": to_sam.rep_id},
    ]  # fmt: skip

    response = api_as(manager).post(
        DRY_RUN, {"leads": [went.lead_id], "rules": rules}, format="json"
    )

    (row,) = response.json()["results"]
    assert (row["would_go_to_name"], row["went_to_name"], row["changed"]) == (
        "Rob Rival",
        "Sam Seller",
        True,
    )
    assert row["reason"] == "Rule 1 DE to Rob → Rob Rival."
    assert row["rule"] is None  # not saved yet
    assert RoutingRule.objects.count() == 1


def test_two_new_round_robins_in_a_dry_run_rotate_apart(api_as, manager, rep, other_rep):
    sue = UserFactory(username="sue", first_name="Sue", last_name="Summers", roles=[SALES])
    rules = [
        {
            "name": country,
            "action": "round_robin",
            "members": [{"user": rep.pk}, {"user": second.pk}],
            "conditions": [{"field": "country", "operator": "equals", "value": country}],
        }
        for country, second in (("DE", other_rep), ("AT", sue))
    ]
    leads = [mql(country=country) for country in ("DE", "AT", "DE", "AT")]

    response = api_as(manager).post(
        DRY_RUN, {"leads": [lead.pk for lead in leads], "rules": rules}, format="json"
    )

    assert [row["would_go_to_name"] for row in response.json()["results"]] == [
        "Sam Seller",
        "Sam Seller",
        "Rob Rival",
        "Sue Summers",
    ]


def test_a_dry_run_with_no_rules_sends_everything_to_the_queue(api_as, manager, to_sam):
    response = api_as(manager).post(DRY_RUN, {"leads": [mql().pk], "rules": []}, format="json")

    assert response.json()["results"][0]["reason"] == "No rule matched → team queue."


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"leads": [1], "sample": 5}, "non_field_errors"),
        ({"leads": "all"}, "leads"),
        ({"leads": ["x"]}, "leads[0]"),
        ({"leads": [0]}, "leads[0]"),
        ({"leads": [999999]}, "leads"),
        ({"leads": [10**30]}, "leads[0]"),
        ({"leads": [[1]]}, "leads[0]"),
        ({"leads": list(range(1, 502))}, "leads"),
        ({"sample": 0}, "sample"),
        ({"sample": 501}, "sample"),
        ({"sample": "many"}, "sample"),
        ({"sample": 10**30}, "sample"),
        ({"rules": "mine"}, "rules.non_field_errors"),
        ({"rules": [{"name": "R"}]}, "rules[0].action"),
        ({"rules": [{"id": 10**30, "name": "R", "action": "team_queue"}]}, "rules[0].id"),
        ({"rules": [{"id": "first", "name": "R", "action": "team_queue"}]}, "rules[0].id"),
        ({"rules": [{"name": "R", "action": "rep"}]}, "rules[0].rep"),
        ({"rules": [{"name": "R", "action": "round_robin", "members": [{"user": "x"}]}]},
         "rules[0].members[0].user"),
    ],
)  # fmt: skip
def test_a_bad_dry_run_answers_400_with_flat_field_messages(api_as, manager, body, field):
    response = api_as(manager).post(DRY_RUN, body, format="json")

    assert response.status_code == 400, response.content
    assert flat(response.json()), response.json()
    assert response.json()[field]


def test_a_dry_run_names_a_missing_lead(api_as, manager):
    lead = mql()

    response = api_as(manager).post(DRY_RUN, {"leads": [lead.pk, 999999]}, format="json")

    assert response.json() == {"leads": ["No lead with id 999999."]}


@pytest.mark.parametrize("role", ["marketer", "rep", "outsider"])
def test_only_managers_run_a_dry_run(api_as, persona, role):
    assert api_as(persona(role)).post(DRY_RUN, {}, format="json").status_code == 403


def test_a_dry_run_takes_a_fixed_number_of_queries(
    api_as, manager, dach, to_sam, django_assert_max_num_queries
):
    opened = [open_handoff(mql(country=c)) for c in ("DE", "AT", "US") * 10]
    client = api_as(manager)

    with django_assert_max_num_queries(14):
        response = client.post(DRY_RUN, {"leads": [h.lead_id for h in opened]}, format="json")

    assert response.json()["count"] == 30


def test_a_dry_run_numbers_the_edited_rules_by_their_place_in_the_list(api_as, manager, rep):
    rules = [
        {"name": "Paused", "action": "team_queue", "active": False},
        {"name": "To Sam", "action": "rep", "rep": rep.pk},
    ]

    response = api_as(manager).post(DRY_RUN, {"leads": [mql().pk], "rules": rules}, format="json")

    assert response.json()["results"][0]["reason"] == "Rule 2 To Sam → Sam Seller."


def test_an_unknown_operator_is_answered_with_the_ones_there_are(api_as, manager):
    body = {**GOOD, "conditions": [{"field": "country", "operator": "in", "value": "DE,AT"}]}

    response = api_as(manager).post(URL, body, format="json")

    assert response.status_code == 400
    message = response.json()["conditions[0].operator"][0]
    assert message.startswith('"in" is not a valid choice; use one of: equals, one_of,')
