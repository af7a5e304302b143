"""The admin pages of every registered model open for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from leads.models import Lead
from tests.factories import CampaignFactory, LeadFactory, TouchpointFactory

MODELS = sorted(
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in {"alignment", "campaigns", "leads", "handoffs", "kpis"}
)


@pytest.fixture
def some_rows(db):
    campaign = CampaignFactory()
    TouchpointFactory(lead=LeadFactory(campaign=campaign), campaign=campaign)


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_the_change_list_opens(client, admin_user, some_rows, app, model):
    client.force_login(admin_user)
    response = client.get(reverse(f"admin:{app}_{model}_changelist"), {"q": "a"})
    assert response.status_code == 200


def test_a_lead_opens_with_its_touchpoints(client, admin_user, some_rows):
    client.force_login(admin_user)
    lead = Lead.objects.get()
    response = client.get(reverse("admin:leads_lead_change", args=[lead.pk]))
    assert response.status_code == 200
    assert lead.email in response.content.decode()
