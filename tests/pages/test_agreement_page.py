"""The agreement page: the version in force and who signed it, the proposal form, each
draft's changes with an Approve button for the caller's side, and the history."""

import pytest
from django.urls import reverse

from alignment.forms import AgreementProposalForm
from alignment.models import AgreementVersion
from alignment.roles import MANAGER, MARKETING, SALES
from alignment.services import approve_agreement, propose_agreement
from tests.factories import UserFactory

PAGE = reverse("agreement")
PROPOSE = reverse("agreement_propose")
Status = AgreementVersion.Status


def v1() -> AgreementVersion:
    return AgreementVersion.objects.get(number=1)


def approve_url(version: AgreementVersion) -> str:
    return reverse("agreement_approve", args=[version.pk])


def as_post(initial: dict) -> dict:
    """What a browser sends for a form showing ``initial`` untouched."""
    data: dict = {}
    for name, value in initial.items():
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = value
        elif isinstance(value, (dict, type(None))):
            continue
        else:
            data[name] = str(value).replace("\n", "\r\n")
    return data


def prefilled(**changes) -> dict:
    return {**as_post(AgreementProposalForm.initial_from(v1())), **changes}


@pytest.fixture
def draft(manager) -> AgreementVersion:
    return propose_agreement(by=manager, based_on=v1(), notes="Tighter.", mql_threshold=65)


@pytest.fixture
def both_teams(db):
    return UserFactory(username="bea", first_name="Bea", roles=[MANAGER, MARKETING, SALES])


# The version in force ----------------------------------------------------------------------


def test_the_page_shows_who_signed_the_version_in_force_and_when(
    client_as, rep, draft, marketing_manager, sales_manager
):
    approve_agreement(draft, by=marketing_manager)
    approve_agreement(draft, by=sales_manager)
    stored = AgreementVersion.objects.get(pk=draft.pk)
    day = f"{stored.effective_at:%-d %b %Y}"

    body = client_as(rep).get(PAGE).content.decode()

    assert "Alignment agreement v2" in body
    assert f"Signed by Mona Mercer on {day} and Saul Sterling on {day}." in body


def test_the_first_version_says_it_is_not_signed_yet(client_as, marketer):
    body = client_as(marketer).get(PAGE).content.decode()

    assert "Not signed yet" in body


def test_the_page_shows_who_owns_each_stage_as_a_table(client_as, marketer):
    body = client_as(marketer).get(PAGE).content.decode()

    for heading in ("Responsible", "Accountable", "Consulted", "Informed"):
        assert f'<th scope="col">{heading}</th>' in body
    assert "<td>sales manager</td>" in body


def test_the_page_shows_the_reasons_sales_may_give_and_the_definitions(client_as, marketer):
    body = client_as(marketer).get(PAGE).content.decode()

    assert "Not a fit (wrong company or role)" in body
    assert "Student or job seeker" in body
    assert "SAL: a rep claimed the lead and will work it." in body


def test_managers_see_the_button_to_propose_a_change(client_as, manager, marketer, rep):
    assert "Propose a change" in client_as(manager).get(PAGE).content.decode()
    assert "Propose a change" not in client_as(marketer).get(PAGE).content.decode()
    assert "Propose a change" not in client_as(rep).get(PAGE).content.decode()


# Proposing ---------------------------------------------------------------------------------


def test_the_form_is_filled_with_the_terms_in_force(client_as, manager):
    response = client_as(manager).get(PROPOSE)

    assert response.status_code == 200
    form = response.context["form"]
    assert form["mql_threshold"].value() == 50
    assert form["claim_sla_minutes"].value() == 60
    assert form["segment_0_min_score"].value() == 80
    assert form["owner_sal_accountable"].value() == "sales manager"
    assert set(form["rejection_reasons"].value()) == set(v1().rejection_reasons)
    body = response.content.decode()
    assert 'name="mql_threshold" value="50"' in body


