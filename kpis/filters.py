"""The goal FilterSet, shared by ``/api/v1/goals/`` and the goals page."""

import django_filters

from alignment.filters import IdFilter
from campaigns.models import Channel
from kpis.goals import goal_metrics, team_today
from kpis.models import Goal


def _metric_choices() -> list[tuple[str, str]]:
    return [(metric.name, metric.label) for metric in goal_metrics().values()]


class GoalFilter(django_filters.FilterSet):
    active = django_filters.BooleanFilter(
        method="filter_active", label="Running today (in the team's time zone)"
    )
    metric = django_filters.ChoiceFilter(choices=_metric_choices)
    campaign = IdFilter(field_name="campaign_id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    owner = IdFilter(field_name="owner_id")

    class Meta:
        model = Goal
        fields = ["active", "metric", "campaign", "channel", "owner"]

    def filter_active(self, queryset, name, value):
        running = queryset.active(team_today())
        if value:
            return running
        return queryset.exclude(pk__in=running.values("pk"))
