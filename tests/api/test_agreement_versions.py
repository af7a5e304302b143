"""API: agreement/versions/ — every version, proposals by managers, and each side's
approval; and the approvals on agreement/."""

import pytest

from alignment.models import AgreementVersion
from alignment.roles import MANAGER, MARKETING, SALES
from alignment.services import approve_agreement, propose_agreement
from tests.factories import UserFactory

AGREEMENT = "/api/v1/agreement/"
VERSIONS = "/api/v1/agreement/versions/"
EVERY_ROLE = ["marketer", "rep", "manager", "marketing_manager", "sales_manager"]
Status = AgreementVersion.Status


def v1() -> AgreementVersion:
    return AgreementVersion.objects.get(number=1)


def detail(version: AgreementVersion) -> str:
    return f"{VERSIONS}{version.pk}/"


def approve_url(version: AgreementVersion) -> str:
    return f"{VERSIONS}{version.pk}/approve/"


@pytest.fixture
def draft(manager) -> AgreementVersion:
    return propose_agreement(by=manager, based_on=v1(), notes="Tighter.", mql_threshold=65)


# Reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_every_role_lists_the_versions_newest_first(api_as, persona, draft, role):
    response = api_as(persona(role)).get(VERSIONS)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["number"], row["status"]) for row in rows] == [(2, "draft"), (1, "in_force")]
    assert rows[0]["diff"]["changes"][0]["term"] == "mql_threshold"


@pytest.mark.parametrize("role", EVERY_ROLE)
def test_every_role_reads_one_version_with_its_diff(api_as, persona, draft, role):
    response = api_as(persona(role)).get(detail(draft))

    assert response.status_code == 200
    body = response.json()
    assert body["diff"] == {
        "against": {"id": v1().pk, "number": 1, "status": "in_force"},
        "based_on": {"id": v1().pk, "number": 1, "status": "in_force"},
        "stale": False,
        "note": "Compared with v1, in force.",
        "changes": [
            {
                "term": "mql_threshold",
                "part": "",
                "label": "MQL threshold",
                "before": 50,
                "after": 65,
                "before_text": "50",
                "after_text": "65",
            }
        ],
    }
    assert (body["proposed_by_name"], body["notes"]) == ("Max Manager", "Tighter.")


def test_an_unknown_version_answers_404(api_as, manager):
    assert api_as(manager).get(f"{VERSIONS}999999/").status_code == 404


def test_an_outsider_reads_no_version(api_as, outsider, draft):
    assert api_as(outsider).get(VERSIONS).status_code == 403
    assert api_as(outsider).get(detail(draft)).status_code == 403


def test_anonymous_callers_get_401(api, draft):
    assert api.get(VERSIONS).status_code == 401
    assert api.post(VERSIONS, {"mql_threshold": 60}, format="json").status_code == 401
    assert api.post(approve_url(draft), {}, format="json").status_code == 401


def test_the_list_costs_the_same_queries_for_many_versions(
    api_as, manager, marketing_manager, sales_manager, django_assert_max_num_queries
):
    for threshold in range(60, 70):
        draft = propose_agreement(by=manager, based_on=v1(), mql_threshold=threshold)
        approve_agreement(draft, by=marketing_manager)
    client = api_as(manager)

    with django_assert_max_num_queries(4):
        response = client.get(VERSIONS)

    assert response.json()["count"] == 11


def test_the_agreement_in_force_says_who_approved_it_and_when(
    api_as, rep, draft, marketing_manager, sales_manager
):
    approve_agreement(draft, by=marketing_manager)
    approve_agreement(draft, by=sales_manager)
    stored = AgreementVersion.objects.get(pk=draft.pk)

    body = api_as(rep).get(AGREEMENT).json()

    assert (body["number"], body["status"]) == (2, "in_force")
    assert body["approvals"] == [
        {
            "side": "marketing",
            "approved_by": marketing_manager.pk,
            "approved_by_name": "Mona Mercer",
            "approved_at": stored.marketing_approved_at.isoformat().replace("+00:00", "Z"),
        },
        {
            "side": "sales",
            "approved_by": sales_manager.pk,
            "approved_by_name": "Saul Sterling",
            "approved_at": stored.sales_approved_at.isoformat().replace("+00:00", "Z"),
        },
    ]
    assert (body["marketing_approved_by"], body["sales_approved_by"]) == (
        marketing_manager.pk,
        sales_manager.pk,
    )
    assert body["effective_at"] == body["sales_approved_at"]
    assert body["diff"]["note"] == "Compared with v1, which it was proposed from."


