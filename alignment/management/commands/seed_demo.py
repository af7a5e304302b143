"""``python manage.py seed_demo``: a believable demo company, built through the real services.

Brightwave, in Berlin, sells revenue analytics to mid-size companies. Before its 90 days of
history begin, its sales manager sets the team's business hours (Mon–Fri 08:00–18:00 in
Berlin, public holidays off), the routing rules (enterprise accounts to Priya, DACH and
North America in weighted round robin, everyone else to the team queue), the reps'
capacities and Tom's week away; each of them picks how they want to be notified. Then its
marketers ran six campaigns; a few hundred people answered them; scoring made some of them
MQLs; routing offered each to a rep or to the team; reps claimed them in business hours
(sometimes late: the escalation chain warned them, told the managers and opened the lead
to the team), called, demoed, qualified, won, lost or sent them back, and the two teams
talked about a few of them in comments with @mentions. Every step calls the service the
product itself calls, with a back-dated clock, so stage history, routing, handoffs, SLA
escalations, notifications and events are what the product would have written. A handful
of fresh MQLs wait in the queue.

Run on every start of the app: when the demo campaigns exist it makes sure the demo users
exist and makes the waiting MQLs minutes old again, their claim clocks started afresh on
the team calendar. ``--reset`` deletes the demo rows and builds them again. Both paths end
with a rescore of the demo leads at the moment of the run, so the scores shown are those a
rescore would give now. The story is drawn from a seeded random generator, so it is the
same every time (relative to the moment it is built).
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
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from alignment import events, notifications
from alignment.business_hours import WEEKDAYS, add_working_minutes
from alignment.models import Event, Notification, Preferences, TeamCalendar
from alignment.roles import MANAGER, MARKETING, SALES
from alignment.services import update_preferences, update_team_calendar, working_calendar
from campaigns.models import Campaign, Channel, FieldUse
from campaigns.services import add_cost, create_campaign
from handoffs.models import Activity, Handoff, HandoffStep, RejectionReason
from handoffs.routing.models import RepAvailability, RoutingRule
from handoffs.routing.services import create_rule, loads, set_availability
from handoffs.services import (
    claim_handoff,
    escalate_overdue,
    log_activity,
    move_lead,
    reassign_handoff,
    reject_handoff,
)
from handoffs.services.handoffs import due_times
from leads.comments import add_comment
from leads.lifecycle import can_advance
from leads.models import Comment, Lead, Stage, StageChange, Touchpoint
from leads.rules.batch import rescore_range
from leads.rules.models import ScoreChange
from leads.services import capture_lead, score_lead

SEED = 2024
PASSWORD = "tandem-demo"
SITE = "https://www.brightwave.example"
DEMO_DOMAIN = ".example"  # the demo leads' email addresses end with it
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

TIME_ZONE = "Europe/Berlin"
OFFICE_HOURS = ("08:00", "18:00")  # Monday to Friday
#: Leads in play (claimed and worked, or offered and waiting) each rep can hold.
CAPACITY = {"rep1": 25, "rep2": 25}
#: What each of the cast chose in their notification settings.
PREFERENCES = {
    # One email a day with the missed deadlines instead of one per breach.
    "manager": {
        "channels": {notifications.SLA_BREACH: [notifications.IN_APP, notifications.DIGEST]}
    },
    # Priya works from the London office: her messages read in London time.
    "rep1": {"time_zone": "Europe/London"},
    # Tom wants an email for every MQL waiting in the team queue.
    "rep2": {"channels": {notifications.QUEUED: [notifications.IN_APP, notifications.EMAIL]}},
    # Nora reads wins in the app; an email for each is too much.
    "marketer": {"channels": {notifications.LEAD_WON: [notifications.IN_APP]}},
}


def routing_rules(priya, tom) -> list[dict]:
    """The manager's rules, first match wins; a lead none matches waits in the team queue."""
    return [
        {
            "name": "Enterprise (1,000+ employees)",
            "conditions": [{"field": "company_size", "operator": "between", "value": "1000-"}],
            "action": RoutingRule.Action.REP,
            "rep": priya,
        },
        {
            "name": "DACH (DE, AT, CH)",
            "conditions": [{"field": "country", "operator": "one_of", "value": "DE, AT, CH"}],
            "action": RoutingRule.Action.ROUND_ROBIN,
            "members": [{"user": tom, "weight": 2}, {"user": priya, "weight": 1}],
        },
        {
            "name": "North America (US, CA)",
            "conditions": [{"field": "country", "operator": "one_of", "value": "US, CA"}],
            "action": RoutingRule.Action.ROUND_ROBIN,
            "members": [{"user": priya, "weight": 1}, {"user": tom, "weight": 1}],
        },
    ]


