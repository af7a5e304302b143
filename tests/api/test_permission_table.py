"""Every endpoint of the API as every kind of caller, against ``alignment.permission_table``.

Each row of the table is called once per caller on objects made for that call alone, with
a body the endpoint accepts, so a success proves the door is open and a 403 that it is
shut (not that the body was wrong). A route of the API without a row, or a row without a
way to call it here, fails.
"""

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import URLPattern, URLResolver
from django.utils import timezone

from alignment import api_urls
from alignment.models import Job
from alignment.permission_table import CALLERS, PERMISSIONS, Row
from alignment.roles import MANAGER, MARKETING, SALES, has_role
from alignment.services.agreement import propose_agreement
from alignment.services.tokens import create_token
from alignment.webhooks.models import WebhookDelivery, WebhookEndpoint
from handoffs.models import Handoff
from handoffs.routing.services.rules import create_rule
from handoffs.services import claim_handoff, open_handoff, reject_handoff, rejection_reasons
from kpis.goals import create_goal
from leads.imports.services import create_import
from leads.models import Lead, ScoringRuleSet, Stage
from leads.scoring.rules.services import copy_to_draft
from tests.factories import (
    CampaignFactory,
    CostEntryFactory,
    LeadFactory,
    NotificationFactory,
    UserFactory,
    agreement_in_force,
)
from tests.webhook_receiver import start_receiver

BASE = "/api/v1/"
#: The URL keyword arguments as the table names them.
PLACEHOLDERS = {"pk": "id", "webhook_pk": "webhook_id"}


@dataclass
class Call:
    """What one row sends: the path's ids, the body and how it is encoded, a query."""

    ids: dict[str, int] = field(default_factory=dict)
    body: Any = None
    format: str = "json"
    query: dict[str, str] | None = None


class World:
    """The caller and the rest of the cast of one test, made on demand."""

    def __init__(self, request, caller: str, receiver_url: str):
        self.request = request
        self.receiver_url = receiver_url
        # Without credentials there is no "own"; someone without a role stands in.
        self.me = (
            UserFactory(username="nobody")
            if caller == "anonymous"
            else request.getfixturevalue("admin_user" if caller == "admin" else caller)
        )

    def fixture(self, name: str):
        return self.request.getfixturevalue(name)

    @property
    def other_rep(self):
        return self.fixture("other_rep")

    @property
    def other_marketer(self):
        return UserFactory(username="mara", roles=[MARKETING])

    @property
    def other_manager(self):
        return UserFactory(username="mo", roles=[MANAGER])

    def owner(self, obj: str, other):
        """The caller for an ``own`` object, ``other`` for someone else's."""
        return self.me if obj.startswith("own") else other


CASES: dict[tuple[str, str, str], Callable[[World, str], Call]] = {}


def case(method: str, path: str, *objects: str):
    """Register how to call ``method path`` about each of ``objects``."""

    def register(build: Callable[[World, str], Call]):
        for obj in objects or ("",):
            CASES[(method, path, obj)] = build
        return build

    return register


def today() -> str:
    return timezone.localdate().isoformat()


# The cast's objects, in the states the rows name ------------------------------------------


def open_handoff_in_queue() -> Handoff:
    return open_handoff(LeadFactory(stage=Stage.MQL, score=60))


def claimed_by(user) -> Handoff:
    """An open handoff claimed by ``user``: through the claim when their role may claim,
    else as rows (for callers the role check turns away before the handoff is read)."""
    handoff = open_handoff_in_queue()
    if has_role(user, SALES, MANAGER):
        return claim_handoff(handoff, rep=user)
    Handoff.objects.filter(pk=handoff.pk).update(
        status=Handoff.Status.CLAIMED, claimed_by=user, claimed_at=timezone.now()
    )
    Lead.objects.filter(pk=handoff.lead_id).update(owner=user, stage=Stage.SAL)
    return Handoff.objects.get(pk=handoff.pk)


def rejected_handoff(w: World) -> Handoff:
    handoff = claim_handoff(open_handoff_in_queue(), rep=w.other_rep)
    return reject_handoff(handoff, rep=w.other_rep, reason=rejection_reasons()[0][0])


def draft_by(user) -> ScoringRuleSet:
    active = ScoringRuleSet.objects.get(status=ScoringRuleSet.Status.ACTIVE)
    return copy_to_draft(active, by=user)


