"""Writing notifications: one row per reader by the channels each chose (the email copies
queued after commit), read marks, and each user's notification preferences."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import business_hours, events, notifications
from alignment.models import Notification, Preferences
from alignment.notifications import Reader
from alignment.roles import MANAGER, SALES
from alignment.services.team_calendar import team_time_zone


def users_with_role(role: str):
    """Active users holding ``role`` (superusers are not spammed with team mail)."""
    return get_user_model().objects.filter(is_active=True, groups__name=role).distinct()


#: A message, or a function that writes it for one reader (in their time zone).
Text = str | Callable[[Reader], str]


def _write(text: Text, reader: Reader) -> str:
    return text(reader) if callable(text) else text


@dataclass(frozen=True)
class Message:
    """One notification to send to several people (see ``notify``)."""

    recipients: Sequence[Any]
    kind: str
    title: Text
    body: Text = ""
    url: str = ""
    subject: str = ""


def notify(
    recipients: Iterable,
    *,
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    subject: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """Write one notification per recipient, by the channels each chose for ``kind``, and
    queue the email copies after commit.

    ``title`` and ``body`` may be functions of the reader, so each person reads names and
    times in their own time zone. A recipient who turned ``kind`` off gets nothing.
    ``now`` is the moment of the news (the caller's clock): an in-app copy reaches its
    reader then, and times read as seen from then ("today 09:55").
    """
    message = Message(list(recipients), kind, title, body=body, url=url, subject=subject)
    return notify_many([message], now=now)


def notify_many(messages: Sequence[Message], *, now: datetime | None = None) -> list[Notification]:
    """``notify`` for many messages at once (an escalation sweep's batch): the readers'
    preferences are read once and every row goes in with one INSERT."""
    people = {user.pk: user for m in messages for user in m.recipients if user is not None}
    if not people:
        return []
    settings_of: dict[int, dict[str, Any]] = {
        row["user_id"]: dict(row)
        for row in Preferences.objects.filter(user_id__in=list(people)).values(
            "user_id", "channels", "time_zone"
        )
    }
    team_zone = team_time_zone()
    readers: dict[int, Reader] = {}
    now = now or timezone.now()
    rows = []
    for message in messages:
        for user in {user.pk: user for user in message.recipients if user is not None}.values():
            chosen = settings_of.get(user.pk, {})
            channels = notifications.channels_for(chosen.get("channels"), message.kind)
            if not channels:
                continue
            if user.pk not in readers:
                zone = notifications.zone_of(chosen.get("time_zone", ""), team_zone)
                readers[user.pk] = Reader(user=user, tz=zone, now=now)
            rows.append(_row(message, readers[user.pk], channels, now))
    if not rows:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows, batch_size=1000)
        reached: set[tuple[str, str]] = set()
        for row in created:
            # In the inbox with no email now to wait for, it has reached its reader. A row
            # only for the digest has reached nobody yet: the digest signals it when sent.
            # One piece of news told to a whole team reaches it once, with its first row.
            news = (row.kind, row.subject or f"notification:{id(row)}")
            if row.in_app and row.delivery != Notification.Delivery.EMAIL and news not in reached:
                reached.add(news)
                events.signal(events.NOTIFICATION_DELIVERED, notification=row, at=now)
        ids = [row.pk for row in created if row.delivery == Notification.Delivery.EMAIL]
        if ids:
            transaction.on_commit(lambda: _queue_delivery(ids))
    return created


def _row(message: Message, reader: Reader, channels: Sequence[str], now: datetime) -> Notification:
    delivery = (
        Notification.Delivery.EMAIL
        if notifications.EMAIL in channels
        else Notification.Delivery.DIGEST
        if notifications.DIGEST in channels
        else Notification.Delivery.NONE
    )
    born_sent = delivery == Notification.Delivery.NONE
    return Notification(
        recipient=reader.user,
        kind=message.kind,
        title=_write(message.title, reader)[:200],
        body=_write(message.body, reader),
        url=message.url,
        subject=message.subject,
        in_app=notifications.IN_APP in channels,
        delivery=delivery,
        status=Notification.Status.SENT if born_sent else Notification.Status.PENDING,
        sent_at=now if born_sent else None,
    )


def notify_role(role: str, **message) -> list[Notification]:
    return notify(users_with_role(role), **message)


def notify_sales(**message) -> list[Notification]:
    return notify_role(SALES, **message)


def notify_managers(**message) -> list[Notification]:
    return notify_role(MANAGER, **message)


def _queue_delivery(ids: list[int]) -> None:
    from alignment.tasks import deliver_notification

    for pk in ids:
        try:
            deliver_notification.delay(pk)
        except (KombuOperationalError, OSError):  # broker down: the beat sweep re-sends
            return


def mark_read(notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preferences_of(user) -> Preferences:
    return Preferences.objects.filter(user=user).first() or Preferences(user=user)


def update_preferences(
    user, *, channels: dict[str, list[str]] | None = None, time_zone: str | None = None
) -> Preferences:
    """Change a user's own notification channels (the kinds given; the rest keep theirs)
    and time zone (empty: the team's)."""
    problems: dict[str, list[str]] = {}
    if channels is not None:
        problems.update(notifications.channel_errors(channels))
    if time_zone:
        try:
            business_hours.time_zone(time_zone)
        except business_hours.CalendarError as exc:
            problems["time_zone"] = [str(exc)]
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        preferences, _ = Preferences.objects.select_for_update().get_or_create(user=user)
        if channels is not None:
            preferences.channels = {
                **preferences.channels,
                **notifications.normalised(channels),
            }
        if time_zone is not None:
            preferences.time_zone = time_zone
        preferences.save()
    return preferences
