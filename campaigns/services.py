"""Writes with rules for campaigns."""

from datetime import date
from decimal import Decimal

from django.db import transaction

from campaigns.models import Campaign, CostEntry


@transaction.atomic
def create_campaign(*, owner, **fields) -> Campaign:
    campaign = Campaign(owner=owner, **fields)
    campaign.full_clean()
    campaign.save()
    return campaign


@transaction.atomic
def update_campaign(campaign: Campaign, **fields) -> Campaign:
    for name, value in fields.items():
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
