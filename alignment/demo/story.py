"""The history of the demo company, replayed in time order through the real services."""

import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest

from alignment import notifications
from alignment.business_hours import WEEKDAYS, add_working_minutes
from alignment.demo.cast import (
    CAMPAIGNS,
    CAPACITY,
    COMPANY_PARTS,
    COUNTRY_WEIGHTS,
    DEMO_UTMS,
    FOLLOW_UPS,
    FRESH_MQL_MINUTES_AGO,
    HISTORY_DAYS,
    INDUSTRIES,
    LEAD_COUNT,
    LEGAL_FORMS,
    NAMES,
    OFFICE_HOURS,
    ORGANIC_SHARE,
    PAGES,
    PLANS,
    PREFERENCES,
    RULE_NAMES,
    SEED,
    SITE,
    SIZE_BANDS,
    THREADS,
    TIME_ZONE,
    TITLES,
    WEBSITE_DOOR,
    CampaignPlan,
    Person,
    ascii_slug,
    holidays,
    phone,
    routing_rules,
    web_form,
)
from alignment.demo.sales import SalesStory
from alignment.models import Event, Notification, TeamCalendar
from alignment.services import update_preferences, update_team_calendar, working_calendar
from campaigns.models import Campaign, Channel
from campaigns.services import add_cost, create_campaign
from handoffs.models import Activity, Handoff
from handoffs.routing.models import RepAvailability, RoutingRule
from handoffs.routing.services import create_rule, set_availability
from handoffs.services import escalate_overdue, move_lead
from leads.models import Lead, Stage, StageChange, Touchpoint
from leads.services import capture_lead, score_lead


class Simulation(SalesStory):
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
        """A time on ``day``, mostly in office hours; weekends are mostly quiet.

        Each call takes the same draws whatever the day, here and in ``working``: so a
        person's story draws the same fates whichever weekday the demo is built on.
        """
        quiet = rng.random() < 0.8
        if day.weekday() >= 5 and quiet:
            day += timedelta(days=7 - day.weekday())
        weights = [1] * 7 + [3] + [10] * 4 + [6] + [10] * 4 + [5] + [2] * 4 + [1] * 2
        hour = rng.choices(range(24), weights=weights)[0]
        return datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=self.tz)

    def working(self, when: datetime, rng: random.Random) -> datetime:
        """``when`` if the team is at work then (the team calendar says), else a little
        after the next opening."""
        settling_in = timedelta(minutes=rng.randrange(40))
        opening = add_working_minutes(self.calendar, when, 0)
        return when if opening == when else opening + settling_in

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
        """An upfront cost for produced campaigns, then weekly promotion until today: the
        budget is spent evenly over the campaign's planned weeks."""
        if campaign.starts_on > self.today:
            return
        upfront = 0
        if plan.channel in PRODUCTION:
            upfront = plan.budget * 2 // 5
            add_cost(campaign, date=campaign.starts_on, amount=Decimal(upfront),
                     by=campaign.owner, note=PRODUCTION[plan.channel])  # fmt: skip
        planned_end = campaign.ends_on or self.day(30)
        weekly = (plan.budget - upfront) / max((planned_end - campaign.starts_on).days / 7, 1)
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
        arrive = self.moment(self.day(growing_day(max(first, -HISTORY_DAYS), last, rng)), rng)
        self.at(arrive, self.visit, person, plan.door if plan else WEBSITE_DOOR, plan)
        # Four in ten who register for a webinar attend it, as with most webinars.
        if plan and plan.channel == Channel.WEBINAR and rng.random() < 0.4:
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
        handoff = Handoff.objects.select_related("agreement", "lead", "routed_to").get(
            lead=lead, status=Handoff.Status.OPEN
        )
        self.watch(handoff.claim_warning_at, handoff.claim_due_at)
        if person.minutes_ago is None:
            self.plan_claim(handoff, person.rng)
        elif person.minutes_ago == max(FRESH_MQL_MINUTES_AGO):  # marketing writes at any hour
            self.thread("heads-up", at, lead, handoff.routed_to, working_time=False)

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

    def watch(self, *deadlines: datetime | None) -> None:
        """Beat's escalation sweep runs every minute; the history needs only the minutes
        right after each warning time and deadline."""
        for deadline in deadlines:
            if deadline is not None:
                self.at(deadline + timedelta(minutes=1), self.sweep)

    def sweep(self, when: datetime) -> None:
        escalate_overdue(now=when)


#: What a produced campaign pays up front, before its weekly promotion.
PRODUCTION = {
    Channel.WEBINAR: "Production and speakers",
    Channel.CONTENT: "Research, writing and design",
    Channel.EVENT: "Booth, venue and travel",
}


def growing_day(first: int, last: int, rng: random.Random) -> int:
    """A day from ``first`` to ``last`` (days from today), the later the likelier: word of
    a campaign spreads and the website's audience grows, so the last week of a window
    brings about three times the people of its first."""
    share = rng.random() if rng.random() < 0.5 else max(rng.random(), rng.random())
    return first + round((last - first) * share)


def last_id(model) -> int:
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
