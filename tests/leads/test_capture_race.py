"""Captures of one email at the same instant, on real PostgreSQL connections.

The unique constraint on the email decides: however the captures interleave, they end in
one lead with every touchpoint. Batches with overlapping emails lock rows in email order,
so they never deadlock. SQLite serialises whole transactions, so this is skipped there.
"""

from collections.abc import Callable

import pytest
from django.db import connection

from leads.capture import queue
from leads.models import Lead, LeadFieldConflict, Touchpoint
from leads.services import capture_lead, capture_leads
from tests.concurrency import in_threads

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the capture race needs PostgreSQL (set DATABASE_URL)",
    ),
]


@pytest.fixture(autouse=True)
def no_scoring(monkeypatch):
    """Scoring is not raced here. Celery runs eager tasks under a process-wide flag that
    threads finishing out of order leave set, which breaks later tests' ``.get()``."""
    monkeypatch.setattr(queue, "_broker_down_until", float("inf"))


def at_once(*calls: Callable[[], object]) -> list[str]:
    """Run the calls in threads released together; returns ``ok`` or the error of each."""
    return in_threads(*calls, describe=lambda _: "ok")


@pytest.mark.parametrize("round_number", range(3))
def test_simultaneous_captures_of_one_email_end_in_one_lead(round_number):
    outcomes = at_once(
        *[lambda n=n: capture_lead(email=" Ana@Acme.com", company=f"Acme {n}") for n in range(6)]
    )

    assert outcomes == ["ok"] * 6
    lead = Lead.objects.get()
    assert lead.touchpoints.count() == 6
    # One offer won the empty field; the five others are kept as conflicts.
    assert LeadFieldConflict.objects.filter(lead=lead, field="company").count() == 5


def test_batches_with_overlapping_emails_finish_without_deadlock():
    emails = [f"lead{n}@acme.com" for n in range(300)]

    outcomes = at_once(
        lambda: capture_leads([{"email": email} for email in emails]),
        lambda: capture_leads([{"email": email} for email in reversed(emails)]),
        lambda: capture_leads([{"email": email} for email in emails[::2]]),
    )

    assert outcomes == ["ok"] * 3
    assert Lead.objects.count() == 300
    assert Touchpoint.objects.count() == 300 + 300 + 150


def test_a_single_capture_and_a_batch_of_the_same_email_end_in_one_lead():
    outcomes = at_once(
        lambda: capture_lead(email="ana@acme.com"),
        lambda: capture_leads([{"email": "ana@acme.com"}, {"email": "bo@beta.io"}]),
    )

    assert outcomes == ["ok", "ok"]
    assert Lead.objects.filter(email="ana@acme.com").count() == 1
    assert Touchpoint.objects.filter(lead__email="ana@acme.com").count() == 2
