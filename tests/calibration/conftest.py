"""Shared helpers for the qualification and calibration tests."""

from datetime import UTC, datetime

from alignment.models import AgreementVersion
from tests.factories import LeadFactory, TouchpointFactory

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def set_agreement(**fields) -> None:
    """Change the version in force in place (the tests' way to try another definition)."""
    AgreementVersion.objects.filter(status=AgreementVersion.Status.IN_FORCE).update(**fields)


def hot_lead(at: datetime = NOW, **fields):
    """A lead worth 80 points at ``at`` with the default rules: a VP (40) who asked for
    a demo at ``at`` (40). The default agreement makes it an MQL at 50.
    """
    lead = LeadFactory(job_title="VP Marketing", **fields)
    TouchpointFactory(lead=lead, kind="demo_requested", occurred_at=at)
    return lead
