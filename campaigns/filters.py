"""The campaign FilterSet, shared by the API and the campaign list page."""

import django_filters
from django.db.models import Q

from alignment.filters import IdFilter
from campaigns.models import Campaign, Channel


class CampaignFilter(django_filters.FilterSet):
    """Archived campaigns are left out unless ``status=archived`` asks for them."""

    status = django_filters.ChoiceFilter(
        choices=Campaign.Status.choices,
        help_text="Without it, every campaign but the archived ones.",
    )
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    owner = IdFilter(field_name="owner_id")
    starts_after = django_filters.DateFilter(field_name="starts_on", lookup_expr="gte")
    ends_before = django_filters.DateFilter(field_name="ends_on", lookup_expr="lte")
    search = django_filters.CharFilter(method="filter_search", label="Search")

    class Meta:
        model = Campaign
        fields = ["status", "channel", "owner", "starts_after", "ends_before", "search"]

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if not self.form.cleaned_data.get("status"):
            queryset = queryset.exclude(status=Campaign.Status.ARCHIVED)
        return queryset

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(utm_campaign__icontains=value)
            | Q(objective__icontains=value)
        )
