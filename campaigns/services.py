"""Writes with rules for campaigns."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from campaigns.models import Campaign, CostEntry


def normalise_utm(value: str) -> str:
    """UTM codes arrive in any case from links; stored lowercase so they match one way."""
    return (value or "").strip().lower()


def _clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    if "utm_campaign" in fields:
        fields["utm_campaign"] = normalise_utm(fields["utm_campaign"])
    return fields


@transaction.atomic
def create_campaign(*, owner, **fields: Any) -> Campaign:
    """Create a campaign; model and constraint validation raise ``ValidationError``."""
    campaign = Campaign(owner=owner, **_clean_fields(fields))
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def update_campaign(campaign: Campaign, **fields: Any) -> Campaign:
    for name, value in _clean_fields(fields).items():
        setattr(campaign, name, value)
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def add_cost(
    campaign: Campaign, *, date: date, amount: Decimal, note: str = "", by=None
) -> CostEntry:
    entry = CostEntry(campaign=campaign, date=date, amount=amount, note=note, created_by=by)
    entry.full_clean()
    entry.save()
    return entry