RULE_NAMES = [rule["name"] for rule in routing_rules(None, None)]

#: Conversations on a lead, started by what happened to it: (author, working minutes
#: after the previous comment, text). "rep" is the rep who has the lead.
# fmt: off
THREADS = {
    "eur": [
        ("marketer", 25, "@{rep} {first} asked for pricing in EUR on the demo form. Can you "
                         "include it in your first email?"),
        ("rep", 70, "@marketer will do: the EUR price list goes out with my recap today."),
    ],
    "booth": [
        ("manager", 30, "@{rep} I met {first} at our booth in Amsterdam. They forecast in "
                        "spreadsheets and their board wants weekly numbers: lead with the "
                        "forecast roll-ups."),
        ("rep", 120, "@manager great context, thank you. Demo booked for this week."),
    ],
    "late": [
        ("manager", 10, "@{rep} this one waited past its claim time. Anything blocking?"),
        ("rep", 20, "@manager back-to-back demos today; calling them now. @marketer could the "
                    "form ask for a good time to call?"),
        ("marketer", 90, "@{rep} good idea: it goes into the next form update."),
    ],
    "agency": [
        ("rep", 5, "@marketer sending this one back: an agency reselling to its clients, not a "
                   "buyer. Could we keep agencies out of the {campaign} audience?"),
        ("marketer", 60, "@{rep} good catch. Agencies are excluded from today."),
    ],
    "story": [
        ("marketer", 60, "Congratulations @{rep}! Could {company} be a customer story for the "
                         "nurture emails?"),
        ("rep", 180, "@marketer I asked their sponsor: yes, once they are live next quarter."),
    ],
    "heads-up": [
        ("marketer", 3, "@{rep} heads-up: {first} from {company} asked for a demo on the Google "
                        "Ads page and wants to start this quarter."),
    ],
}
# fmt: on
EUR_COUNTRIES = frozenset({"DE", "AT", "FR", "NL", "ES"})


def easter(year: int) -> date:
    """Easter Sunday of ``year`` in the Gregorian calendar (the anonymous computus)."""
    golden, century, rest = year % 19, year // 100, year % 100
    leap_skips, century_rest = divmod(century, 4)
    moon_fix = (century - (century + 8) // 25 + 1) // 3
    epact = (19 * golden + century - leap_skips - moon_fix + 15) % 30
    quarters, rest_rest = divmod(rest, 4)
    weekday = (32 + 2 * century_rest + 2 * quarters - epact - rest_rest) % 7
    shift = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def holidays(years: range) -> list[str]:
    """The days Brightwave's Berlin office is closed: Berlin's public holidays, plus
    Christmas Eve and New Year's Eve."""
    closed = []
    for year in years:
        sunday = easter(year)
        closed += [
            date(year, 1, 1),  # New Year's Day
            date(year, 3, 8),  # International Women's Day (Berlin)
            sunday - timedelta(days=2),  # Good Friday
            sunday + timedelta(days=1),  # Easter Monday
            date(year, 5, 1),  # Labour Day
            sunday + timedelta(days=39),  # Ascension Day
            sunday + timedelta(days=50),  # Whit Monday
            date(year, 10, 3),  # German Unity Day
            date(year, 12, 24),
            date(year, 12, 25),
            date(year, 12, 26),
            date(year, 12, 31),
        ]
    return [day.isoformat() for day in closed]


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
    "AT": ("Tobias Sophie Florian Lena Stefan Magdalena David Katharina",
           "Gruber Huber Bauer Pichler Steiner Moser Hofer Leitner"),
    "CH": ("Luca Nina Reto Seraina Jan Andrea Noah Corinne",
           "Meier Keller Brunner Baumann Frei Zimmermann Gerber"),
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
COUNTRY_WEIGHTS = {"US": 30, "GB": 13, "DE": 12, "AT": 3, "CH": 3, "FR": 7, "NL": 6, "CA": 6,
                   "AU": 5, "SE": 4, "ES": 4, "IN": 7}
LEGAL_FORMS = {"US": "Inc.", "CA": "Inc.", "GB": "Ltd", "AU": "Pty Ltd", "DE": "GmbH",
               "AT": "GmbH", "CH": "AG", "FR": "SAS", "NL": "B.V.", "SE": "AB", "ES": "S.L.",
               "IN": "Pvt Ltd"}
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
    help = (
        "Fill the database with a believable demo company; run again, it makes the waiting "
        "MQLs fresh (--reset rebuilds)."
    )
    # ``call_command("seed_demo", now=...)``: build or refresh as of another moment.
    stealth_options = ("now",)

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo rows first, then rebuild."
        )

    def handle(self, *args, reset: bool = False, now: datetime | None = None, **options) -> None:
        now = now or timezone.now()
        with after_commit_jobs_dropped():
            users = ensure_users(reset_passwords=reset)
            if reset:
                delete_demo_rows(users)
            if Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).exists():
                waiting = refresh_queue(now=now)
                changed = rescore_demo_leads(now=now)
                self.stdout.write(
                    f"Demo data is already there (--reset rebuilds it): the {waiting} MQLs in "
                    f"the sales queue arrived minutes ago; {changed} scores moved with decay "
                    "since the last start."
                )
            else:
                Simulation(users=users, now=now).run()
                refresh_queue(now=now)
                rescore_demo_leads(now=now)
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