def in_force_ruleset() -> ScoringRuleSet:
    return ScoringRuleSet.objects.get(status=ScoringRuleSet.Status.ACTIVE)


def goal_of(w: World, owner):
    return create_goal(
        by=w.other_manager,
        metric="leads",
        target=Decimal(100),
        period_start=timezone.localdate().replace(day=1),
        period_kind="month",
        owner=owner,
    )


def webhook_of(w: World, owner) -> WebhookEndpoint:
    w.fixture("settings").WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    return WebhookEndpoint.objects.create(
        owner=owner, url=w.receiver_url, events=["lead.captured"], secret="whsec_table"
    )


def delivery_of(endpoint: WebhookEndpoint) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_name="lead.captured",
        subject="lead:1",
        payload={"lead": 1},
        status=WebhookDelivery.Status.DELIVERED,
        attempts=1,
        last_status_code=200,
    )


def csv_upload() -> SimpleUploadedFile:
    data = b"Email,First Name\r\nada@example.com,Ada\r\nbroken,Bob\r\n"
    return SimpleUploadedFile("contacts.csv", data, content_type="text/csv")


# How each row is called ---------------------------------------------------------------------


@case("GET", "")
@case("GET", "campaigns/")
@case("GET", "leads/")
@case("GET", "touchpoints/")
@case("GET", "handoffs/")
@case("GET", "activities/")
@case("GET", "notifications/")
@case("GET", "notifications/preferences/")
@case("GET", "agreement/")
@case("GET", "agreement/versions/")
@case("GET", "imports/")
@case("GET", "scoring/rulesets/")
@case("GET", "scoring/calibration/")
@case("GET", "routing/rules/")
@case("GET", "routing/calendar/")
@case("GET", "kpis/summary/")
@case("GET", "kpis/campaigns/")
@case("GET", "kpis/reps/")
@case("GET", "goals/")
@case("GET", "tokens/")
@case("GET", "webhooks/")
@case("POST", "handoffs/claim-next/", "empty queue")
def nothing_to_make(w: World, obj: str) -> Call:
    return Call()


@case("GET", "kpis/trend/")
def a_trend(w: World, obj: str) -> Call:
    return Call(query={"metric": "leads", "interval": "month"})


# campaigns/


@case("POST", "campaigns/")
def new_campaign(w: World, obj: str) -> Call:
    body = {
        "name": "Autumn launch",
        "channel": "email",
        "starts_on": today(),
        "utm_campaign": "autumn-launch",
    }
    return Call(body=body)


@case("GET", "campaigns/{id}/", "own", "other")
@case("DELETE", "campaigns/{id}/", "own", "other")
@case("GET", "campaigns/{id}/costs/", "own", "other")
def a_campaign(w: World, obj: str) -> Call:
    return Call({"id": CampaignFactory(owner=w.owner(obj, w.other_marketer)).pk})


@case("PATCH", "campaigns/{id}/", "own", "other")
def campaign_renamed(w: World, obj: str) -> Call:
    campaign = CampaignFactory(owner=w.owner(obj, w.other_marketer))
    return Call({"id": campaign.pk}, {"name": "Autumn launch, second wave"})


@case("DELETE", "campaigns/{id}/", "own, with spend")
def a_campaign_with_spend(w: World, obj: str) -> Call:
    campaign = CampaignFactory(owner=w.me)
    CostEntryFactory(campaign=campaign)
    return Call({"id": campaign.pk})


@case("POST", "campaigns/{id}/costs/", "own", "other")
def a_cost(w: World, obj: str) -> Call:
    campaign = CampaignFactory(owner=w.owner(obj, w.other_marketer))
    return Call({"id": campaign.pk}, {"date": today(), "amount": "120.00", "note": "Ads"})


# leads/


@case("POST", "leads/")
def new_lead(w: World, obj: str) -> Call:
    return Call(body={"email": "grace@example.com", "first_name": "Grace", "company": "Navy"})


@case("POST", "leads/bulk/")
def new_leads(w: World, obj: str) -> Call:
    rows = [{"email": "grace@example.com"}, {"email": "alan@example.com"}]
    return Call(body={"leads": rows})


