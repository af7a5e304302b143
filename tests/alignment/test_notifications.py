"""Notifications: written as rows first (the outbox), delivered by a task after commit."""

from datetime import timedelta
from smtplib import SMTPException

import pytest
from django.utils import timezone

from alignment.models import Notification
from alignment.services import deliver_notification, delivery, mark_all_read, mark_read, notify
from alignment.tasks import MAX_ATTEMPTS, redeliver_pending_notifications
from alignment.tasks import deliver_notification as deliver_task
from tests.factories import NotificationFactory, UserFactory


def test_notify_writes_one_row_per_recipient(db, rep, other_rep):
    rows = notify([rep, other_rep, rep], kind="handoff.routed", title="New MQL", body="Score 70.")
    stored = Notification.objects.all()
    assert {row.recipient for row in stored} == {rep, other_rep}
    assert len(rows) == 2
    assert all(row.status == Notification.Status.PENDING for row in stored)
    assert all((row.title, row.body) == ("New MQL", "Score 70.") for row in stored)


def test_notify_without_recipients_writes_nothing(db):
    assert notify([], kind="x", title="Nobody") == []
    assert not Notification.objects.exists()


def test_notify_queues_delivery_only_after_commit(
    db, rep, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify([rep], kind="handoff.routed", title="New MQL")
    assert mailoutbox == []
    assert Notification.objects.get().status == Notification.Status.PENDING
    assert len(callbacks) == 1
    callbacks[0]()
    assert Notification.objects.get().status == Notification.Status.SENT
    assert [mail.to for mail in mailoutbox] == [[rep.email]]


def test_delivery_sends_the_email_copy(db, rep, mailoutbox, settings):
    settings.SITE_URL = "https://tandem.example.com"
    notification = NotificationFactory(
        recipient=rep,
        kind="handoff.routed",
        title="New MQL: Ana",
        body="Score 72.",
        url="/handoffs/queue/",
    )
    assert deliver_notification(notification.pk) is True
    (mail,) = mailoutbox
    assert mail.subject == "[Tandem] A lead is routed or reassigned to you"
    assert mail.to == ["sam@tandem.test"]
    assert "New MQL: Ana" in mail.body
    assert "Score 72." in mail.body
    assert "Open in Tandem: https://tandem.example.com/handoffs/queue/" in mail.body


def test_delivery_marks_the_row_sent(db, rep, mailoutbox):
    notification = NotificationFactory(recipient=rep)
    deliver_notification(notification.pk)
    stored = Notification.objects.get(pk=notification.pk)
    assert (stored.status, stored.attempts) == (Notification.Status.SENT, 1)
    assert stored.sent_at is not None


def test_delivering_twice_sends_one_email(db, rep, mailoutbox):
    notification = NotificationFactory(recipient=rep)
    deliver_notification(notification.pk)
    assert deliver_notification(notification.pk) is False
    assert len(mailoutbox) == 1
    assert Notification.objects.get(pk=notification.pk).attempts == 1


def test_the_task_is_safe_to_run_twice(db, rep, mailoutbox):
    notification = NotificationFactory(recipient=rep)
    assert deliver_task.delay(notification.pk).get() is True
    assert deliver_task.delay(notification.pk).get() is False
    assert len(mailoutbox) == 1


def test_a_user_without_an_email_gets_the_in_app_row_only(db, mailoutbox):
    user = UserFactory(email="")
    notification = NotificationFactory(recipient=user)
    deliver_notification(notification.pk)
    assert Notification.objects.get(pk=notification.pk).status == Notification.Status.SENT
    assert mailoutbox == []


def test_a_failed_send_keeps_the_row_pending_with_the_error(db, rep, monkeypatch):
    def refuse(**kwargs):
        raise SMTPException("mail server says no")

    monkeypatch.setattr(delivery, "send_mail", refuse)
    notification = NotificationFactory(recipient=rep)
    with pytest.raises(SMTPException):
        deliver_notification(notification.pk)
    stored = Notification.objects.get(pk=notification.pk)
    assert (stored.status, stored.attempts) == (Notification.Status.PENDING, 1)
    assert stored.last_error == "mail server says no"


def test_the_last_retry_marks_the_row_failed(db, rep, monkeypatch):
    def refuse(**kwargs):
        raise SMTPException("mail server says no")

    monkeypatch.setattr(delivery, "send_mail", refuse)
    notification = NotificationFactory(recipient=rep)
    with pytest.raises(SMTPException):
        deliver_task.apply(args=[notification.pk], retries=MAX_ATTEMPTS)
    assert Notification.objects.get(pk=notification.pk).status == Notification.Status.FAILED


def test_the_sweep_resends_rows_left_pending(db, rep, mailoutbox):
    old = NotificationFactory(recipient=rep, title="Old")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert redeliver_pending_notifications() == 1
    assert Notification.objects.get(pk=old.pk).status == Notification.Status.SENT
    assert [mail.subject for mail in mailoutbox] == ["[Tandem] Tandem notification"]
    assert "Old" in mailoutbox[0].body


def test_the_sweep_leaves_fresh_sent_and_exhausted_rows_alone(db, rep, mailoutbox):
    long_ago = timezone.now() - timedelta(minutes=5)
    fresh = NotificationFactory(recipient=rep)
    sent = NotificationFactory(recipient=rep, status=Notification.Status.SENT)
    exhausted = NotificationFactory(recipient=rep, attempts=MAX_ATTEMPTS)
    Notification.objects.filter(pk__in=[sent.pk, exhausted.pk]).update(created_at=long_ago)
    assert redeliver_pending_notifications() == 0
    assert Notification.objects.get(pk=fresh.pk).status == Notification.Status.PENDING
    assert mailoutbox == []


def test_mark_read_sets_the_time_once(db, rep):
    notification = NotificationFactory(recipient=rep)
    first = mark_read(notification).read_at
    assert mark_read(notification).read_at == first
    assert Notification.objects.get(pk=notification.pk).is_read


def test_mark_all_read_touches_only_the_users_unread_rows(db, rep, other_rep):
    NotificationFactory.create_batch(2, recipient=rep)
    NotificationFactory(recipient=other_rep)
    assert mark_all_read(rep) == 2
    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_rep, read_at__isnull=True).count() == 1
