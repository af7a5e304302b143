"""``python manage.py seed_demo``: a believable demo company, built through the real services.

Brightwave sells revenue analytics to mid-size companies. Over the last 90 days its
marketers ran six campaigns; a few hundred people answered them; scoring made some of
them MQLs; two reps claimed them (sometimes late), called, demoed, qualified, won, lost
or sent them back. Every step calls the service the product itself calls, with a
back-dated clock, so stage history, handoffs, SLA escalations, notifications and events
are what the product would have written. A handful of fresh MQLs wait in the queue.

Idempotent: when the demo campaigns exist it only makes sure the demo users exist.
``--reset`` deletes the demo rows (demo campaigns, leads at ``.example`` addresses, the
demo users' inboxes) and builds them again. The story is drawn from a seeded random
generator, so it is the same every time (relative to the moment it is built).
"""

import heapq
import itertools
import random
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from alignment.models import Event, Notification
from alignment.roles import MANAGER, MARKETING, SALES
from campaigns.models import Campaign, Channel, FieldUse
from campaigns.services import add_cost, create_campaign
from handoffs.models import Activity, Handoff, RejectionReason
from handoffs.services import (
    claim_handoff,
    escalate_overdue,
    log_activity,
    move_lead,
    reject_handoff,
)
from leads.lifecycle import can_advance
from leads.models import Lead, Stage, StageChange, Touchpoint
from leads.services import capture_lead, score_lead

SEED = 2024
PASSWORD = "tandem-demo"
SITE = "https://www.brightwave.example"
LEAD_COUNT = 300
FRESH_MQL_MINUTES_AGO = (4, 9, 17, 26, 38, 52)
HISTORY_DAYS = 89

#: username, first name, last name, role (None: the superuser)
USERS = [
    ("marketer", "Nora", "Lindqvist", MARKETING),
    ("manager", "Daniel", "Okafor", MANAGER),
    ("rep1", "Priya", "Shah", SALES),
    ("rep2", "Tom", "Becker", SALES),
    ("admin", "Alex", "Admin", None),
]


@dataclass(frozen=True)
class CampaignPlan:
    key: str  # the utm_campaign code
    name: str
    channel: Channel
    start: int  # days from today
    end: int | None
    budget: int
    door: tuple[str, ...]  # touchpoint kinds of a lead's first visit
    utm: tuple[str, str]  # utm_source, utm_medium
    share: int  # weight among new leads
    path: str


def web_form(plan: CampaignPlan) -> dict[str, object]:
    """The campaign's web form, as a marketer would set it up for its channel."""
    required, optional = FieldUse.REQUIRED, FieldUse.OPTIONAL
    if plan.channel == Channel.WEBINAR:
        return {
            "form_headline": f"Save your seat: {plan.name.partition(': ')[2] or plan.name}",
            "form_intro": "Live, 45 minutes, with time for your questions. The recording "
            "goes to everyone who registers.",
            "form_fields": {
                "first_name": required,
                "last_name": required,
                "company": required,
                "job_title": optional,
                "consent": optional,
            },
            "form_button_label": "Register",
            "form_thank_you": "You're in! The joining link is on its way to your inbox.",
        }
    if plan.channel in (Channel.EVENT, Channel.TRADE_SHOW):
        return {
            "form_headline": "Book 20 minutes with us at the booth",
            "form_fields": {
                "first_name": required,
                "last_name": required,
                "company": required,
                "job_title": required,
                "phone": optional,
                "message": optional,
                "consent": optional,
            },
            "form_button_label": "Book a meeting",
        }
    return {
        "form_headline": "See Brightwave on your own pipeline",
        "form_intro": "Tell us a little about your team and we will set up a 30-minute demo.",
        "form_fields": {
            "first_name": required,
            "last_name": required,
            "company": required,
            "job_title": required,
            "company_size": optional,
            "country": optional,
            "message": optional,
            "consent": optional,
        },
        "form_button_label": "Request a demo",
    }