@case("GET", "leads/{id}/", "own", "other")
@case("GET", "leads/{id}/timeline/", "own", "other")
@case("GET", "leads/{id}/comments/", "own", "other")
def a_lead(w: World, obj: str) -> Call:
    return Call({"id": LeadFactory(owner=w.owner(obj, w.other_rep), stage=Stage.SAL).pk})


@case("PATCH", "leads/{id}/", "own", "other")
def lead_edited(w: World, obj: str) -> Call:
    lead = LeadFactory(owner=w.owner(obj, w.other_rep), stage=Stage.SAL)
    return Call({"id": lead.pk}, {"job_title": "Chief Technology Officer"})


@case("POST", "leads/{id}/comments/", "own", "other")
def a_comment(w: World, obj: str) -> Call:
    lead = LeadFactory(owner=w.owner(obj, w.other_rep), stage=Stage.SAL)
    return Call({"id": lead.pk}, {"body": "Called; they want a demo next week."})


@case("POST", "leads/{id}/stage/", "own", "other")
def sal_to_sql(w: World, obj: str) -> Call:
    handoff = claimed_by(w.owner(obj, w.other_rep))
    return Call({"id": handoff.lead_id}, {"stage": Stage.SQL})


@case("POST", "leads/{id}/stage/", "unclaimed MQL")
def mql_to_recycled(w: World, obj: str) -> Call:
    handoff = open_handoff_in_queue()
    return Call({"id": handoff.lead_id}, {"stage": Stage.RECYCLED, "reason": "Not ready yet."})


@case("POST", "leads/{id}/stage/", "own, won")
def won_to_sql(w: World, obj: str) -> Call:
    return Call({"id": LeadFactory(owner=w.me, stage=Stage.WON).pk}, {"stage": Stage.SQL})


@case("POST", "touchpoints/")
def a_touchpoint(w: World, obj: str) -> Call:
    return Call(body={"lead": LeadFactory().pk, "kind": "pricing_page_view"})


# handoffs/ and activities/


@case("GET", "handoffs/{id}/")
@case("POST", "handoffs/{id}/claim/", "team queue")
def a_handoff_in_queue(w: World, obj: str) -> Call:
    return Call({"id": open_handoff_in_queue().pk})


@case("POST", "handoffs/{id}/claim/", "own", "other")
def an_offered_handoff(w: World, obj: str) -> Call:
    handoff = open_handoff_in_queue()
    routed_to = w.owner(obj, w.other_rep)
    Handoff.objects.filter(pk=handoff.pk).update(
        routed_to=routed_to, claim_due_at=timezone.now() + timedelta(hours=1)
    )
    return Call({"id": handoff.pk})


@case("POST", "handoffs/{id}/claim/", "claimed")
def a_claimed_handoff(w: World, obj: str) -> Call:
    return Call({"id": claimed_by(w.other_rep).pk})


@case("POST", "handoffs/claim-next/")
def a_queue_of_one(w: World, obj: str) -> Call:
    open_handoff_in_queue()
    return Call()


@case("POST", "handoffs/{id}/reassign/", "team queue")
def a_reassignment(w: World, obj: str) -> Call:
    return Call({"id": open_handoff_in_queue().pk}, {"to": w.other_rep.pk})


@case("POST", "handoffs/{id}/reassign/", "rejected")
def a_reassignment_too_late(w: World, obj: str) -> Call:
    return Call({"id": rejected_handoff(w).pk}, {"to": w.other_rep.pk})


@case("POST", "handoffs/{id}/reject/", "own", "other")
def a_rejection(w: World, obj: str) -> Call:
    handoff = claimed_by(w.owner(obj, w.other_rep))
    return Call({"id": handoff.pk}, {"reason": rejection_reasons()[0][0]})


@case("POST", "handoffs/{id}/reject/", "rejected")
def a_second_rejection(w: World, obj: str) -> Call:
    return Call({"id": rejected_handoff(w).pk}, {"reason": rejection_reasons()[0][0]})


@case("POST", "activities/", "own", "other")
def an_activity(w: World, obj: str) -> Call:
    lead = LeadFactory(owner=w.owner(obj, w.other_rep), stage=Stage.SAL)
    return Call(body={"lead": lead.pk, "kind": "call", "outcome": "connected"})


# notifications/


