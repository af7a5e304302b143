"""Notification channels per user: a kind turned off, in the app only, by email now or in
one daily digest at the reader's own morning; subjects without lead data; times in the
reader's time zone; and the "notified" step of speed to lead."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from alignment import notifications, services
from alignment.models import Notification, Preferences, TeamCalendar
from alignment.notifications import local_time
from alignment.services import delivery, notify, send_digests, update_preferences
from handoffs.models import Handoff
from handoffs.routing.services import create_rule
from handoffs.services import claim_handoff, open_handoff
from leads.models import Stage
from tests.factories import LeadFactory, NotificationFactory, UserFactory

ROUTED = notifications.ROUTED
MENTION = notifications.MENTION
TOKYO = ZoneInfo("Asia/Tokyo")

pytestmark = pytest.mark.django_db


def say(user, *, kind=MENTION, title="Mia mentioned you", **more):
    return notify([user], kind=kind, title=title, **more)


def choose(user, **channels):
    """``choose(rep, mention=["digest"])``: the user's own channels for some kinds."""
    update_preferences(user, channels={kind.replace("__", "."): c for kind, c in channels.items()})


# Channels ---------------------------------------------------------------------------------


def test_without_preferences_a_kind_uses_its_default_channels(rep):
    (row,) = say(rep)

    assert (row.in_app, row.delivery, row.status) == (True, "email", "pending")


def test_a_kind_turned_off_writes_nothing(rep, mailoutbox, django_capture_on_commit_callbacks):
    choose(rep, mention=[])

    with django_capture_on_commit_callbacks(execute=True):
        assert say(rep) == []

    assert not Notification.objects.exists()
    assert mailoutbox == []


def test_a_kind_turned_off_for_one_reader_still_reaches_the_others(rep, other_rep):
    choose(rep, mention=[])

    rows = notify([rep, other_rep], kind=MENTION, title="Hello")

    assert [row.recipient for row in rows] == [other_rep]


def test_an_in_app_only_row_is_born_sent_and_never_emailed(
    rep, mailoutbox, django_capture_on_commit_callbacks
):
    choose(rep, mention=["in_app"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        say(rep)

    row = Notification.objects.get()
    assert (row.in_app, row.delivery, row.status) == (True, "none", "sent")
    assert row.sent_at is not None
    assert callbacks == []
    assert mailoutbox == []


def test_an_in_app_only_row_is_not_picked_up_by_the_resend_sweep(rep, mailoutbox):
    from alignment.tasks import redeliver_pending_notifications

    choose(rep, mention=["in_app"])
    say(rep)
    Notification.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))

    assert redeliver_pending_notifications() == 0


def test_an_email_only_row_is_emailed_but_kept_out_of_the_inbox(
    rep, api_as, mailoutbox, django_capture_on_commit_callbacks
):
    choose(rep, mention=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        say(rep)

    assert Notification.objects.get().in_app is False
    assert len(mailoutbox) == 1
    assert api_as(rep).get("/api/v1/notifications/").json()["results"] == []


def test_a_digest_row_waits_for_the_digest(rep, mailoutbox, django_capture_on_commit_callbacks):
    choose(rep, mention=["in_app", "digest"])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        say(rep)

    row = Notification.objects.get()
    assert (row.in_app, row.delivery, row.status) == (True, "digest", "pending")
    assert callbacks == []
    assert mailoutbox == []


def test_the_resend_sweep_leaves_digest_rows_to_the_digest(rep, mailoutbox):
    from alignment.tasks import redeliver_pending_notifications

    choose(rep, mention=["digest"])
    say(rep)
    Notification.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))

    assert redeliver_pending_notifications() == 0
    assert Notification.objects.get().status == "pending"


def test_choosing_channels_for_one_kind_keeps_the_others(rep):
    choose(rep, mention=["in_app"])
    choose(rep, sla__warning=["email"])

    stored = Preferences.objects.get(user=rep).channels
    assert stored == {MENTION: ["in_app"], "sla.warning": ["email"]}
    assert notifications.all_channels(stored)[ROUTED] == ["in_app", "email"]


def test_channels_are_stored_once_each_in_a_fixed_order(rep):
    choose(rep, mention=["email", "in_app", "email"])

    assert Preferences.objects.get(user=rep).channels == {MENTION: ["in_app", "email"]}


@pytest.mark.parametrize(
    ("channels", "key", "message"),
    [
        ({"gossip": ["email"]}, "gossip", "Unknown kind; use one of "),
        ({MENTION: ["pigeon"]}, MENTION, "Unknown channel 'pigeon'; use "),
        ({MENTION: ["email", "digest"]}, MENTION, "Choose an email now or the daily digest"),
        ({MENTION: "email"}, MENTION, "Give a list of channels"),
        ({MENTION: [["email"]]}, MENTION, "Give a list of channels"),
        ({MENTION: [None]}, MENTION, "Give a list of channels"),
        ({MENTION: {"email": True}}, MENTION, "Give a list of channels"),
    ],
)
def test_bad_channels_are_refused_by_kind(rep, channels, key, message):
    with pytest.raises(ValidationError) as caught:
        update_preferences(rep, channels=channels)

    assert caught.value.message_dict[key][0].startswith(message)
    assert not Preferences.objects.exists()


