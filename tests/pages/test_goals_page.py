"""The goals page: progress bars and pace for every role, and the form that sets, changes
and deletes a goal."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis.goals import create_goal
from kpis.models import Goal
from leads.models import Stage
from tests.factories import CampaignFactory, LeadFactory, StageChangeFactory

PAGE = reverse("kpis:goals")


def this_quarter():
    today = timezone.localdate()
    return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)


def quarterly(by, metric="sqls", target="120", **fields) -> Goal:
    return create_goal(
        by=by,
        metric=metric,
        target=Decimal(target),
        period_start=this_quarter(),
        period_kind=Goal.PeriodKind.QUARTER,
        **fields,
    )


def form(**changes) -> dict:
    return {
        "metric": "sqls",
        "period_kind": "quarter",
        "period_start": this_quarter().isoformat(),
        "period_end": "",
        "target": "120",
        **changes,
    }


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_sees_the_goals_with_an_accessible_progress_bar(client_as, request, role):
    goal = quarterly(request.getfixturevalue("manager"))
    StageChangeFactory(lead=LeadFactory(), to_stage=Stage.SQL, changed_at=timezone.now())

    response = client_as(request.getfixturevalue(role)).get(PAGE)

    body = response.content.decode()
    assert response.status_code == 200
    assert 'role="progressbar"' in body
    assert 'aria-valuenow="1"' in body  # 1 of 120, rounded to a whole percent
    assert 'aria-valuetext="1 of 120: ' in body
    assert f"Q{(goal.period_start.month - 1) // 3 + 1} {goal.period_start.year}" in body
    assert "Company" in body


def test_the_page_has_no_inline_styles(client_as, manager):
    quarterly(manager)

    body = client_as(manager).get(PAGE).content.decode()

    assert not re.search(r"\sstyle=", body)


def test_an_outsider_may_not_see_the_goals(client_as, outsider):
    assert client_as(outsider).get(PAGE).status_code == 403


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_list_costs_the_same_queries_for_many_goals_as_for_one(
    client_as, manager, django_assert_max_num_queries
):
    browser = client_as(manager)
    quarterly(manager)
    with django_assert_max_num_queries(60) as alone:
        browser.get(PAGE)
    for metric in ("mqls", "sals", "won", "lost"):
        quarterly(manager, metric=metric)

    with django_assert_max_num_queries(len(alone)):
        response = browser.get(PAGE)

    assert len(response.context["rows"]) == 5


def test_running_now_leaves_out_goals_of_other_periods(client_as, manager):
    running = quarterly(manager)
    start = this_quarter().replace(year=this_quarter().year - 1)
    create_goal(
        by=manager, metric="sqls", target=Decimal(5), period_start=start, period_kind="month"
    )

    response = client_as(manager).get(PAGE, {"active": "true"})

    assert [row["progress"].goal for row in response.context["rows"]] == [running]


def test_a_manager_sets_a_quarterly_sql_goal_and_reads_its_pace(client_as, manager):
    browser = client_as(manager)

    response = browser.post(PAGE, form())

    assert response.status_code == 302
    goal = Goal.objects.get()
    assert (goal.metric, goal.period_kind, goal.target, goal.created_by) == (
        "sqls",
        "quarter",
        120,
        manager,
    )
    page = browser.get(response["Location"]).content.decode()
    assert "Set the goal on SQLs." in page
    assert re.search(r"(On track|Ahead|Behind)", page)


def test_a_month_that_does_not_start_on_the_first_is_shown_as_a_form_error(client_as, manager):
    start = this_quarter().replace(day=2)

    response = client_as(manager).post(
        PAGE, form(period_kind="month", period_start=start.isoformat())
    )

    assert response.status_code == 400
    assert "A month goal starts on the 1st of a month." in response.content.decode()
    assert not Goal.objects.exists()


def test_a_marketer_is_told_they_may_not_set_a_company_goal(client_as, marketer):
    response = client_as(marketer).post(PAGE, form())

    assert response.status_code == 400
    assert "Managers set goals for the company" in response.content.decode()
    assert not Goal.objects.exists()


def test_a_marketer_sets_a_goal_on_their_campaign(client_as, marketer):
    campaign = CampaignFactory(owner=marketer)

    response = client_as(marketer).post(PAGE, form(metric="mqls", campaign=campaign.pk))

    assert response.status_code == 302
    assert Goal.objects.get().campaign == campaign


def test_a_rep_is_offered_only_themselves_as_owner(client_as, rep, other_rep):
    response = client_as(rep).get(PAGE)

    fields = response.context["form"].fields
    assert "campaign" not in fields and "channel" not in fields
    assert list(fields["owner"].queryset) == [rep]


def test_a_manager_changes_the_target(client_as, manager):
    goal = quarterly(manager)
    edit = reverse("kpis:goal_edit", args=[goal.pk])
    browser = client_as(manager)

    shown = browser.get(edit)
    response = browser.post(edit, form(target="150"))

    assert shown.status_code == 200
    assert shown.context["form"].initial["target"] == "120"
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.target == 150


def test_a_rep_may_not_change_a_company_goal(client_as, manager, rep):
    goal = quarterly(manager)
    edit = reverse("kpis:goal_edit", args=[goal.pk])

    assert client_as(rep).get(edit).status_code == 403
    assert client_as(rep).post(edit, form(target="1")).status_code == 403
    goal.refresh_from_db()
    assert goal.target == 120


def test_a_manager_deletes_a_goal(client_as, manager):
    goal = quarterly(manager)

    response = client_as(manager).post(reverse("kpis:goal_delete", args=[goal.pk]))

    assert response.status_code == 302
    assert not Goal.objects.exists()


def test_a_rep_may_not_delete_a_company_goal(client_as, manager, rep):
    goal = quarterly(manager)

    response = client_as(rep).post(reverse("kpis:goal_delete", args=[goal.pk]))

    assert response.status_code == 403
    assert Goal.objects.exists()


def test_only_goals_a_person_may_change_offer_edit_and_delete(client_as, manager, rep):
    quarterly(manager)
    mine = quarterly(rep, owner=rep)

    body = client_as(rep).get(PAGE).content.decode()

    assert body.count("Edit the goal on") == 1
    assert reverse("kpis:goal_delete", args=[mine.pk]) in body


def test_a_rate_is_set_and_shown_in_percent_on_the_page(client_as, manager):
    browser = client_as(manager)

    response = browser.post(PAGE, form(metric="sla_compliance_rate", target="90"))

    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.target == Decimal("0.9")
    edit = reverse("kpis:goal_edit", args=[goal.pk])
    assert browser.get(edit).context["form"].initial["target"] == "90"


def test_a_rate_above_100_percent_is_a_form_error(client_as, manager):
    response = client_as(manager).post(PAGE, form(metric="acceptance_rate", target="150"))

    assert response.status_code == 400
    assert response.context["form"].errors["target"] == ["A rate is at most 100 %."]
    assert not Goal.objects.exists()


def test_an_roi_goal_may_pass_100_percent(client_as, manager):
    response = client_as(manager).post(PAGE, form(metric="roi", target="300"))

    assert response.status_code == 302
    assert Goal.objects.get().target == Decimal("3")
