"""SLA clocks count working time on the team calendar (``alignment.business_hours``).

The pure maths first (weekends, holidays, daylight saving, other time zones, bad
calendars), then the clocks ``open_handoff`` and ``claim_handoff`` set through the
service, and the faster targets of the agreement's segments.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from alignment import business_hours
from alignment.business_hours import (
    ALWAYS_OPEN_DAYS,
    CalendarError,
    add_working_minutes,
    build,
    working_minutes_between,
)
from alignment.models import AgreementVersion, TeamCalendar
from alignment.services import update_team_calendar
from handoffs.services import claim_handoff, open_handoff
from leads import lifecycle
from leads.models import Stage
from tests.factories import LeadFactory

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_6 = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def calendar(days=None, *, zone="UTC", holidays=()):
    return build(
        time_zone_name=zone,
        days=WEEKDAYS_9_TO_6 if days is None else days,
        holidays=list(holidays),
    )


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Weekends and holidays ------------------------------------------------------------------


def test_an_mql_at_five_to_six_on_friday_is_due_at_five_to_ten_on_monday():
    friday = utc(2026, 5, 8, 17, 55)

    assert add_working_minutes(calendar(), friday, 60) == utc(2026, 5, 11, 9, 55)


def test_minutes_inside_one_working_day_are_plain_minutes():
    tuesday = utc(2026, 5, 5, 10, 0)

    assert add_working_minutes(calendar(), tuesday, 90) == utc(2026, 5, 5, 11, 30)


def test_a_holiday_is_skipped_like_a_weekend():
    christmas_eve = utc(2026, 12, 24, 17, 30)  # a Thursday; Christmas is the Friday
    hours = calendar(holidays=["2026-12-25"])

    assert add_working_minutes(hours, christmas_eve, 60) == utc(2026, 12, 28, 9, 30)


def test_without_the_holiday_the_same_lead_is_due_on_friday():
    christmas_eve = utc(2026, 12, 24, 17, 30)

    assert add_working_minutes(calendar(), christmas_eve, 60) == utc(2026, 12, 25, 9, 30)


def test_zero_minutes_outside_hours_is_the_next_opening():
    saturday = utc(2026, 5, 9, 12, 0)

    assert add_working_minutes(calendar(), saturday, 0) == utc(2026, 5, 11, 9, 0)


def test_zero_minutes_inside_hours_is_now():
    tuesday = utc(2026, 5, 5, 10, 17)

    assert add_working_minutes(calendar(), tuesday, 0) == tuesday


def test_negative_minutes_count_as_zero():
    saturday = utc(2026, 5, 9, 12, 0)

    assert add_working_minutes(calendar(), saturday, -30) == utc(2026, 5, 11, 9, 0)


def test_fractions_of_a_minute_are_kept():
    tuesday = utc(2026, 5, 5, 10, 0)

    assert add_working_minutes(calendar(), tuesday, 11.25) == utc(2026, 5, 5, 10, 11, 15)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="aware"):
        add_working_minutes(calendar(), datetime(2026, 5, 5, 10, 0), 10)  # noqa: DTZ001


def test_a_calendar_closed_for_ten_years_gives_up_instead_of_looping():
    hours = calendar({"mon": ["09:00", "17:00"]})
    every_monday = [(date(2026, 1, 5) + timedelta(weeks=week)).isoformat() for week in range(600)]
    closed = build(time_zone_name="UTC", days={"mon": ["09:00", "17:00"]}, holidays=every_monday)

    assert add_working_minutes(hours, utc(2026, 1, 1), 60) == utc(2026, 1, 5, 10, 0)
    with pytest.raises(CalendarError, match="ten years"):
        add_working_minutes(closed, utc(2026, 1, 1), 60 * 8 * 600)


# Daylight saving time -------------------------------------------------------------------


def test_a_window_across_the_spring_change_has_one_hour_less():
    # Open Sunday 00:00–06:00 in Berlin; on 29 March 2026 clocks jump from 02:00 to 03:00.
    hours = calendar({"sun": ["00:00", "06:00"]}, zone="Europe/Berlin")
    opens = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    closes = datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN)

    assert working_minutes_between(hours, opens, closes) == 5 * 60
    due = add_working_minutes(hours, opens, 4 * 60)
    assert due == utc(2026, 3, 29, 3, 0)
    assert due.astimezone(BERLIN).hour == 5  # four real hours after midnight read 05:00


def test_a_window_across_the_autumn_change_has_one_hour_more():
    hours = calendar({"sun": ["00:00", "06:00"]}, zone="Europe/Berlin")
    opens = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    closes = datetime(2026, 10, 25, 6, 0, tzinfo=BERLIN)

    assert working_minutes_between(hours, opens, closes) == 7 * 60
    due = add_working_minutes(hours, opens, 6 * 60)
    assert due == utc(2026, 10, 25, 4, 0)
    assert due.astimezone(BERLIN).hour == 5


def test_a_24_hour_calendar_counts_real_minutes_across_the_spring_change():
    hours = calendar(ALWAYS_OPEN_DAYS, zone="Europe/Berlin")
    saturday_noon = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)

    due = add_working_minutes(hours, saturday_noon, 24 * 60)

    assert due == saturday_noon.astimezone(UTC) + timedelta(hours=24)
    assert due.astimezone(BERLIN).hour == 13


def test_the_spring_sunday_has_23_working_hours_on_a_24_hour_calendar():
    hours = calendar(ALWAYS_OPEN_DAYS, zone="Europe/Berlin")
    sunday = datetime(2026, 3, 29, 0, 0, tzinfo=BERLIN)
    monday = datetime(2026, 3, 30, 0, 0, tzinfo=BERLIN)

    assert working_minutes_between(hours, sunday, monday) == 23 * 60


def test_the_autumn_sunday_has_25_working_hours_on_a_24_hour_calendar():
    hours = calendar(ALWAYS_OPEN_DAYS, zone="Europe/Berlin")
    sunday = datetime(2026, 10, 25, 0, 0, tzinfo=BERLIN)
    monday = datetime(2026, 10, 26, 0, 0, tzinfo=BERLIN)

    assert working_minutes_between(hours, sunday, monday) == 25 * 60


def test_office_hours_keep_their_local_times_across_the_change():
    hours = calendar(zone="Europe/Berlin")  # weekdays 09:00–18:00 local
    friday_evening = datetime(2026, 3, 27, 17, 30, tzinfo=BERLIN)  # CET, UTC+1

    due = add_working_minutes(hours, friday_evening, 60)

    assert due.astimezone(BERLIN) == datetime(2026, 3, 30, 9, 30, tzinfo=BERLIN)  # CEST
    assert due == utc(2026, 3, 30, 7, 30)


def test_hours_that_fall_in_the_skipped_hour_count_no_time():
    # 02:30–03:00 does not exist on the spring Sunday: that day gives nothing, not less
    # than nothing, and the clock moves on to the next Sunday.
    hours = calendar({"sun": ["02:30", "03:00"]}, zone="Europe/Berlin")
    saturday = datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN)

    due = add_working_minutes(hours, saturday, 10)

    assert due == datetime(2026, 4, 5, 2, 40, tzinfo=BERLIN)
    assert working_minutes_between(hours, saturday, datetime(2026, 3, 30, tzinfo=BERLIN)) == 0


# Other time zones -----------------------------------------------------------------------


def test_a_new_york_calendar_reads_its_hours_in_new_york():
    hours = calendar(zone="America/New_York")
    friday = datetime(2026, 5, 8, 17, 30, tzinfo=NEW_YORK)  # 21:30 UTC

    due = add_working_minutes(hours, friday, 60)

    assert due == datetime(2026, 5, 11, 9, 30, tzinfo=NEW_YORK)
    assert due == utc(2026, 5, 11, 13, 30)


def test_the_start_may_be_given_in_any_zone():
    hours = calendar(zone="America/New_York")
    same_instant_in_tokyo = datetime(2026, 5, 9, 6, 30, tzinfo=ZoneInfo("Asia/Tokyo"))

    assert add_working_minutes(hours, same_instant_in_tokyo, 60) == utc(2026, 5, 11, 13, 30)


def test_a_day_closing_at_24_00_runs_to_midnight():
    hours = calendar({"fri": ["20:00", "24:00"], "mon": ["09:00", "10:00"]})

    assert add_working_minutes(hours, utc(2026, 5, 8, 23, 0), 90) == utc(2026, 5, 11, 9, 30)


# Working minutes between two instants ------------------------------------------------------


def test_working_minutes_between_skip_the_night_and_the_weekend():
    friday = utc(2026, 5, 8, 17, 0)
    monday = utc(2026, 5, 11, 10, 0)

    assert working_minutes_between(calendar(), friday, monday) == 120


def test_working_minutes_between_are_negative_backwards():
    friday = utc(2026, 5, 8, 17, 0)
    monday = utc(2026, 5, 11, 10, 0)

    assert working_minutes_between(calendar(), monday, friday) == -120


def test_working_minutes_between_an_instant_and_itself_are_zero():
    tuesday = utc(2026, 5, 5, 10, 0)

    assert working_minutes_between(calendar(), tuesday, tuesday) == 0


def test_working_minutes_between_two_instants_of_one_closed_night_are_zero():
    assert working_minutes_between(calendar(), utc(2026, 5, 5, 19), utc(2026, 5, 6, 8)) == 0


def test_working_minutes_between_undo_adding_them():
    hours = calendar(zone="Europe/Berlin", holidays=["2026-03-30"])
    start = datetime(2026, 3, 26, 16, 12, tzinfo=BERLIN)

    for minutes in (1, 59, 60, 540, 541, 2000):
        due = add_working_minutes(hours, start, minutes)
        assert working_minutes_between(hours, start, due) == pytest.approx(minutes)


def test_working_minutes_between_far_apart_instants_do_not_fail():
    hours = calendar()

    minutes = working_minutes_between(hours, utc(2010, 1, 1), utc(2026, 1, 1))

    assert minutes > 0


# Calendar validation ----------------------------------------------------------------------


def problems(**changes):
    values = {"time_zone_name": "Europe/Berlin", "days": WEEKDAYS_9_TO_6, "holidays": []}
    values.update(changes)
    return business_hours.errors(**values)


def test_a_good_calendar_has_no_errors():
    assert problems() == {}


def test_a_calendar_must_open_on_some_day():
    assert problems(days={}) == {
        "days": ["Open at least one day a week: SLA clocks count only working time."]
    }


def test_closed_days_may_be_null_or_empty():
    assert problems(days={"mon": ["09:00", "17:00"], "tue": None, "wed": []}) == {}


@pytest.mark.parametrize(
    "hours",
    [
        ["9am", "17:00"],
        ["09:00", "5pm"],
        ["25:00", "26:00"],
        ["09:60", "17:00"],
        ["24:00", "24:00"],
        ["09", "17"],
        ["09:0", "17:00"],
        ["", "17:00"],
        [9, 17],
        ["09:00"],
        ["09:00", "12:00", "13:00"],
        "09:00-17:00",
        {"from": "09:00"},
        ["²:00", "17:00"],
        ["١٢:٠٠", "17:00"],
        ["-1:00", "17:00"],
        [["09:00"], "17:00"],
    ],
)
def test_a_bad_opening_time_is_an_error_on_days_not_a_crash(hours):
    found = problems(days={"mon": hours})

    assert list(found) == ["days"]
    assert found["days"][0].startswith("Monday: ")


def test_closing_before_opening_is_an_error():
    assert problems(days={"tue": ["17:00", "09:00"]}) == {
        "days": ["Tuesday: closing time must be after opening time."]
    }


def test_closing_at_opening_is_an_error():
    assert problems(days={"tue": ["09:00", "09:00"]})["days"] == [
        "Tuesday: closing time must be after opening time."
    ]


def test_an_unknown_day_is_an_error():
    assert problems(days={"monday": ["09:00", "17:00"]})["days"][0].startswith(
        "Unknown day 'monday'"
    )


def test_days_must_be_a_mapping():
    assert "days" in problems(days=[["09:00", "17:00"]])


@pytest.mark.parametrize(
    "zone",
    ["Mars/Olympus", "../../etc/passwd", "/etc/localtime", "", "UTC\x00", "+16:00", None, 5],
)
def test_an_unknown_time_zone_is_an_error(zone):
    assert list(problems(time_zone_name=zone)) == ["time_zone"]


@pytest.mark.parametrize(
    "holidays",
    [["2026-13-01"], ["2026-02-30"], ["tomorrow"], [20260101], [None], ["2026-1-1"], "2026-12-25"],
)
def test_a_bad_holiday_is_an_error(holidays):
    assert list(problems(holidays=holidays)) == ["holidays"]


def test_too_many_holidays_is_an_error():
    many = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(1001)]

    assert problems(holidays=many)["holidays"] == ["At most 1000 holidays."]


def test_build_raises_the_first_problem():
    with pytest.raises(CalendarError, match="Unknown time zone"):
        build(time_zone_name="Nowhere/Land", days=WEEKDAYS_9_TO_6, holidays=[])


def test_build_refuses_a_calendar_without_working_time():
    with pytest.raises(CalendarError, match="Open at least one day"):
        build(time_zone_name="UTC", days={"mon": None}, holidays=[])


def test_a_zone_name_is_looked_up_never_opened_as_a_path():
    with pytest.raises(CalendarError):
        business_hours.time_zone("../../../../etc/passwd")


# The clocks a handoff gets ------------------------------------------------------------------

FRIDAY_17_55 = utc(2026, 5, 8, 17, 55)


@pytest.fixture
def office_hours(db):
    """Weekdays 09:00–18:00 UTC, with Christmas off."""
    TeamCalendar.objects.update_or_create(
        pk=1,
        defaults={"time_zone": "UTC", "days": WEEKDAYS_9_TO_6, "holidays": ["2026-12-25"]},
    )


def mql(score: int = 60):
    return LeadFactory(stage=Stage.MQL, score=score)


@pytest.mark.no_always_open
def test_open_handoff_sets_the_claim_clock_on_the_team_calendar(office_hours):
    handoff = open_handoff(mql(), now=FRIDAY_17_55)

    assert handoff.claim_due_at == utc(2026, 5, 11, 9, 55)
    assert handoff.sla_segment == ""


@pytest.mark.no_always_open
def test_open_handoff_warns_when_three_quarters_of_the_working_time_are_gone(office_hours):
    handoff = open_handoff(mql(), now=FRIDAY_17_55)

    assert handoff.claim_warning_at == utc(2026, 5, 11, 9, 40)


@pytest.mark.no_always_open
def test_a_handoff_opened_on_a_holiday_eve_skips_the_holiday(office_hours):
    handoff = open_handoff(mql(), now=utc(2026, 12, 24, 17, 30))

    assert handoff.claim_due_at == utc(2026, 12, 28, 9, 30)


@pytest.mark.no_always_open
def test_the_calendar_set_through_the_service_counts_for_new_handoffs(db, manager):
    update_team_calendar(
        by=manager,
        time_zone="Europe/Berlin",
        days={"mon": ["08:00", "12:00"], "fri": ["08:00", "12:00"]},
        holidays=[],
    )
    friday_11_30_berlin = datetime(2026, 5, 8, 11, 30, tzinfo=BERLIN)

    handoff = open_handoff(mql(), now=friday_11_30_berlin)

    assert handoff.claim_due_at == datetime(2026, 5, 11, 8, 30, tzinfo=BERLIN)


@pytest.mark.no_always_open
def test_handoffs_already_open_keep_their_due_times_when_the_hours_change(office_hours, manager):
    handoff = open_handoff(mql(), now=FRIDAY_17_55)

    update_team_calendar(by=manager, time_zone="UTC", days=ALWAYS_OPEN_DAYS, holidays=[])

    handoff.refresh_from_db()
    assert handoff.claim_due_at == utc(2026, 5, 11, 9, 55)


@pytest.mark.no_always_open
def test_the_first_contact_clock_starts_at_the_claim_on_the_calendar(office_hours, rep):
    handoff = open_handoff(mql(), now=utc(2026, 5, 8, 14, 0))

    claimed = claim_handoff(handoff, rep=rep, now=utc(2026, 5, 8, 16, 0))

    # 240 working minutes: two today, two on Monday morning.
    assert claimed.first_contact_due_at == utc(2026, 5, 11, 11, 0)
    assert claimed.contact_warning_at == utc(2026, 5, 11, 10, 0)


@pytest.mark.no_always_open
def test_an_mql_made_by_scoring_gets_the_calendar_clock(office_hours):
    lead = LeadFactory(stage=Stage.NEW, score=60)

    lifecycle.advance(lead, Stage.MQL, automatic=True, at=FRIDAY_17_55)

    assert lead.handoffs.get().claim_due_at == utc(2026, 5, 11, 9, 55)


# Segment SLAs from the agreement ------------------------------------------------------------


def test_the_first_agreement_gives_hot_leads_15_minutes(db):
    agreement = AgreementVersion.objects.get(status=AgreementVersion.Status.IN_FORCE)

    targets = agreement.sla_for(85)

    assert (targets.segment, targets.claim_minutes, targets.first_contact_minutes) == (
        "Hot leads",
        15,
        60,
    )


def test_a_score_just_below_the_segment_gets_the_defaults(db):
    agreement = AgreementVersion.objects.get(status=AgreementVersion.Status.IN_FORCE)

    targets = agreement.sla_for(79)

    assert (targets.segment, targets.claim_minutes, targets.first_contact_minutes) == (
        "",
        agreement.claim_sla_minutes,
        agreement.first_contact_sla_minutes,
    )


def test_the_score_exactly_at_the_segment_gets_the_segment(db):
    agreement = AgreementVersion.objects.get(status=AgreementVersion.Status.IN_FORCE)

    assert agreement.sla_for(80).claim_minutes == 15


def test_the_highest_segment_a_score_reaches_wins_whatever_the_order_stored():
    agreement = AgreementVersion(
        claim_sla_minutes=60,
        first_contact_sla_minutes=240,
        sla_segments=[
            {"name": "Warm", "min_score": 60, "claim_minutes": 30, "first_contact_minutes": 120},
            {"name": "Hot", "min_score": 90, "claim_minutes": 5, "first_contact_minutes": 30},
        ],
    )

    assert agreement.sla_for(95).segment == "Hot"
    assert agreement.sla_for(70).segment == "Warm"
    assert agreement.sla_for(10).segment == ""


def test_an_unnamed_segment_is_named_by_its_score():
    agreement = AgreementVersion(
        claim_sla_minutes=60,
        first_contact_sla_minutes=240,
        sla_segments=[{"min_score": 70, "claim_minutes": 30, "first_contact_minutes": 120}],
    )

    assert agreement.sla_for(75).segment == "Score 70+"


@pytest.mark.no_always_open
def test_open_handoff_gives_a_hot_lead_the_segment_clock(office_hours):
    tuesday_10 = utc(2026, 5, 5, 10, 0)

    handoff = open_handoff(mql(score=85), now=tuesday_10)

    assert handoff.sla_segment == "Hot leads"
    assert handoff.claim_due_at == utc(2026, 5, 5, 10, 15)
    assert handoff.claim_warning_at == utc(2026, 5, 5, 10, 11, 15)


@pytest.mark.no_always_open
def test_a_hot_lead_at_five_to_six_on_friday_is_due_at_ten_past_nine_on_monday(office_hours):
    handoff = open_handoff(mql(score=85), now=FRIDAY_17_55)

    assert handoff.claim_due_at == utc(2026, 5, 11, 9, 10)


@pytest.mark.no_always_open
def test_the_hot_segment_also_sets_the_first_contact_clock(office_hours, rep):
    handoff = open_handoff(mql(score=85), now=utc(2026, 5, 5, 10, 0))

    claimed = claim_handoff(handoff, rep=rep, now=utc(2026, 5, 5, 10, 5))

    assert claimed.first_contact_due_at == utc(2026, 5, 5, 11, 5)


@pytest.mark.no_always_open
def test_the_segment_is_judged_by_the_score_the_lead_opened_with(office_hours, rep):
    lead = mql(score=85)
    handoff = open_handoff(lead, now=utc(2026, 5, 5, 10, 0))
    lead.score = 20
    lead.save(update_fields=["score"])

    claimed = claim_handoff(handoff, rep=rep, now=utc(2026, 5, 5, 10, 5))

    assert claimed.first_contact_due_at == utc(2026, 5, 5, 11, 5)


HOT = {"name": "Hot", "min_score": 80, "claim_minutes": 15, "first_contact_minutes": 60}


def test_good_segments_have_no_errors():
    from alignment.services import sla_segment_errors

    assert sla_segment_errors([HOT, {**HOT, "name": "Warm", "min_score": 60}]) == []
    assert sla_segment_errors([]) == []


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ({"min_score": 80}, "Give a list of segments."),
        (["hot"], "Segment 1: give name, min_score and the two targets."),
        ([{**HOT, "claim_minutes": 0}], "Segment 1: claim_minutes must be 1 to 14880."),
        ([{**HOT, "claim_minutes": 14881}], "Segment 1: claim_minutes must be 1 to 14880."),
        ([{**HOT, "claim_minutes": "15"}], "Segment 1: claim_minutes must be a whole number."),
        ([{**HOT, "claim_minutes": 1.5}], "Segment 1: claim_minutes must be a whole number."),
        ([{**HOT, "first_contact_minutes": True}],
         "Segment 1: first_contact_minutes must be a whole number."),
        ([{**HOT, "min_score": None}], "Segment 1: min_score must be a whole number."),
        ([{**HOT, "min_score": 10**9}], "Segment 1: min_score is out of range."),
        ([{**HOT, "name": "x" * 61}], "Segment 1: the name is text of at most 60 characters."),
        ([{**HOT, "name": ["Hot"]}], "Segment 1: the name is text of at most 60 characters."),
        ([HOT, {**HOT, "name": "Also"}], "Segment 2: another segment starts at the same score."),
        ([{**HOT, "colour": "red"}], "Segment 1: unknown key 'colour'."),
    ],
)  # fmt: skip
def test_bad_segments_are_refused_in_words(segments, message):
    from alignment.services import sla_segment_errors

    assert message in sla_segment_errors(segments)


def test_a_proposal_with_bad_segments_is_refused(manager):
    from django.core.exceptions import ValidationError

    from alignment.services import agreement_in_force, propose_agreement

    with pytest.raises(ValidationError) as caught:
        propose_agreement(
            by=manager, based_on=agreement_in_force(), sla_segments=[{**HOT, "claim_minutes": 0}]
        )

    assert list(caught.value.message_dict) == ["sla_segments"]
    assert AgreementVersion.objects.count() == 1
