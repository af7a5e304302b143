"""The FilterSet of imports, shared by the API list and the import history page."""

import django_filters

from leads.imports.models import LeadImport


class LeadImportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LeadImport.Status.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", label="Only mine")

    class Meta:
        model = LeadImport
        fields = ["status", "campaign", "created_by"]

    def filter_mine(self, queryset, name, value):
        if value and self.request is not None:
            return queryset.filter(created_by=self.request.user)
        return queryset