# fmt: off
CAMPAIGNS = [
    CampaignPlan("webinar-forecasting-confidence", "Webinar: Forecasting with confidence",
                 Channel.WEBINAR, -80, -50, 8000, ("form_submitted",), ("newsletter", "email"),
                 15, "/webinars/forecasting-with-confidence"),
    CampaignPlan("ppc-revenue-analytics", "Google Ads: revenue analytics", Channel.PAID_SEARCH,
                 -88, None, 30000, ("ad_click", "form_submitted"), ("google", "cpc"), 25,
                 "/lp/revenue-analytics"),
    CampaignPlan("content-state-of-revops", "The State of RevOps report", Channel.CONTENT,
                 -70, 20, 12000, ("content_download",), ("website", "content"), 20,
                 "/reports/state-of-revops"),
    CampaignPlan("event-revops-summit", "RevOps Summit Amsterdam: booth", Channel.EVENT,
                 -31, -30, 25000, ("event_visit",), ("revops-summit", "event"), 12,
                 "/events/revops-summit"),
    CampaignPlan("email-customer-stories", "Nurture: customer stories", Channel.EMAIL,
                 -60, None, 3000, ("email_click", "form_submitted"), ("newsletter", "email"),
                 8, "/stories"),
    CampaignPlan("social-linkedin-finance", "LinkedIn ABM: finance leaders", Channel.SOCIAL,
                 -45, 15, 15000, ("ad_click", "form_submitted"), ("linkedin", "paid-social"),
                 12, "/lp/finance-leaders"),
    CampaignPlan("partner-ledgerly-webinar", "Partner webinar with Ledgerly", Channel.PARTNER,
                 21, 21, 5000, (), ("ledgerly", "partner"), 0, "/webinars/ledgerly"),
]
ORGANIC_SHARE = 8  # people who found the website on their own

# First names, then last names ("_" stands for a space inside a name).
NAMES = {
    "US": ("James Emily Michael Sarah David Jessica Daniel Ashley Chris Lauren Kevin Megan "
           "Brian Rachel Jason Amanda Ryan Nicole Eric Olivia Marcus Tanya",
           "Johnson Miller Davis Garcia Rodriguez Wilson Anderson Taylor Moore Martin Lee "
           "Thompson White Harris Clark Lewis Walker Hall Young Allen King Wright Scott Baker"),
    "GB": ("Oliver Amelia Harry Isla George Ava Jack Sophie Charlie Grace Thomas Chloe Alfie",
           "Smith Jones Williams Brown Davies Evans Roberts Walker Robinson Hughes Edwards Wood"),
    "DE": ("Lukas Anna Jonas Lea Felix Hannah Maximilian Laura Paul Julia Niklas Katrin",
           "Müller Schmidt Schneider Fischer Weber Meyer Wagner Hoffmann Koch Richter Wolf"),
    "FR": ("Lucas Camille Hugo Léa Louis Chloé Jules Manon Arthur Inès",
           "Martin Bernard Dubois Robert Richard Petit Durand Leroy Moreau Lefèvre"),
    "NL": ("Daan Emma Sem Julia Levi Tess Bram Fleur Thijs Sanne",
           "de_Jong Jansen de_Vries van_den_Berg Bakker Visser Smit Meijer"),
    "CA": ("Liam Chloé Noah Maya Ethan Zoe Owen Claire",
           "Tremblay Gagnon Roy Campbell Bouchard Murray Stewart"),
    "AU": ("Jack Charlotte William Mia Lachlan Ruby Cooper Matilda",
           "Nguyen Kelly Ryan Mitchell O'Brien Walsh Murphy"),
    "SE": ("Erik Elsa Oscar Maja Axel Astrid", "Andersson Johansson Karlsson Nilsson Lindberg"),
    "ES": ("Pablo Lucía Javier María Diego Carmen", "García Fernández López Martínez Sánchez"),
    "IN": ("Arjun Priya Rahul Ananya Vikram Neha Rohan Kavya",
           "Sharma Patel Iyer Reddy Gupta Nair Menon"),
}
COUNTRY_WEIGHTS = {"US": 34, "GB": 14, "DE": 12, "FR": 7, "NL": 6, "CA": 6, "AU": 5, "SE": 4,
                   "ES": 4, "IN": 8}
LEGAL_FORMS = {"US": "Inc.", "CA": "Inc.", "GB": "Ltd", "AU": "Pty Ltd", "DE": "GmbH",
               "FR": "SAS", "NL": "B.V.", "SE": "AB", "ES": "S.L.", "IN": "Pvt Ltd"}
