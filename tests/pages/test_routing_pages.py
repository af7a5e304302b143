"""The routing pages: the rules in order, the editor with its dry run, business hours and
the team's availability."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from alignment.models import TeamCalendar
from handoffs.models import Handoff
from handoffs.routing.models import RepAvailability, RoutingRule
from handoffs.routing.services import create_rule
from tests.pages.conftest import make_mql


def rule_post(**overrides):
    """The editor's form as a browser posts it: one condition row and one rep row."""
    data = {
        "do": "save",
        "name": "DACH",
        "action": "rep",
        "rep": "",
        "position": "",
        "active": "on",
        "conditions-TOTAL_FORMS": "1",
        "conditions-INITIAL_FORMS": "0",
        "conditions-0-field": "country",
        "conditions-0-operator": "one_of",
        "conditions-0-value": "DE, AT, CH",
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-0-user": "",
        "members-0-weight": "1",
    }
    data.update(overrides)
    return data


@pytest.fixture
def dach(manager, rep):
    return create_rule(
        by=manager,
        name="DACH",
        conditions=[{"field": "country", "operator": "one_of", "value": "DE, AT, CH"}],
        action="rep",
        rep=rep,
    )


def test_the_list_shows_each_rule_in_words_and_the_fallback(client_as, rep, dach):
    body = client_as(rep).get(reverse("handoffs:routing")).content.decode()

    assert "Country is one of DE, AT, CH" in body
    assert "Sam Seller" in body
    assert "Otherwise" in body
    assert reverse("handoffs:routing_edit", args=[dach.pk]) not in body


def test_a_manager_sees_the_edit_buttons(client_as, manager, dach):
    body = client_as(manager).get(reverse("handoffs:routing")).content.decode()

    assert reverse("handoffs:routing_edit", args=[dach.pk]) in body


def test_a_manager_adds_a_rule_from_the_form(client_as, manager, rep):
    response = client_as(manager).post(reverse("handoffs:routing_new"), rule_post(rep=rep.pk))

    assert response.status_code == 302
    rule = RoutingRule.objects.get()
    assert (rule.name, rule.action, rule.rep, rule.position) == ("DACH", "rep", rep, 1)
    assert rule.conditions == [{"field": "country", "operator": "one_of", "value": "DE, AT, CH"}]


def test_a_rule_without_its_rep_comes_back_with_the_error(client_as, manager):
    response = client_as(manager).post(reverse("handoffs:routing_new"), rule_post())

    assert response.status_code == 400
    assert "Choose the rep this rule sends leads to." in response.content.decode()
    assert not RoutingRule.objects.exists()


def test_a_bad_condition_value_is_explained(client_as, manager, rep):
    response = client_as(manager).post(
        reverse("handoffs:routing_new"),
        rule_post(**{"rep": rep.pk, "conditions-0-operator": "between"}),
    )

    assert response.status_code == 400
    assert "compares numbers" in response.content.decode()


def test_a_round_robin_rule_keeps_its_reps_and_weights(client_as, manager, rep, other_rep):
    data = rule_post(
        action="round_robin",
        **{
            "members-TOTAL_FORMS": "2",
            "members-0-user": rep.pk,
            "members-0-weight": "2",
            "members-1-user": other_rep.pk,
            "members-1-weight": "1",
        },
    )

    client_as(manager).post(reverse("handoffs:routing_new"), data)

    rule = RoutingRule.objects.get()
    assert [(m.user, m.weight) for m in rule.members.order_by("position")] == [
        (rep, 2),
        (other_rep, 1),
    ]


def test_add_condition_gives_one_more_row_and_saves_nothing(client_as, manager):
    response = client_as(manager).post(
        reverse("handoffs:routing_new"), rule_post(do="add_condition")
    )

    assert response.status_code == 200
    assert response.context["conditions"].total_form_count() == 2
    assert not RoutingRule.objects.exists()


def test_remove_takes_the_row_out(client_as, manager):
    response = client_as(manager).post(
        reverse("handoffs:routing_new"), rule_post(do="remove_condition_0")
    )

    assert response.context["conditions"].total_form_count() == 0


