"""Proposing the next agreement version: the service, the calibration page's button, and
the drafts on the agreement page.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from alignment.models import AgreementVersion
from alignment.services import propose_agreement
from tests.calibration.conftest import set_agreement
from tests.calibration.test_queries import known_data  # noqa: F401  (fixture)

PROPOSE = reverse("kpis:calibration_propose")


def in_force() -> AgreementVersion:
    return AgreementVersion.objects.get(status=AgreementVersion.Status.IN_FORCE)


def drafts():
    return AgreementVersion.objects.filter(status=AgreementVersion.Status.DRAFT)


def test_a_proposal_copies_the_version_in_force_and_changes_what_it_is_told(db, manager):
    v1 = in_force()
    draft = propose_agreement(by=manager, based_on=v1, notes="Tighter.", mql_threshold=65)

    draft.refresh_from_db()
    assert (draft.number, draft.status, draft.mql_threshold) == (2, "draft", 65)
    assert (draft.proposed_by, draft.notes) == (manager, "Tighter.")
    for term in (
        "mql_required_fields",
        "mql_requires_consent",
        "claim_sla_minutes",
        "first_contact_sla_minutes",
        "recycle_cooloff_days",
        "responsibilities",
        "definitions",
    ):
        assert getattr(draft, term) == getattr(v1, term), term
    assert (draft.marketing_approved_by, draft.sales_approved_by, draft.effective_at) == (
        None,
        None,
        None,
    )


def test_a_proposal_leaves_the_version_in_force_alone(db, manager):
    propose_agreement(by=manager, based_on=in_force(), mql_threshold=65)
    assert (in_force().number, in_force().mql_threshold) == (1, 50)


def test_each_proposal_takes_the_next_number(db, manager):
    v1 = in_force()
    first = propose_agreement(by=manager, based_on=v1, mql_threshold=60)
    second = propose_agreement(by=manager, based_on=v1, mql_threshold=70)
    assert (first.number, second.number) == (2, 3)


def test_only_a_manager_may_propose(db, marketer):
    with pytest.raises(PermissionDenied):
        propose_agreement(by=marketer, based_on=in_force(), mql_threshold=65)
    assert not drafts().exists()


def test_an_admin_may_propose(db, admin_user):
    assert propose_agreement(by=admin_user, based_on=in_force(), mql_threshold=65).number == 2


def test_a_proposal_that_changes_nothing_is_refused(db, manager):
    with pytest.raises(ValidationError):
        propose_agreement(by=manager, based_on=in_force(), mql_threshold=50)
    assert not drafts().exists()


def test_a_proposal_that_repeats_a_draft_is_refused(db, manager):
    propose_agreement(by=manager, based_on=in_force(), mql_threshold=65)
    with pytest.raises(ValidationError, match="v2 already proposes these terms"):
        propose_agreement(by=manager, based_on=in_force(), mql_threshold=65)
    assert drafts().count() == 1


def test_a_second_click_on_the_button_makes_no_second_draft(
    client_as,
    manager,
    known_data,  # noqa: F811
):
    browser = client_as(manager)
    browser.post(PROPOSE, {"target": "0.8"})
    response = browser.post(PROPOSE, {"target": "0.8"}, follow=True)
    assert drafts().count() == 1
    assert "v2 already proposes these terms." in response.content.decode()


def test_a_proposal_cannot_set_the_approvals(db, manager):
    with pytest.raises(TypeError):
        propose_agreement(by=manager, based_on=in_force(), sales_approved_by=manager)


def test_a_proposal_with_a_bad_term_is_refused(db, manager):
    with pytest.raises(ValidationError):
        propose_agreement(by=manager, based_on=in_force(), claim_sla_minutes=0)
    assert not drafts().exists()


def test_the_managers_button_drafts_the_suggested_threshold(client_as, manager, known_data):  # noqa: F811
    response = client_as(manager).post(PROPOSE, {"target": "0.8"})

    assert response.status_code == 302
    assert response["Location"] == reverse("agreement")
    draft = drafts().get()
    assert (draft.number, draft.mql_threshold, draft.proposed_by) == (2, 60, manager)
    assert draft.claim_sla_minutes == in_force().claim_sla_minutes


def test_the_draft_notes_say_it_came_from_the_report_with_its_figures(
    client_as,
    manager,
    known_data,  # noqa: F811
):
    client_as(manager).post(PROPOSE, {"target": "0.8"})

    notes = drafts().get().notes
    assert notes.startswith("Proposed from the calibration report of ")
    assert "Of the 6 handoffs scored 60 or more, sales accepted 83.3 % (target 80.0 %)." in notes
    assert "At the threshold of v1 (50): 83.3 % of 6 handoffs." in notes
    assert "ROC AUC of the score: 0.86, over 10 handoffs with an outcome (5 reached SQL)." in notes


def test_the_threshold_is_worked_out_again_from_the_target(client_as, manager, known_data):  # noqa: F811
    client_as(manager).post(PROPOSE, {"target": "0.75", "mql_threshold": "5"})
    assert drafts().get().mql_threshold == 40


def test_marketing_may_not_propose(client_as, marketer, known_data):  # noqa: F811
    response = client_as(marketer).post(PROPOSE, {"target": "0.8"})
    assert response.status_code == 403
    assert not drafts().exists()


def test_sales_may_not_propose(client_as, rep, known_data):  # noqa: F811
    assert client_as(rep).post(PROPOSE, {"target": "0.8"}).status_code == 403
    assert not drafts().exists()


def test_proposing_takes_a_post(client_as, manager):
    assert client_as(manager).get(PROPOSE).status_code == 405


def test_nothing_is_proposed_without_a_suggestion(client_as, manager, db):
    response = client_as(manager).post(PROPOSE, {"target": "0.8"}, follow=True)
    assert not drafts().exists()
    assert "nothing to propose" in response.content.decode()


def test_nothing_is_proposed_when_the_threshold_in_force_is_the_suggestion(
    client_as,
    manager,
    known_data,  # noqa: F811
):
    set_agreement(mql_threshold=60)
    response = client_as(manager).post(PROPOSE, {"target": "0.8"}, follow=True)
    assert not drafts().exists()
    assert "This proposal changes nothing in v1." in response.content.decode()


def test_a_bad_target_proposes_nothing(client_as, manager, known_data):  # noqa: F811
    client_as(manager).post(PROPOSE, {"target": "0.2"})
    assert not drafts().exists()


def test_the_agreement_page_lists_the_proposed_versions(client_as, manager, marketer, db):
    propose_agreement(by=manager, based_on=in_force(), notes="From the report.", mql_threshold=65)

    body = client_as(marketer).get(reverse("agreement")).content.decode()

    assert "Proposed versions" in body
    assert "v2" in body
    assert "MQL threshold: 50 → 65" in body
    assert "Max Manager" in body
    assert "From the report." in body


def test_the_agreement_page_has_no_proposals_section_without_drafts(client_as, manager):
    body = client_as(manager).get(reverse("agreement")).content.decode()
    assert "Proposed versions" not in body
