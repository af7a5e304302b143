"""API: handoffs/claim-next/, the offer to a routed rep on handoffs/{id}/claim/, and
handoffs/{id}/reassign/."""

from datetime import timedelta

import pytest

from handoffs.models import Handoff, HandoffStep
from handoffs.services import open_handoff, reject_handoff
from leads.models import Lead, Stage
from tests.factories import LeadFactory

URL = "/api/v1/handoffs/"
CLAIM_NEXT = f"{URL}claim-next/"


def reassign_url(handoff) -> str:
    return f"{URL}{handoff.pk}/reassign/"


def claim_url(handoff) -> str:
    return f"{URL}{handoff.pk}/claim/"


def opened(*, minutes_ago: int = 0, routed_to=None) -> Handoff:
    from django.utils import timezone

    handoff = open_handoff(
        LeadFactory(stage=Stage.MQL), now=timezone.now() - timedelta(minutes=minutes_ago)
    )
    if routed_to is not None:
        Handoff.objects.filter(pk=handoff.pk).update(routed_to=routed_to)
        handoff.refresh_from_db()
    return handoff


def flat(errors: dict) -> bool:
    return all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in errors.values()
    )


# Claim next -------------------------------------------------------------------------------


def test_claim_next_answers_200_with_the_most_urgent_lead(api_as, rep):
    opened(minutes_ago=5)
    urgent = opened(minutes_ago=30)

    response = api_as(rep).post(CLAIM_NEXT)

    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["status"], data["claimed_by"]) == (urgent.pk, "claimed", rep.pk)
    assert data["speed_to_lead"]["notified_to_claimed"] is not None
    assert Lead.objects.get(pk=urgent.lead_id).owner == rep


def test_claim_next_answers_204_when_there_is_nothing_to_claim(api_as, rep):
    response = api_as(rep).post(CLAIM_NEXT)

    assert response.status_code == 204
    assert response.content == b""


def test_claim_next_leaves_a_lead_offered_to_another_rep(api_as, rep, other_rep):
    opened(minutes_ago=30, routed_to=other_rep)

    assert api_as(rep).post(CLAIM_NEXT).status_code == 204


def test_claim_next_takes_an_offer_whose_clock_ran_out(api_as, rep, other_rep):
    late = opened(minutes_ago=90, routed_to=other_rep)

    assert api_as(rep).post(CLAIM_NEXT).json()["id"] == late.pk


def test_a_manager_may_claim_next(api_as, manager, other_rep):
    offered = opened(routed_to=other_rep)

    assert api_as(manager).post(CLAIM_NEXT).json()["id"] == offered.pk


@pytest.mark.parametrize("role", ["marketer", "outsider"])
def test_only_sales_and_managers_claim_next(api_as, persona, role):
    handoff = opened()

    assert api_as(persona(role)).post(CLAIM_NEXT).status_code == 403
    assert Handoff.objects.get(pk=handoff.pk).status == "open"


def test_anonymous_callers_cannot_claim_next_or_reassign(api, handoff, rep):
    assert api.post(CLAIM_NEXT).status_code == 401
    assert api.post(reassign_url(handoff), {"to": rep.pk}, format="json").status_code == 401


def test_claim_next_ignores_a_body(api_as, rep):
    handoff = opened()

    response = api_as(rep).post(CLAIM_NEXT, {"id": 999, "nested": {"x": [1]}}, format="json")

    assert response.json()["id"] == handoff.pk


def test_get_on_claim_next_is_405_json(api_as, rep):
    response = api_as(rep).get(CLAIM_NEXT)

    assert response.status_code == 405
    assert "detail" in response.json()


# The offer to the routed rep --------------------------------------------------------------


def test_claiming_a_lead_offered_to_another_answers_409_with_who_and_until_when(
    api_as, rep, other_rep
):
    offered = opened(routed_to=other_rep)

    response = api_as(rep).post(claim_url(offered))

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail.startswith("This lead is offered to Rob Rival until today ")
    assert detail.endswith("; the team may claim it after that.")
    assert Handoff.objects.get(pk=offered.pk).status == "open"


def test_a_lead_offered_to_another_can_be_claimed_once_its_clock_ran_out(api_as, rep, other_rep):
    late = opened(minutes_ago=61, routed_to=other_rep)

    response = api_as(rep).post(claim_url(late))

    assert (response.status_code, response.json()["claimed_by"]) == (200, rep.pk)


def test_the_routed_rep_claims_their_offer(api_as, other_rep):
    offered = opened(routed_to=other_rep)

    assert api_as(other_rep).post(claim_url(offered)).status_code == 200


def test_a_manager_can_always_claim_an_offered_lead(api_as, manager, other_rep):
    offered = opened(routed_to=other_rep)

    assert api_as(manager).post(claim_url(offered)).status_code == 200


# Reassign ---------------------------------------------------------------------------------


