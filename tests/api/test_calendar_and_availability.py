"""API: routing/calendar/ (the team's business hours) and reps/{id}/availability/."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from alignment.models import TeamCalendar
from handoffs.routing.models import RepAvailability
from tests.factories import HandoffFactory

CALENDAR = "/api/v1/routing/calendar/"
OFFICE = {
    "time_zone": "Europe/Berlin",
    "days": {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-25", "2026-12-24"],
}


def availability(user) -> str:
    return f"/api/v1/reps/{user.pk}/availability/"


def flat(errors: dict) -> bool:
    return all(
        isinstance(messages, list) and all(isinstance(m, str) for m in messages)
        for messages in errors.values()
    )


# The calendar -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_the_business_hours(api_as, persona, role):
    response = api_as(persona(role)).get(CALENDAR)

    assert response.status_code == 200
    assert set(response.json()) == {"time_zone", "days", "holidays", "updated_at"}


def test_a_new_install_reads_weekdays_nine_to_five(api_as, rep):
    TeamCalendar.objects.all().delete()

    data = api_as(rep).get(CALENDAR).json()

    assert data["days"] == {day: ["09:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert data["holidays"] == []


def test_a_manager_sets_the_business_hours(api_as, manager):
    response = api_as(manager).put(CALENDAR, OFFICE, format="json")

    assert response.status_code == 200
    data = response.json()
    assert (data["time_zone"], data["days"]) == ("Europe/Berlin", OFFICE["days"])
    assert data["holidays"] == ["2026-12-24", "2026-12-25"]
    row = TeamCalendar.objects.get()
    assert (row.time_zone, row.updated_by) == ("Europe/Berlin", manager)


def test_a_day_left_out_or_null_or_empty_is_closed(api_as, manager):
    body = {"time_zone": "UTC", "days": {"mon": ["09:00", "17:00"], "tue": None, "wed": []}}

    response = api_as(manager).put(CALENDAR, body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["days"] == {"mon": ["09:00", "17:00"]}


def test_holidays_are_optional(api_as, manager):
    body = {"time_zone": "UTC", "days": {"mon": ["00:00", "24:00"]}}

    response = api_as(manager).put(CALENDAR, body, format="json")

    assert (response.status_code, response.json()["holidays"]) == (200, [])


def test_holidays_are_stored_once_each_as_plain_dates(api_as, manager):
    body = {**OFFICE, "holidays": ["2026-12-25", "2026-12-25", "2026-W53-4"]}

    response = api_as(manager).put(CALENDAR, body, format="json")

    assert response.json()["holidays"] == ["2026-12-25", "2026-12-31"]


@pytest.mark.parametrize("role", ["marketer", "rep", "outsider"])
def test_only_managers_set_the_business_hours(api_as, persona, role):
    response = api_as(persona(role)).put(CALENDAR, OFFICE, format="json")

    assert response.status_code == 403
    assert TeamCalendar.objects.get().time_zone == "UTC"


def test_an_outsider_cannot_read_the_business_hours(api_as, outsider):
    assert api_as(outsider).get(CALENDAR).status_code == 403


def test_anonymous_callers_get_401(api, rep):
    assert api.get(CALENDAR).status_code == 401
    assert api.put(CALENDAR, OFFICE, format="json").status_code == 401
    assert api.get(availability(rep)).status_code == 401
    assert api.put(availability(rep), {"capacity": 1}, format="json").status_code == 401


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": "/etc/localtime"}, "time_zone"),
        ({"time_zone": "+16:00"}, "time_zone"),
        ({"time_zone": "Europe/Berlin\x00"}, "time_zone"),
        ({"time_zone": "Europe/\u202eBerlin"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"time_zone": None}, "time_zone"),
        ({"time_zone": ["UTC"]}, "time_zone"),
        ({"time_zone": "x" * 65}, "time_zone"),
        ({"days": {}}, "days"),
        ({"days": "weekdays"}, "days"),
        ({"days": [["09:00", "17:00"]]}, "days"),
        ({"days": {"mon": ["9am", "5pm"]}}, "days"),
        ({"days": {"mon": ["17:00", "09:00"]}}, "days"),
        ({"days": {"mon": ["09:00", "09:00"]}}, "days"),
        ({"days": {"mon": ["25:00", "26:00"]}}, "days"),
        ({"days": {"mon": ["²:00", "17:00"]}}, "days"),
        ({"days": {"mon": ["09:00"]}}, "days"),
        ({"days": {"mon": ["09:00", "12:00", "18:00"]}}, "days.mon"),
        ({"days": {"mon": ["09:00", "17:00:00"]}}, "days.mon[1]"),
        ({"days": {"mon": [{"h": 9}, "17:00"]}}, "days.mon[0]"),
        ({"days": {"mon": "09:00-17:00"}}, "days.mon"),
        ({"days": {"monday": ["09:00", "17:00"]}}, "days"),
        ({"days": {"mon": ["09:00", "17:00"], "funday": ["09:00", "17:00"]}}, "days"),
        ({"holidays": ["2026-13-01"]}, "holidays"),
        ({"holidays": ["Christmas"]}, "holidays"),
        ({"holidays": ["20261225"]}, "holidays"),
        ({"holidays": "2026-12-25"}, "holidays"),
        ({"holidays": [["2026-12-25"]]}, "holidays[0]"),
        ({"holidays": ["2026-12-25"] * 1001}, "holidays"),
    ],
)
def test_bad_business_hours_answer_400_with_flat_field_messages(api_as, manager, changes, field):
    response = api_as(manager).put(CALENDAR, {**OFFICE, **changes}, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert flat(errors), errors
    assert errors[field], errors
    assert TeamCalendar.objects.get().time_zone == "UTC"


def test_a_missing_time_zone_answers_400(api_as, manager):
    response = api_as(manager).put(CALENDAR, {"days": OFFICE["days"]}, format="json")

    assert response.json() == {"time_zone": ["This field is required."]}


def test_post_on_the_calendar_is_405_json(api_as, manager):
    response = api_as(manager).post(CALENDAR, OFFICE, format="json")

    assert response.status_code == 405
    assert "detail" in response.json()


# Availability -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_reads_a_reps_availability(api_as, persona, role, other_rep):
    response = api_as(persona(role)).get(availability(other_rep))

    assert response.status_code == 200
    assert response.json() == {
        "user": other_rep.pk,
        "capacity": None,
        "away_from": None,
        "away_until": None,
        "away": False,
        "load": 0,
    }


def test_availability_shows_the_load_and_whether_the_rep_is_away(api_as, manager, rep):
    HandoffFactory(routed_to=rep)
    RepAvailability.objects.create(
        user=rep, capacity=5, away_from=timezone.now() - timedelta(hours=1)
    )

    data = api_as(manager).get(availability(rep)).json()

    assert (data["capacity"], data["away"], data["load"], data["away_until"]) == (5, True, 1, None)


def test_only_sales_reps_have_availability(api_as, manager, marketer):
    assert api_as(manager).get(availability(marketer)).status_code == 404
    assert api_as(manager).put(
        availability(marketer), {"capacity": 2}, format="json"
    ).status_code == (404)
    assert api_as(manager).get("/api/v1/reps/999999/availability/").status_code == 404
    assert api_as(manager).get(f"/api/v1/reps/{'9' * 30}/availability/").status_code == 404


def test_an_outsider_cannot_read_availability(api_as, outsider, rep):
    assert api_as(outsider).get(availability(rep)).status_code == 403


def test_a_rep_sets_their_own_time_away(api_as, rep):
    body = {"away_from": "2026-08-01T00:00:00+02:00", "away_until": "2026-08-15T00:00:00+02:00"}

    response = api_as(rep).put(availability(rep), body, format="json")

    assert response.status_code == 200, response.content
    row = RepAvailability.objects.get(user=rep)
    assert (row.away_from, row.away_until) == (
        datetime(2026, 7, 31, 22, 0, tzinfo=UTC),
        datetime(2026, 8, 14, 22, 0, tzinfo=UTC),
    )
    assert row.updated_by == rep


def test_a_rep_setting_time_away_keeps_the_capacity_a_manager_set(api_as, manager, rep):
    api_as(manager).put(availability(rep), {"capacity": 8}, format="json")

    response = api_as(rep).put(
        availability(rep), {"away_until": "2026-08-15T00:00:00Z"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["capacity"], RepAvailability.objects.get(user=rep).capacity) == (8, 8)


def test_a_rep_may_repeat_the_capacity_they_have(api_as, manager, rep):
    api_as(manager).put(availability(rep), {"capacity": 8}, format="json")

    response = api_as(rep).put(
        availability(rep), {"capacity": 8, "away_until": None}, format="json"
    )

    assert response.status_code == 200


def test_a_rep_cannot_set_their_own_capacity(api_as, rep):
    response = api_as(rep).put(availability(rep), {"capacity": 50}, format="json")

    assert response.status_code == 403
    assert not RepAvailability.objects.exists()


def test_a_rep_cannot_lift_their_capacity_by_sending_null(api_as, manager, rep):
    api_as(manager).put(availability(rep), {"capacity": 8}, format="json")

    response = api_as(rep).put(availability(rep), {"capacity": None}, format="json")

    assert response.status_code == 403
    assert RepAvailability.objects.get(user=rep).capacity == 8


def test_a_rep_cannot_set_another_reps_availability(api_as, rep, other_rep):
    response = api_as(rep).put(
        availability(other_rep), {"away_until": "2026-08-15T00:00:00Z"}, format="json"
    )

    assert response.status_code == 403


def test_a_marketer_cannot_set_availability(api_as, marketer, rep):
    assert api_as(marketer).put(availability(rep), {"capacity": 3}, format="json").status_code == (
        403
    )


def test_a_manager_sets_capacity_and_time_away(api_as, manager, rep):
    body = {"capacity": 8, "away_from": "2026-08-01T00:00:00Z", "away_until": None}

    response = api_as(manager).put(availability(rep), body, format="json")

    assert response.status_code == 200
    assert response.json()["capacity"] == 8
    row = RepAvailability.objects.get(user=rep)
    assert (row.capacity, row.away_from, row.away_until, row.updated_by) == (
        8,
        datetime(2026, 8, 1, tzinfo=UTC),
        None,
        manager,
    )


def test_a_manager_lifts_a_capacity_with_null(api_as, manager, rep):
    api_as(manager).put(availability(rep), {"capacity": 8}, format="json")

    api_as(manager).put(availability(rep), {"capacity": None}, format="json")

    assert RepAvailability.objects.get(user=rep).capacity is None


def test_an_offset_of_fourteen_hours_is_a_real_time(api_as, manager, rep):
    body = {"capacity": 1, "away_from": "2026-08-01T00:00:00+14:00"}

    response = api_as(manager).put(availability(rep), body, format="json")

    assert response.status_code == 200
    assert RepAvailability.objects.get(user=rep).away_from == datetime(2026, 7, 31, 10, tzinfo=UTC)


def test_an_offset_no_zone_uses_is_refused(api_as, manager, rep):
    # PostgreSQL refuses offsets past 15:59; every API date and time stops at 14:00.
    body = {"capacity": 1, "away_from": "2026-08-01T00:00:00+16:00"}

    response = api_as(manager).put(availability(rep), body, format="json")

    assert response.status_code == 400
    assert response.json() == {"away_from": ["Give a UTC offset between -14:00 and +14:00."]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"capacity": -1}, "capacity"),
        ({"capacity": "ten"}, "capacity"),
        ({"capacity": 10**9}, "capacity"),
        ({"capacity": 1.5}, "capacity"),
        ({"capacity": [1]}, "capacity"),
        ({"capacity": {"max": 1}}, "capacity"),
        ({"capacity": 1, "away_from": "tomorrow"}, "away_from"),
        ({"capacity": 1, "away_from": "2026-13-01T00:00:00Z"}, "away_from"),
        ({"capacity": 1, "away_from": "2026-08-01T00:00:00+24:00"}, "away_from"),
        ({"capacity": 1, "away_from": "2026-08-01T00:00:00+99:99"}, "away_from"),
        ({"capacity": 1, "away_until": "9999-12-31T23:00:00-16:00"}, "away_until"),
        ({"capacity": 1, "away_from": "0001-01-01T00:00:00+16:00"}, "away_from"),
        ({"capacity": 1, "away_from": "2026-08-01\x00"}, "away_from"),
        ({"capacity": 1, "away_from": 1786000000}, "away_from"),
        ({"capacity": 1, "away_from": ["2026-08-01T00:00:00Z"]}, "away_from"),
        (
            {"capacity": 1, "away_from": "2026-08-15T00:00:00Z",
             "away_until": "2026-08-01T00:00:00Z"},
            "away_until",
        ),
        (
            {"capacity": 1, "away_from": "2026-08-01T00:00:00Z",
             "away_until": "2026-08-01T02:00:00+02:00"},
            "away_until",
        ),
    ],
)  # fmt: skip
def test_bad_availability_answers_400_with_flat_field_messages(api_as, manager, rep, body, field):
    response = api_as(manager).put(availability(rep), body, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert flat(errors), errors
    assert errors[field], errors
    assert not RepAvailability.objects.exists()


def test_a_body_that_is_not_an_object_answers_400(api_as, manager, rep):
    for body in ([{"capacity": 1}], "full", 3):
        assert api_as(manager).put(availability(rep), body, format="json").status_code == 400
