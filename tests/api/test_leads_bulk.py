"""API: leads/bulk/ (up to 1000 rows, per-row results, bad rows never block good ones)."""

import pytest

from leads.models import Lead, Touchpoint
from tests.factories import LeadFactory

URL = "/api/v1/leads/bulk/"


def test_it_captures_every_row_and_answers_per_row(api_as, marketer, campaign, mql_lead):
    response = api_as(marketer).post(
        URL,
        {
            "leads": [
                {"email": "Dana@Delta.com", "company": "Delta", "campaign": campaign.pk},
                {"email": "ana@acme.com", "phone": "+1 555 0100"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    dana = Lead.objects.get(email="dana@delta.com")
    assert response.json() == {
        "created": 1,
        "updated": 1,
        "failed": 0,
        "results": [
            {"index": 0, "status": "created", "id": dana.pk},
            {"index": 1, "status": "updated", "id": mql_lead.pk},
        ],
    }
    assert dana.campaign == campaign
    assert set(Touchpoint.objects.values_list("kind", flat=True)) == {"api"}


def test_bad_rows_are_explained_and_never_block_good_ones(api_as, marketer):
    response = api_as(marketer).post(
        URL,
        {
            "leads": [
                {"email": "not-an-email"},
                {"email": "bo@beta.io", "company_size": "many", "country": "Germany"},
                "just a string",
                {"email": "cy@corp.io"},
                {"email": "di@delta.io", "campaign": 999_999},
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["updated"], body["failed"]) == (1, 0, 4)
    results = body["results"]
    assert [row["status"] for row in results] == ["error", "error", "error", "created", "error"]
    assert set(results[0]["errors"]) == {"email"}
    assert set(results[1]["errors"]) == {"company_size", "country"}
    assert results[2]["errors"] == {"non_field_errors": ["Expected an object."]}
    assert set(results[4]["errors"]) == {"campaign"}
    assert list(Lead.objects.values_list("email", flat=True)) == ["cy@corp.io"]


def test_rows_with_the_same_email_end_as_one_lead(api_as, marketer):
    response = api_as(marketer).post(
        URL,
        {"leads": [{"email": "ana@acme.com"}, {"email": " ANA@acme.com", "first_name": "Ana"}]},
        format="json",
    )

    assert [row["status"] for row in response.json()["results"]] == ["created", "updated"]
    lead = Lead.objects.get()
    assert (lead.first_name, lead.touchpoints.count()) == ("Ana", 2)


def test_a_row_may_name_its_touchpoint_and_when_it_happened(api_as, marketer):
    api_as(marketer).post(
        URL,
        {
            "leads": [
                {
                    "email": "ana@acme.com",
                    "touchpoint_kind": "webinar_attended",
                    "occurred_at": "2026-03-01T10:00:00+01:00",
                    "url": "https://acme.com/webinar",
                }
            ]
        },
        format="json",
    )

    touchpoint = Touchpoint.objects.get()
    assert (touchpoint.kind, touchpoint.occurred_at.isoformat(), touchpoint.url) == (
        "webinar_attended",
        "2026-03-01T09:00:00+00:00",
        "https://acme.com/webinar",
    )


def test_fields_a_capture_may_not_set_are_ignored(api_as, marketer):
    api_as(marketer).post(
        URL, {"leads": [{"email": "ana@acme.com", "stage": "won", "score": 99}]}, format="json"
    )

    lead = Lead.objects.get()
    assert (lead.stage, lead.score) == ("new", 0)


def test_it_takes_a_thousand_rows(api_as, marketer):
    rows = [{"email": f"lead{n}@acme.com", "company": "Acme"} for n in range(1000)]

    response = api_as(marketer).post(URL, {"leads": rows}, format="json")

    assert response.status_code == 200
    assert response.json()["created"] == 1000
    assert Lead.objects.count() == 1000


@pytest.mark.parametrize(
    "body",
    [
        {"leads": [{"email": f"lead{n}@acme.com"} for n in range(1001)]},
        {"leads": []},
        {"leads": {"email": "ana@acme.com"}},
        {"rows": [{"email": "ana@acme.com"}]},
        [{"email": "ana@acme.com"}],
    ],
    ids=["too-many", "empty", "not-a-list", "no-leads-key", "bare-list"],
)
def test_a_request_of_the_wrong_shape_answers_400_and_writes_nothing(api_as, marketer, body):
    response = api_as(marketer).post(URL, body, format="json")

    assert response.status_code == 400
    assert not Lead.objects.exists()


def test_more_than_a_thousand_rows_are_refused_under_leads(api_as, marketer):
    rows = [{"email": f"lead{n}@acme.com"} for n in range(1001)]

    response = api_as(marketer).post(URL, {"leads": rows}, format="json")

    assert "leads" in response.json()


@pytest.mark.parametrize("role", ["rep", "outsider"])
def test_other_roles_cannot_capture_in_bulk(api_as, persona, role):
    response = api_as(persona(role)).post(URL, {"leads": [{"email": "a@b.io"}]}, format="json")

    assert response.status_code == 403
    assert not Lead.objects.exists()


def test_a_manager_may_capture_in_bulk(api_as, manager):
    response = api_as(manager).post(URL, {"leads": [{"email": "a@b.io"}]}, format="json")

    assert response.status_code == 200
    assert Lead.objects.count() == 1


def test_anonymous_callers_cannot_capture_in_bulk(api, db):
    response = api.post(URL, {"leads": [{"email": "a@b.io"}]}, format="json")

    assert response.status_code == 401
    assert not Lead.objects.exists()


def test_a_bulk_capture_takes_a_fixed_number_of_queries(
    api_as, marketer, campaign, django_assert_max_num_queries
):
    LeadFactory.create_batch(5)
    rows = [{"email": f"lead{n}@acme.com", "campaign": campaign.pk} for n in range(300)]
    client = api_as(marketer)

    with django_assert_max_num_queries(20):
        response = client.post(URL, {"leads": rows}, format="json")

    assert response.json()["created"] == 300


def test_an_offer_that_conflicts_shows_on_the_lead_timeline(api_as, marketer, mql_lead):
    client = api_as(marketer)
    client.post(URL, {"leads": [{"email": "ana@acme.com", "job_title": "CEO"}]}, format="json")

    timeline = client.get(f"/api/v1/leads/{mql_lead.pk}/timeline/").json()

    [entry] = [entry for entry in timeline if entry["kind"] == "field_conflict"]
    assert entry["data"] == {
        "field": "job_title",
        "kept": "Marketing Manager",
        "offered": "CEO",
        "source": "api",
    }