def test_the_first_agreement_waits_for_no_approval(api_as, rep):
    body = api_as(rep).get(AGREEMENT).json()

    assert [row["approved_by"] for row in body["approvals"]] == [None, None]
    assert body["rejection_reasons"][:2] == ["not_a_fit", "no_budget"]


# Proposing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "marketing_manager", "sales_manager"])
def test_a_manager_proposes_a_version_and_gets_its_diff(api_as, persona, role):
    response = api_as(persona(role)).post(
        VERSIONS,
        {"claim_sla_minutes": 30, "rejection_reasons": ["not_a_fit"], "notes": "Faster."},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["status"], body["notes"]) == (2, "draft", "Faster.")
    assert body["based_on"] == v1().pk
    assert [change["term"] for change in body["diff"]["changes"]] == [
        "claim_sla_minutes",
        "rejection_reasons",
    ]
    stored = AgreementVersion.objects.get(number=2)
    assert (stored.claim_sla_minutes, stored.rejection_reasons) == (30, ["not_a_fit"])
    assert stored.mql_threshold == v1().mql_threshold


@pytest.mark.parametrize("role", ["marketer", "rep", "outsider"])
def test_only_managers_propose(api_as, persona, role):
    response = api_as(persona(role)).post(VERSIONS, {"mql_threshold": 60}, format="json")

    assert response.status_code == 403
    assert AgreementVersion.objects.count() == 1


def test_who_owns_each_stage_and_the_segments_may_change(api_as, manager):
    owners = {
        "mql": {"responsible": "marketing", "accountable": "marketing manager"},
        "sal": {"responsible": "sales", "accountable": "sales manager", "informed": "marketing"},
    }
    segments = [{"name": "Hot", "min_score": 80, "claim_minutes": 10, "first_contact_minutes": 30}]

    response = api_as(manager).post(
        VERSIONS, {"responsibilities": owners, "sla_segments": segments}, format="json"
    )

    assert response.status_code == 201, response.json()
    stored = AgreementVersion.objects.get(number=2)
    assert stored.sla_segments == segments
    assert stored.responsibilities["sal"] == {
        "responsible": "sales",
        "accountable": "sales manager",
        "consulted": "",
        "informed": "marketing",
    }
    assert set(stored.responsibilities) == {"mql", "sal"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mql_threshold": "many"}, "mql_threshold"),
        ({"mql_threshold": -1}, "mql_threshold"),
        ({"claim_sla_minutes": 0}, "claim_sla_minutes"),
        ({"first_contact_sla_minutes": 10**9}, "first_contact_sla_minutes"),
        ({"recycle_cooloff_days": "soon"}, "recycle_cooloff_days"),
        ({"mql_required_fields": ["password"]}, "mql_required_fields"),
        ({"mql_required_fields": "phone"}, "mql_required_fields"),
        ({"mql_required_fields": ["phone", "phone"]}, "mql_required_fields"),
        ({"rejection_reasons": []}, "rejection_reasons"),
        ({"rejection_reasons": ["too_pricey"]}, "rejection_reasons"),
        ({"sla_segments": [{"min_score": "x"}]}, "sla_segments"),
        ({"sla_segments": "fast"}, "sla_segments"),
        (
            {"responsibilities": {"nowhere": {"responsible": "a", "accountable": "b"}}},
            "responsibilities",
        ),
        ({"responsibilities": {"sal": {"responsible": "sales"}}}, "responsibilities"),
        ({"responsibilities": ["sal"]}, "responsibilities"),
        ({"definitions": "x" * 20001}, "definitions"),
        ({"status": "in_force"}, "status"),
        ({"sales_approved_by": 1}, "sales_approved_by"),
        ({}, "non_field_errors"),
        ({"mql_threshold": 50}, "non_field_errors"),
        ([{"mql_threshold": 60}], "non_field_errors"),
    ],
)
def test_a_bad_proposal_answers_400_with_flat_field_messages(api_as, manager, body, field):
    response = api_as(manager).post(VERSIONS, body, format="json")

    assert response.status_code == 400, response.content
    messages = response.json()[field]
    assert messages
    assert all(isinstance(message, str) for message in messages)
    assert AgreementVersion.objects.count() == 1


def test_a_repeated_proposal_answers_400(api_as, manager, draft):
    response = api_as(manager).post(VERSIONS, {"mql_threshold": 65}, format="json")

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["v2 already proposes these terms."]}


def test_nothing_is_proposed_without_an_agreement_in_force(api_as, manager):
    AgreementVersion.objects.update(status=Status.SUPERSEDED)

    response = api_as(manager).post(VERSIONS, {"mql_threshold": 60}, format="json")

    assert response.status_code == 409


# Approving ---------------------------------------------------------------------------------


