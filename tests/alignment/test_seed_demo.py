"""The demo company: built once per module (it takes a few seconds), then read."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from alignment.models import Event, Notification
from alignment.roles import MANAGER, MARKETING, SALES
from campaigns.models import Campaign, CostEntry
from handoffs.models import Activity, Handoff
from leads.models import Lead, Stage, StageChange, Touchpoint
from tests.conftest import ensure_reference_data

MD5 = "django.contrib.auth.hashers.MD5PasswordHasher"
DEMO_MODELS = (Campaign, CostEntry, Lead, Touchpoint, StageChange, Handoff, Activity, Event)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back afterwards."""
    fast_hashing = override_settings(PASSWORD_HASHERS=[MD5])  # as conftest does per test
    with fast_hashing, django_db_blocker.unblock(), transaction.atomic():
        ensure_reference_data()
        out = StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(demo, db):
    return demo


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (*DEMO_MODELS, Notification)}


@pytest.mark.parametrize(
    ("username", "role"),
    [("marketer", MARKETING), ("manager", MANAGER), ("rep1", SALES), ("rep2", SALES)],
)
def test_it_creates_a_demo_user_for_each_role(seeded, username, role):
    user = get_user_model().objects.get(username=username)
    assert user.groups.filter(name=role).exists()
    assert user.check_password("tandem-demo")


def test_it_creates_an_admin_superuser(seeded):
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password("tandem-demo")


def test_it_prints_the_logins_with_their_password(seeded):
    for username in ("marketer", "manager", "rep1", "rep2", "admin"):
        assert f" {username} " in seeded
    assert "tandem-demo" in seeded


def test_it_creates_campaigns_on_several_channels_with_spend(seeded):
    campaigns = Campaign.objects.all()
    assert len({campaign.channel for campaign in campaigns}) >= 5
    assert CostEntry.objects.values("campaign").distinct().count() >= 5
    assert not CostEntry.objects.filter(date__gt=timezone.localdate()).exists()


def test_the_active_campaigns_have_web_forms_that_open(seeded, client):
    active = Campaign.objects.filter(status=Campaign.Status.ACTIVE)
    assert active.exists()
    for campaign in active:
        assert campaign.form_headline and campaign.form_fields.get("company") == "required"
        page = client.get(f"/f/{campaign.form_key}/")
        assert page.status_code == 200
        assert campaign.form_headline in page.content.decode()


def test_it_creates_a_few_hundred_leads_spread_over_ninety_days(seeded):
    created = Lead.objects.values_list("created_at", flat=True)
    now = timezone.now()
    assert len(created) >= 250
    assert min(created) < now - timedelta(days=75)
    assert max(created) > now - timedelta(hours=1)


def test_every_lead_was_scored_by_the_rules_with_an_explanation(seeded):
    unexplained = [lead.pk for lead in Lead.objects.all() if not lead.score_breakdown]
    assert unexplained == []


def test_every_mql_opened_a_handoff(seeded):
    assert StageChange.objects.filter(to_stage=Stage.MQL).count() == Handoff.objects.count()


@pytest.mark.parametrize("status", Handoff.Status.values)
def test_it_leaves_handoffs_in_each_status(seeded, status):
    assert Handoff.objects.filter(status=status).exists()


def test_the_open_handoffs_are_fresh_mqls_waiting_in_the_queue(seeded):
    open_handoffs = Handoff.objects.filter(status=Handoff.Status.OPEN)
    assert open_handoffs.count() >= 5
    assert not open_handoffs.filter(created_at__lt=timezone.now() - timedelta(hours=1)).exists()
    assert all(handoff.lead.stage == Stage.MQL for handoff in open_handoffs)


def test_reps_won_deals_with_amounts_and_lost_others_with_reasons(seeded):
    won = StageChange.objects.filter(to_stage=Stage.WON)
    lost = StageChange.objects.filter(to_stage=Stage.LOST)
    assert won.exists() and not won.filter(amount__isnull=True).exists()
    assert lost.exists() and not lost.filter(reason="").exists()


def test_some_claims_missed_the_sla_and_were_escalated(seeded):
    late = [h for h in Handoff.objects.exclude(claimed_at=None) if h.claimed_at > h.claim_due_at]
    assert late
    assert Handoff.objects.exclude(claim_escalated_at=None).exists()


def test_reps_logged_activities_that_stopped_the_contact_clock(seeded):
    assert Activity.objects.count() >= 50
    assert Handoff.objects.exclude(first_contact_at=None).exists()


def test_the_history_is_stamped_with_its_own_time(seeded):
    hour_ago = timezone.now() - timedelta(hours=1)
    assert Event.objects.filter(created_at__lt=hour_ago).count() > Event.objects.count() / 2
    assert Notification.objects.filter(created_at__lt=hour_ago).exists()


def test_a_second_run_changes_nothing(seeded):
    before = counts()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert counts() == before
    assert "already there" in out.getvalue()


def test_reset_rebuilds_the_demo_and_keeps_other_leads(seeded):
    own = Lead.objects.create(email="buyer@customer.com")
    demo_campaigns = set(Campaign.objects.values_list("pk", flat=True))
    call_command("seed_demo", "--reset", stdout=StringIO())
    assert Lead.objects.filter(pk=own.pk).exists()
    assert Lead.objects.filter(email__endswith=".example").count() >= 250
    assert not Campaign.objects.filter(pk__in=demo_campaigns).exists()
