"""Personas and shared fixtures.

The cast: a marketer, two reps, a manager, a marketing and a sales manager (who sign the
agreement), an outsider with no role, and an admin.
Unit tests run Celery tasks in-process (eager); ``tests/integration`` runs a real worker.
"""

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from alignment.celery import app as celery_app
from alignment.roles import MANAGER, MARKETING, SALES
from tests.factories import UserFactory

celery_app.conf.task_always_eager = True
celery_app.conf.task_eager_propagates = True

_REFERENCE_MIGRATIONS = (
    "alignment.migrations.0002_roles_and_first_agreement",
    "alignment.migrations.0005_team_calendar_preferences_sla_segments",
    "alignment.migrations.0006_agreement_signing",
    "leads.migrations.0002_default_scoring_rules",
    "handoffs.migrations.0005_first_agreement_segments",
)


def ensure_reference_data() -> None:
    """Roles, the first agreement and the default rules, as the data migrations make them.

    Transactional tests flush the tables after they run; this puts the rows back.
    """
    for module in _REFERENCE_MIGRATIONS:
        importlib.import_module(module).forwards(django_apps, None)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Real hashers take most of a second per user; tests need none of that strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_remembered_kpi_rollup():
    """The shared cache's note of the last KPI rollup belongs to the test that made it
    (its rollup rows are rolled back with it): each test starts and ends without one."""
    from kpis.queries.rollups import CACHE_KEY

    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)


@pytest.fixture(autouse=True)
def reference_data(request):
    """Every test that touches the database starts with the reference rows in place."""
    uses_db = request.node.get_closest_marker("django_db") or any(
        name in request.fixturenames for name in ("db", "transactional_db")
    )
    if uses_db:
        request.getfixturevalue("db")
        ensure_reference_data()


@pytest.fixture(autouse=True)
def always_open(request, reference_data):
    """SLA clocks count every minute unless a test sets business hours: the suite runs at
    any hour of any day, and most tests are about something else. ``tests/handoffs/
    test_business_hours.py`` and friends set real calendars."""
    if "no_always_open" in request.keywords:
        return
    uses_db = request.node.get_closest_marker("django_db") or any(
        name in request.fixturenames for name in ("db", "transactional_db")
    )
    if uses_db:
        from alignment.business_hours import ALWAYS_OPEN_DAYS
        from alignment.models import TeamCalendar

        TeamCalendar.objects.update_or_create(
            pk=1, defaults={"time_zone": "UTC", "days": ALWAYS_OPEN_DAYS, "holidays": []}
        )


@pytest.fixture
def marketer(db):
    return UserFactory(username="mia", first_name="Mia", last_name="Marketer", roles=[MARKETING])


@pytest.fixture
def rep(db):
    return UserFactory(username="sam", first_name="Sam", last_name="Seller", roles=[SALES])


@pytest.fixture
def other_rep(db):
    return UserFactory(username="rob", first_name="Rob", last_name="Rival", roles=[SALES])


@pytest.fixture
def manager(db):
    return UserFactory(username="max", first_name="Max", last_name="Manager", roles=[MANAGER])


@pytest.fixture
def marketing_manager(db):
    """A manager of the marketing team: signs the agreement for marketing."""
    return UserFactory(
        username="mona", first_name="Mona", last_name="Mercer", roles=[MANAGER, MARKETING]
    )


@pytest.fixture
def sales_manager(db):
    """A manager of the sales team: signs the agreement for sales."""
    return UserFactory(
        username="saul", first_name="Saul", last_name="Sterling", roles=[MANAGER, SALES]
    )


@pytest.fixture
def outsider(db):
    return UserFactory(username="olly", first_name="Olly", last_name="Outsider")


@pytest.fixture
def admin_user(db):
    user = UserFactory(username="ada")
    user.is_superuser = user.is_staff = True
    user.save()
    return user


@pytest.fixture
def api():
    """An API client; log a persona in with ``api.force_authenticate(user)``."""
    return APIClient()


@pytest.fixture
def api_as(api):
    def login(user):
        api.force_authenticate(user)
        return api

    return login


@pytest.fixture
def client_as():
    """A browser logged in as ``user`` (each call is a separate browser)."""

    def login(user):
        browser = Client()
        browser.force_login(user)
        return browser

    return login


@pytest.fixture
def handoff(db):
    """An open handoff in the team queue: a lead that scoring just made an MQL."""
    from leads import lifecycle
    from leads.models import Stage
    from tests.factories import LeadFactory

    lead = LeadFactory(stage=Stage.NEW, score=60)
    lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Score reached the threshold.")
    return lead.handoffs.get()


@pytest.fixture
def claimed_handoff(handoff, rep):
    """The ``handoff`` claimed by ``rep``: its lead is a SAL owned by the rep."""
    from handoffs.services import claim_handoff

    return claim_handoff(handoff, rep=rep)