@case("POST", "notifications/{id}/read/", "own", "other")
def a_notification(w: World, obj: str) -> Call:
    return Call({"id": NotificationFactory(recipient=w.owner(obj, w.other_rep)).pk})


@case("PUT", "notifications/preferences/")
@case("PATCH", "notifications/preferences/")
def preferences(w: World, obj: str) -> Call:
    return Call(body={"mention": ["in_app"]})


# agreement/


@case("POST", "agreement/versions/")
def a_proposal(w: World, obj: str) -> Call:
    return Call(body={"mql_threshold": 55, "notes": "More MQLs for the new reps."})


@case("GET", "agreement/versions/{id}/")
def the_agreement(w: World, obj: str) -> Call:
    return Call({"id": agreement_in_force().pk})


@case("POST", "agreement/versions/{id}/approve/", "draft")
def a_draft_agreement(w: World, obj: str) -> Call:
    draft = propose_agreement(by=w.other_manager, based_on=agreement_in_force(), mql_threshold=55)
    return Call({"id": draft.pk}, {"side": MARKETING})


@case("POST", "agreement/versions/{id}/approve/", "in force")
def the_agreement_approved_again(w: World, obj: str) -> Call:
    return Call({"id": agreement_in_force().pk}, {"side": MARKETING})


# imports/ and jobs/


@case("POST", "imports/")
def an_upload(w: World, obj: str) -> Call:
    return Call(body={"file": csv_upload()}, format="multipart")


@case("GET", "imports/{id}/", "own", "other")
@case("GET", "imports/{id}/errors/", "own", "other")
@case("GET", "imports/{id}/errors.csv", "own", "other")
def an_import(w: World, obj: str) -> Call:
    lead_import = create_import(file=csv_upload(), by=w.owner(obj, w.other_marketer))
    return Call({"id": lead_import.pk})


@case("GET", "jobs/{id}/", "own", "other")
def a_job(w: World, obj: str) -> Call:
    return Call({"id": Job.objects.create(kind="export", created_by=w.owner(obj, w.other_rep)).pk})


# scoring/


@case("POST", "scoring/rulesets/")
def a_new_draft(w: World, obj: str) -> Call:
    return Call(body={"name": "Fit first"})


@case("GET", "scoring/rulesets/{id}/")
def the_ruleset_in_force(w: World, obj: str) -> Call:
    return Call({"id": in_force_ruleset().pk})


@case("PATCH", "scoring/rulesets/{id}/", "own", "other")
def a_draft_edited(w: World, obj: str) -> Call:
    draft = draft_by(w.owner(obj, w.other_marketer))
    return Call({"id": draft.pk}, {"name": "Fit first, then engagement"})


@case("PATCH", "scoring/rulesets/{id}/", "in force")
def the_ruleset_in_force_edited(w: World, obj: str) -> Call:
    return Call({"id": in_force_ruleset().pk}, {"name": "Fit first, then engagement"})


@case("POST", "scoring/rulesets/{id}/backtest/")
def a_draft(w: World, obj: str) -> Call:
    return Call({"id": draft_by(w.other_marketer).pk})


@case("POST", "scoring/rulesets/{id}/activate/", "own", "other")
def a_draft_to_activate(w: World, obj: str) -> Call:
    return Call({"id": draft_by(w.owner(obj, w.other_marketer)).pk})


@case("POST", "scoring/rulesets/{id}/activate/", "in force")
def the_ruleset_in_force_activated(w: World, obj: str) -> Call:
    return Call({"id": in_force_ruleset().pk})


# routing/ and reps/


@case("POST", "routing/rules/")
def a_new_rule(w: World, obj: str) -> Call:
    return Call(body={"name": "Everything to the team", "action": "team_queue"})


@case("GET", "routing/rules/{id}/")
@case("DELETE", "routing/rules/{id}/")
def a_rule(w: World, obj: str) -> Call:
    rule = create_rule(by=w.other_manager, name="Team", conditions=[], action="team_queue")
    return Call({"id": rule.pk})


@case("PATCH", "routing/rules/{id}/")
def a_rule_renamed(w: World, obj: str) -> Call:
    rule = create_rule(by=w.other_manager, name="Team", conditions=[], action="team_queue")
    return Call({"id": rule.pk}, {"name": "The whole team"})


