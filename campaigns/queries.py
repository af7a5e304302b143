"""Reads over campaigns: spend and the funnel of each campaign."""

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
