"""The lead FilterSet, shared by the API and the lead list page."""

import django_filters
from django.db.models import Q

from alignment.filters import IdFilter, IsoDateTimeFilter
from leads.models import Lead, Stage

#: The score a lead list sorts and filters by: the copy in ``LeadScore``, whose index
#: serves both (``leads_lead`` keeps no index on its score, so that a rescore updates a
#: lead in place). The join is an inner one, which PostgreSQL drives from that index.
RANKED_SCORE = "ranking__score"


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    campaign = IdFilter(field_name="campaign_id")
    owner = IdFilter(field_name="owner_id")
    score_min = django_filters.NumberFilter(field_name=RANKED_SCORE, lookup_expr="gte")
    score_max = django_filters.NumberFilter(field_name=RANKED_SCORE, lookup_expr="lte")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    search = django_filters.CharFilter(method="filter_search", label="Search")

    class Meta:
        model = Lead
        fields = [
            "stage",
            "campaign",
            "owner",
            "score_min",
            "score_max",
            "created_after",
            "created_before",
            "search",
        ]

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(email__icontains=value)
            | Q(first_name__icontains=value)
            | Q(last_name__icontains=value)
            | Q(company__icontains=value)
        )


class TouchpointFilter(django_filters.FilterSet):
    lead = IdFilter(field_name="lead_id")
    campaign = IdFilter(field_name="campaign_id")
    kind = django_filters.CharFilter()
    occurred_after = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
