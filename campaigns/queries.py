"""Reads over campaigns: spend, the funnel of each campaign, what names a campaign."""

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from campaigns.models import Campaign, CostEntry


def with_spend(queryset: QuerySet[Campaign] | None = None) -> QuerySet[Campaign]:
    """Campaigns annotated with ``spend`` (the sum of their cost entries) in one query."""
    queryset = Campaign.objects.all() if queryset is None else queryset
    spend = (
        CostEntry.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    money = DecimalField(max_digits=14, decimal_places=2)
    return queryset.annotate(
        spend=Coalesce(
            Subquery(spend, output_field=money), Value(Decimal("0.00")), output_field=money
        )
    )


def why_in_use(campaign: Campaign) -> str:
    """Why the campaign may not be deleted: what names it, in words; "" when nothing does."""
    counts = [
        (campaign.leads.count(), "lead", "leads"),
        (campaign.touchpoints.count(), "touchpoint", "touchpoints"),
        (campaign.costs.count(), "cost entry", "cost entries"),
    ]
    held = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    if not held:
        return ""
    things = " and ".join([", ".join(held[:-1]), held[-1]] if len(held) > 1 else held)
    return (
        f"“{campaign.name}” has {things}: deleting it would take them out of every KPI. "
        "Archive it instead."
    )
