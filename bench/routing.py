"""Routing and SLA escalation benchmark: routing decisions with 50 rules, and the escalation
sweep over 10,000 open handoffs, on PostgreSQL, each next to a floor measured in the same run.

    .venv/bin/python bench/routing.py [--leads 20000] [--mqls 2000] [--handoffs 10000]
    .venv/bin/python bench/routing.py --profile       # also: where the time goes

It makes its own database (``bench_routing`` on the server of ``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/bench_routing``), migrates it, and builds a
sales team (twelve reps, one away, three with a capacity; two managers), a 24/7 team
calendar, eight campaigns, 50 routing rules written through
``handoffs.routing.services.create_rule`` and a reproducible set of MQLs (fixed seed).
Then it measures:

- routing: the floor (one SQL statement evaluating the 50 rules for every lead); the
  rules matched in Python alone; ``dry_run`` over every lead; ``route()`` as the live path
  runs it (one transaction per decision) over every lead, and over the round-robin leads
  alone; ``open_handoff`` per MQL (brief, route, due times, notifications, events);
- the escalation sweep (``handoffs.services.escalate_overdue``) over open handoffs, all
  past their warning time, then all past due, then again with nothing left to do, each
  next to one plain SQL ``UPDATE`` stamping the same rows.

Celery is left out: the email copies of notifications are queued after commit by
``_queue_delivery`` (next to ``alignment.services.notify_many``), which this process
replaces with a no-op (the rows are written as always; no worker would consume the
tasks). The database is dropped at the end unless ``--keep`` is given. See
bench/README.md.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import re
import secrets
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from benchdb import database_url, drop_database, load, recreate_database, weighted

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_routing"

# --- the data set ----------------------------------------------------------------------

COUNTRIES = [
    ("US", 26), ("CA", 4), ("GB", 10), ("IE", 1), ("DE", 8), ("AT", 2), ("CH", 2), ("FR", 6),
    ("NL", 4), ("BE", 2), ("ES", 3), ("PT", 1), ("IT", 3), ("SE", 2), ("NO", 1), ("DK", 1),
    ("FI", 1), ("PL", 2), ("BR", 4), ("MX", 2), ("AR", 1), ("IN", 5), ("JP", 3), ("SG", 2),
    ("AU", 3), ("NZ", 1), ("", 5),
]  # fmt: skip
SIZES = [
    (None, 18), (5, 6), (12, 8), (30, 10), (75, 12), (150, 12), (350, 10), (800, 8),
    (2000, 7), (5000, 5), (12000, 4),
]  # fmt: skip
INDUSTRIES = [
    ("Software", 14), ("SaaS", 8), ("Financial Services", 6), ("Banking", 3), ("Insurance", 3),
    ("Healthcare", 6), ("Pharmaceuticals", 2), ("Retail", 6), ("E-commerce", 4),
    ("Manufacturing", 8), ("Automotive", 3), ("Education", 4), ("Government", 3), ("Media", 4),
    ("Telecommunications", 3), ("Energy", 3), ("Logistics", 3), ("Consulting", 5), ("", 12),
]  # fmt: skip
TITLES = [
    ("VP Marketing", 6), ("Head of Sales", 4), ("Chief Technology Officer", 2), ("CTO", 2),
    ("CEO", 3), ("Founder", 2), ("Marketing Manager", 12), ("Demand Generation Manager", 6),
    ("Sales Operations Manager", 4), ("Software Engineer", 10), ("Data Scientist", 4),
    ("Data Engineer", 3), ("IT Director", 4), ("Procurement Manager", 2), ("Student", 2),
    ("Intern", 1), ("Consultant", 5), ("Vice President Sales", 2),
    ("Director of Revenue Operations", 2), ("Analyst", 6), ("", 10),
]  # fmt: skip
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.com"]
COMPANY_WORDS = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne", "Wonka", "Aperture", "Massive", "Nimbus", "Oscorp", "Pied Piper",
]  # fmt: skip
#: (name, channel, utm_source, utm_medium, utm_campaign), weight among leads with one.
CAMPAIGNS = [
    (("Spring search", "paid_search", "google", "cpc", "spring-search"), 24),
    (("ABM tier 1", "social", "linkedin", "paid-social", "abm-tier1"), 14),
    (("Pipeline webinar", "webinar", "webinar", "event", "pipeline-webinar"), 14),
    (("Summit", "event", "summit", "event", "summit"), 10),
    (("Partner co-marketing", "partner", "partner", "referral", "partner-q3"), 8),
    (("Customer referrals", "referral", "customers", "referral", "referrals"), 6),
    (("Monthly digest", "email", "newsletter", "email", "monthly-digest"), 20),
    (("Trade show Hannover", "trade_show", "hannover", "event", "hannover-messe"), 4),
]
ORGANIC = [
    (("", "", ""), 80), (("g2", "review", ""), 8), (("capterra", "review", ""), 4),
    (("partnerstack", "affiliate", ""), 4), (("google", "organic", ""), 4),
]  # fmt: skip
TOUCHPOINT_KINDS = [
    ("page_view", 40), ("email_click", 15), ("ad_click", 10), ("pricing_page_view", 10),
    ("content_download", 8), ("form_submitted", 8), ("webinar_attended", 5),
    ("event_visit", 2), ("demo_requested", 2),
]  # fmt: skip

#: The sales team: username → (first name, last name, capacity, away, time zone).
REPS = {
    "ava": ("Ava", "Adams", None, False, ""),
    "ben": ("Ben", "Berg", None, True, "Europe/Stockholm"),
    "cleo": ("Cleo", "Chen", 120, False, "America/New_York"),
    "dan": ("Dan", "Diaz", None, False, "America/Chicago"),
    "eva": ("Eva", "Engel", None, False, "Europe/Berlin"),
    "finn": ("Finn", "Fischer", 80, False, "Europe/Berlin"),
    "gus": ("Gus", "Green", None, False, "Europe/London"),
    "hana": ("Hana", "Hill", None, False, ""),
    "ivan": ("Ivan", "Ivanov", None, False, "Europe/Warsaw"),
    "jo": ("Jo", "Jansen", None, False, "Europe/Amsterdam"),
    "ken": ("Ken", "Kato", None, False, "Asia/Tokyo"),
    "oliver": ("Oliver", "Owen", 30, False, "Europe/London"),
}
MANAGERS = {"maria": ("Maria", "Manager"), "sam": ("Sam", "Supervisor")}


def c(field_name: str, operator: str, value: str = "") -> dict[str, str]:
    return {"field": field_name, "operator": operator, "value": value}


EMEA = "gb,ie,de,at,ch,fr,nl,be,lu,es,pt,it,se,no,dk,fi,pl"
#: (name, conditions, action, target): a rep's username, or round-robin (username, weight)s.
#: Rules 1-46 are narrow (territories, segments, sources), so most leads fall through
#: many of them; then a named rep, two weighted round robins and the team queue.
RULES: list[tuple[str, list[dict[str, str]], str, Any]] = [
    ("Competitors", [c("email_domain", "one_of", "rival.example,competitor.io")],
     "team_queue", None),
    ("Students and interns", [c("job_title", "matches", "student|intern")], "team_queue", None),
    ("Free mail, weak fit", [c("email_domain", "one_of", ",".join(FREE_MAIL)),
                             c("fit_score", "between", "-10")], "team_queue", None),
    ("Micro companies", [c("company_size", "between", "-9")], "team_queue", None),
    ("US public sector", [c("country", "one_of", "us"),
                          c("industry", "contains", "government|public sector")], "rep", "hana"),
    ("Universities", [c("email_domain", "contains", ".edu"),
                      c("industry", "contains", "education")], "rep", "hana"),
    ("DACH banking, enterprise", [c("country", "one_of", "de,at,ch"),
                                  c("industry", "contains", "bank|financ|insur"),
                                  c("company_size", "between", "5000-")], "rep", "eva"),
    ("DACH enterprise", [c("country", "one_of", "de,at,ch"),
                         c("company_size", "between", "2000-")], "rep", "eva"),
    ("DACH manufacturing", [c("country", "one_of", "de,at,ch"),
                            c("industry", "contains", "manufactur|automotive"),
                            c("company_size", "between", "500-")], "rep", "finn"),
    ("Nordics mid-market", [c("country", "one_of", "se,no,dk,fi"),
                            c("company_size", "between", "200-1999")], "rep", "ben"),
    ("Benelux, hot", [c("country", "one_of", "nl,be,lu"), c("score", "between", "150-")],
     "rep", "jo"),
    ("Iberia", [c("country", "one_of", "es,pt"), c("company_size", "between", "300-")],
     "rep", "gus"),
    ("France enterprise", [c("country", "equals", "fr"), c("company_size", "between", "1000-")],
     "rep", "jo"),
    ("France software, hot", [c("country", "equals", "fr"),
                              c("industry", "contains", "software|saas"),
                              c("score", "between", "120-")], "rep", "jo"),
    ("Italian industry", [c("country", "equals", "it"),
                          c("industry", "contains", "manufactur|automotive|logistic")],
     "rep", "ivan"),
    ("UK financial services", [c("country", "equals", "gb"),
                               c("industry", "contains", "financ|bank|insur"),
                               c("company_size", "between", "250-")], "rep", "oliver"),
    ("UK enterprise", [c("country", "equals", "gb"), c("company_size", "between", "3000-")],
     "rep", "oliver"),
    ("Poland, hot", [c("country", "equals", "pl"), c("score", "between", "110-")], "rep", "ivan"),
    ("Latin America, hot", [c("country", "one_of", "br,mx,ar,co,cl"),
                            c("score", "between", "130-")], "rep", "dan"),
    ("Japan enterprise", [c("country", "equals", "jp"), c("company_size", "between", "1000-")],
     "rep", "ken"),
    ("Australia and New Zealand events", [c("country", "one_of", "au,nz"),
                                          c("channel", "equals", "event")], "rep", "ken"),
    ("Singapore and India partners", [c("country", "one_of", "sg,in"),
                                      c("channel", "equals", "partner")], "rep", "ken"),
    ("US healthcare enterprise", [c("country", "equals", "us"),
                                  c("industry", "contains", "health|pharma"),
                                  c("company_size", "between", "5000-")], "rep", "cleo"),
    ("US retail enterprise", [c("country", "equals", "us"),
                              c("industry", "contains", "retail|commerce"),
                              c("company_size", "between", "2000-")], "rep", "dan"),
    ("Webinar, highly engaged", [c("channel", "equals", "webinar"),
                                 c("engagement_score", "between", "110-")], "rep", "ava"),
    ("Trade show, DACH and Benelux", [c("channel", "equals", "trade_show"),
                                      c("country", "one_of", "de,at,ch,nl,be")], "rep", "finn"),
    ("Referrals with fit", [c("channel", "equals", "referral"),
                            c("fit_score", "between", "60-")], "rep", "ava"),
    ("North American C-level", [c("job_title", "matches", "^(ceo|cto|cfo|coo|cmo|chief )"),
                                c("country", "one_of", "us,ca"),
                                c("company_size", "between", "1000-")], "rep", "ava"),
    ("Sales leaders, enterprise", [c("job_title", "matches", "(vp|vice president|head) .*sales"),
                                   c("company_size", "between", "5000-")], "rep", "cleo"),
    ("Telecoms", [c("industry", "contains", "telecom"), c("company_size", "between", "2000-")],
     "rep", "gus"),
    ("Energy", [c("industry", "contains", "energy|utilit"), c("country", "one_of", "us,ca,gb"),
                c("company_size", "between", "500-")], "rep", "dan"),
    ("G2 reviewers", [c("utm_source", "equals", "g2"), c("score", "between", "100-")],
     "rep", "hana"),
    ("Affiliates", [c("utm_medium", "equals", "affiliate")], "team_queue", None),
    ("ABM tier 1 accounts", [c("utm_campaign", "contains", "abm-tier1"),
                             c("company_size", "between", "1000-")], "rep", "cleo"),
    ("Summit, hot", [c("channel", "equals", "event"), c("score", "between", "160-")],
     "rep", "ava"),
    ("Procurement", [c("job_title", "contains", "procurement|purchasing")], "team_queue", None),
    ("Media, hot", [c("industry", "contains", "media|publishing"), c("score", "between", "140-")],
     "rep", "gus"),
    ("Logistics, DACH and Benelux", [c("industry", "contains", "logistic"),
                                     c("country", "one_of", "de,at,ch,nl,be")], "rep", "finn"),
    ("Small consultancies", [c("industry", "contains", "consult"),
                             c("company_size", "between", "-49")], "team_queue", None),
    ("US insurance", [c("country", "equals", "us"), c("industry", "contains", "insur"),
                      c("company_size", "between", "1000-")], "rep", "cleo"),
    ("Canada enterprise", [c("country", "equals", "ca"), c("company_size", "between", "5000-")],
     "rep", "dan"),
    ("Data teams in software", [c("job_title", "matches", "data (scientist|engineer)"),
                                c("industry", "contains", "software|saas"),
                                c("company_size", "between", "500-")], "rep", "hana"),
    ("IT directors, mid-market", [c("job_title", "contains", "it director"),
                                  c("company_size", "between", "200-999")], "rep", "ivan"),
    ("Paid search, weak fit", [c("channel", "equals", "paid_search"),
                               c("fit_score", "between", "-5")], "team_queue", None),
    ("Digest readers, size unknown", [c("channel", "equals", "email"),
                                      c("company_size", "is_empty")], "team_queue", None),
    ("Pipeline webinar, enterprise", [c("campaign", "equals", "{campaign:Pipeline webinar}"),
                                      c("company_size", "between", "2000-")], "rep", "ava"),
    ("Strategic accounts", [c("company_size", "between", "10000-")], "rep", "oliver"),
    ("North America", [c("country", "one_of", "us,ca")], "round_robin",
     [("ava", 3), ("ben", 2), ("cleo", 2), ("dan", 1)]),
    ("EMEA", [c("country", "one_of", EMEA)], "round_robin", [("eva", 2), ("finn", 1), ("gus", 1)]),
    ("Everyone else", [], "team_queue", None),
]  # fmt: skip


# --- the database ----------------------------------------------------------------------


def setup_django(url: str, state_dir: str) -> None:
    """Production settings (``DEBUG=0``), no Redis, and no Celery task ever published."""
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "TANDEM_STATE_DIR": state_dir,
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "alignment.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from alignment.services import notify_many

    # The email copies go to a worker after commit; none runs here, so none is queued.
    inbox = sys.modules[notify_many.__module__]
    inbox._queue_delivery = lambda ids: None  # type: ignore[attr-defined]


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


@dataclass
class Cast:
    manager: Any
    reps: dict[str, Any]
    rules: list[Any]  # the RoutingRule rows, in order
    campaigns: dict[str, int]
    lead_ids: list[int] = field(default_factory=list)


def make_team() -> tuple[Any, dict[str, Any]]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from alignment.business_hours import ALWAYS_OPEN_DAYS
    from alignment.models import TeamCalendar
    from alignment.roles import MANAGER, MARKETING, SALES
    from alignment.services import update_preferences
    from handoffs.routing.models import RepAvailability

    User = get_user_model()
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in (SALES, MANAGER)}
    managers = []
    for username, (first, last) in MANAGERS.items():
        user = User.objects.create_user(username, f"{username}@tandem.example", None)
        user.first_name, user.last_name = first, last
        user.save()
        user.groups.add(groups[MANAGER])
        managers.append(user)
    marketer = User.objects.create_user("mia", "mia@tandem.example", None, first_name="Mia")
    marketer.groups.add(Group.objects.get_or_create(name=MARKETING)[0])
    now = timezone.now()
    reps = {}
    for username, (first, last, capacity, away, zone) in REPS.items():
        user = User.objects.create_user(
            username, f"{username}@tandem.example", None, first_name=first, last_name=last
        )
        user.groups.add(groups[SALES])
        if capacity is not None or away:
            RepAvailability.objects.create(
                user=user,
                capacity=capacity,
                away_from=now - timedelta(days=1) if away else None,
                away_until=now + timedelta(days=30) if away else None,
            )
        if zone:
            update_preferences(user, time_zone=zone)
        reps[username] = user
    # SLA minutes are working minutes: a 24/7 calendar makes them plain minutes.
    TeamCalendar.objects.update_or_create(
        pk=1, defaults={"time_zone": "UTC", "days": ALWAYS_OPEN_DAYS, "holidays": []}
    )
    return managers[0], reps


def make_campaigns() -> dict[str, int]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from campaigns.models import Campaign

    owner = get_user_model().objects.get(username="mia")
    ids = {}
    for (name, channel, _source, _medium, code), _ in CAMPAIGNS:
        campaign = Campaign.objects.create(
            name=name,
            channel=channel,
            status=Campaign.Status.ACTIVE,
            starts_on=timezone.localdate() - timedelta(days=60),
            utm_campaign=code,
            owner=owner,
        )
        ids[name] = campaign.pk
    return ids


def make_leads(count: int, campaigns: dict[str, int], rng: random.Random) -> list[int]:
    """MQLs with varied countries, sizes, industries, titles, domains, sources and scores,
    and three touchpoints each on average (a handoff's brief lists them)."""
    from django.utils import timezone

    from leads.models import Lead, Stage, Touchpoint

    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        rows = []
        for n in range(start, min(start + batch, count)):
            industry = weighted(rng, INDUSTRIES)
            company = f"{rng.choice(COMPANY_WORDS)} {n % 700}"
            if rng.random() < 0.005:
                domain = rng.choice(["rival.example", "competitor.io"])
            elif industry == "Education" and rng.random() < 0.6:
                domain = f"univ{n % 90}.edu"
            elif rng.random() < 0.22:
                domain = rng.choice(FREE_MAIL)
            else:
                domain = company.lower().replace(" ", "") + rng.choice([".com", ".io", ".de"])
            if rng.random() < 0.7:
                name, _, source, medium, code = weighted(rng, CAMPAIGNS)
                campaign_id = campaigns[name]
            else:
                (source, medium, code), campaign_id = weighted(rng, ORGANIC), None
            fit = rng.randint(-20, 80)
            engagement = rng.randint(20, 125)
            rows.append(
                Lead(
                    email=f"lead{n}@{domain}",
                    first_name=f"First{n % 97}",
                    last_name=f"Last{n}",
                    company=company,
                    job_title=weighted(rng, TITLES),
                    country=weighted(rng, COUNTRIES),
                    company_size=weighted(rng, SIZES),
                    industry=industry,
                    consent=True,
                    campaign_id=campaign_id,
                    utm_source=source,
                    utm_medium=medium,
                    utm_campaign=code,
                    stage=Stage.MQL,
                    score=fit + engagement,
                    fit_score=fit,
                    engagement_score=engagement,
                    score_breakdown=[
                        {"label": "Job title", "points": fit // 2},
                        {"label": "Company size", "points": fit - fit // 2},
                        {"label": "Page views", "points": engagement},
                    ],
                    scored_at=now,
                )
            )
        Lead.objects.bulk_create(rows)
    ids = list(Lead.objects.order_by("pk").values_list("pk", flat=True))
    touchpoints = []
    for lead_id in ids:
        for _ in range(rng.randint(1, 5)):
            touchpoints.append(
                Touchpoint(
                    lead_id=lead_id,
                    kind=weighted(rng, TOUCHPOINT_KINDS),
                    occurred_at=now - timedelta(seconds=rng.randrange(30 * 86400)),
                )
            )
    Touchpoint.objects.bulk_create(touchpoints, batch_size=batch)
    return ids


def make_rules(manager, reps: dict[str, Any], campaigns: dict[str, int]) -> list[Any]:
    """The 50 rules, each through ``create_rule`` as the rule editor writes them."""
    from handoffs.routing.services import create_rule

    rules = []
    for name, conditions, action, target in RULES:
        conditions = [
            {
                **cond,
                "value": re.sub(
                    r"\{campaign:(.+)\}", lambda m: str(campaigns[m[1]]), cond["value"]
                ),
            }
            for cond in conditions
        ]
        rules.append(
            create_rule(
                by=manager,
                name=name,
                conditions=conditions,
                action=action,
                rep=reps[target] if action == "rep" else None,
                members=[{"user": reps[u], "weight": w} for u, w in target]
                if action == "round_robin"
                else (),
            )
        )
    return rules


def populate(args) -> Cast:
    rng = random.Random(args.seed)
    manager, reps = make_team()
    campaigns = make_campaigns()
    lead_ids = make_leads(args.leads, campaigns, rng)
    rules = make_rules(manager, reps, campaigns)
    vacuum()
    return Cast(manager=manager, reps=reps, rules=rules, campaigns=campaigns, lead_ids=lead_ids)


# --- counting and timing statements -----------------------------------------------------

TABLE = re.compile(r'(?:FROM|INTO|UPDATE) "(\w+)"')


def statement_kind(sql: str) -> str:
    verb = sql.split(None, 1)[0].upper() if sql.strip() else "?"
    if verb in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return "savepoint"
    found = TABLE.search(sql)
    table = found[1] if found else ""
    if verb == "SELECT" and "FOR UPDATE" in sql:
        verb = "SELECT FOR UPDATE"
    return f"{verb} {table}".strip()


@dataclass
class SqlClock:
    """Statements sent to PostgreSQL (driver and round trip included), by verb and table;
    commits counted apart (they do not pass the execute wrapper)."""

    seconds: Counter = field(default_factory=Counter)
    count: Counter = field(default_factory=Counter)

    def __call__(self, execute: Callable, sql: str, params, many: bool, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = statement_kind(sql)
            self.seconds[kind] += time.perf_counter() - started
            self.count[kind] += 1

    @property
    def total(self) -> float:
        return sum(self.seconds.values())

    @property
    def statements(self) -> int:
        return sum(self.count.values())


@contextmanager
def sql_clock() -> Iterator[SqlClock]:
    from django.db import connection

    clock = SqlClock()
    original = connection.commit

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            original()
        finally:
            clock.seconds["COMMIT"] += time.perf_counter() - started
            clock.count["COMMIT"] += 1

    connection.commit = timed_commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(clock):
            yield clock
    finally:
        connection.commit = original  # type: ignore[method-assign]


#: Where Python's own time goes, by the file a function lives in (first match wins).
PY_AREAS = [
    ("handoffs/routing/engine", "routing: matching rules (engine)"),
    ("leads/scoring", "routing: matching rules (engine)"),
    ("handoffs/routing/services", "routing: services"),
    ("handoffs/services/sla", "sla: building steps and messages"),
    ("handoffs/services/handoffs", "open_handoff: brief, announce"),
    ("alignment/notifications", "notifications: names and local times"),
    ("alignment/services", "notifications: rows (notify_many)"),
    ("alignment/business_hours", "business hours"),
    ("alignment/events", "events"),
    ("alignment/bulk", "events"),
    ("django/db/models/sql", "Django ORM: compiling queries"),
    ("django/db/models/query", "Django ORM: querysets, model instances"),
    ("django/db/models/base", "Django ORM: querysets, model instances"),
    ("django/db/models/fields", "Django ORM: fields, values"),
    ("django/db/backends", "Django ORM: cursor, transactions"),
    ("django/db/transaction", "Django ORM: cursor, transactions"),
    ("django/db/", "Django ORM: the rest"),
    ("django/utils/timezone", "Django: timezone, dates"),
    ("zoneinfo", "Django: timezone, dates"),
    ("django/", "Django: the rest"),
    ("json/", "json"),
]
PG_WAIT = "PostgreSQL (psycopg2 calls)"


def area_of(filename: str, name: str) -> str:
    if filename == "~":
        if "psycopg2" in name:
            return PG_WAIT
        if "json" in name:
            return "json"
        return "C builtins (str, dict, datetime, re, ...)"
    if "psycopg2" in filename:
        return PG_WAIT
    area = next((label for key, label in PY_AREAS if key in filename), None)
    if area is not None:
        return area
    if str(ROOT / "bench") in filename:
        return "the bench itself"
    if "site-packages/" in filename:
        return "library: " + filename.split("site-packages/")[1].split("/")[0]
    return "Python standard library"


def print_where(label: str, clock: SqlClock, wall: float, profile: cProfile.Profile, per: int):
    """The wall split into PostgreSQL (by statement) and Python (by area, cProfile's split
    of the Python time from a second run, as shares of the first run's wall)."""
    sql = clock.total
    print(
        f"  {label}: {wall / per * 1000:.3f} ms each, {clock.statements / per:.2f} statements "
        f"each (commits included); PostgreSQL {sql / wall:.0%}, Python {1 - sql / wall:.0%}"
    )
    for kind, seconds in clock.seconds.most_common():
        if seconds / wall >= 0.01:
            print(f"      {seconds / wall:6.1%}  {kind} ({clock.count[kind] / per:.2f} each)")
    stats = pstats.Stats(profile)
    areas: Counter = Counter()
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        areas[area_of(filename, name)] += tottime
    areas.pop(PG_WAIT, None)
    python_total = sum(areas.values())
    python_share = 1 - sql / wall
    for area, seconds in areas.most_common():
        share = seconds / python_total * python_share
        if share >= 0.01:
            print(f"      {share:6.1%}  Python: {area}")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(12)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("    top functions by own time (cProfile):")
    for line in lines[start : start + 13]:
        print("      " + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")[:150])


# --- routing ----------------------------------------------------------------------------

COLUMNS = {
    "country": "l.country",
    "company_size": "l.company_size",
    "industry": "l.industry",
    "job_title": "l.job_title",
    "email_domain": "substring(l.email from '[^@]*$')",
    "campaign": "l.campaign_id",
    "channel": "c.channel",
    "score": "l.score",
    "fit_score": "l.fit_score",
    "engagement_score": "l.engagement_score",
    "utm_source": "l.utm_source",
    "utm_medium": "l.utm_medium",
    "utm_campaign": "l.utm_campaign",
}


def condition_sql(condition) -> tuple[str, list]:
    """One routing condition in SQL, with the engine's meaning: text trimmed and compared
    lowercased (a regular expression ignoring case), an empty value matching only
    ``is_empty``, ``between`` on numbers with either end open."""
    from leads.scoring import parse_range

    column = COLUMNS[condition.field]
    text = f"btrim(coalesce({column}::text, ''))"
    value = condition.value
    wanted = value.strip().lower()
    if condition.operator == "is_empty":
        return f"{text} = ''", []
    if condition.operator == "between":
        low, high = parse_range(value) or (None, None)
        parts, params = [f"{column} IS NOT NULL"], []
        if low is not None:
            parts.append(f"{column} >= %s")
            params.append(low)
        if high is not None:
            parts.append(f"{column} <= %s")
            params.append(high)
        return " AND ".join(parts), params
    if condition.operator == "equals":
        return f"lower({text}) = %s", [wanted]
    if condition.operator == "one_of":
        items = sorted({item.strip() for item in wanted.split(",") if item.strip()})
        return f"lower({text}) = ANY(%s)", [items]
    if condition.operator == "contains":
        parts = [part.strip() for part in wanted.split("|") if part.strip()]
        return "(" + " OR ".join(f"strpos(lower({text}), %s) > 0" for _ in parts) + ")", parts
    if condition.operator == "matches":
        return f"({text} <> '' AND {text} ~* %s)", [value]
    raise ValueError(condition.operator)


def floor_query(rules) -> tuple[str, list]:
    """ONE statement: the first matching rule of every lead, by a CASE over the rules."""
    whens, params = [], []
    for rule in rules:
        parts = []
        for condition in rule.conditions:
            sql, values = condition_sql(condition)
            parts.append(f"({sql})")
            params.extend(values)
        whens.append(f"WHEN {' AND '.join(parts) or 'TRUE'} THEN {rule.id}")
    return (
        f"SELECT l.id, CASE {' '.join(whens)} END FROM leads_lead l "
        "LEFT JOIN campaigns_campaign c ON c.id = l.campaign_id",
        params,
    )


def floor_decisions(rules) -> tuple[float, dict[int, int | None]]:
    """The floor, best of three: the statement run and every row fetched."""
    from django.db import connection

    sql, params = floor_query(rules)
    best, decided = float("inf"), {}
    for _ in range(3):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        best = min(best, time.perf_counter() - started)
        decided = dict(rows)
    return best, decided


def fresh_leads(ids: list[int], *, with_campaign: bool = False) -> list[Any]:
    """Lead rows as the live path has them (the campaign read when routing asks for it),
    in the order of ``ids``."""
    from leads.models import Lead

    queryset = Lead.objects.select_related("campaign") if with_campaign else Lead.objects.all()
    by_id = {}
    for start in range(0, len(ids), 5000):
        by_id.update(queryset.in_bulk(ids[start : start + 5000]))
    return [by_id[pk] for pk in ids]


def route_each(leads: list[Any]) -> tuple[float, list[Any]]:
    """``route()`` for each lead in its own transaction, as ``open_handoff`` runs it."""
    from django.db import transaction
    from django.utils import timezone

    from handoffs.routing.services import route

    decisions = []
    started = time.perf_counter()
    for lead in leads:
        with transaction.atomic():
            decisions.append(route(lead, now=timezone.now()))
    return time.perf_counter() - started, decisions


def rule_summary(cast: Cast, decisions: list[Any]) -> dict[str, Any]:
    """Where the leads went: by action, by rule, and each round robin's shares."""
    by_rule = Counter(d.rule_id for d in decisions)
    rules = {rule.pk: rule for rule in cast.rules}
    kinds: Counter = Counter()
    for d in decisions:
        rule = rules.get(d.rule_id)
        if rule is None:
            kinds["no rule"] += 1
        elif rule.action == "team_queue":
            kinds["fallback team queue" if not rule.conditions else "team queue by a rule"] += 1
        elif d.rep is None:
            kinds[f"{rule.action}: rep unavailable → team queue"] += 1
        else:
            kinds[rule.action] += 1
    shares = {}
    reps = {user.pk: name for name, user in cast.reps.items()}
    for rule in cast.rules:
        if rule.action != "round_robin":
            continue
        members = [(m.user_id, m.weight) for m in rule.members.all()]
        available = {pk: w for pk, w in members if not REPS[reps[pk]][3]}
        got = Counter(d.rep.pk for d in decisions if d.rule_id == rule.pk and d.rep is not None)
        total = sum(got.values()) or 1
        shares[rule.name] = {
            reps[pk]: {
                "weight": weight,
                "expected": round(available.get(pk, 0) / sum(available.values()), 4),
                "got": round(got[pk] / total, 4),
                "leads": got[pk],
            }
            for pk, weight in members
        }
    return {
        "decided": len(decisions),
        "kinds": dict(kinds.most_common()),
        "rules_used": len(by_rule),
        "busiest_rules": {
            f"{rules[pk].position} {rules[pk].name}" if pk in rules else "none": n
            for pk, n in by_rule.most_common(6)
        },
        "round_robin_shares": shares,
    }


def described(count: Counter, n: int) -> str:
    """Statements per decision, by verb and table (a COMMIT counted as one)."""
    detail = ", ".join(
        f"{times / n:.2f} {name}" for name, times in count.most_common() if times / n >= 0.05
    )
    return f"{sum(count.values()) / n:.1f} statements: {detail}"


def per_decision_statements(cast: Cast, floor: dict[int, int | None]) -> dict[str, str]:
    """Statements per ``route()`` for each kind of destination (200 leads of each)."""
    rules = {rule.pk: rule for rule in cast.rules}
    groups: dict[str, list[int]] = {}
    for lead_id, rule_id in floor.items():
        rule = rules[rule_id]
        kind = "the fallback team queue" if not rule.conditions else rule.action
        groups.setdefault(kind, []).append(lead_id)
    result = {}
    for kind, ids in sorted(groups.items()):
        leads = fresh_leads(ids[:200])
        with sql_clock() as clock:
            route_each(leads)
        result[kind] = described(clock.count, len(leads))
    return result


def per_mql_statements(leads: list[Any]) -> dict[str, str]:
    """Statements per ``open_handoff``, for MQLs routed to a rep and to the team queue."""
    from handoffs.services import open_handoff

    counts: dict[str, tuple[list[int], Counter]] = {}
    for lead in leads:
        with sql_clock() as clock:
            handoff = open_handoff(lead)
        key = "to a rep" if handoff.routed_to_id else "to the team queue"
        number, count = counts.setdefault(key, ([0], Counter()))
        number[0] += 1
        count.update(clock.count)
    return {key: described(count, number[0]) for key, (number, count) in counts.items()}


def round_trip_floor(repeats: int = 2000) -> float:
    """Seconds of one transaction holding one trivial statement: the least a decision made
    in its own transaction costs, whatever it decides."""
    from django.db import connection, transaction

    started = time.perf_counter()
    for _ in range(repeats):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    return (time.perf_counter() - started) / repeats


def open_mqls(leads: list[Any]) -> tuple[float, list[Any]]:
    from handoffs.services import open_handoff

    handoffs = []
    started = time.perf_counter()
    for lead in leads:
        handoffs.append(open_handoff(lead))
    return time.perf_counter() - started, handoffs


def measure_routing(args, cast: Cast, results: dict) -> list[int]:
    """Routing figures; returns the ids of the leads given a handoff (for the clean-up)."""
    from alignment.models import Event, Notification
    from handoffs.models import Handoff
    from handoffs.routing import engine
    from handoffs.routing.services import compiled_rules, dry_run, lead_facts

    rules = compiled_rules()
    assert len(rules) == 50, len(rules)
    n = len(cast.lead_ids)
    print(f"\nRouting, {n:,} MQLs, {len(rules)} active rules (load {load()})", flush=True)

    floor_seconds, floor = floor_decisions(rules)
    floor_rate = n / floor_seconds
    results["routing_floor"] = {"seconds": round(floor_seconds, 4), "per_second": round(floor_rate)}
    print(
        f"  floor: one SQL statement, 50 rules for every lead: {floor_seconds:.3f} s, "
        f"{floor_rate:,.0f} decisions/s",
        flush=True,
    )
    trip = round_trip_floor()
    results["transaction_floor"] = {"ms": round(trip * 1000, 3), "per_second": round(1 / trip)}
    print(
        f"  floor of a decision in its own transaction: one SELECT 1 and a COMMIT: "
        f"{trip * 1000:.3f} ms, {1 / trip:,.0f} transactions/s",
        flush=True,
    )

    leads = fresh_leads(cast.lead_ids, with_campaign=True)
    started = time.perf_counter()
    matched = {
        lead.pk: getattr(engine.first_match(rules, lead_facts(lead)), "id", None) for lead in leads
    }
    seconds = time.perf_counter() - started
    mismatches = sum(1 for pk, rule_id in matched.items() if floor[pk] != rule_id)
    results["routing_engine"] = {
        "seconds": round(seconds, 3),
        "per_second": round(n / seconds),
        "differs_from_floor": mismatches,
    }
    print(
        f"  the rules matched in Python, leads in memory (engine.first_match): {seconds:.3f} s, "
        f"{n / seconds:,.0f} decisions/s, {floor_rate / (n / seconds):.1f}x the floor's time; "
        f"{mismatches} leads decided otherwise than the floor",
        flush=True,
    )

    started = time.perf_counter()
    rows = dry_run(leads)
    seconds = time.perf_counter() - started
    results["dry_run"] = {"seconds": round(seconds, 3), "per_second": round(n / seconds)}
    print(
        f"  dry_run over every lead (one batch, turns in memory): {seconds:.3f} s, "
        f"{n / seconds:,.0f} decisions/s",
        flush=True,
    )
    assert len(rows) == n

    statements = per_decision_statements(cast, floor)
    results["statements_per_decision"] = statements
    for kind, text in statements.items():
        print(f"  route() to {kind}: {text}", flush=True)

    leads = fresh_leads(cast.lead_ids)
    seconds, decisions = route_each(leads)
    summary = rule_summary(cast, decisions)
    mismatches = sum(
        1 for lead, d in zip(leads, decisions, strict=True) if floor[lead.pk] != d.rule_id
    )
    results["route_mix"] = {
        "leads": n,
        "seconds": round(seconds, 2),
        "per_second": round(n / seconds),
        "of_floor": round(n / seconds / floor_rate, 5),
        "differs_from_floor": mismatches,
        **summary,
    }
    print(
        f"  route(), whole mix, one transaction each: {seconds:.2f} s, "
        f"{n / seconds:,.0f} decisions/s ({n / seconds / floor_rate:.2%} of the floor); "
        f"{mismatches} decided otherwise than the floor (load {load()})",
        flush=True,
    )
    print(
        f"    where they went: {summary['kinds']}; {summary['rules_used']} rules used; "
        f"busiest {summary['busiest_rules']}",
        flush=True,
    )
    assert summary["decided"] == n and not mismatches

    round_robin = {rule.pk for rule in cast.rules if rule.action == "round_robin"}
    rr_ids = [pk for pk in cast.lead_ids if floor[pk] in round_robin]
    rr_leads = fresh_leads(rr_ids)
    seconds, rr_decisions = route_each(rr_leads)
    rr_summary = rule_summary(cast, rr_decisions)
    m = len(rr_ids)
    results["route_round_robin"] = {
        "leads": m,
        "seconds": round(seconds, 2),
        "per_second": round(m / seconds),
        "of_floor": round(m / seconds / floor_rate, 5),
        **rr_summary,
    }
    print(
        f"  route(), round-robin leads only ({m:,}), one transaction each: {seconds:.2f} s, "
        f"{m / seconds:,.0f} decisions/s ({m / seconds / floor_rate:.2%} of the floor) "
        f"(load {load()})",
        flush=True,
    )
    for name, shares in rr_summary["round_robin_shares"].items():
        text = ", ".join(
            f"{rep} ×{s['weight']} {s['got']:.1%} (expected {s['expected']:.1%})"
            for rep, s in shares.items()
        )
        print(f"    {name}: {text}", flush=True)
        for s in shares.values():
            assert abs(s["got"] - s["expected"]) < 0.01, (name, shares)

    # The real cost of an MQL: open_handoff (brief, route, due times, notifications, events).
    rng = random.Random(args.seed + 1)
    sample = rng.sample(cast.lead_ids, min(args.mqls + 200, n))
    counted, timed = sample[:200], sample[200:]
    per_mql = per_mql_statements(fresh_leads(counted))
    for key, text in per_mql.items():
        print(f"  open_handoff {key}: {text}", flush=True)
    mqls = fresh_leads(timed)
    notifications_before, events_before = Notification.objects.count(), Event.objects.count()
    seconds, handoffs = open_mqls(mqls)
    k = len(mqls)
    routed = sum(1 for h in handoffs if h.routed_to_id)
    capacity = sum(1 for h in handoffs if "at capacity" in h.routing_reason)
    away = sum(1 for h in handoffs if "is away" in h.routing_reason)
    notes = Notification.objects.count() - notifications_before
    events = Event.objects.count() - events_before
    results["open_handoff"] = {
        "mqls": k,
        "seconds": round(seconds, 2),
        "per_second": round(k / seconds),
        "of_floor": round(k / seconds / floor_rate, 5),
        "routed_to_a_rep": routed,
        "skipped_at_capacity": capacity,
        "skipped_away": away,
        "notifications": notes,
        "events": events,
        "statements_per_mql": per_mql,
    }
    print(
        f"  open_handoff per MQL ({k:,}): {seconds:.2f} s, {k / seconds:,.0f} MQLs/s, "
        f"{seconds / k * 1000:.2f} ms each ({k / seconds / floor_rate:.3%} of the floor); "
        f"{routed:,} to a rep, {k - routed:,} to the team queue ({capacity} passed a rep at "
        f"capacity, {away} a rep away); {notes:,} notifications, {events:,} events "
        f"(load {load()})",
        flush=True,
    )
    assert Handoff.objects.filter(lead_id__in=timed).count() == k
    return sample


# --- the escalation sweep ---------------------------------------------------------------


@dataclass
class Clock:
    """The moments the sweep is run at."""

    warn: datetime
    breach: datetime


def clear_handoffs() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE handoffs_handoffstep, alignment_notification, alignment_event, "
            "handoffs_handoff CASCADE"
        )
    vacuum()


def make_open_handoffs(cast: Cast, count: int, seed: int) -> tuple[Clock, int]:
    """``count`` open handoffs as ``open_handoff`` leaves them (bulk inserted): the brief,
    where routing sent them (40 % to a rep), due times from the agreement's targets (the
    hot-lead segment's or the default), created within a few minutes of each other so one
    moment finds them all past their warning time and none due."""
    from django.utils import timezone

    from alignment.services import agreement_in_force
    from handoffs.models import Handoff
    from leads.models import Lead

    clear_handoffs()
    rng = random.Random(seed)
    agreement = agreement_in_force()
    ids = rng.sample(cast.lead_ids, count)
    leads = Lead.objects.in_bulk(ids)
    present = [rep for name, rep in cast.reps.items() if not REPS[name][3]]
    rules = {rule.action: rule for rule in cast.rules}
    shortest = min(
        [agreement.claim_sla_minutes] + [s["claim_minutes"] for s in agreement.sla_segments]
    )
    spread = shortest * 0.2 * 60  # seconds: warnings all come before the first due time
    base = timezone.now().replace(microsecond=0) - timedelta(days=1)
    rows = []
    for pk in ids:
        lead = leads[pk]
        targets = agreement.sla_for(lead.score)
        due = base + timedelta(seconds=rng.uniform(0, spread))
        created = due - timedelta(minutes=targets.claim_minutes)
        rep = rng.choice(present) if rng.random() < 0.4 else None
        rule = rules["round_robin"] if rep else rules["team_queue"]
        rows.append(
            Handoff(
                lead=lead,
                agreement=agreement,
                brief={
                    "who": {
                        "name": lead.full_name,
                        "email": lead.email,
                        "job_title": lead.job_title,
                        "company": lead.company,
                        "company_size": lead.company_size,
                        "country": lead.country,
                    },
                    "score": lead.score,
                    "fit_score": lead.fit_score,
                    "engagement_score": lead.engagement_score,
                    "looking_for": ["looked at pricing"],
                    "touchpoint_count": 3,
                },
                routed_to=rep,
                routing_reason=f"Rule {rule.position} {rule.name} → "
                + (f"{rep.first_name} {rep.last_name}." if rep else "team queue."),
                routing_rule=rule,
                routed_at=created,
                sla_segment=targets.segment,
                created_at=created,
                claim_due_at=due,
                claim_warning_at=created + timedelta(minutes=targets.claim_minutes * 0.75),
            )
        )
    Handoff.objects.bulk_create(rows, batch_size=2000)
    vacuum()
    warnings = [row.claim_warning_at for row in rows]
    dues = [row.claim_due_at for row in rows]
    assert max(warnings) < min(dues)
    clock = Clock(
        warn=max(warnings) + (min(dues) - max(warnings)) / 2,
        breach=max(dues) + timedelta(seconds=1),
    )
    return clock, sum(1 for row in rows if row.routed_to_id)


def floor_update(stamp: str, now: datetime, repeats: int = 3) -> tuple[float, int]:
    """One plain ``UPDATE`` stamping the same rows the sweep takes (committed), best of
    ``repeats``; the stamps are cleared again after each."""
    from django.db import connection, transaction

    where = {
        "claim_warned_at": "claim_warned_at IS NULL AND claim_warning_at <= %s "
        "AND claim_due_at > %s",
        "claim_escalated_at": "claim_escalated_at IS NULL AND claim_due_at <= %s",
    }[stamp]
    params = [now, now] if stamp == "claim_warned_at" else [now]
    best, rows = float("inf"), 0
    for _ in range(repeats):
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE handoffs_handoff SET {stamp} = %s WHERE status = 'open' AND {where}",
                [now, *params],
            )
            rows = cursor.rowcount
        best = min(best, time.perf_counter() - started)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE handoffs_handoff SET {stamp} = NULL WHERE {stamp} = %s", [now])
        vacuum()
    return best, rows


def written() -> dict[str, int]:
    from django.db.models import Count

    from alignment.models import Event, Notification
    from handoffs.models import HandoffStep

    steps = dict(HandoffStep.objects.values_list("kind").annotate(n=Count("id")))
    repeated = (
        HandoffStep.objects.values("handoff_id", "kind", "clock")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    return {
        "notifications": Notification.objects.count(),
        "emails_pending": Notification.objects.filter(delivery="email").count(),
        "events": Event.objects.count(),
        "steps_warned": steps.get("warned", 0),
        "steps_escalated": steps.get("escalated", 0),
        "steps_requeued": steps.get("requeued", 0),
        "handoffs_with_a_step_twice": repeated,
    }


def measure_sweep(args, cast: Cast, results: dict) -> None:
    from handoffs.models import Handoff
    from handoffs.services import escalate_overdue

    n = args.handoffs
    clock, routed = make_open_handoffs(cast, n, args.seed + 2)
    print(
        f"\nEscalation sweep, {n:,} open handoffs ({routed:,} routed to a rep), load {load()}",
        flush=True,
    )

    figures = {}
    for name, stamp, now in (
        ("warnings", "claim_warned_at", clock.warn),
        ("breaches", "claim_escalated_at", clock.breach),
    ):
        floor_seconds, floor_rows = floor_update(stamp, now)
        assert floor_rows == n, (name, floor_rows)
        before = written()
        started = time.perf_counter()
        taken = escalate_overdue(now=now)
        seconds = time.perf_counter() - started
        after = written()
        delta = {key: after[key] - before[key] for key in after}
        figures[name] = {
            "seconds": round(seconds, 2),
            "rows_per_second": round(n / seconds),
            "steps_taken": taken,
            "floor_seconds": round(floor_seconds, 4),
            "floor_rows_per_second": round(n / floor_seconds),
            "of_floor": round(floor_seconds / seconds, 5),
            "written": delta,
        }
        print(
            f"  floor: one UPDATE stamping {stamp} on {floor_rows:,} rows: "
            f"{floor_seconds:.3f} s, {n / floor_seconds:,.0f} rows/s",
            flush=True,
        )
        print(
            f"  escalate_overdue, all {name}: {seconds:.2f} s, {n / seconds:,.0f} handoffs/s "
            f"({floor_seconds / seconds:.2%} of the floor's rate); {taken:,} steps taken; "
            f"written: {delta} (load {load()})",
            flush=True,
        )
        assert taken == n, (name, taken)

    started = time.perf_counter()
    taken = escalate_overdue(now=clock.breach)
    seconds = time.perf_counter() - started
    figures["nothing_to_do"] = {"seconds": round(seconds, 4), "steps_taken": taken}
    print(
        f"  escalate_overdue again, nothing to do: {seconds * 1000:.1f} ms, {taken} steps",
        flush=True,
    )
    final = written()
    figures["written"] = final
    figures["routed"] = routed
    print(f"  in all: {final}", flush=True)
    assert taken == 0
    assert final["steps_warned"] == n and final["steps_escalated"] == n
    assert final["steps_requeued"] == routed and not final["handoffs_with_a_step_twice"]
    # Back to the team queue: each routed one stamped requeued, none still offered to its rep.
    assert Handoff.objects.filter(requeued_at=clock.breach).count() == routed
    assert not Handoff.objects.filter(routed_to__isnull=False, requeued_at__isnull=True).exists()
    assert Handoff.objects.filter(claim_escalated_at=clock.breach).count() == n
    results["sweep"] = figures


# --- where the time goes ----------------------------------------------------------------


def profile_paths(args, cast: Cast) -> None:
    """Each path twice more on fresh data: once with every statement clocked, once under
    cProfile (whose split of the Python time is shown as shares of the first run's wall)."""
    from handoffs.services import escalate_overdue

    print(f"\nWhere the time goes (in process, load {load()})", flush=True)
    rng = random.Random(args.seed + 3)
    routed = rng.sample(cast.lead_ids, min(5000, len(cast.lead_ids)))
    mqls = iter(rng.sample(cast.lead_ids, 600))

    def routing() -> Callable[[], object]:
        leads = fresh_leads(routed)
        return lambda: route_each(leads)

    def sweep(moment: str) -> Callable[[], Callable[[], object]]:
        def make() -> Callable[[], object]:
            clock, _ = make_open_handoffs(cast, args.handoffs, args.seed + 2)
            return lambda: escalate_overdue(now=getattr(clock, moment))

        return make

    def opening() -> Callable[[], object]:
        leads = fresh_leads([next(mqls) for _ in range(300)])
        return lambda: open_mqls(leads)

    for label, make, per in (
        ("route(), whole mix, one transaction each", routing, len(routed)),
        ("escalate_overdue, all past due", sweep("breach"), args.handoffs),
        ("escalate_overdue, all past warning", sweep("warn"), args.handoffs),
        ("open_handoff per MQL", opening, 300),
    ):
        if make is opening:
            clear_handoffs()
        run = make()
        with sql_clock() as statements:
            started = time.perf_counter()
            run()
            wall = time.perf_counter() - started
        run = make()
        profile = cProfile.Profile()
        profile.enable()
        run()
        profile.disable()
        print_where(label, statements, wall, profile, per)


# --- the run ----------------------------------------------------------------------------


def print_table(results: dict) -> None:
    """The figures as the README's table: each next to its floor."""
    r, s = results, results["sweep"]
    one_statement = r["routing_floor"]["per_second"]
    one_transaction = r["transaction_floor"]["per_second"]
    print("\n| | figure | against the floor |")
    print("| --- | ---: | ---: |")
    print(
        f"| floor: one SQL statement deciding the rule of all {r['leads']:,} leads | "
        f"{r['routing_floor']['seconds']:.3f} s · {one_statement:,} decisions/s | |"
    )
    print(
        f"| floor: one transaction per decision (`SELECT 1`, commit) | "
        f"{r['transaction_floor']['ms']:.2f} ms · {one_transaction:,}/s | |"
    )
    for key, label, unit in (
        ("routing_engine", "the rules matched in Python, leads in memory", "decisions/s"),
        ("dry_run", "`dry_run` over every lead", "decisions/s"),
        ("route_mix", "`route()`, whole mix, one transaction each", "decisions/s"),
        ("route_round_robin", "`route()`, round-robin leads only", "decisions/s"),
        ("open_handoff", "`open_handoff` per MQL", "MQLs/s"),
    ):
        row = r[key]
        against = f"{row['per_second'] / one_statement:.2%} of the statement"
        if key in ("route_mix", "route_round_robin", "open_handoff"):
            against += f", {row['per_second'] / one_transaction:.1%} of the transaction"
        each = f" · {row['seconds'] / r[key].get('mqls', r[key].get('leads', 1)) * 1000:.1f} ms"
        print(
            f"| {label} | {row['seconds']} s · {row['per_second']:,} {unit}"
            f"{each if key in ('route_mix', 'route_round_robin', 'open_handoff') else ''} | "
            f"{against} |"
        )
    for key, label in (("warnings", "all past warning"), ("breaches", "all past due")):
        row = s[key]
        print(
            f"| sweep, {label} | {row['seconds']} s · {row['rows_per_second']:,} handoffs/s | "
            f"{row['of_floor']:.2%} of one `UPDATE`: {row['floor_seconds']:.3f} s · "
            f"{row['floor_rows_per_second']:,} rows/s |"
        )
    print(f"| sweep, nothing to do | {s['nothing_to_do']['seconds'] * 1000:.1f} ms | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--mqls", type=int, default=2000, help="MQLs given to open_handoff")
    parser.add_argument("--handoffs", type=int, default=10_000, help="open handoffs to sweep")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--profile", action="store_true", help="also: where the time goes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if args.handoffs > args.leads or args.mqls + 200 > args.leads:
        raise SystemExit("--leads must exceed --handoffs and --mqls + 200")

    url = database_url(DEFAULT_URL)
    recreate_database(url)
    with tempfile.TemporaryDirectory(prefix="bench-routing-") as state_dir:
        try:
            setup_django(url, state_dir)
            from django.core.management import call_command

            started = time.perf_counter()
            call_command("migrate", verbosity=0)
            cast = populate(args)
            print(
                f"data set ready in {time.perf_counter() - started:.1f} s: {args.leads:,} "
                f"MQLs, {len(cast.rules)} rules, {len(cast.reps)} reps; "
                f"{os.cpu_count()} cores, load {load()}",
                flush=True,
            )
            results: dict[str, Any] = {
                "leads": args.leads,
                "cpus": os.cpu_count(),
                "load_before": load(),
            }
            measure_routing(args, cast, results)
            measure_sweep(args, cast, results)
            results["load_after"] = load()
            if args.profile:
                profile_paths(args, cast)
            print_table(results)
            print(
                "\nverdict: no numeric target is set for either path; each figure is given "
                "next to its floor above."
            )
            print(json.dumps(results, indent=2, default=str))
        finally:
            from django.db import connections

            connections.close_all()
            if not args.keep:
                drop_database(url)


if __name__ == "__main__":
    main()