def test_a_time_zone_must_be_a_real_one(rep):
    with pytest.raises(ValidationError) as caught:
        update_preferences(rep, time_zone="../../etc/passwd")

    assert list(caught.value.message_dict) == ["time_zone"]


def test_an_empty_time_zone_means_the_teams(rep):
    update_preferences(rep, time_zone="Asia/Tokyo")

    update_preferences(rep, time_zone="")

    assert Preferences.objects.get(user=rep).time_zone == ""


# Subjects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "first_name",
    ["Ana\nBcc: victim@example.com", "Re: urgent", "=?utf-8?q?hi?=", "Ana\r\nSubject: x"],
)
def test_an_email_subject_never_carries_lead_data(
    rep, manager, mailoutbox, django_capture_on_commit_callbacks, first_name
):
    create_rule(by=manager, name="All to Sam", conditions=[], action="rep", rep=rep)
    lead = LeadFactory(
        stage=Stage.MQL, first_name=first_name, last_name="Lima", company="Re: urgent"
    )

    with django_capture_on_commit_callbacks(execute=True):
        open_handoff(lead)

    (mail,) = mailoutbox
    assert mail.subject == "[Tandem] A lead is routed or reassigned to you"
    assert "Lima" in mail.body
    assert "\n" not in mail.message()["Subject"]


def test_every_kind_has_a_subject_from_its_label(rep, mailoutbox):
    for kind in notifications.KINDS:
        row = NotificationFactory(recipient=rep, kind=kind, title="Ana\nBcc: x@example.com")
        services.deliver_notification(row.pk)

    assert [mail.subject for mail in mailoutbox] == [
        f"[Tandem] {kind.label}" for kind in notifications.KINDS.values()
    ]


def test_the_digest_subject_counts_the_updates_only(rep, mailoutbox):
    choose(rep, mention=["digest"])
    say(rep, title="Re: urgent\nBcc: x@example.com")
    say(rep, title="Second")

    send_digests(now=datetime(2026, 5, 5, 9, 0, tzinfo=UTC))

    assert mailoutbox[0].subject == "[Tandem] Your daily digest: 2 updates"


# The daily digest -------------------------------------------------------------------------


def digest_reader(username="dee", zone=""):
    user = UserFactory(username=username, roles=["sales"])
    update_preferences(user, channels={MENTION: ["digest"]}, time_zone=zone)
    return user


def test_digest_rows_go_out_in_one_email_at_the_readers_morning(mailoutbox):
    dee = digest_reader()
    for title in ("One", "Two", "Three"):
        say(dee, title=title)

    assert send_digests(now=datetime(2026, 5, 5, 7, 59, tzinfo=UTC)) == 0
    assert send_digests(now=datetime(2026, 5, 5, 8, 0, tzinfo=UTC)) == 1

    (mail,) = mailoutbox
    assert mail.to == [dee.email]
    assert [mail.body.index(title) for title in ("One", "Two", "Three")] == sorted(
        mail.body.index(title) for title in ("One", "Two", "Three")
    )
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}


def test_running_the_digest_twice_sends_it_once(mailoutbox):
    dee = digest_reader()
    say(dee)
    morning = datetime(2026, 5, 5, 8, 0, tzinfo=UTC)

    sent = [send_digests(now=morning), send_digests(now=morning + timedelta(hours=1))]

    assert sent == [1, 0]
    assert len(mailoutbox) == 1


def test_news_after_the_mornings_digest_waits_for_the_next_morning(mailoutbox):
    dee = digest_reader()
    say(dee, title="Monday news")
    send_digests(now=datetime(2026, 5, 4, 8, 0, tzinfo=UTC))
    say(dee, title="Later news")

    assert send_digests(now=datetime(2026, 5, 4, 15, 0, tzinfo=UTC)) == 0
    assert send_digests(now=datetime(2026, 5, 5, 8, 0, tzinfo=UTC)) == 1
    assert "Later news" in mailoutbox[1].body
    assert "Monday news" not in mailoutbox[1].body


def test_the_digest_hour_is_the_readers_own(mailoutbox):
    tokyo = digest_reader("kenji", zone="Asia/Tokyo")
    london = digest_reader("lucy", zone="Europe/London")
    say(tokyo)
    say(london)

    # 00:30 UTC: 09:30 in Tokyo, 01:30 in London.
    assert send_digests(now=datetime(2026, 5, 5, 0, 30, tzinfo=UTC)) == 1
    assert [mail.to for mail in mailoutbox] == [[tokyo.email]]