def demo_leads():
    return Lead.objects.filter(email__endswith=DEMO_DOMAIN)


def delete_demo_rows(users: dict) -> None:
    leads = demo_leads()
    handoffs = Handoff.objects.filter(lead__in=leads).values_list("pk", flat=True)
    subjects = [f"lead:{pk}" for pk in leads.values_list("pk", flat=True)]
    subjects += [f"handoff:{pk}" for pk in handoffs]
    Event.objects.filter(subject__in=subjects).delete()
    Notification.objects.filter(recipient__in=users.values()).delete()
    leads.delete()
    Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).delete()
    RoutingRule.objects.filter(name__in=RULE_NAMES).delete()
    RepAvailability.objects.filter(user__in=users.values()).delete()
    Preferences.objects.filter(user__in=users.values()).delete()


def summary() -> str:
    handoffs = Handoff.objects.filter(lead__email__endswith=DEMO_DOMAIN)
    campaigns = Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).count()
    leads = demo_leads().count()
    waiting = handoffs.filter(status=Handoff.Status.OPEN).count()
    routed = handoffs.exclude(routing_rule=None).count()
    escalated = handoffs.exclude(claim_escalated_at=None, contact_escalated_at=None).count()
    comments = Comment.objects.filter(lead__email__endswith=DEMO_DOMAIN).count()
    calendar = TeamCalendar.objects.get(pk=1)
    return (
        f"Brightwave demo: {campaigns} campaigns, {leads} leads, {handoffs.count()} handoffs "
        f"({waiting} waiting in the sales queue, {routed} routed by a rule, {escalated} "
        f"escalated), {comments} comments; {RoutingRule.objects.count()} routing rules; "
        f"business hours Mon–Fri {'–'.join(OFFICE_HOURS)} {calendar.time_zone}."
    )


def logins() -> str:
    lines = [f"Demo logins (password {PASSWORD!r}, unless you changed it):"]
    for username, first, last, role in USERS:
        lines.append(f"  {role or 'admin (superuser)':<18} {username:<9} {first} {last}")
    return "\n".join(lines)


# The waiting queue, fresh at every start ---------------------------------------------------

#: A waiting lead's last visit began at most this long before its MQL: it moves with it.
VISIT_SPAN = timedelta(minutes=10)
ESCALATION_STEPS = (HandoffStep.Kind.WARNED, HandoffStep.Kind.ESCALATED, HandoffStep.Kind.REQUEUED)
ESCALATION_NOTICES = (notifications.SLA_WARNING, notifications.SLA_BREACH, notifications.REQUEUED)


def minutes_ago(rank: int) -> int:
    """How old the ``rank``-th newest waiting MQL looks: the fresh MQLs' ages, then a
    quarter of an hour apart."""
    beyond = rank - len(FRESH_MQL_MINUTES_AGO) + 1
    return FRESH_MQL_MINUTES_AGO[-1] + 15 * beyond if beyond > 0 else FRESH_MQL_MINUTES_AGO[rank]