def test_a_manager_offers_an_open_lead_to_a_rep(api_as, manager, handoff, rep):
    response = api_as(manager).post(
        reassign_url(handoff), {"to": rep.pk, "reason": "Speaks Portuguese"}, format="json"
    )

    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["status"], data["routed_to"], data["claimed_by"]) == (
        handoff.pk,
        "open",
        rep.pk,
        None,
    )
    step = HandoffStep.objects.get(handoff=handoff)
    assert (step.kind, step.actor, step.detail) == (
        "reassigned",
        manager,
        "Team queue → Sam Seller: Speaks Portuguese",
    )


def test_a_manager_moves_a_claimed_lead(api_as, manager, claimed_handoff, other_rep):
    response = api_as(manager).post(reassign_url(claimed_handoff), {"to": other_rep.pk},
                                    format="json")  # fmt: skip

    assert response.status_code == 200
    assert response.json()["claimed_by"] == other_rep.pk
    assert Lead.objects.get(pk=claimed_handoff.lead_id).owner == other_rep


def test_the_reason_is_optional(api_as, manager, handoff, rep):
    response = api_as(manager).post(reassign_url(handoff), {"to": rep.pk}, format="json")

    assert response.status_code == 200
    assert HandoffStep.objects.get(handoff=handoff).detail == "Team queue → Sam Seller"


@pytest.mark.parametrize("role", ["rep", "marketer", "outsider"])
def test_only_managers_reassign(api_as, persona, role, handoff, other_rep):
    response = api_as(persona(role)).post(
        reassign_url(handoff), {"to": other_rep.pk}, format="json"
    )

    assert response.status_code == 403
    assert Handoff.objects.get(pk=handoff.pk).routed_to is None


def test_reassigning_an_unknown_handoff_is_404(api_as, manager, rep):
    response = api_as(manager).post(f"{URL}999999/reassign/", {"to": rep.pk}, format="json")
    too_big = api_as(manager).post(f"{URL}{'9' * 30}/reassign/", {"to": rep.pk}, format="json")

    assert (response.status_code, too_big.status_code) == (404, 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "to"),
        ({"to": None}, "to"),
        ({"to": "sam"}, "to"),
        ({"to": 999999}, "to"),
        ({"to": [1]}, "to"),
        ({"to": {"id": 1}}, "to"),
        ({"to": 10**30}, "to"),
        ({"to": True}, "to"),
    ],
)
def test_a_bad_target_answers_400(api_as, manager, handoff, body, field):
    response = api_as(manager).post(reassign_url(handoff), body, format="json")

    assert response.status_code == 400, response.content
    assert flat(response.json())
    assert response.json()[field]


@pytest.mark.parametrize("reason", ["x" * 501, "a\x00b", {"why": "x"}, ["x"]])
def test_a_bad_reason_answers_400(api_as, manager, handoff, rep, reason):
    response = api_as(manager).post(
        reassign_url(handoff), {"to": rep.pk, "reason": reason}, format="json"
    )

    assert response.status_code == 400
    assert flat(response.json())
    assert response.json()["reason"]


def test_a_target_who_is_not_an_active_rep_answers_400(api_as, manager, marketer, handoff):
    response = api_as(manager).post(reassign_url(handoff), {"to": marketer.pk}, format="json")

    assert response.json() == {"to": ["Mia Marketer is not an active sales rep."]}


def test_the_rep_who_has_the_lead_answers_400(api_as, manager, claimed_handoff, rep):
    response = api_as(manager).post(reassign_url(claimed_handoff), {"to": rep.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"to": ["The lead is already with Sam Seller."]}


def test_reassigning_a_rejected_handoff_answers_409(api_as, manager, handoff, rep, other_rep):
    reject_handoff(handoff, rep=rep, reason="no_budget")

    response = api_as(manager).post(reassign_url(handoff), {"to": other_rep.pk}, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "This handoff is already rejected."}


def test_the_handoff_list_with_steps_and_offers_takes_a_fixed_number_of_queries(
    api_as, manager, rep, other_rep, django_assert_max_num_queries
):
    from handoffs.services import reassign_handoff

    for n in range(20):
        handoff = opened(routed_to=rep if n % 2 else None)
        reassign_handoff(handoff, to=other_rep, by=manager, reason=f"Batch {n}")
    client = api_as(rep)

    with django_assert_max_num_queries(4):
        response = client.get(URL, {"page_size": 100})

    assert len(response.json()["results"]) == 20


def test_sending_back_a_lead_offered_to_another_answers_403(api_as, rep, other_rep):
    offered = opened(routed_to=other_rep)

    response = api_as(rep).post(f"{URL}{offered.pk}/reject/", {"reason": "not_a_fit"},
                                format="json")  # fmt: skip

    assert response.status_code == 403
    assert response.json()["detail"].startswith("This lead is offered to Rob Rival until ")
    assert Handoff.objects.get(pk=offered.pk).status == "open"
