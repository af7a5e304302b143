"""factory_boy factories for Tandem's models."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from alignment.models import AgreementVersion, Notification
from campaigns.models import Campaign, Channel, CostEntry
from handoffs.models import Activity, Handoff
from leads.models import Lead, Stage, StageChange, Touchpoint, TouchpointKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@tandem.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pass-word-123")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get_or_create(name=name)[0])


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    channel = Channel.EMAIL
    status = Campaign.Status.ACTIVE
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    ends_on = None
    budget = Decimal("5000.00")
    utm_campaign = factory.Sequence(lambda n: f"campaign-{n}")


class CostEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CostEntry

    campaign = factory.SubFactory(CampaignFactory)
    date = factory.LazyFunction(timezone.localdate)
    amount = Decimal("100.00")


class LeadFactory(factory.django.DjangoModelFactory):
    """A lead row as stored; use ``leads.services.capture_lead`` to test capture itself."""

    class Meta:
        model = Lead

    email = factory.Sequence(lambda n: f"lead{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    company = factory.Faker("company")
    job_title = "Marketing Manager"
    country = "US"
    company_size = 250


class TouchpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Touchpoint

    lead = factory.SubFactory(LeadFactory)
    kind = TouchpointKind.PAGE_VIEW
    occurred_at = factory.LazyFunction(timezone.now)


class StageChangeFactory(factory.django.DjangoModelFactory):
    """A history row as stored; use ``leads.lifecycle.advance`` to test a stage change."""

    class Meta:
        model = StageChange

    lead = factory.SubFactory(LeadFactory)
    from_stage = Stage.NEW
    to_stage = Stage.MQL
    changed_at = factory.LazyFunction(timezone.now)


def agreement_in_force() -> AgreementVersion:
    return AgreementVersion.objects.get(status=AgreementVersion.Status.IN_FORCE)


class HandoffFactory(factory.django.DjangoModelFactory):
    """A handoff row as stored (KPI data sets); ``open_handoff`` builds real ones."""

    class Meta:
        model = Handoff

    lead = factory.SubFactory(LeadFactory, stage=Stage.MQL)
    agreement = factory.LazyFunction(agreement_in_force)
    created_at = factory.LazyFunction(timezone.now)
    claim_due_at = factory.LazyAttribute(
        lambda handoff: handoff.created_at + timedelta(minutes=handoff.agreement.claim_sla_minutes)
    )


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    lead = factory.SubFactory(LeadFactory)
    rep = factory.SubFactory(UserFactory)
    kind = Activity.Kind.CALL
    occurred_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    recipient = factory.SubFactory(UserFactory)
    kind = "test"
    title = factory.Sequence(lambda n: f"Notification {n}")