def refresh_queue(*, now: datetime) -> int:
    """Make the demo's waiting MQLs minutes old at ``now``; returns how many wait.

    Each waiting lead's last visit, its MQL, its handoff and what was written about them
    move forward together (its earlier history stays put). The claim clock is worked out
    again from the new start on the team calendar, as ``open_handoff`` does (outside
    business hours it starts at the next opening), and the escalations a worker took since
    the last start are undone, so the chain runs afresh.
    """
    calendar = working_calendar()
    waiting = (
        Handoff.objects.filter(status=Handoff.Status.OPEN, lead__email__endswith=DEMO_DOMAIN)
        .select_related("agreement", "lead", "routed_to")
        .order_by("-created_at", "-pk")
    )
    count = 0
    for rank, handoff in enumerate(waiting):
        opened = now - timedelta(minutes=minutes_ago(rank))
        offered = offered_to(handoff)
        shift = opened - handoff.created_at
        move_story(handoff, shift=shift, now=now)
        score = handoff.brief.get("score", handoff.lead.score) or 0
        targets = handoff.agreement.sla_for(int(score))
        due, warning = due_times(calendar, opened, targets.claim_minutes)
        notified = None
        if handoff.notified_at is not None:
            notified = min(handoff.notified_at + shift, now)
        Handoff.objects.filter(pk=handoff.pk).update(
            created_at=opened,
            routed_at=opened,
            notified_at=notified,
            routed_to=offered,
            claim_due_at=due,
            claim_warning_at=warning,
            claim_warned_at=None,
            claim_escalated_at=None,
            requeued_at=None,
            brief=moved_brief(handoff.brief, since=handoff.created_at - VISIT_SPAN, shift=shift),
        )
        count += 1
    return count


def offered_to(handoff: Handoff):
    """The rep a waiting lead was offered to, before its claim clock ran out."""
    if handoff.requeued_at is None:
        return handoff.routed_to
    offer = (
        Event.objects.filter(
            subject=f"handoff:{handoff.pk}",
            name__in=[events.HANDOFF_OPENED, events.HANDOFF_REASSIGNED],
        )
        .order_by("-pk")
        .first()
    )
    payload = offer.payload if offer else {}
    username = payload.get("routed_to") or payload.get("after", {}).get("assignee")
    return get_user_model().objects.filter(username=username).first() if username else None


def move_story(handoff: Handoff, *, shift: timedelta, now: datetime) -> None:
    """Move the rows of a waiting lead's last visit and after by ``shift`` (never past
    ``now``), and drop the escalation steps of its handoff with their notices."""
    since = handoff.created_at - VISIT_SPAN
    subjects = [f"lead:{handoff.lead_id}", f"handoff:{handoff.pk}"]
    HandoffStep.objects.filter(handoff=handoff, kind__in=ESCALATION_STEPS).delete()
    Notification.objects.filter(subject=subjects[1], kind__in=ESCALATION_NOTICES).delete()
    Event.objects.filter(subject=subjects[1], name=events.HANDOFF_ESCALATED).delete()
    of_lead = {"lead_id": handoff.lead_id}
    moved = [
        (Lead.objects.filter(pk=handoff.lead_id), ("created_at", "updated_at", "consent_at",
                                                    "scored_at")),
        (Touchpoint.objects.filter(**of_lead), ("occurred_at", "created_at")),
        (StageChange.objects.filter(**of_lead), ("changed_at",)),
        (ScoreChange.objects.filter(**of_lead), ("scored_at",)),
        (Comment.objects.filter(**of_lead), ("created_at",)),
        (Activity.objects.filter(**of_lead), ("occurred_at", "created_at")),
        (HandoffStep.objects.filter(handoff=handoff), ("at",)),
        (Event.objects.filter(subject__in=subjects), ("created_at",)),
        (Notification.objects.filter(subject__in=subjects), ("created_at", "sent_at", "read_at")),
    ]  # fmt: skip
    for rows, fields in moved:
        for name in fields:
            rows.filter(**{f"{name}__gte": since}).update(**{name: F(name) + shift})
            rows.filter(**{f"{name}__gt": now}).update(**{name: now})


def moved_brief(brief: dict, *, since: datetime, shift: timedelta) -> dict:
    """The handoff brief with the times of the moved touchpoints moved too."""

    def move(text: str | None) -> str | None:
        if not text or datetime.fromisoformat(text) < since:
            return text
        return (datetime.fromisoformat(text) + shift).isoformat()

    touchpoints = [
        {**touchpoint, "occurred_at": move(touchpoint["occurred_at"])}
        for touchpoint in brief.get("touchpoints", [])
    ]
    return {
        **brief,
        "last_active_at": move(brief.get("last_active_at")),
        "touchpoints": touchpoints,
    }


def rescore_demo_leads(*, now: datetime) -> int:
    """Score the demo leads again at ``now`` by the batch rescore, as the nightly one does:
    the history was scored at its own times, and decay since then would otherwise move
    the scores at the first rescore. Returns how many scores changed."""
    changed = 0
    for first, last in demo_id_ranges():
        changed += rescore_range(first, last, now=now).changed
    return changed


