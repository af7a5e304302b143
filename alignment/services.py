"""Writes that belong to the meeting room: the agreement in force and notifications."""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import business_hours, events, notifications
from alignment.models import AgreementVersion, Notification, Preferences, TeamCalendar
from alignment.notifications import Reader
from alignment.roles import MANAGER, SALES, has_role


class NoAgreementInForce(Exception):
    """Raised when no agreement version is in force (the data migration seeds one)."""


def agreement_in_force() -> AgreementVersion:
    version = AgreementVersion.objects.filter(status=AgreementVersion.Status.IN_FORCE).first()
    if version is None:
        raise NoAgreementInForce("No alignment agreement is in force.")
    return version


#: The terms a proposal may change, with their labels; the rest (number, status,
#: approvals) follow the approval flow.
AGREEMENT_TERMS = {
    "mql_threshold": "MQL threshold",
    "mql_required_fields": "Fields an MQL needs",
    "mql_requires_consent": "MQL needs consent",
    "claim_sla_minutes": "Minutes to claim",
    "first_contact_sla_minutes": "Minutes to first contact",
    "sla_segments": "SLA by segment",
    "recycle_cooloff_days": "Recycle cool-off days",
    "responsibilities": "Who owns each stage",
    "definitions": "Definitions",
}


def propose_agreement(
    *, by, based_on: AgreementVersion, notes: str = "", **changes: Any
) -> AgreementVersion:
    """Write a draft of the next agreement version: ``based_on``'s terms with ``changes``.

    Only a manager proposes (the agreement is theirs to sign). A draft takes effect only
    once a marketing and a sales manager approve it; until then nothing is measured
    against it. A proposal must change at least one term, and not repeat a draft.
    """
    if not has_role(by, MANAGER):
        raise PermissionDenied("Only a manager can propose a new version of the agreement.")
    unknown = set(changes) - set(AGREEMENT_TERMS)
    if unknown:
        raise TypeError(f"propose_agreement cannot change {sorted(unknown)}")
    terms = {name: getattr(based_on, name) for name in AGREEMENT_TERMS}
    if all(terms[name] == value for name, value in changes.items()):
        raise ValidationError(f"This proposal changes nothing in v{based_on.number}.")
    terms.update(changes)
    segment_errors = sla_segment_errors(terms["sla_segments"])
    if segment_errors:
        raise ValidationError({"sla_segments": segment_errors})
    # A second click on the same proposal should not make a second draft.
    for draft in AgreementVersion.objects.filter(status=AgreementVersion.Status.DRAFT):
        if all(getattr(draft, name) == value for name, value in terms.items()):
            raise ValidationError(f"v{draft.number} already proposes these terms.")
    # Two proposals at once may pick the same number; the unique number lets one win
    # and the other tries again with the next one.
    attempts = 3
    while True:
        number = (AgreementVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        draft = AgreementVersion(
            number=number,
            status=AgreementVersion.Status.DRAFT,
            proposed_by=by,
            notes=notes,
            **terms,
        )
        draft.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            attempts -= 1
            if not attempts:
                raise
        else:
            return draft


#: Longest SLA target, in working minutes: a month of eight-hour days.
MAX_SLA_MINUTES = 60 * 8 * 31


def sla_segment_errors(segments: object) -> list[str]:
    """What is wrong with an agreement's SLA segments (a list of
    ``{"name", "min_score", "claim_minutes", "first_contact_minutes"}``)."""
    if not isinstance(segments, list):
        return ["Give a list of segments."]
    problems: list[str] = []
    seen: set[int] = set()
    for index, segment in enumerate(segments, start=1):
        if not isinstance(segment, dict):
            problems.append(f"Segment {index}: give name, min_score and the two targets.")
            continue
        for key in ("min_score", "claim_minutes", "first_contact_minutes"):
            value = segment.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(f"Segment {index}: {key} must be a whole number.")
            elif key != "min_score" and not 0 < value <= MAX_SLA_MINUTES:
                problems.append(f"Segment {index}: {key} must be 1 to {MAX_SLA_MINUTES}.")
            elif key == "min_score" and not -1000 <= value <= 100000:
                problems.append(f"Segment {index}: min_score is out of range.")
        name = segment.get("name", "")
        if not isinstance(name, str) or len(name) > 60:
            problems.append(f"Segment {index}: the name is text of at most 60 characters.")
        if isinstance(segment.get("min_score"), int):
            if segment["min_score"] in seen:
                problems.append(f"Segment {index}: another segment starts at the same score.")
            seen.add(segment["min_score"])
        extra = set(segment) - {"name", "min_score", "claim_minutes", "first_contact_minutes"}
        if extra:
            problems.append(f"Segment {index}: unknown key {sorted(extra)[0]!r}.")
    return problems


def team_calendar_row() -> TeamCalendar:
    """The team calendar's row; made with the defaults if it is missing."""
    row, _ = TeamCalendar.objects.get_or_create(
        pk=1,
        defaults={
            "time_zone": settings.TIME_ZONE,
            "days": business_hours.DEFAULT_DAYS,
            "holidays": [],
        },
    )
    return row


def working_calendar(row: TeamCalendar | None = None) -> business_hours.WorkingCalendar:
    """The team's business hours, for SLA arithmetic."""
    row = row or team_calendar_row()
    return business_hours.build(time_zone_name=row.time_zone, days=row.days, holidays=row.holidays)


def team_time_zone() -> str:
    """The name of the team calendar's time zone (the server's when it has none)."""
    name = TeamCalendar.objects.filter(pk=1).values_list("time_zone", flat=True).first()
    return name or settings.TIME_ZONE


def update_team_calendar(
    *, by, time_zone: str, days: dict[str, list[str]], holidays: list[str]
) -> TeamCalendar:
    """Set the team's business hours. Handoffs already open keep the due times they got;
    the new hours count for handoffs opened from now on."""
    if not has_role(by, MANAGER):
        raise PermissionDenied("Only a manager can change the team's business hours.")
    problems = business_hours.errors(time_zone_name=time_zone, days=days, holidays=holidays)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        row = TeamCalendar.objects.select_for_update().filter(pk=1).first() or team_calendar_row()
        row.time_zone = time_zone
        row.days = {key: list(days[key]) for key in business_hours.WEEKDAYS if days.get(key)}
        # Stored as plain dates, once each, whatever ISO form they came in ("2026-W53-4").
        row.holidays = sorted({date.fromisoformat(day).isoformat() for day in holidays})
        row.updated_by = by
        row.save()
    return row


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


def agreement_drafts():
    """Proposed versions not yet in force, newest first, with who proposed them."""
    return (
        AgreementVersion.objects.filter(status=AgreementVersion.Status.DRAFT)
        .select_related("proposed_by")
        .order_by("-number")
    )


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
        for row in created:
            # In the inbox with no email now to wait for, it has reached its reader. A row
            # only for the digest has reached nobody yet: the digest signals it when sent.
            if row.in_app and row.delivery != Notification.Delivery.EMAIL:
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


def deliver_notification(notification_id: int) -> bool:
    """Send the email copy of one notification; safe to run twice.

    The row is locked (skipping rows another worker holds) while its email goes out, so
    two workers never send it twice. Returns True when this call delivered it. The
    subject names the kind only: lead data stays in the body, never in a mail header.
    """
    try:
        with transaction.atomic():
            # ``of=("self",)``: lock the notification only. Locking the joined user row
            # too would make a second worker skip every other notification to the same
            # person while this email is on its way, and block writes to that user.
            notification = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(
                    pk=notification_id,
                    status=Notification.Status.PENDING,
                    delivery=Notification.Delivery.EMAIL,
                )
                .first()
            )
            if notification is None:
                return False
            if notification.recipient.email:
                send_mail(
                    subject=f"[Tandem] {notifications.kind_of(notification.kind).label}",
                    message=_email_body(notification),
                    from_email=None,
                    recipient_list=[notification.recipient.email],
                )
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.attempts = F("attempts") + 1
            notification.last_error = ""
            notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
            events.signal(
                events.NOTIFICATION_DELIVERED, notification=notification, at=notification.sent_at
            )
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:1000]
        )
        raise
    return True


