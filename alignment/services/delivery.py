"""Sending the email copies of notifications: one at a time, or a reader's daily digest;
each goes out once, whichever worker takes it."""

from datetime import datetime, timedelta
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from alignment import events, notifications
from alignment.models import Notification, Preferences
from alignment.services.team_calendar import team_time_zone


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