COMPANY_PARTS = (
    "North Blue Bright Clear Silver Iron Green Summit Harbor Pine Nova Atlas Vertex Orbit Cedar "
    "Lumen Kite Copper Meridian Alder Beacon Falcon Granite Juniper Maple Onyx Quill Raven Tidal",
    "wind lane stack path works forge field point bridge wave line scale loop grid gate",
)
INDUSTRIES = ("Software", "Financial services", "Healthcare", "Manufacturing", "Retail",
              "Logistics", "Professional services", "Media", "Education", "Energy")
SIZE_BANDS = ((11, 50, 20), (51, 200, 30), (201, 1000, 30), (1001, 6000, 20))
TITLES = (  # weight, titles
    (30, "VP of Sales|Head of Revenue Operations|Director of Marketing|Chief Revenue Officer|"
         "CFO|Founder & CEO|VP Finance|Director, Sales Operations|Head of Growth"),
    (35, "Sales Operations Manager|Marketing Manager|RevOps Manager|Team Lead, Inside Sales|"
         "Demand Generation Manager|Finance Manager|Account Manager"),
    (30, "Business Analyst|Account Executive|Data Analyst|Marketing Specialist|Consultant|"
         "Financial Analyst|Sales Development Representative"),
    (5, "Student|MBA Candidate|Intern"),
)
FOLLOW_UPS = {  # intent: (touchpoint kind, campaign key or None: the website)
    "high": [("pricing_page_view", None), ("pricing_page_view", None),
             ("demo_requested", None), ("email_click", "email-customer-stories")],
    "medium": [("email_click", "email-customer-stories"), ("page_view", None),
               ("content_download", "content-state-of-revops"), ("pricing_page_view", None)],
    "low": [("page_view", None), ("email_click", "email-customer-stories")],
}
LOST_REASONS = ("Chose a competitor on price.", "No budget until next fiscal year.",
                "Project deprioritised after a reorg.", "Went quiet after the proposal.")
QUEUE_REJECTIONS = [
    (RejectionReason.NOT_A_FIT, "Agency reselling to clients; not our buyer."),
    (RejectionReason.STUDENT_OR_JOB_SEEKER, "Researching for a thesis."),
    (RejectionReason.BAD_CONTACT_DATA, "Phone and email bounce."),
    (RejectionReason.COMPETITOR, "Works for a competitor."),
]
CLAIMED_REJECTIONS = [
    (RejectionReason.NO_BUDGET, "Likes it, no budget this year."),
    (RejectionReason.BAD_TIMING, "Mid-migration; asked us to call back next quarter."),
    (RejectionReason.NO_AUTHORITY, "Analyst without a say; no sponsor yet."),
    (RejectionReason.NO_NEED, "Happy with spreadsheets for now."),
]
FIRST_CONTACT = [
    ("call", "connected",
     "Discovery call: they forecast in spreadsheets and want weekly pipeline reviews."),
    ("call", "left_message", "Left a voicemail, sent a follow-up email."),
    ("email", "", "Intro email with the customer story from their industry."),
    ("call", "meeting_booked", "Quick call; meeting booked with their RevOps lead."),
]
WORKING = [
    ("meeting", "interested", "Discovery meeting with the team; three stakeholders."),
    ("demo", "interested", "Product demo; strong interest in forecast roll-ups."),
    ("presentation", "completed", "Presented pricing and the rollout plan."),
    ("case_study", "", "Sent the case study of a similar-sized customer."),
    ("call", "connected", "Follow-up call on security questions and SSO."),
]
# fmt: on
DEMO_UTMS = [plan.key for plan in CAMPAIGNS]
WEBSITE_DOOR = ("page_view", "form_submitted")
PAGES = {"pricing_page_view": "/pricing", "demo_requested": "/demo", "page_view": "/"}
PLANS = {plan.key: plan for plan in CAMPAIGNS}


@dataclass
class Person:
    email: str
    profile: dict
    consent: bool
    campaign: CampaignPlan | None
    intent: str  # high | medium | low
    rng: random.Random  # one per person, so each story is stable on its own
    minutes_ago: int | None = None  # a fresh MQL that nobody claimed yet