def test_a_reader_without_a_zone_gets_the_digest_at_the_teams_morning(mailoutbox):
    TeamCalendar.objects.filter(pk=1).update(time_zone="America/New_York")
    dee = digest_reader()
    say(dee)

    assert send_digests(now=datetime(2026, 5, 5, 11, 0, tzinfo=UTC)) == 0  # 07:00 there
    assert send_digests(now=datetime(2026, 5, 5, 12, 0, tzinfo=UTC)) == 1  # 08:00 there


def test_a_digest_row_older_than_a_day_goes_out_whatever_the_hour(mailoutbox):
    dee = digest_reader()
    say(dee)
    Notification.objects.update(created_at=datetime(2026, 5, 3, 23, 0, tzinfo=UTC))

    assert send_digests(now=datetime(2026, 5, 5, 2, 0, tzinfo=UTC)) == 1


def test_a_reader_with_many_digest_rows_does_not_crowd_out_the_others(mailoutbox):
    busy, quiet = digest_reader("busy"), digest_reader("quiet")
    say(quiet)  # the oldest row, behind a thousand newer ones
    Notification.objects.bulk_create(
        [
            Notification(recipient=busy, kind=MENTION, title=f"n{n}", delivery="digest")
            for n in range(1001)
        ]
    )

    send_digests(now=datetime(2026, 5, 5, 9, 0, tzinfo=UTC))

    assert sorted(mail.to[0] for mail in mailoutbox) == [busy.email, quiet.email]


def test_the_digest_of_a_reader_without_an_email_is_marked_sent(mailoutbox):
    dee = digest_reader()
    dee.email = ""
    dee.save()
    say(dee)

    assert send_digests(now=datetime(2026, 5, 5, 9, 0, tzinfo=UTC)) == 1
    assert mailoutbox == []
    assert Notification.objects.get().status == "sent"


def test_email_now_and_in_app_rows_are_not_in_the_digest(rep, mailoutbox):
    say(rep)  # email now, by default

    assert send_digests(now=datetime(2026, 5, 5, 9, 0, tzinfo=UTC)) == 0


def test_the_digest_sweep_takes_a_few_queries_per_reader_not_per_row(
    django_assert_max_num_queries,
):
    readers = [digest_reader(f"reader{n}") for n in range(5)]
    for reader in readers:
        for _ in range(3):
            say(reader)

    # Three to start; per reader a savepoint and its release, the rows, the check for a
    # digest already sent today and the update.
    with django_assert_max_num_queries(3 + 5 * 5):
        assert send_digests(now=datetime(2026, 5, 5, 9, 0, tzinfo=UTC)) == 5


# The reader's time zone -------------------------------------------------------------------


def test_local_time_reads_today_a_weekday_or_a_date():
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)  # a Monday

    assert local_time(datetime(2026, 5, 4, 9, 55, tzinfo=UTC), UTC, now=now) == "today 09:55"
    assert local_time(datetime(2026, 5, 8, 9, 55, tzinfo=UTC), UTC, now=now) == "Fri 09:55"
    assert local_time(datetime(2026, 6, 8, 9, 55, tzinfo=UTC), UTC, now=now) == ("Mon 8 Jun 09:55")
    assert local_time(datetime(2027, 1, 4, 9, 55, tzinfo=UTC), UTC, now=now) == (
        "Mon 4 Jan 2027 09:55"
    )


def test_local_time_reads_the_day_in_the_readers_zone():
    now = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)

    assert local_time(datetime(2026, 5, 4, 23, 30, tzinfo=UTC), TOKYO, now=now) == "Tue 08:30"