@case("POST", "routing/dry-run/")
def a_dry_run(w: World, obj: str) -> Call:
    open_handoff_in_queue()
    return Call(body={"sample": 5})


@case("PUT", "routing/calendar/")
def office_hours(w: World, obj: str) -> Call:
    days = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    return Call(body={"time_zone": "Europe/Berlin", "days": days, "holidays": ["2026-12-25"]})


@case("GET", "reps/{id}/availability/", "own", "other")
def availability(w: World, obj: str) -> Call:
    return Call({"id": w.owner(obj, w.other_rep).pk})


@case("PUT", "reps/{id}/availability/", "own", "other")
def time_away(w: World, obj: str) -> Call:
    start = timezone.now() + timedelta(days=1)
    body = {"away_from": start.isoformat(), "away_until": (start + timedelta(days=2)).isoformat()}
    return Call({"id": w.owner(obj, w.other_rep).pk}, body)


@case("PUT", "reps/{id}/availability/", "own, capacity", "other, capacity")
def capacity(w: World, obj: str) -> Call:
    return Call({"id": w.owner(obj, w.other_rep).pk}, {"capacity": 5})


# goals/


def goal_body(**scope) -> dict:
    body: dict[str, Any] = {
        "metric": "leads",
        "period_start": timezone.localdate().replace(day=1).isoformat(),
        "period_kind": "month",
        "target": "100",
    }
    if scope:
        body["scope"] = scope
    return body


@case("POST", "goals/", "company")
def a_company_goal(w: World, obj: str) -> Call:
    return Call(body=goal_body())


@case("POST", "goals/", "own", "other")
def a_personal_goal(w: World, obj: str) -> Call:
    return Call(body=goal_body(owner=w.owner(obj, w.other_rep).pk))


@case("POST", "goals/", "own campaign", "other's campaign")
def a_campaign_goal(w: World, obj: str) -> Call:
    campaign = CampaignFactory(owner=w.owner(obj, w.other_marketer))
    return Call(body=goal_body(campaign=campaign.pk))


@case("GET", "goals/{id}/", "own", "other")
@case("DELETE", "goals/{id}/", "own", "other")
def a_goal(w: World, obj: str) -> Call:
    return Call({"id": goal_of(w, w.owner(obj, w.other_rep)).pk})


@case("PATCH", "goals/{id}/", "own", "other")
def a_goal_raised(w: World, obj: str) -> Call:
    return Call({"id": goal_of(w, w.owner(obj, w.other_rep)).pk}, {"target": "120"})


# tokens/


@case("POST", "tokens/")
def a_new_token(w: World, obj: str) -> Call:
    return Call(body={"name": "CRM sync"})


@case("DELETE", "tokens/{id}/", "own", "other")
def a_token(w: World, obj: str) -> Call:
    return Call({"id": create_token(w.owner(obj, w.other_rep), name="CRM sync").token.pk})


# webhooks/


@case("POST", "webhooks/")
def a_subscription(w: World, obj: str) -> Call:
    return Call(body={"url": "https://hooks.example.com/tandem", "events": ["lead.captured"]})


@case("GET", "webhooks/{id}/", "own", "other")
@case("DELETE", "webhooks/{id}/", "own", "other")
def a_webhook(w: World, obj: str) -> Call:
    return Call({"id": webhook_of(w, w.owner(obj, w.other_manager)).pk})


@case("PATCH", "webhooks/{id}/", "own", "other")
def a_webhook_paused(w: World, obj: str) -> Call:
    endpoint = webhook_of(w, w.owner(obj, w.other_manager))
    return Call({"id": endpoint.pk}, {"active": False, "description": "CRM, paused"})


@case("GET", "webhooks/{id}/deliveries/")
@case("POST", "webhooks/{id}/test/")
def a_webhook_with_a_log(w: World, obj: str) -> Call:
    endpoint = webhook_of(w, w.other_manager)
    delivery_of(endpoint)
    return Call({"id": endpoint.pk})


@case("GET", "webhooks/{webhook_id}/deliveries/{id}/", "", "another webhook's")
@case("POST", "webhooks/{webhook_id}/deliveries/{id}/redeliver/", "", "another webhook's")
def a_delivery(w: World, obj: str) -> Call:
    endpoint = webhook_of(w, w.other_manager)
    delivery = delivery_of(webhook_of(w, w.other_manager) if obj else endpoint)
    return Call({"webhook_id": endpoint.pk, "id": delivery.pk})


