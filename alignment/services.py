"""Writes that belong to the meeting room: the agreement in force and notifications."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment.models import AgreementVersion, Notification
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


def notify(
    recipients: Iterable,
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
) -> list[Notification]:
    """Write one notification per recipient and queue its delivery after commit."""
    rows = [
        Notification(recipient=user, kind=kind, title=title[:200], body=body, url=url)
        for user in {user.pk: user for user in recipients}.values()
    ]
    if not rows:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        ids = [row.pk for row in created]
        transaction.on_commit(lambda: _queue_delivery(ids))
    return created


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
    two workers never send it twice. Returns True when this call delivered it.
    """
    try:
        with transaction.atomic():
            # ``of=("self",)``: lock the notification only. Locking the joined user row
            # too would make a second worker skip every other notification to the same
            # person while this email is on its way, and block writes to that user.
            notification = (
                Notification.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("recipient")
                .filter(pk=notification_id, status=Notification.Status.PENDING)
                .first()
            )
            if notification is None:
                return False
            if notification.recipient.email:
                send_mail(
                    subject=f"[Tandem] {notification.title}",
                    message=_email_body(notification),
                    from_email=None,
                    recipient_list=[notification.recipient.email],
                )
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.attempts = F("attempts") + 1
            notification.last_error = ""
            notification.save(update_fields=["status", "sent_at", "attempts", "last_error"])
    except Exception as exc:
        Notification.objects.filter(pk=notification_id).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:1000]
        )
        raise
    return True


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
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
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