def demo_id_ranges() -> list[tuple[int, int]]:
    """The demo leads as ranges of ids that hold no other lead."""
    ids = demo_leads().order_by("pk").values_list("pk", flat=True)
    low, high = ids.first(), ids.last()
    if low is None:
        return []
    rows = Lead.objects.filter(pk__range=(low, high)).order_by("pk").values_list("pk", "email")
    ranges = []
    for is_demo, run in itertools.groupby(rows, key=lambda row: row[1].endswith(DEMO_DOMAIN)):
        pks = [pk for pk, _ in run]
        if is_demo:
            ranges.append((pks[0], pks[-1]))
    return ranges


class Simulation:
    """Replays 90 days of Brightwave in time order through the real services.

    Actions wait in a heap by simulated time; each may schedule the next step of its lead's
    story. Whatever would happen after ``now`` has not happened yet and is dropped.
    """

    def __init__(self, *, users: dict, now: datetime):
        self.users, self.now = users, now
        self.tz = ZoneInfo(TIME_ZONE)
        self.today = now.astimezone(self.tz).date()
        self.start = now - timedelta(days=HISTORY_DAYS + 5)
        self.rng = random.Random(SEED)
        self.queue: list[tuple[datetime, int, Callable, tuple]] = []
        self.order = itertools.count()
        self.campaigns: dict[str, Campaign] = {}
        self.marks: dict[type, int] = {}
        self.lead_ids: list[int] = []
        self.reps = [users["rep1"], users["rep2"]]
        self.away: dict[int, tuple[datetime, datetime]] = {}
        self.threads = dict(THREADS)

    def run(self) -> None:
        self.set_up_the_team()
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

    def set_up_the_team(self) -> None:
        """What the manager and the cast set before the history starts: business hours,
        routing rules, capacities and time away, notification settings."""
        manager, (priya, tom) = self.users["manager"], self.reps
        update_team_calendar(
            by=manager,
            time_zone=TIME_ZONE,
            days={day: list(OFFICE_HOURS) for day in WEEKDAYS[:5]},
            holidays=holidays(range(self.start.year, self.today.year + 2)),
        )
        for rule in routing_rules(priya, tom):
            create_rule(by=manager, **rule)
        # Tom's week off, six weeks ago: from Friday evening to the Monday after next.
        monday = self.today - timedelta(days=42)
        monday -= timedelta(days=monday.weekday())
        leaves = datetime.combine(monday - timedelta(days=3), time(18), tzinfo=self.tz)
        returns = datetime.combine(monday + timedelta(days=7), time(8), tzinfo=self.tz)
        self.away[tom.pk] = (leaves, returns)
        self.at(leaves - timedelta(minutes=45), self.hand_over, tom)
        set_availability(priya, by=manager, capacity=CAPACITY["rep1"])
        set_availability(
            tom, by=manager, capacity=CAPACITY["rep2"], away_from=leaves, away_until=returns
        )
        for username, choices in PREFERENCES.items():
            update_preferences(self.users[username], **choices)
        TeamCalendar.objects.filter(pk=1).update(updated_at=self.start)
        RoutingRule.objects.filter(name__in=RULE_NAMES).update(created_at=self.start)
        RepAvailability.objects.filter(user__in=self.reps).update(updated_at=self.start)
        self.calendar = working_calendar()

    def stamp(self, when: datetime) -> None:
        """Give the events and notifications a step wrote its simulated time.

        The services stamp them with today's clock. Notifications older than an hour were
        delivered long ago (and read, after two days); newer ones stay for the worker. The
        first delivered notice of a new handoff is its "notified" step of speed to lead.
        """
        if Event.objects.filter(pk__gt=self.marks[Event]).update(created_at=when):
            self.marks[Event] = last_id(Event)
        delivered = {}
        if self.now - when > timedelta(hours=1):
            read = when + timedelta(hours=1) if self.now - when > timedelta(days=2) else None
            delivered = {"status": Notification.Status.SENT, "sent_at": when, "attempts": 1,
                         "read_at": read}  # fmt: skip
        written = Notification.objects.filter(pk__gt=self.marks[Notification])
        if not written.update(created_at=when, **delivered):
            return
        written.filter(status=Notification.Status.SENT).update(sent_at=when)  # in-app only
        notices = written.filter(
            kind__in=[notifications.ROUTED, notifications.QUEUED],
            status=Notification.Status.SENT,
            subject__startswith="handoff:",
        ).values_list("subject", flat=True)
        handoff_ids = {int(subject.partition(":")[2]) for subject in notices}
        Handoff.objects.filter(pk__in=handoff_ids).filter(
            Q(notified_at=None) | Q(notified_at__gt=when)
        ).update(notified_at=when)
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
        """``when`` if the team is at work then (the team calendar says), else a little
        after the next opening."""
        opening = add_working_minutes(self.calendar, when, 0)
        if opening == when:
            return when
        return opening + timedelta(minutes=rng.randrange(40))

    def after(self, when: datetime, minutes: float) -> datetime:
        """``minutes`` of the team's working time after ``when``."""
        return add_working_minutes(self.calendar, when, minutes)

    def away_until(self, rep, when: datetime) -> datetime | None:
        """When ``rep`` is back, if they are away at ``when``."""
        leaves, returns = self.away.get(rep.pk, (when, when))
        return returns if leaves <= when < returns else None

    def teammate(self, rep):
        return next(other for other in self.reps if other.pk != rep.pk)

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
        Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).update(created_at=self.start)

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
        """The leads: colleagues at 150 companies in twelve countries."""
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

        A lead past MQL keeps its stage whatever its score, so its rescoring waits for the
        rescore that ends the build, as it would wait for the worker's sweep. The fresh MQL
        that has waited longest gets a heads-up from marketing.
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
        lead, became_mql = result.lead, False
        if lead.stage in (Stage.NEW, Stage.RECYCLED):
            scored = score_lead(lead.pk, now=at)
            became_mql = scored is not None and scored.stage == Stage.MQL
        self.stamp(at)  # the visit's last click, when scoring may have opened a handoff
        if not became_mql:
            return
        handoff = Handoff.objects.select_related("agreement", "routed_to").get(
            lead=lead, status=Handoff.Status.OPEN
        )
        self.watch(handoff.claim_warning_at, handoff.claim_due_at)
        if person.minutes_ago is None:
            self.plan_claim(handoff, person.rng)
        elif person.minutes_ago == max(FRESH_MQL_MINUTES_AGO):  # marketing writes at any hour
            self.thread("heads-up", at, lead, handoff.routed_to, working_time=False)

    def watch(self, *deadlines: datetime | None) -> None:
        """Beat's escalation sweep runs every minute; the history needs only the minutes
        right after each warning time and deadline."""
        for deadline in deadlines:
            if deadline is not None:
                self.at(deadline + timedelta(minutes=1), self.sweep)

    def sweep(self, when: datetime) -> None:
        escalate_overdue(now=when)

    def plan_claim(self, handoff: Handoff, rng: random.Random) -> None:
        """The rep the MQL is offered to (or a rep, from the team queue) claims it, usually
        in time; once a claim clock has run out a teammate may grab it. Some MQLs are sent
        straight back, and marketing takes a few back before anyone claims them."""
        targets = handoff.agreement.sla_for(int(handoff.brief.get("score") or 0))
        allowed = targets.claim_minutes
        late = rng.random() < 0.12
        minutes = (
            allowed + rng.randint(5, 150) if late else rng.randint(1, max(2, allowed * 4 // 5))
        )
        when = self.after(handoff.created_at, minutes)
        rep = handoff.routed_to or self.from_the_queue(rng)
        if late and handoff.routed_to and rng.random() < 0.5:
            rep = self.teammate(rep)
        draw = rng.random()
        if draw < 0.04:
            self.at(self.after(handoff.created_at, 2), self.take_back, handoff.lead_id)
        elif draw < 0.14:
            reason, note = rng.choice(QUEUE_REJECTIONS)
            self.at(when, self.reject_open, handoff.pk, rep, reason, note)
        else:
            self.at(when, self.claim, handoff.pk, rep, rng)

    def from_the_queue(self, rng: random.Random):
        """The rep who picks a lead from the team queue: mostly the one with fewer leads."""
        in_play = loads([rep.pk for rep in self.reps])
        lighter = min(self.reps, key=lambda rep: (in_play[rep.pk], rep.pk))
        return lighter if rng.random() < 0.75 else self.teammate(lighter)

    def claimer(self, when: datetime, handoff: Handoff, rep):
        """Who may take an open handoff at ``when``: the rep it is offered to until its claim
        clock runs out, else ``rep`` (or a teammate, while ``rep`` is away); None: wait."""
        offered = handoff.routed_to
        if offered is not None and when < handoff.claim_due_at:
            return None if self.away_until(offered, when) else offered
        return self.teammate(rep) if self.away_until(rep, when) else rep

    def claim(self, when: datetime, handoff_id: int, rep, rng: random.Random) -> None:
        """Claim, make first contact (sometimes late), then the lead's fate."""
        handoff = Handoff.objects.select_related("routed_to", "lead").get(pk=handoff_id)
        if handoff.status != Handoff.Status.OPEN:
            return
        claimer = self.claimer(when, handoff, rep)
        if claimer is None:
            self.at(handoff.claim_due_at + timedelta(minutes=5), self.claim, handoff_id, rep, rng)
            return
        handoff = claim_handoff(handoff, rep=claimer, now=when)
        lead = handoff.lead
        self.watch(handoff.contact_warning_at, handoff.first_contact_due_at)
        if handoff.claimed_at > handoff.claim_due_at:
            self.thread("late", when, lead, claimer)
        elif (
            lead.country in EUR_COUNTRIES
            and lead.touchpoints.filter(kind="pricing_page_view").exists()
        ):
            self.thread("eur", when, lead, claimer)
        elif lead.campaign_id == self.campaigns["event-revops-summit"].pk:
            self.thread("booth", when, lead, claimer)
        if rng.random() < 0.04:  # claimed, then forgotten: the contact clock runs out
            return
        targets = handoff.agreement.sla_for(int(handoff.brief.get("score") or 0))
        target = targets.first_contact_minutes
        late = rng.random() < 0.1
        minutes = target + rng.randint(10, 360) if late else rng.randint(5, target * 4 // 5)
        contact = self.after(when, minutes)
        self.by_owner(contact, lead.pk, self.activity, *rng.choice(FIRST_CONTACT))
        fate = rng.choices(
            ["reject", "disqualify", "sql", "lost", "working"], weights=[8, 6, 52, 10, 24]
        )[0]
        later = self.working(contact + timedelta(days=rng.randint(1, 8)), rng)
        if fate == "reject":
            self.by_owner(later, lead.pk, self.reject_claimed, *rng.choice(CLAIMED_REJECTIONS))
        elif fate == "disqualify":
            reason = "Consultancy evaluating tools for a client; not a buyer."
            self.by_owner(later, lead.pk, self.move, Stage.DISQUALIFIED, reason)
        elif fate == "lost":
            self.by_owner(later, lead.pk, self.lose, rng)
        elif fate == "sql":
            self.by_owner(later, lead.pk, self.activity, *WORKING[0])
            self.by_owner(self.after(later, 60), lead.pk, self.qualify, rng)
        else:  # still talking: qualified or lost a week or two later, or still open
            self.by_owner(later, lead.pk, self.activity, *rng.choice(WORKING))
            decided = self.working(later + timedelta(days=rng.randint(5, 15)), rng)
            step = rng.choices([self.qualify, self.lose, None], weights=[50, 25, 25])[0]
            if step is not None:
                self.by_owner(decided, lead.pk, step, rng)

    def by_owner(self, when: datetime, lead_id: int, action: Callable, *args) -> None:
        """Schedule ``action(when, lead_id, owner, *args)`` for whoever owns the lead then."""
        self.at(when, self.as_owner, lead_id, action, *args)

    def as_owner(self, when: datetime, lead_id: int, action: Callable, *args) -> None:
        """Run an action as the lead's owner; one away waits for their return."""
        owner_id = Lead.objects.filter(pk=lead_id).values_list("owner_id", flat=True).first()
        rep = next((rep for rep in self.reps if rep.pk == owner_id), None)
        if rep is None:
            return
        back = self.away_until(rep, when)
        if back is not None:
            self.by_owner(self.after(back, 30), lead_id, action, *args)
            return
        action(when, lead_id, rep, *args)

    def qualify(self, when: datetime, lead_id: int, rep, rng: random.Random) -> None:
        """SQL, a demo and a proposal, then won, lost or still open."""
        if not self.move(when, lead_id, rep, Stage.SQL, "Budget, need and timing confirmed."):
            return
        later = when
        for step in rng.sample(WORKING[1:], 2):
            later = self.working(later + timedelta(days=rng.randint(2, 6)), rng)
            self.by_owner(later, lead_id, self.activity, *step)
        close = self.working(later + timedelta(days=rng.randint(3, 20)), rng)
        outcome = rng.choices(["won", "lost", "open"], weights=[45, 35, 20])[0]
        if outcome == "won":
            self.by_owner(close, lead_id, self.win, rng)
        elif outcome == "lost":
            self.by_owner(close, lead_id, self.lose, rng)

    def win(self, when: datetime, lead_id: int, rep, rng: random.Random) -> None:
        size = Lead.objects.values_list("company_size", flat=True).get(pk=lead_id) or 50
        low, high = (6, 18) if size <= 200 else (15, 48) if size <= 1000 else (40, 120)
        amount = Decimal(rng.randint(low * 2, high * 2) * 500)  # annual value, in 500s
        if self.move(when, lead_id, rep, Stage.WON, "Signed an annual plan.", amount):
            self.thread("story", when, Lead.objects.get(pk=lead_id), rep)

    def lose(self, when: datetime, lead_id: int, rep, rng: random.Random) -> None:
        """Lost; half go back to marketing for nurture a few days later."""
        if self.move(when, lead_id, rep, Stage.LOST, rng.choice(LOST_REASONS)) and (
            rng.random() < 0.5
        ):
            later = self.working(when + timedelta(days=rng.randint(2, 6)), rng)
            reason = "Lost for now; back to marketing for nurture."
            self.by_owner(later, lead_id, self.move, Stage.RECYCLED, reason)

    def activity(self, when: datetime, lead_id: int, rep, kind: str, outcome: str, note: str):
        lead = Lead.objects.get(pk=lead_id)
        if lead.stage in (Stage.SAL, Stage.SQL):
            log_activity(lead, rep=rep, kind=kind, outcome=outcome, note=note, occurred_at=when)

    def move(self, when: datetime, lead_id: int, rep, stage: str, reason: str, amount=None):
        """Move the rep's lead if the move is still legal."""
        lead = Lead.objects.get(pk=lead_id)
        if not can_advance(lead.stage, stage):
            return False
        move_lead(lead, to_stage=stage, by=rep, reason=reason, amount=amount, at=when)
        return True

    def reject_open(self, when: datetime, handoff_id: int, rep, reason: str, note: str) -> None:
        """Sent straight back from the queue by the rep who may claim it."""
        handoff = Handoff.objects.select_related("routed_to", "lead").get(pk=handoff_id)
        if handoff.status != Handoff.Status.OPEN:
            return
        rep = self.claimer(when, handoff, rep)
        if rep is None:
            return
        reject_handoff(handoff, rep=rep, reason=reason, note=note, now=when)
        if reason == RejectionReason.NOT_A_FIT and handoff.lead.campaign is not None:
            self.thread("agency", when, handoff.lead, rep)

    def reject_claimed(self, when: datetime, lead_id: int, rep, reason: str, note: str) -> None:
        """Sent back after a first talk, while the lead is still only accepted."""
        handoff = Handoff.objects.filter(
            lead_id=lead_id, status=Handoff.Status.CLAIMED, lead__stage=Stage.SAL
        ).first()
        if handoff is not None:
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

    def hand_over(self, when: datetime, rep) -> None:
        """Before a week away, the manager gives the rep's new leads to a teammate."""
        teammate = self.teammate(rep)
        reason = (
            f"{rep.first_name} is away next week; {teammate.first_name} takes over the leads "
            "that wait for a first call."
        )
        live = Handoff.objects.filter(lead__email__endswith=DEMO_DOMAIN).filter(
            Q(status=Handoff.Status.OPEN, routed_to=rep)
            | Q(status=Handoff.Status.CLAIMED, claimed_by=rep, lead__stage=Stage.SAL)
        )
        for handoff in live.order_by("pk"):
            reassign_handoff(
                handoff, to=teammate, by=self.users["manager"], reason=reason, now=when
            )

    def thread(self, key: str, when: datetime, lead: Lead, rep, *, working_time=True) -> None:
        """The conversation ``key`` on ``lead``, once in the story: each comment written a
        little after the one before (in working time). Without a rep it speaks to all."""
        lines = self.threads.pop(key, None)
        if not lines:
            return
        names = {
            "rep": rep.username if rep else " @".join(teammate.username for teammate in self.reps),
            "first": lead.first_name,
            "company": lead.company,
            "campaign": lead.campaign.name if lead.campaign else "",
        }
        for role, minutes, text in lines:
            when = self.after(when, minutes) if working_time else when + timedelta(minutes=minutes)
            author = rep if role == "rep" else self.users[role]
            self.at(when, self.comment, lead.pk, author, text.format(**names))

    def comment(self, when: datetime, lead_id: int, author, body: str) -> None:
        add_comment(Lead.objects.get(pk=lead_id), author=author, body=body, now=when)


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