# The tests ----------------------------------------------------------------------------------


def row_id(row: Row) -> str:
    where = f" ({row.object})" if row.object else ""
    return f"{row.method} {row.path or '/'}{where}"


def url_of(row: Row, call: Call) -> str:
    path = row.path
    for name, value in call.ids.items():
        path = path.replace(f"{{{name}}}", str(value))
    return BASE + path


@pytest.fixture(scope="module")
def receiver():
    running = start_receiver()
    yield running
    running.server.shutdown()


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded CSV files go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(
    ("row", "caller"),
    [
        pytest.param(row, caller, id=f"{row_id(row)} as {caller}")
        for row in PERMISSIONS
        for caller in CALLERS
    ],
)
def test_each_caller_gets_the_status_the_table_gives(
    request, db, api, api_as, receiver, row, caller
):
    world = World(request, caller, receiver.url)
    call = CASES[(row.method, row.path, row.object)](world, row.object)
    client = api if caller == "anonymous" else api_as(world.me)
    send = getattr(client, row.method.lower())
    url = url_of(row, call)
    if call.query:
        response = send(url, call.query)
    else:
        response = send(url, call.body, format=call.format)

    expected = row.statuses[caller]
    assert response.status_code == expected, response.content[:300]
    if expected == 204:
        assert not response.content
    elif row.path.endswith(".csv") and expected == 200:
        assert response["Content-Type"].startswith("text/csv")
    else:
        assert response["Content-Type"].startswith("application/json")
        response.json()


FORMAT_SUFFIX = re.compile(r"\(\?P<format>|<drf_format_suffix:format>")


def as_template(pattern: str) -> str:
    """A URL pattern (regex or path converter) as the table writes it: ``campaigns/{id}/``."""
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{" + m[1] + "}", pattern)
    text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: "{" + m[1] + "}", text)
    for name, placeholder in PLACEHOLDERS.items():
        text = text.replace("{" + name + "}", "{" + placeholder + "}")
    return text.replace("^", "").replace("$", "")


def view_methods(view) -> set[str]:
    """The methods a view answers: a viewset's mapped actions it allows, or an APIView's
    handlers."""
    view_class = getattr(view, "cls", None) or view.view_class
    allowed = set(view_class.http_method_names) - {"head", "options"}
    actions = getattr(view, "actions", None)
    if actions is not None:
        return {method for method in actions if method in allowed}
    return {method for method in allowed if hasattr(view_class, method)}


def api_routes(patterns=None, prefix: str = "") -> set[tuple[str, str]]:
    """Every (method, path) the API's URLconf answers, paths written as in the table."""
    routes: set[tuple[str, str]] = set()
    for pattern in api_urls.urlpatterns if patterns is None else patterns:
        text = prefix + str(pattern.pattern)
        if FORMAT_SUFFIX.search(text):
            continue  # the same view again, with a format suffix (campaigns.json)
        if isinstance(pattern, URLResolver):
            routes |= api_routes(pattern.url_patterns, text)
        else:
            assert isinstance(pattern, URLPattern)
            path = as_template(text)
            routes |= {(method.upper(), path) for method in view_methods(pattern.callback)}
    return routes


def test_every_route_of_the_api_has_a_row():
    listed = {(row.method, row.path) for row in PERMISSIONS}

    assert sorted(api_routes() - listed) == []


def test_every_row_is_a_route_of_the_api():
    listed = {(row.method, row.path) for row in PERMISSIONS}

    assert sorted(listed - api_routes()) == []


def test_every_row_has_one_way_to_call_it():
    keys = [(row.method, row.path, row.object) for row in PERMISSIONS]

    assert len(keys) == len(set(keys))
    assert sorted(set(CASES) - set(keys)) == []
    assert sorted(set(keys) - set(CASES)) == []


def test_the_docs_show_the_table_as_the_command_prints_it():
    printed = io.StringIO()
    call_command("permission_table", stdout=printed)

    docs = Path(django_settings.BASE_DIR) / "docs" / "permissions.md"
    assert docs.read_text(encoding="utf-8") == printed.getvalue(), (
        "docs/permissions.md is out of date: "
        "python manage.py permission_table > docs/permissions.md"
    )
