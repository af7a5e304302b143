"""The calibration page by role, its empty states, and the link to it."""

from django.urls import reverse

from handoffs.models import Handoff
from leads.models import Stage
from tests.calibration.test_queries import handed_off, known_data  # noqa: F401  (fixture)

URL = reverse("kpis:calibration")


def page(browser, **params) -> tuple[int, str]:
    response = browser.get(URL, params)
    return response.status_code, response.content.decode()


def test_a_manager_sees_the_figures_of_the_known_data_set(client_as, manager, known_data):  # noqa: F811
    status, body = page(client_as(manager))
    assert status == 200
    assert "0.86" in body
    assert "sales accepted 83.3 % of 6 handoffs at or above it" in body
    assert "suggested: 60" in body
    assert "in force: 50" in body


def test_a_manager_is_offered_to_propose_the_suggested_threshold(
    client_as,
    manager,
    known_data,  # noqa: F811
):
    _, body = page(client_as(manager))
    assert "Propose a threshold of 60" in body
    assert reverse("kpis:calibration_propose") in body


def test_a_marketer_sees_the_report_but_no_proposal_button(client_as, marketer, known_data):  # noqa: F811
    status, body = page(client_as(marketer))
    assert status == 200
    assert "0.86" in body
    assert "Propose a threshold" not in body
    assert reverse("kpis:calibration_propose") not in body


def test_sales_may_not_open_it(client_as, rep):
    assert client_as(rep).get(URL).status_code == 403


def test_a_user_without_a_role_may_not_open_it(client_as, outsider):
    assert client_as(outsider).get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_without_outcomes_it_says_so(client_as, manager):
    status, body = page(client_as(manager))
    assert status == 200
    assert "No outcomes yet" in body
    assert "Propose a threshold" not in body


def test_with_one_class_only_it_explains_the_missing_auc(client_as, manager, db):
    handed_off(80, path=[Stage.SAL, Stage.SQL])
    _, body = page(client_as(manager))
    assert "needs leads that reached SQL and leads that did not" in body


def test_decisions_without_outcomes_show_the_thresholds_but_no_bands(client_as, manager, db):
    handed_off(70, status=Handoff.Status.CLAIMED, path=[Stage.SAL])
    _, body = page(client_as(manager))
    assert "No outcomes yet" not in body
    assert "No handoff has an outcome yet" in body


def test_the_target_moves_the_suggestion(client_as, manager, known_data):  # noqa: F811
    _, body = page(client_as(manager), target="0.75")
    assert "Propose a threshold of 40" in body
    assert '<option value="0.75" selected>' in body


def test_a_bad_target_is_shown_as_an_error_and_the_default_is_used(
    client_as,
    manager,
    known_data,  # noqa: F811
):
    status, body = page(client_as(manager), target="2")
    assert status == 200
    assert "Propose a threshold of 60" in body
    assert "field--invalid" in body


def test_no_proposal_is_offered_when_the_threshold_in_force_is_the_suggestion(
    client_as,
    manager,
    known_data,  # noqa: F811
):
    from tests.calibration.conftest import set_agreement

    set_agreement(mql_threshold=60)
    _, body = page(client_as(manager))
    assert "Propose a threshold" not in body
    assert "already the one the data suggests" in body


def test_marketing_and_managers_have_the_link_in_the_navigation(client_as, marketer, manager):
    for user in (marketer, manager):
        _, body = page(client_as(user))
        assert f'href="{URL}" aria-current="page"' in body


def test_sales_has_no_link_to_it(client_as, rep):
    body = client_as(rep).get(reverse("handoffs:queue")).content.decode()
    assert URL not in body


def test_the_page_reads_in_a_fixed_number_of_queries(
    client_as,
    manager,
    known_data,  # noqa: F811
    django_assert_max_num_queries,
):
    browser = client_as(manager)
    with django_assert_max_num_queries(12):
        browser.get(URL)