@pytest.mark.no_always_open
def test_the_routed_reps_message_reads_the_deadline_in_their_own_zone(manager, rep, other_rep):
    TeamCalendar.objects.filter(pk=1).update(
        time_zone="UTC", days={d: ["09:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    )
    update_preferences(rep, time_zone="America/New_York")
    create_rule(by=manager, name="All to Sam", conditions=[], action="rep", rep=rep)
    friday = datetime(2026, 5, 8, 17, 55, tzinfo=UTC)

    handoff = open_handoff(LeadFactory(stage=Stage.MQL, score=60), now=friday)

    due = datetime(2026, 5, 11, 9, 55, tzinfo=UTC)
    assert handoff.claim_due_at == due
    (news,) = Notification.objects.filter(recipient=rep, kind=ROUTED)
    new_york = ZoneInfo("America/New_York")
    # Written on Friday for a deadline on Monday: "Mon 05:55", as the rep would say it then.
    assert "Claim it by Mon 05:55 (1 h of working time)." in news.body
    assert local_time(due, new_york, now=friday) == "Mon 05:55"


def test_a_reader_without_a_zone_reads_the_teams(rep):
    TeamCalendar.objects.filter(pk=1).update(time_zone="Asia/Tokyo")
    due = datetime(2026, 5, 11, 9, 55, tzinfo=UTC)

    (row,) = notify([rep], kind=MENTION, title=lambda reader: reader.time(due))

    assert row.title.endswith("18:55")


def test_each_reader_reads_their_own_zone_in_one_notify(rep, other_rep):
    update_preferences(rep, time_zone="Asia/Tokyo")
    due = datetime(2026, 5, 11, 9, 55, tzinfo=UTC)

    rows = notify([rep, other_rep], kind=MENTION, title=lambda reader: reader.time(due))

    titles = {row.recipient.username: row.title for row in rows}
    assert titles["sam"].endswith("18:55")
    assert titles["rob"].endswith("09:55")


# Speed to lead: notified ------------------------------------------------------------------


@pytest.fixture
def to_sam(manager, rep):
    return create_rule(by=manager, name="All to Sam", conditions=[], action="rep", rep=rep)


def mql():
    return LeadFactory(stage=Stage.MQL, score=60)


def test_notified_is_set_when_the_email_is_delivered(
    to_sam, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        handoff = open_handoff(mql())
    assert Handoff.objects.get(pk=handoff.pk).notified_at is None

    for callback in callbacks:
        callback()

    row = Notification.objects.get(kind=ROUTED)
    assert Handoff.objects.get(pk=handoff.pk).notified_at == row.sent_at
    assert len(mailoutbox) == 1


def test_notified_is_set_at_once_for_a_rep_who_reads_in_the_app_only(to_sam, rep):
    choose(rep, handoff__routed=["in_app"])

    handoff = open_handoff(mql())

    assert Handoff.objects.get(pk=handoff.pk).notified_at is not None


def test_notified_waits_for_the_digest_of_a_rep_who_reads_only_the_digest(to_sam, rep, mailoutbox):
    choose(rep, handoff__routed=["digest"])
    handoff = open_handoff(mql())
    assert Handoff.objects.get(pk=handoff.pk).notified_at is None

    morning = datetime.now(UTC).replace(hour=9) + timedelta(days=1)
    send_digests(now=morning)

    assert Handoff.objects.get(pk=handoff.pk).notified_at == morning


def test_notified_is_set_when_the_team_is_told_of_a_queued_lead(rep):
    handoff = open_handoff(mql())

    assert Handoff.objects.get(pk=handoff.pk).notified_at is not None


def test_notified_is_stamped_once(to_sam, rep, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        handoff = open_handoff(mql())
    first = Handoff.objects.get(pk=handoff.pk).notified_at

    row = NotificationFactory(recipient=rep, kind=ROUTED, subject=f"handoff:{handoff.pk}")
    services.deliver_notification(row.pk)

    assert Handoff.objects.get(pk=handoff.pk).notified_at == first


def test_other_kinds_of_news_do_not_stamp_notified(handoff, rep):
    Handoff.objects.filter(pk=handoff.pk).update(notified_at=None)
    row = NotificationFactory(recipient=rep, kind=MENTION, subject=f"handoff:{handoff.pk}")

    services.deliver_notification(row.pk)

    assert Handoff.objects.get(pk=handoff.pk).notified_at is None


def test_speed_to_lead_counts_the_notified_step(to_sam, rep, django_capture_on_commit_callbacks):
    from handoffs.queries import speed_to_lead

    with django_capture_on_commit_callbacks(execute=True):
        handoff = open_handoff(mql())
    handoff = claim_handoff(Handoff.objects.get(pk=handoff.pk), rep=rep)

    steps = speed_to_lead(handoff)

    assert steps["mql_to_routed"] == 0
    assert steps["routed_to_notified"] is not None
    assert steps["notified_to_claimed"] is not None
    assert steps["claimed_to_first_contact"] is None


def test_a_refused_address_does_not_hold_up_the_other_digests(mailoutbox, monkeypatch):
    from smtplib import SMTPRecipientsRefused

    bad, good = digest_reader("bad"), digest_reader("good")
    say(bad)
    say(good)
    send = delivery.send_mail

    def refuse_bad(**message):
        if message["recipient_list"] == [bad.email]:
            raise SMTPRecipientsRefused({bad.email: (550, b"No such user")})
        return send(**message)

    monkeypatch.setattr(delivery, "send_mail", refuse_bad)

    assert send_digests(now=datetime(2026, 5, 5, 9, 0, tzinfo=UTC)) == 1

    assert [mail.to for mail in mailoutbox] == [[good.email]]
    row = Notification.objects.get(recipient=bad)
    assert (row.status, row.attempts) == ("pending", 1)
    assert "No such user" in row.last_error