class Command(BaseCommand):
    help = "Fill the database with a believable demo company (idempotent; --reset rebuilds)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo rows first, then rebuild."
        )

    def handle(self, *args, reset: bool = False, **options) -> None:
        with after_commit_jobs_dropped():
            users = ensure_users(reset_passwords=reset)
            if reset:
                delete_demo_rows(users)
            if Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).exists():
                self.stdout.write("Demo data is already there (--reset rebuilds it).")
            else:
                Simulation(users=users, now=timezone.now()).run()
                self.stdout.write(self.style.SUCCESS(summary()))
        self.stdout.write(logins())


@contextmanager
def after_commit_jobs_dropped() -> Iterator[None]:
    """Run the block in one transaction and drop the jobs it queued for after commit.

    The services queue rescoring and notification delivery after commit. The demo history
    is scored here at its back-dated times and its old notifications are stored as sent,
    so those thousands of jobs would only redo the work with today's clock; the beat
    sweeps still deliver the rows left pending (the fresh MQLs' notifications).
    """
    connection = transaction.get_connection()
    with transaction.atomic():
        queued = len(connection.run_on_commit)
        yield
        del connection.run_on_commit[queued:]


def ensure_users(*, reset_passwords: bool) -> dict:
    """The demo cast; a new user (or one reset) gets the demo password."""
    hashed = make_password(PASSWORD)  # hashing is slow on purpose: once for the cast
    users = {}
    for username, first, last, role in USERS:
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@brightwave.example",
            },
        )
        if created or reset_passwords:
            user.password = hashed
            if role is None:
                user.is_staff = user.is_superuser = True
            user.save()
        if role is not None:
            user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users


def delete_demo_rows(users: dict) -> None:
    leads = Lead.objects.filter(email__endswith=".example")
    handoffs = Handoff.objects.filter(lead__in=leads).values_list("pk", flat=True)
    subjects = [f"lead:{pk}" for pk in leads.values_list("pk", flat=True)]
    subjects += [f"handoff:{pk}" for pk in handoffs]
    Event.objects.filter(subject__in=subjects).delete()
    Notification.objects.filter(recipient__in=users.values()).delete()
    leads.delete()
    Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).delete()


def summary() -> str:
    handoffs = Handoff.objects.filter(lead__email__endswith=".example")
    campaigns = Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).count()
    leads = Lead.objects.filter(email__endswith=".example").count()
    waiting = handoffs.filter(status=Handoff.Status.OPEN).count()
    return (
        f"Brightwave demo: {campaigns} campaigns, {leads} leads, {handoffs.count()} handoffs "
        f"({waiting} waiting in the sales queue)."
    )


def logins() -> str:
    lines = [f"Demo logins (password {PASSWORD!r}, unless you changed it):"]
    for username, first, last, role in USERS:
        lines.append(f"  {role or 'admin (superuser)':<18} {username:<9} {first} {last}")
    return "\n".join(lines)


