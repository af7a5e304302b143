"""Delivery locks one notification row, on real PostgreSQL connections.

Two workers delivering two notifications to the same person must not get in each
other's way: while one email is on its way, the other notification is still delivered.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from alignment.models import Notification
from alignment.services import deliver_notification
from tests.factories import NotificationFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL (set DATABASE_URL)",
    ),
]


def test_a_notification_in_delivery_does_not_hold_up_the_next_one_to_the_same_person(
    mailoutbox,
):
    person = UserFactory(username="sam", roles=["sales"])
    first, second = NotificationFactory.create_batch(2, recipient=person)
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        # Holds the first row (and its recipient) the way a delivery in progress would.
        try:
            with transaction.atomic():
                list(
                    Notification.objects.select_for_update()
                    .select_related("recipient")
                    .filter(pk=first.pk)
                )
                locked.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(timeout=10)
        assert deliver_notification(second.pk) is True
        assert deliver_notification(first.pk) is False  # the other worker has it
    finally:
        release.set()
        thread.join(timeout=10)
    assert Notification.objects.get(pk=second.pk).status == Notification.Status.SENT
    assert Notification.objects.get(pk=first.pk).status == Notification.Status.PENDING
    assert len(mailoutbox) == 1