def test_the_dry_run_shows_where_leads_would_go_and_saves_nothing(
    client_as, manager, rep, campaign
):
    lead = make_mql(campaign=campaign, country="DE", first_name="Dora", last_name="Deutsch")

    response = client_as(manager).post(
        reverse("handoffs:routing_new"), rule_post(do="dry_run", rep=rep.pk)
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "Dora Deutsch" in body
    assert "Rule 1 DACH → Sam Seller." in body
    assert "1 of 1 lead would go somewhere else." in body
    assert not RoutingRule.objects.exists()
    assert Handoff.objects.get(lead=lead).routed_to is None


def test_an_htmx_dry_run_answers_just_the_table(client_as, manager, rep, campaign):
    make_mql(campaign=campaign, country="AT")

    response = client_as(manager).post(
        reverse("handoffs:routing_new"),
        rule_post(do="dry_run", rep=rep.pk),
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="dry-run"')
    assert "<html" not in body


def test_the_saved_rules_dry_run_is_on_the_list_page(client_as, rep, dach, campaign):
    make_mql(campaign=campaign, country="CH", first_name="Chiara")

    body = client_as(rep).get(reverse("handoffs:routing") + "?dry_run=1").content.decode()

    assert "Chiara" in body
    assert "Rule 1 DACH → Sam Seller." in body


def test_a_manager_edits_a_rule(client_as, manager, rep, other_rep, dach):
    client_as(manager).post(
        reverse("handoffs:routing_edit", args=[dach.pk]),
        rule_post(rep=other_rep.pk, name="DACH (Rob)"),
    )

    dach.refresh_from_db()
    assert (dach.name, dach.rep) == ("DACH (Rob)", other_rep)


def test_rules_move_up_and_down(client_as, manager, dach):
    second = create_rule(by=manager, name="Rest", conditions=[], action="team_queue")

    client_as(manager).post(reverse("handoffs:routing_move", args=[second.pk]), {"direction": "up"})

    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Rest", "DACH"]


def test_a_manager_deletes_a_rule(client_as, manager, dach):
    response = client_as(manager).post(reverse("handoffs:routing_delete", args=[dach.pk]))

    assert response.status_code == 302
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize("name", ["routing_new", "routing_edit", "routing_move", "routing_delete"])
def test_a_rep_may_not_change_the_rules(client_as, rep, dach, name):
    url = reverse(f"handoffs:{name}", args=[] if name == "routing_new" else [dach.pk])

    assert client_as(rep).post(url, rule_post()).status_code == 403
    assert RoutingRule.objects.get().name == "DACH"


def test_a_manager_sets_the_business_hours(client_as, manager):
    data = {"time_zone": "Europe/Berlin", "holidays": "2026-12-24\n2026-12-25"}
    for day in ("mon", "tue", "wed", "thu", "fri"):
        data |= {f"{day}_open": "on", f"{day}_start": "08:00", f"{day}_end": "18:00"}

    response = client_as(manager).post(reverse("handoffs:calendar"), data)

    row = TeamCalendar.objects.get()
    assert response.status_code == 302
    assert row.time_zone == "Europe/Berlin"
    assert row.days == {day: ["08:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert row.holidays == ["2026-12-24", "2026-12-25"]


def test_closing_at_midnight_keeps_the_clock_running_to_24_00(client_as, manager):
    data = {"time_zone": "UTC", "mon_open": "on", "mon_start": "00:00", "mon_end": "24:00"}

    client_as(manager).post(reverse("handoffs:calendar"), data)

    assert TeamCalendar.objects.get().days == {"mon": ["00:00", "24:00"]}


def test_a_week_without_working_time_is_refused_with_a_reason(client_as, manager):
    response = client_as(manager).post(
        reverse("handoffs:calendar"), {"time_zone": "UTC", "holidays": ""}
    )

    assert response.status_code == 400
    assert "Open at least one day a week" in response.content.decode()


def test_a_bad_holiday_is_refused_with_a_reason(client_as, manager):
    response = client_as(manager).post(
        reverse("handoffs:calendar"),
        {"time_zone": "UTC", "mon_open": "on", "mon_start": "09:00", "mon_end": "17:00",
         "holidays": "next friday"},
    )  # fmt: skip

    assert response.status_code == 400
    assert "is not a date" in response.content.decode()


def test_a_rep_reads_the_business_hours_but_may_not_change_them(client_as, rep):
    browser = client_as(rep)

    assert (
        "Only a manager changes the business hours"
        in browser.get(reverse("handoffs:calendar")).content.decode()
    )
    assert browser.post(reverse("handoffs:calendar"), {"time_zone": "UTC"}).status_code == 403


def test_a_rep_sets_their_own_time_away(client_as, rep):
    start = timezone.localtime() + timedelta(days=1)
    end = start + timedelta(days=3)
    fmt = "%Y-%m-%dT%H:%M"
    response = client_as(rep).post(
        reverse("handoffs:availability", args=[rep.pk]),
        {
            f"rep{rep.pk}-away_from": start.strftime(fmt),
            f"rep{rep.pk}-away_until": end.strftime(fmt),
        },
    )

    row = RepAvailability.objects.get(user=rep)
    assert response.status_code == 302
    assert row.away_until.replace(second=0, microsecond=0) == end.replace(second=0, microsecond=0)
    assert row.capacity is None


def test_a_rep_cannot_set_a_capacity_or_another_reps_time_away(client_as, rep, other_rep):
    browser = client_as(rep)

    browser.post(reverse("handoffs:availability", args=[rep.pk]), {f"rep{rep.pk}-capacity": "1"})
    other = browser.post(
        reverse("handoffs:availability", args=[other_rep.pk]), {f"rep{other_rep.pk}-capacity": ""}
    )

    assert RepAvailability.objects.get(user=rep).capacity is None
    assert other.status_code == 403


def test_a_manager_sets_a_capacity_and_the_team_page_shows_the_load(
    client_as, manager, rep, claimed_lead
):
    browser = client_as(manager)

    browser.post(reverse("handoffs:availability", args=[rep.pk]), {f"rep{rep.pk}-capacity": "1"})
    body = browser.get(reverse("handoffs:team")).content.decode()

    assert RepAvailability.objects.get(user=rep).capacity == 1
    assert "Is at capacity (1 of 1)" in body