#: The local hour at which the daily digest goes out.
DIGEST_HOUR = 8


def send_digests(*, now: datetime | None = None) -> int:
    """Email each user whose local time is past the digest hour the notifications they
    asked to get as a daily digest; returns how many digests went out.

    Run hourly. A user's rows are claimed with ``FOR UPDATE SKIP LOCKED`` and marked sent
    in the transaction that sends them, so two workers never send one digest twice. Rows
    older than a day go out whatever the hour, so none waits forever.
    """
    now = now or timezone.now()
    team_zone = team_time_zone()
    pending = Notification.objects.filter(
        status=Notification.Status.PENDING, delivery=Notification.Delivery.DIGEST
    )
    # order_by(): the model's ordering would add its columns to the DISTINCT and repeat
    # each user once per row, so one busy reader could fill the whole batch.
    user_ids = list(pending.order_by().values_list("recipient_id", flat=True).distinct()[:1000])
    zones = dict(
        Preferences.objects.filter(user_id__in=user_ids).values_list("user_id", "time_zone")
    )
    sent = 0
    for user_id in user_ids:
        local = now.astimezone(notifications.zone_of(zones.get(user_id, ""), team_zone))
        try:
            sent += _send_digest(pending.filter(recipient_id=user_id), now=now, local=local)
        except (SMTPException, OSError) as exc:
            # One refused address must not hold up everyone else's digest; its rows stay
            # pending (with the error) for the next run.
            pending.filter(recipient_id=user_id).update(
                attempts=F("attempts") + 1, last_error=str(exc)[:1000]
            )
    return sent


