"""Writes with rules for campaigns."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction

from alignment.exceptions import Conflict
from campaigns.models import Campaign, CostEntry
from campaigns.queries import why_in_use


class CampaignInUse(Conflict):
    """Leads, touchpoints or cost entries name the campaign: deleting it would take them
    out of every KPI, so it is archived instead."""


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


#: The statuses a campaign may be opened from in one step: it has not run, or stopped a while.
OPENABLE = (Campaign.Status.PLANNED, Campaign.Status.PAUSED)


class NotOpenable(Conflict):
    """A completed or archived campaign is reopened by choosing its status on purpose."""


@transaction.atomic
def activate_campaign(campaign: Campaign) -> Campaign:
    """Make a planned or paused campaign active, so its web form takes submissions."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.status not in OPENABLE:
        raise NotOpenable(
            f"“{locked.name}” is {locked.get_status_display().lower()}: edit it to choose "
            "another status."
        )
    updated = update_campaign(locked, status=Campaign.Status.ACTIVE)
    campaign.status = updated.status
    return updated


@transaction.atomic
def archive_campaign(campaign: Campaign) -> Campaign:
    """Put a campaign away: out of the campaign lists unless asked for, still in every KPI."""
    return update_campaign(campaign, status=Campaign.Status.ARCHIVED)


@transaction.atomic
def delete_campaign(campaign: Campaign) -> None:
    """Delete a campaign nothing names yet (made by mistake); one with leads, touchpoints or
    cost entries raises ``CampaignInUse``: archive it instead.

    The row is locked first so the look and the delete see the same campaign. A lead
    captured into it while it is being deleted fails its foreign key at commit rather
    than losing its campaign: a deleted campaign never had anything.
    """
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    reason = why_in_use(campaign)
    if reason:
        raise CampaignInUse(reason)
    campaign.delete()
