"""The fixed story data of the demo: the cast and its settings, the campaigns, the people
who answer them and what everyone says."""

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from alignment import notifications
from alignment.roles import MANAGER, MARKETING, SALES
from campaigns.models import Channel, FieldUse
from handoffs.models import RejectionReason
from handoffs.routing.models import RoutingRule

SEED = 2024
PASSWORD = "tandem-demo"
SITE = "https://www.brightwave.example"
DEMO_DOMAIN = ".example"  # the demo leads' email addresses end with it
LEAD_COUNT = 300
FRESH_MQL_MINUTES_AGO = (4, 9, 17, 26, 38, 52)
HISTORY_DAYS = 89

#: username, first name, last name, roles (none: the superuser). Daniel manages sales and
#: Lena marketing: each signs the agreement for their team.
USERS = [
    ("marketer", "Nora", "Lindqvist", (MARKETING,)),
    ("manager", "Daniel", "Okafor", (MANAGER, SALES)),
    ("cmo", "Lena", "Vogel", (MANAGER, MARKETING)),
    ("rep1", "Priya", "Shah", (SALES,)),
    ("rep2", "Tom", "Becker", (SALES,)),
    ("admin", "Alex", "Admin", ()),
]
#: Who signed the first agreement for each side, and how many days ago: a week or two
#: before the history began, so it was in force from the start of the story.
FIRST_AGREEMENT_SIGNED = {
    MARKETING: ("cmo", HISTORY_DAYS + 14),
    SALES: ("manager", HISTORY_DAYS + 13),
}

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