def _send_digest(rows_of_user: QuerySet[Notification], *, now: datetime, local: datetime) -> int:
    """Send one user's digest if it is due; 1 when it went out, else 0."""
    with transaction.atomic():
        rows = list(
            rows_of_user.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .order_by("created_at", "id")[:200]
        )
        if not rows:
            return 0
        overdue = now - rows[0].created_at > timedelta(hours=24)
        if local.hour < DIGEST_HOUR and not overdue:
            return 0
        if not overdue and _digested_today(rows[0].recipient_id, local):
            return 0
        recipient = rows[0].recipient
        if recipient.email:
            send_mail(
                subject=f"[Tandem] Your daily digest: {len(rows)} update"
                f"{'s' if len(rows) != 1 else ''}",
                message="\n\n".join(_email_body(row) for row in rows),
                from_email=None,
                recipient_list=[recipient.email],
            )
        Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=Notification.Status.SENT, sent_at=now, attempts=F("attempts") + 1
        )
        for row in rows:
            events.signal(events.NOTIFICATION_DELIVERED, notification=row, at=now)
    return 1


def _digested_today(user_id: int, local: datetime) -> bool:
    """Whether this user's digest already went out on ``local``'s day."""
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return Notification.objects.filter(
        recipient_id=user_id,
        delivery=Notification.Delivery.DIGEST,
        status=Notification.Status.SENT,
        sent_at__gte=midnight,
    ).exists()


def mark_failed(notification_id: int, error: str) -> None:
    Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
        status=Notification.Status.FAILED, last_error=error[:1000]
    )


def mark_read(notification: Notification) -> Notification:
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user) -> int:
    return Notification.objects.filter(recipient=user, in_app=True, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def _email_body(notification: Notification) -> str:
    parts = [notification.title]
    if notification.body:
        parts.append(notification.body)
    if notification.url:
        link = notification.url
        if link.startswith("/"):
            link = settings.SITE_URL + link
        parts.append(f"Open in Tandem: {link}")
    return "\n\n".join(parts)