class Simulation:
    """Replays 90 days of Brightwave in time order through the real services.

    Actions wait in a heap by simulated time; each may schedule the next step of its lead's
    story. Whatever would happen after ``now`` has not happened yet and is dropped.
    """

    def __init__(self, *, users: dict, now: datetime):
        self.users, self.now = users, now
        self.today = timezone.localdate(now)
        self.tz = timezone.get_current_timezone()
        self.rng = random.Random(SEED)
        self.queue: list[tuple[datetime, int, Callable, tuple]] = []
        self.order = itertools.count()
        self.campaigns: dict[str, Campaign] = {}
        self.marks: dict[type, int] = {}
        self.lead_ids: list[int] = []

    def run(self) -> None:
        self.create_campaigns()
        for person in self.people():
            self.plan_visits(person)
        self.marks = {Event: last_id(Event), Notification: last_id(Notification)}
        while self.queue:
            when, _, action, args = heapq.heappop(self.queue)
            action(when, *args)
            self.stamp(when)
        self.stamp_leads()

    def at(self, when: datetime, action: Callable, *args) -> None:
        if when < self.now:
            heapq.heappush(self.queue, (when, next(self.order), action, args))

    def stamp(self, when: datetime) -> None:
        """Give the events and notifications a step wrote its simulated time.

        The services stamp them with today's clock. Notifications older than an hour were
        delivered long ago (and read, after two days); newer ones stay for the worker.
        """
        if Event.objects.filter(pk__gt=self.marks[Event]).update(created_at=when):
            self.marks[Event] = last_id(Event)
        delivered = {}
        if self.now - when > timedelta(hours=1):
            read = when + timedelta(hours=1) if self.now - when > timedelta(days=2) else None
            delivered = {"status": Notification.Status.SENT, "sent_at": when, "attempts": 1,
                         "read_at": read}  # fmt: skip
        written = Notification.objects.filter(pk__gt=self.marks[Notification])
        if written.update(created_at=when, **delivered):
            self.marks[Notification] = last_id(Notification)

    def stamp_leads(self) -> None:
        """Set the auto_now_add times of the new rows from the simulated ones, at the end."""
        leads = Lead.objects.filter(pk__in=self.lead_ids)
        Touchpoint.objects.filter(lead__in=leads).update(created_at=F("occurred_at"))
        Activity.objects.filter(lead__in=leads).update(created_at=F("occurred_at"))
        touches = Touchpoint.objects.filter(lead=OuterRef("pk")).values("occurred_at")
        first_touch = Subquery(touches.order_by("occurred_at")[:1])
        last_touch = Subquery(touches.order_by("-occurred_at")[:1])
        last_change = StageChange.objects.filter(lead=OuterRef("pk")).order_by("-changed_at")
        changed = Coalesce(Subquery(last_change.values("changed_at")[:1]), last_touch)
        leads.update(created_at=first_touch, updated_at=Greatest(last_touch, changed))
        leads.filter(consent=True).update(consent_at=F("created_at"))

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def moment(self, day: date, rng: random.Random) -> datetime:
        """A time on ``day``, mostly in office hours; weekends are mostly quiet."""
        if day.weekday() >= 5 and rng.random() < 0.8:
            day += timedelta(days=7 - day.weekday())
        weights = [1] * 7 + [3] + [10] * 4 + [6] + [10] * 4 + [5] + [2] * 4 + [1] * 2
        hour = rng.choices(range(24), weights=weights)[0]
        return datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=self.tz)

    def working(self, when: datetime, rng: random.Random) -> datetime:
        """``when`` if a rep is at work then (the team spans time zones: 7 to 20 on
        weekdays), else the next working morning."""
        local = timezone.localtime(when, self.tz)
        if local.weekday() < 5 and 7 <= local.hour < 20:
            return when
        day = local.date() + timedelta(days=1 if local.hour >= 7 else 0)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        return datetime.combine(day, time(7, rng.randrange(60)), tzinfo=self.tz)

    def create_campaigns(self) -> None:
        for plan in CAMPAIGNS:
            if plan.start > 0:
                status = Campaign.Status.PLANNED
            elif plan.end is not None and plan.end < 0:
                status = Campaign.Status.COMPLETED
            else:
                status = Campaign.Status.ACTIVE
            owner = self.users["manager" if plan.channel == Channel.EVENT else "marketer"]
            campaign = create_campaign(
                owner=owner,
                name=plan.name,
                channel=plan.channel,
                status=status,
                starts_on=self.day(plan.start),
                ends_on=self.day(plan.end) if plan.end is not None else None,
                budget=Decimal(plan.budget),
                utm_campaign=plan.key,
                objective=f"Reach mid-market revenue teams through {plan.channel.label.lower()}.",
                target_leads=plan.share * 4,
                target_mqls=plan.share * 4 // 3,
                **web_form(plan),
            )
            self.campaigns[plan.key] = campaign
            self.add_costs(campaign, plan)
        Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).update(
            created_at=self.now - timedelta(days=HISTORY_DAYS + 5)
        )

    def add_costs(self, campaign: Campaign, plan: CampaignPlan) -> None:
        """An upfront cost for produced campaigns, then weekly promotion until today."""
        if campaign.starts_on > self.today:
            return
        if plan.channel in (Channel.WEBINAR, Channel.CONTENT, Channel.EVENT):
            upfront = Decimal(plan.budget * 2 // 5)
            add_cost(campaign, date=campaign.starts_on, amount=upfront, by=campaign.owner,
                     note="Production, venue and speakers")  # fmt: skip
        planned_end = campaign.ends_on or self.day(30)
        weekly = plan.budget * 0.6 / max((planned_end - campaign.starts_on).days / 7, 1)
        spent_until = min(planned_end, self.today)
        for week in range(max((spent_until - campaign.starts_on).days // 7, 1)):
            amount = Decimal(round(weekly * self.rng.uniform(0.8, 1.2), -1))
            add_cost(campaign, date=campaign.starts_on + timedelta(days=7 * week), amount=amount,
                     note=f"Promotion, week {week + 1}", by=campaign.owner)  # fmt: skip

    def people(self) -> Iterator[Person]:
        """The leads: colleagues at 150 companies in ten countries."""
        rng, seen = self.rng, set()
        prefixes, suffixes = (part.split() for part in COMPANY_PARTS)
        companies = []
        for stem in rng.sample(sorted(p + s for p in prefixes for s in suffixes), 150):
            low, high, _ = rng.choices(SIZE_BANDS, weights=[band[2] for band in SIZE_BANDS])[0]
            country = rng.choices(list(COUNTRY_WEIGHTS), weights=COUNTRY_WEIGHTS.values())[0]
            name = f"{stem} {LEGAL_FORMS[country]}" if rng.random() < 0.5 else stem
            companies.append(
                (name, f"{stem.lower()}.example", rng.randint(low, high), country,
                 rng.choice(INDUSTRIES))
            )  # fmt: skip
        shares = [plan.share for plan in CAMPAIGNS] + [ORGANIC_SHARE]
        for index in range(LEAD_COUNT + len(FRESH_MQL_MINUTES_AGO)):
            fresh = index >= LEAD_COUNT
            company, domain, size, country, industry = rng.choice(companies)
            firsts, lasts = (names.split() for names in NAMES[country])
            first, last = rng.choice(firsts), rng.choice(lasts).replace("_", " ")
            band = TITLES[0] if fresh else rng.choices(TITLES, weights=[t[0] for t in TITLES])[0]
            local = ascii_slug(f"{first}.{last}")
            email = next(
                address
                for n in itertools.count()
                if (address := f"{local}{n or ''}@{domain}") not in seen
            )
            seen.add(email)
            yield Person(
                email=email,
                profile={
                    "first_name": first,
                    "last_name": last,
                    "company": company,
                    "job_title": rng.choice(band[1].split("|")),
                    "country": country,
                    "company_size": size,
                    "industry": industry,
                    "phone": phone(country, rng),
                },
                consent=rng.random() < 0.7,
                campaign=PLANS["ppc-revenue-analytics"]
                if fresh
                else rng.choices([*CAMPAIGNS, None], weights=shares)[0],
                intent=rng.choices(["high", "medium", "low"], weights=[22, 38, 40])[0],
                rng=random.Random(f"{SEED}-{index}"),
                minutes_ago=FRESH_MQL_MINUTES_AGO[index - LEAD_COUNT] if fresh else None,
            )

    def plan_visits(self, person: Person) -> None:
        """The person's journey on the website, before anyone at Brightwave acts on it."""
        rng, plan = person.rng, person.campaign
        if person.minutes_ago is not None:
            asked = self.now - timedelta(minutes=person.minutes_ago)
            start = asked - timedelta(minutes=2)
            self.at(start, self.visit, person, ("page_view", "demo_requested"), plan)
            return
        first, last = (plan.start, min(plan.end or 0, 0)) if plan else (-HISTORY_DAYS, 0)
        arrive = self.moment(self.day(rng.randint(max(first, -HISTORY_DAYS), last)), rng)
        self.at(arrive, self.visit, person, plan.door if plan else WEBSITE_DOOR, plan)
        if plan and plan.channel == Channel.WEBINAR and rng.random() < 0.65:
            webinar = datetime.combine(self.day(plan.end or 0), time(16), tzinfo=self.tz)
            self.at(webinar, self.visit, person, ("webinar_attended",), plan)
        later = arrive
        for kind, key in FOLLOW_UPS[person.intent]:
            if rng.random() < (0.45 if kind == "demo_requested" else 0.6):
                later = self.moment((later + timedelta(days=rng.randint(1, 9))).date(), rng)
                source = PLANS[key] if key else None
                if source and later.date() < self.day(source.start):
                    source = None
                self.at(later, self.visit, person, (kind,), source)
        if person.profile["job_title"] in TITLES[3][1].split("|"):
            self.at(self.working(arrive + timedelta(days=1), rng), self.disqualify, person)

    def visit(
        self, when: datetime, person: Person, kinds: tuple[str, ...], plan: CampaignPlan | None
    ) -> None:
        """A visit of a few clicks, two minutes apart: each captured, then the lead scored.

        A lead past MQL keeps its stage whatever its score, so its rescoring is left to the
        worker's sweep of stale scores, as after any capture whose task did not run.
        """
        utm = {}
        if plan:
            utm = {"utm_source": plan.utm[0], "utm_medium": plan.utm[1], "utm_campaign": plan.key}
        for step, kind in enumerate(kinds):
            at = when + timedelta(minutes=2 * step)
            path = plan.path if plan and kind not in PAGES else PAGES.get(kind, "/")
            result = capture_lead(
                email=person.email,
                campaign=self.campaigns[plan.key] if plan else None,
                touchpoint_kind=kind,
                occurred_at=at,
                url=SITE + path,
                consent=person.consent,
                **person.profile,
                **utm,
            )
            if result.created:
                self.lead_ids.append(result.lead.pk)
        before = result.lead.stage
        if before not in (Stage.NEW, Stage.RECYCLED):
            return
        lead = score_lead(result.lead.pk, now=at)
        if lead is not None and lead.stage == Stage.MQL:
            handoff = Handoff.objects.get(lead=lead, status=Handoff.Status.OPEN)
            self.at(handoff.claim_due_at + timedelta(minutes=1), self.sweep)
            if person.minutes_ago is None:
                self.plan_claim(handoff, person.rng)

    def sweep(self, when: datetime) -> None:
        """What beat does every minute: escalate handoffs past an SLA deadline."""
        escalate_overdue(now=when)

    def plan_claim(self, handoff: Handoff, rng: random.Random) -> None:
        """A rep picks the MQL from the queue, usually in time; some are sent straight back."""
        rep = self.users[rng.choices(["rep1", "rep2"], weights=[55, 45])[0]]
        minutes = rng.randint(65, 200) if rng.random() < 0.1 else rng.randint(3, 50)
        when = self.working(handoff.created_at, rng) + timedelta(minutes=minutes)
        if rng.random() < 0.04:
            self.at(handoff.created_at + timedelta(minutes=2), self.take_back, handoff.lead_id)
        elif rng.random() < 0.1:
            reason, note = rng.choice(QUEUE_REJECTIONS)
            self.at(when, self.reject, handoff.pk, rep, reason, note)
        else:
            self.at(when, self.claim, handoff.pk, rep, rng)

    def claim(self, when: datetime, handoff_id: int, rep, rng: random.Random) -> None:
        """Claim, make first contact (sometimes late), then the lead's fate."""
        handoff = Handoff.objects.get(pk=handoff_id)
        if handoff.status != Handoff.Status.OPEN:
            return
        handoff = claim_handoff(handoff, rep=rep, now=when)
        self.at(handoff.first_contact_due_at + timedelta(minutes=1), self.sweep)
        if rng.random() < 0.04:  # claimed, then forgotten: the contact clock runs out
            return
        minutes = rng.randint(250, 600) if rng.random() < 0.1 else rng.randint(5, 150)
        contact = self.working(when, rng) + timedelta(minutes=minutes)
        self.at(contact, self.activity, handoff.lead_id, rep, *rng.choice(FIRST_CONTACT))
        fate = rng.choices(
            ["reject", "disqualify", "sql", "lost", "working"], weights=[8, 6, 52, 10, 24]
        )[0]
        later = self.working(contact + timedelta(days=rng.randint(1, 8)), rng)
        lead_id = handoff.lead_id
        if fate == "reject":
            self.at(later, self.reject, handoff_id, rep, *rng.choice(CLAIMED_REJECTIONS))
        elif fate == "disqualify":
            reason = "Consultancy evaluating tools for a client; not a buyer."
            self.at(later, self.move, lead_id, rep, Stage.DISQUALIFIED, reason)
        elif fate == "lost":
            self.at(later, self.lose, lead_id, rep, rng)
        elif fate == "sql":
            self.at(later, self.activity, lead_id, rep, *WORKING[0])
            self.at(later + timedelta(hours=1), self.qualify, lead_id, rep, rng)
        else:
            self.at(later, self.activity, lead_id, rep, *rng.choice(WORKING))

    def qualify(self, when: datetime, lead_id: int, rep, rng: random.Random) -> None:
        """SQL, a demo and a proposal, then won, lost or still open."""
        if not self.move(when, lead_id, rep, Stage.SQL, "Budget, need and timing confirmed."):
            return
        later = when
        for step in rng.sample(WORKING[1:], 2):
            later = self.working(later + timedelta(days=rng.randint(2, 6)), rng)
            self.at(later, self.activity, lead_id, rep, *step)
        close = self.working(later + timedelta(days=rng.randint(3, 20)), rng)
        outcome = rng.choices(["won", "lost", "open"], weights=[45, 35, 20])[0]
        if outcome == "won":
            self.at(close, self.win, lead_id, rep, rng)
        elif outcome == "lost":
            self.at(close, self.lose, lead_id, rep, rng)

    def win(self, when: datetime, lead_id: int, rep, rng: random.Random) -> None:
        size = Lead.objects.values_list("company_size", flat=True).get(pk=lead_id) or 50
        low, high = (6, 18) if size <= 200 else (15, 48) if size <= 1000 else (40, 120)
        amount = Decimal(rng.randint(low * 2, high * 2) * 500)  # annual value, in 500s
        self.move(when, lead_id, rep, Stage.WON, "Signed an annual plan.", amount)

    def lose(self, when: datetime, lead_id: int, rep, rng: random.Random) -> None:
        """Lost; half go back to marketing for nurture a few days later."""
        if self.move(when, lead_id, rep, Stage.LOST, rng.choice(LOST_REASONS)) and (
            rng.random() < 0.5
        ):
            later = self.working(when + timedelta(days=rng.randint(2, 6)), rng)
            reason = "Lost for now; back to marketing for nurture."
            self.at(later, self.move, lead_id, rep, Stage.RECYCLED, reason)

    def activity(self, when: datetime, lead_id: int, rep, kind: str, outcome: str, note: str):
        lead = Lead.objects.get(pk=lead_id)
        if lead.owner_id == rep.pk and lead.stage in (Stage.SAL, Stage.SQL):
            log_activity(lead, rep=rep, kind=kind, outcome=outcome, note=note, occurred_at=when)

    def move(self, when: datetime, lead_id: int, by, stage: str, reason: str, amount=None):
        """Move the lead if it is still the rep's and the move is still legal."""
        lead = Lead.objects.get(pk=lead_id)
        if lead.owner_id != by.pk or not can_advance(lead.stage, stage):
            return False
        move_lead(lead, to_stage=stage, by=by, reason=reason, amount=amount, at=when)
        return True

    def reject(self, when: datetime, handoff_id: int, rep, reason: str, note: str) -> None:
        handoff = Handoff.objects.select_related("lead").get(pk=handoff_id)
        live = handoff.status == Handoff.Status.OPEN or (
            handoff.status == Handoff.Status.CLAIMED and handoff.lead.stage == Stage.SAL
        )
        if live:
            reject_handoff(handoff, rep=rep, reason=reason, note=note, now=when)

    def take_back(self, when: datetime, lead_id: int) -> None:
        """Marketing takes an MQL back before sales claims it (its handoff is withdrawn)."""
        lead = Lead.objects.get(pk=lead_id)
        if lead.stage == Stage.MQL:
            reason = "Already in talks through a partner; back to nurture."
            move_lead(lead, to_stage=Stage.RECYCLED, by=self.users["marketer"], reason=reason,
                      at=when)  # fmt: skip

    def disqualify(self, when: datetime, person: Person) -> None:
        lead = Lead.objects.filter(email=person.email, stage=Stage.NEW).first()
        if lead is not None:
            move_lead(
                lead,
                to_stage=Stage.DISQUALIFIED,
                by=self.users["marketer"],
                reason="Student, not a buyer.",
                at=when,
            )


def last_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(char for char in plain.lower() if char.isalnum() or char == ".")


def phone(country: str, rng: random.Random) -> str:
    """Half the people leave a number, from the ranges set aside for fiction."""
    if rng.random() < 0.5:
        return ""
    if country in ("US", "CA"):
        return f"+1 212 555 01{rng.randint(0, 99):02d}"
    if country == "GB":
        return f"+44 20 7946 0{rng.randint(0, 999):03d}"
    return ""
