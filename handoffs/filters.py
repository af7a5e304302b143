"""Handoff and activity FilterSets, shared by the API and the pages."""

import django_filters
from django.db.models import Q
from django.utils import timezone

from alignment.filters import IdFilter, IsoDateTimeFilter
from handoffs.models import Activity, Handoff


class HandoffFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Handoff.Status.choices)
    assigned_to = IdFilter(method="filter_assigned_to")
    overdue = django_filters.BooleanFilter(method="filter_overdue")
    campaign = IdFilter(field_name="lead__campaign_id")

    class Meta:
        model = Handoff
        fields = ["status", "assigned_to", "overdue", "campaign"]

    def filter_assigned_to(self, queryset, name, value):
        return queryset.filter(
            Q(claimed_by_id=value)
            | Q(claimed_by__isnull=True, routed_to_id=value, requeued_at__isnull=True)
        )

    def filter_overdue(self, queryset, name, value):
        now = timezone.now()
        overdue = Q(status=Handoff.Status.OPEN, claim_due_at__lt=now) | Q(
            status=Handoff.Status.CLAIMED,
            first_contact_at__isnull=True,
            first_contact_due_at__lt=now,
        )
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class ActivityFilter(django_filters.FilterSet):
    lead = IdFilter(field_name="lead_id")
    rep = IdFilter(field_name="rep_id")
    kind = django_filters.ChoiceFilter(choices=Activity.Kind.choices)
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")

    class Meta:
        model = Activity
        fields = ["lead", "rep", "kind", "occurred_after"]