def test_a_marketing_manager_approves_for_marketing(api_as, marketing_manager, draft):
    response = api_as(marketing_manager).post(approve_url(draft), {}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["marketing_approved_by"], body["sales_approved_by"]) == (
        "draft",
        marketing_manager.pk,
        None,
    )
    assert body["approvals"][0]["approved_at"] is not None


def test_the_second_side_puts_the_version_in_force(api_as, marketing_manager, sales_manager, draft):
    api_as(marketing_manager).post(approve_url(draft), format="json")

    response = api_as(sales_manager).post(approve_url(draft), format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "in_force"
    assert api_as(sales_manager).get(AGREEMENT).json()["number"] == 2
    assert v1().status == Status.SUPERSEDED


@pytest.mark.parametrize("role", ["manager", "marketer", "rep", "outsider"])
def test_only_a_marketing_or_sales_manager_approves(api_as, persona, draft, role):
    response = api_as(persona(role)).post(approve_url(draft), {}, format="json")

    assert response.status_code == 403
    assert AgreementVersion.objects.get(pk=draft.pk).marketing_approved_by is None


def test_a_manager_cannot_approve_for_the_other_team(api_as, marketing_manager, draft):
    response = api_as(marketing_manager).post(approve_url(draft), {"side": "sales"}, format="json")

    assert response.status_code == 403


def test_an_approved_side_answers_409(api_as, marketing_manager, draft):
    api_as(marketing_manager).post(approve_url(draft), format="json")
    other = UserFactory(username="meg", roles=[MANAGER, MARKETING])

    response = api_as(other).post(approve_url(draft), format="json")

    assert response.status_code == 409
    assert "already approved for marketing" in response.json()["detail"]


def test_the_same_person_on_the_other_side_answers_409(api_as, db, draft):
    both = UserFactory(username="bea", roles=[MANAGER, MARKETING, SALES])
    client = api_as(both)
    assert client.post(approve_url(draft), {"side": "marketing"}, format="json").status_code == 200

    response = client.post(approve_url(draft), {"side": "sales"}, format="json")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "You already approved v2 for marketing; sales needs another person's approval."
    }


def test_a_manager_of_both_teams_must_name_the_side(api_as, db, draft):
    both = UserFactory(username="bea", roles=[MANAGER, MARKETING, SALES])

    response = api_as(both).post(approve_url(draft), {}, format="json")

    assert response.status_code == 400
    assert "say which side" in response.json()["side"][0]


def test_a_version_in_force_answers_409(api_as, sales_manager):
    response = api_as(sales_manager).post(approve_url(v1()), format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == "v1 is in force: only a draft can be approved."


def test_a_third_approval_answers_409(api_as, marketing_manager, sales_manager, draft):
    approve_agreement(draft, by=marketing_manager)
    approve_agreement(draft, by=sales_manager)
    another = UserFactory(username="sid", roles=[MANAGER, SALES])

    assert api_as(another).post(approve_url(draft), format="json").status_code == 409


@pytest.mark.parametrize("body", [{"side": "finance"}, {"side": 3}, ["sales"]])
def test_a_bad_approval_body_answers_400(api_as, sales_manager, draft, body):
    response = api_as(sales_manager).post(approve_url(draft), body, format="json")

    assert response.status_code == 400


def test_approving_an_unknown_version_answers_404(api_as, sales_manager):
    assert (
        api_as(sales_manager).post(f"{VERSIONS}999999/approve/", format="json").status_code == 404
    )


def test_approving_takes_a_post(api_as, sales_manager, draft):
    assert api_as(sales_manager).get(approve_url(draft)).status_code == 405


def test_a_side_given_by_its_own_manager_is_accepted(api_as, sales_manager, draft):
    response = api_as(sales_manager).post(approve_url(draft), {"side": SALES}, format="json")

    assert response.status_code == 200
    assert response.json()["sales_approved_by"] == sales_manager.pk


@pytest.mark.parametrize("bad", ["\\u0000", "\\ud800"])
@pytest.mark.parametrize(
    ("template", "field"),
    [
        (
            '{"sla_segments": [{"name": "a%s", "min_score": 80, "claim_minutes": 15,'
            ' "first_contact_minutes": 60}]}',
            "sla_segments",
        ),
        ('{"responsibilities": {"mql": {"responsible": "a%s", "accountable": "b"}}}',
         "responsibilities"),
        ('{"responsibilities": {"mql%s": {"responsible": "a", "accountable": "b"}}}',
         "responsibilities"),
    ],
)  # fmt: skip
def test_text_postgresql_cannot_keep_answers_400_not_500(api_as, manager, template, field, bad):
    response = api_as(manager).post(VERSIONS, template % bad, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()[field]
    assert AgreementVersion.objects.count() == 1