def test_a_manager_proposes_a_change_from_the_form(client_as, manager):
    response = client_as(manager).post(
        PROPOSE, prefilled(mql_threshold="65", notes="Fewer, better MQLs.")
    )

    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}#v2"
    draft = AgreementVersion.objects.get(number=2)
    assert (draft.status, draft.mql_threshold, draft.notes) == (
        Status.DRAFT,
        65,
        "Fewer, better MQLs.",
    )
    first = v1()
    for term in (
        "claim_sla_minutes",
        "sla_segments",
        "rejection_reasons",
        "responsibilities",
        "definitions",
        "mql_required_fields",
    ):
        assert getattr(draft, term) == getattr(first, term), term


def test_the_proposal_shows_its_changes_on_the_page(client_as, manager):
    browser = client_as(manager)
    response = browser.post(
        PROPOSE,
        prefilled(
            mql_threshold="65",
            owner_won_responsible="sales",
            owner_won_accountable="sales manager",
            rejection_reasons=["not_a_fit", "no_budget"],
        ),
        follow=True,
    )

    body = response.content.decode()
    assert "Proposed v2." in body
    assert "MQL threshold: 50 → 65" in body
    assert "Rejection reasons sales may give:" in body
    assert "Who owns" in body
    assert "Compared with v1, in force." in body


def test_an_untouched_form_proposes_nothing(client_as, manager):
    response = client_as(manager).post(PROPOSE, prefilled())

    assert response.status_code == 400
    assert "This proposal changes nothing in v1." in response.content.decode()
    assert AgreementVersion.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"mql_threshold": "lots"}, "mql_threshold", "Enter a whole number."),
        ({"claim_sla_minutes": "0"}, "claim_sla_minutes", "greater than or equal to 1"),
        ({"rejection_reasons": []}, "rejection_reasons", "Keep at least one reason."),
        ({"mql_required_fields": ["password"]}, "mql_required_fields", "not one of"),
        (
            {"segment_1_name": "Warm", "segment_1_min_score": "60"},
            "segment_1_claim_minutes",
            "Fill this in, or clear the whole row.",
        ),
        (
            {"owner_won_responsible": "sales"},
            "owner_won_accountable",
            "Say who is accountable at this stage.",
        ),
        (
            {
                "segment_1_min_score": "80",
                "segment_1_claim_minutes": "5",
                "segment_1_first_contact_minutes": "5",
            },
            None,
            "another segment starts at the same score",
        ),
    ],
)
def test_a_bad_proposal_shows_the_form_again_with_its_errors(
    client_as, manager, changes, field, message
):
    response = client_as(manager).post(PROPOSE, prefilled(**changes))

    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors[field] if field else form.non_field_errors()
    assert any(message in error for error in errors), form.errors
    assert AgreementVersion.objects.count() == 1


@pytest.mark.parametrize("role", ["marketer", "rep"])
def test_only_managers_may_propose(request, db, client_as, role):
    browser = client_as(request.getfixturevalue(role))

    assert browser.get(PROPOSE).status_code == 403
    assert browser.post(PROPOSE, {"mql_threshold": "65"}).status_code == 403
    assert AgreementVersion.objects.count() == 1


