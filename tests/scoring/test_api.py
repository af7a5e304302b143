"""API: scoring/rulesets/ — versions, edits of drafts only, backtest and activation."""

import pytest

from alignment.models import Job
from leads.models import Lead, ScoringRule, ScoringRuleSet
from leads.scoring.rules import services
from tests.factories import LeadFactory

URL = "/api/v1/scoring/rulesets/"

RULES = [
    {"kind": "fit", "field": "job_title", "operator": "contains", "value": "vp", "points": 20},
    {"kind": "engagement", "touchpoint_kind": "demo_requested", "points": 40, "cap": 80},
]


@pytest.fixture
def draft(active, marketer):
    return services.copy_to_draft(active, by=marketer)


def test_every_role_lists_the_versions(api_as, rep, active):
    response = api_as(rep).get(URL)
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert (row["id"], row["status"], row["decay_half_life_days"]) == (active.pk, "active", 30)
    assert len(row["rules"]) == active.rules.count()


def test_the_list_filters_by_status(api_as, rep, draft):
    response = api_as(rep).get(URL, {"status": "draft"})
    assert [row["id"] for row in response.json()["results"]] == [draft.pk]


def test_a_version_shows_its_rules_in_order(api_as, rep, active):
    response = api_as(rep).get(f"{URL}{active.pk}/")
    first = response.json()["rules"][0]
    assert first["kind"] == "fit"
    assert first["field"] == "job_title"
    assert first["disqualifies"] is False


def test_the_list_costs_a_fixed_number_of_queries(
    api_as, rep, draft, django_assert_max_num_queries
):
    client = api_as(rep)
    with django_assert_max_num_queries(6):
        client.get(URL)


def test_a_marketer_makes_a_draft_with_rules(api_as, marketer, active):
    response = api_as(marketer).post(
        URL, {"name": "Tighter", "decay_half_life_days": 14, "rules": RULES}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["name"], body["created_by"]) == ("draft", "Tighter", marketer.pk)
    assert body["based_on"] == active.pk
    draft = ScoringRuleSet.objects.get(pk=body["id"])
    assert list(draft.rules.values_list("kind", "points", "cap")) == [
        ("fit", 20, None),
        ("engagement", 40, 80),
    ]


def test_a_draft_without_rules_copies_the_active_version(api_as, manager, active):
    response = api_as(manager).post(URL, {}, format="json")
    assert response.status_code == 201
    draft = ScoringRuleSet.objects.get(pk=response.json()["id"])
    assert draft.rules.count() == active.rules.count()
    assert draft.decay_half_life_days == active.decay_half_life_days


