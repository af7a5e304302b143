"""API: agreement/."""

import pytest

URL = "/api/v1/agreement/"


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_the_agreement_in_force(api_as, persona, role):
    response = api_as(persona(role)).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "in_force"
    assert (
        body["mql_threshold"],
        body["claim_sla_minutes"],
        body["first_contact_sla_minutes"],
    ) == (50, 60, 240)


def test_an_outsider_cannot_read_the_agreement(api_as, outsider):
    assert api_as(outsider).get(URL).status_code == 403


def test_anonymous_callers_get_401(api, db):
    assert api.get(URL).status_code == 401


def test_the_agreement_is_read_only(api_as, manager):
    assert api_as(manager).post(URL, {"mql_threshold": 1}, format="json").status_code == 405