def test_a_visitor_is_sent_to_log_in(client, db):
    response = client.get(PROPOSE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# Approving ---------------------------------------------------------------------------------


def approve_buttons(body: str) -> list[str]:
    return [side for side in ("marketing", "sales") if f"Approve for {side}" in body]


def test_each_manager_sees_the_button_for_their_own_side(
    client_as, draft, marketing_manager, sales_manager, manager, marketer, both_teams
):
    def buttons(user) -> list[str]:
        return approve_buttons(client_as(user).get(PAGE).content.decode())

    assert buttons(marketing_manager) == ["marketing"]
    assert buttons(sales_manager) == ["sales"]
    assert buttons(both_teams) == ["marketing", "sales"]
    assert buttons(manager) == []
    assert buttons(marketer) == []


def test_an_approved_side_has_no_button_any_more(client_as, draft, marketing_manager, both_teams):
    client_as(marketing_manager).post(approve_url(draft), {"side": "marketing"})

    assert approve_buttons(client_as(marketing_manager).get(PAGE).content.decode()) == []
    assert approve_buttons(client_as(both_teams).get(PAGE).content.decode()) == ["sales"]


def test_both_managers_approve_from_the_page_and_the_version_takes_effect(
    client_as, draft, marketing_manager, sales_manager
):
    first = client_as(marketing_manager).post(
        approve_url(draft), {"side": "marketing"}, follow=True
    )
    assert "You approved v2. It takes effect once the other side approves it." in (
        first.content.decode()
    )

    second = client_as(sales_manager).post(approve_url(draft), {"side": "sales"}, follow=True)

    body = second.content.decode()
    assert "Agreement v2 is in force from now." in body
    assert "Alignment agreement v2" in body
    assert AgreementVersion.objects.get(pk=draft.pk).status == Status.IN_FORCE


def test_the_same_person_cannot_approve_the_other_side_from_the_page(client_as, draft, both_teams):
    browser = client_as(both_teams)
    browser.post(approve_url(draft), {"side": "marketing"})

    response = browser.post(approve_url(draft), {"side": "sales"}, follow=True)

    assert response.status_code == 200
    assert "sales needs another person&#x27;s approval" in response.content.decode()
    assert AgreementVersion.objects.get(pk=draft.pk).status == Status.DRAFT


def test_a_manager_of_both_teams_who_names_no_side_is_told_to(client_as, draft, both_teams):
    response = client_as(both_teams).post(approve_url(draft), follow=True)

    assert "say which side you approve for" in response.content.decode()


def test_a_version_in_force_cannot_be_approved_again(client_as, sales_manager):
    response = client_as(sales_manager).post(approve_url(v1()), follow=True)

    assert response.status_code == 200
    assert "v1 is in force: only a draft can be approved." in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "marketer", "rep"])
def test_who_signs_for_no_side_may_not_approve(request, client_as, draft, role):
    response = client_as(request.getfixturevalue(role)).post(
        approve_url(draft), {"side": "marketing"}
    )

    assert response.status_code == 403
    assert AgreementVersion.objects.get(pk=draft.pk).marketing_approved_by is None


def test_approving_takes_a_post(client_as, sales_manager, draft):
    assert client_as(sales_manager).get(approve_url(draft)).status_code == 405


def test_approving_an_unknown_version_is_404(client_as, sales_manager):
    response = client_as(sales_manager).post(reverse("agreement_approve", args=[999999]))

    assert response.status_code == 404


# The history -------------------------------------------------------------------------------


def test_the_history_lists_every_version_with_who_approved_it_and_when(
    client_as, rep, draft, manager, marketing_manager, sales_manager
):
    approve_agreement(draft, by=marketing_manager)
    approve_agreement(draft, by=sales_manager)
    propose_agreement(by=manager, based_on=v1(), claim_sla_minutes=30)

    body = client_as(rep).get(PAGE).content.decode()

    assert "History" in body
    for number in (1, 2, 3):
        assert f'id="history-v{number}"' in body
    history = body[body.index('id="history-v2"') : body.index('id="history-v1"')]
    assert "Mona Mercer" in history
    assert "Saul Sterling" in history
    assert "1 change from v1" in history
    assert "Compared with v2, in force now. v3 was proposed from v1" in body


def test_the_page_costs_the_same_queries_for_many_versions(
    client_as, manager, marketing_manager, django_assert_max_num_queries
):
    for threshold in range(60, 70):
        draft = propose_agreement(by=manager, based_on=v1(), mql_threshold=threshold)
        approve_agreement(draft, by=marketing_manager)
    browser = client_as(marketing_manager)

    with django_assert_max_num_queries(10):
        response = browser.get(PAGE)

    assert response.status_code == 200