def test_a_bad_rule_answers_400_keyed_by_its_position(api_as, marketer, active):
    rules = [
        *RULES,
        {"kind": "fit", "field": "job_title", "operator": "matches", "value": "(vp", "points": 5},
    ]
    response = api_as(marketer).post(URL, {"rules": rules}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["rules[2].value"]
    assert "regular expression" in response.json()["rules[2].value"][0]
    assert not ScoringRuleSet.objects.filter(status="draft").exists()


def test_a_rule_of_the_wrong_shape_answers_400_keyed_by_field(api_as, marketer, active):
    rules = [{"kind": "engagement", "touchpoint_kind": "telepathy", "points": "many"}]
    response = api_as(marketer).post(URL, {"rules": rules}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"rules[0].touchpoint_kind", "rules[0].points"}


def test_an_engagement_rule_cannot_disqualify(api_as, marketer, active):
    rules = [
        {"kind": "engagement", "touchpoint_kind": "page_view", "points": 1, "disqualifies": True}
    ]
    response = api_as(marketer).post(URL, {"rules": rules}, format="json")
    assert response.status_code == 400
    assert "rules[0].disqualifies" in response.json()


def test_sales_may_not_make_a_draft(api_as, rep, active):
    response = api_as(rep).post(URL, {"rules": RULES}, format="json")
    assert response.status_code == 403


def test_someone_without_a_role_may_not_read_the_rules(api_as, outsider, active):
    assert api_as(outsider).get(URL).status_code == 403


def test_a_draft_is_edited_with_patch(api_as, marketer, draft):
    response = api_as(marketer).patch(
        f"{URL}{draft.pk}/", {"note": "Fewer page views", "rules": RULES}, format="json"
    )
    assert response.status_code == 200
    draft.refresh_from_db()
    assert (draft.note, draft.updated_by) == ("Fewer page views", marketer)
    assert draft.rules.count() == 2


def test_patch_without_rules_keeps_them(api_as, marketer, draft):
    count = draft.rules.count()
    api_as(marketer).patch(f"{URL}{draft.pk}/", {"decay_half_life_days": 7}, format="json")
    draft.refresh_from_db()
    assert (draft.decay_half_life_days, draft.rules.count()) == (7, count)


def test_patch_on_the_active_version_answers_409(api_as, marketer, active):
    before = list(active.rules.values_list("points", flat=True))
    response = api_as(marketer).patch(f"{URL}{active.pk}/", {"rules": RULES}, format="json")
    assert response.status_code == 409
    assert "only a draft" in response.json()["detail"]
    assert list(active.rules.values_list("points", flat=True)) == before


def test_patch_with_a_bad_half_life_answers_400(api_as, marketer, draft):
    response = api_as(marketer).patch(
        f"{URL}{draft.pk}/", {"decay_half_life_days": 0}, format="json"
    )
    assert response.status_code == 400
    assert "decay_half_life_days" in response.json()


def test_sales_may_not_edit_a_draft(api_as, rep, draft):
    assert api_as(rep).patch(f"{URL}{draft.pk}/", {"note": "x"}, format="json").status_code == 403


def test_activation_answers_the_rescore_job(
    api_as, marketer, draft, active, django_capture_on_commit_callbacks
):
    lead = LeadFactory()
    ScoringRule.objects.filter(ruleset=draft, label="Target market").update(points=50)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(marketer).post(f"{URL}{draft.pk}/activate/")
    assert response.status_code == 202
    job = Job.objects.get(pk=response.json()["job"])
    assert (job.kind, job.status, job.created_by) == ("rescore", Job.Status.DONE, marketer)
    assert response.json()["ruleset"]["status"] == "active"
    active.refresh_from_db()
    assert active.status == "retired"
    assert Lead.objects.get(pk=lead.pk).score == 75


def test_the_job_of_an_activation_is_readable_by_whoever_asked(api_as, marketer, draft):
    client = api_as(marketer)
    job = client.post(f"{URL}{draft.pk}/activate/").json()["job"]
    response = client.get(f"/api/v1/jobs/{job}/")
    assert response.status_code == 200
    assert response.json()["kind"] == "rescore"


def test_activating_a_version_twice_answers_409(api_as, manager, draft):
    client = api_as(manager)
    client.post(f"{URL}{draft.pk}/activate/")
    response = client.post(f"{URL}{draft.pk}/activate/")
    assert response.status_code == 409
    assert Job.objects.filter(kind="rescore").count() == 1


def test_activating_a_draft_without_rules_answers_400(api_as, marketer, active):
    empty = services.create_draft(by=marketer, rules=[])
    response = api_as(marketer).post(f"{URL}{empty.pk}/activate/")
    assert response.status_code == 400
    assert "rules" in response.json()


def test_sales_may_not_activate(api_as, rep, draft):
    assert api_as(rep).post(f"{URL}{draft.pk}/activate/").status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_backtest_answers_the_draft_next_to_the_active_version(api_as, marketer, draft):
    response = api_as(marketer).post(f"{URL}{draft.pk}/backtest/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"mqls", "sql_rate", "won_rate", "leads", "active", "threshold"}
    assert set(body["active"]) >= {"mqls", "sql_rate", "won_rate"}


def test_sales_may_not_backtest(api_as, rep, draft):
    assert api_as(rep).post(f"{URL}{draft.pk}/backtest/").status_code == 403


def test_an_unknown_version_answers_404(api_as, marketer, active):
    assert api_as(marketer).post(f"{URL}999999/activate/").status_code == 404
