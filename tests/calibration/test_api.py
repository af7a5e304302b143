"""API: ``GET /api/v1/scoring/calibration/``."""

import pytest

from tests.calibration.test_queries import known_data  # noqa: F401  (fixture)

URL = "/api/v1/scoring/calibration/"


def test_it_answers_the_report_of_the_known_data_set(api_as, manager, known_data):  # noqa: F811
    response = api_as(manager).get(URL)

    assert response.status_code == 200
    body = response.json()
    assert (body["auc"], body["suggested_threshold"], body["target_acceptance_rate"]) == (
        0.86,
        60,
        0.8,
    )
    assert body["bands"][0] == {
        "low": 20,
        "high": 29,
        "leads": 1,
        "sql_rate": 0.0,
        "won_rate": 0.0,
    }
    assert body["bands"][5] == {
        "low": 70,
        "high": 79,
        "leads": 3,
        "sql_rate": 0.6667,
        "won_rate": 0.3333,
    }
    assert (body["outcomes"], body["positives"], body["current_threshold"]) == (10, 5, 50)
    assert (body["suggested_acceptance_rate"], body["current_acceptance_rate"]) == (
        0.8333,
        0.8333,
    )


def test_it_has_the_fields_of_the_contract(api_as, marketer):
    body = api_as(marketer).get(URL).json()
    assert {"bands", "auc", "suggested_threshold", "target_acceptance_rate"} <= set(body)


def test_the_target_moves_the_suggested_threshold(api_as, manager, known_data):  # noqa: F811
    body = api_as(manager).get(URL, {"target": "0.75"}).json()
    assert (body["suggested_threshold"], body["target_acceptance_rate"]) == (40, 0.75)


def test_without_outcomes_the_auc_and_suggestion_are_null(api_as, marketer):
    body = api_as(marketer).get(URL).json()
    assert (body["bands"], body["auc"], body["suggested_threshold"], body["outcomes"]) == (
        [],
        None,
        None,
        0,
    )


@pytest.mark.parametrize("target", ["0.49", "1.01", "0", "-1", "eighty", "nan", "inf", "0.80001"])
def test_a_target_outside_one_half_to_one_answers_400(api_as, manager, target):
    response = api_as(manager).get(URL, {"target": target})
    assert response.status_code == 400
    assert "target" in response.json()


@pytest.mark.parametrize("target", ["0.5", "1", "1.0"])
def test_the_ends_of_the_target_range_are_allowed(api_as, manager, target):
    assert api_as(manager).get(URL, {"target": target}).status_code == 200


def test_an_empty_target_means_the_default(api_as, manager):
    assert api_as(manager).get(URL, {"target": ""}).json()["target_acceptance_rate"] == 0.8


def test_sales_may_not_read_it(api_as, rep):
    assert api_as(rep).get(URL).status_code == 403


def test_a_user_without_a_role_may_not_read_it(api_as, outsider):
    assert api_as(outsider).get(URL).status_code == 403


def test_anonymous_callers_are_asked_to_log_in(api):
    assert api.get(URL).status_code == 401


def test_it_only_reads(api_as, manager):
    assert api_as(manager).post(URL, {}).status_code == 405


def test_it_reads_in_a_fixed_number_of_queries(
    api_as,
    manager,
    known_data,  # noqa: F811
    django_assert_max_num_queries,
):
    client = api_as(manager)
    with django_assert_max_num_queries(6):
        client.get(URL)
