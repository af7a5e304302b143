"""The sales half of the demo's history: what happens to an MQL once it is handed over."""

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q

from alignment.demo.cast import (
    CLAIMED_REJECTIONS,
    DEMO_DOMAIN,
    EUR_COUNTRIES,
    FIRST_CONTACT,
    LOST_REASONS,
    QUEUE_REJECTIONS,
    WORKING,
)
from handoffs.models import Handoff, RejectionReason
from handoffs.routing.services import loads
from handoffs.services import (
    claim_handoff,
    log_activity,
    move_lead,
    reassign_handoff,
    reject_handoff,
)
from leads.comments import add_comment
from leads.lifecycle import can_advance
from leads.models import Lead, Stage


def promise(handoff: Handoff) -> float:
    """The chance that an MQL turns out to be a real opportunity, as in a real funnel:
    leads scored well past the threshold, and good fits among them, become opportunities
    far more often than those that only just crossed it; nothing is certain either way."""
    score = int(handoff.brief.get("score") or 0)
    strength = (score - 51) / 3 + (handoff.lead.fit_score - 30) / 20
    return 0.05 + 0.9 / (1 + math.exp(-strength))


class SalesStory:
    """The sales half of ``Simulation``: what happens to an MQL once it is handed over.
    Claimed (on time or late), sent back or taken back, contacted, qualified, won or lost,
    handed to a teammate before a week away, and talked about in comments on the way.

    A mixin: it schedules its steps on the simulation's clock (``at``, ``after``,
    ``working``) and plays them with its cast (``users``, ``reps``, ``away_until``,
    ``teammate``) and conversations (``threads``).
    """

    def plan_claim(self, handoff: Handoff, rng: random.Random) -> None:
        """The rep the MQL is offered to (or a rep, from the team queue) claims it, usually
        in time; once a claim clock has run out a teammate may grab it. Some MQLs are sent
        straight back (the weaker the lead, the likelier), and marketing takes a few back
        before anyone claims them."""
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
        elif draw < 0.04 + 0.3 * (1 - promise(handoff)):
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
        chance = promise(handoff)
        if rng.random() < chance:  # a real opportunity: qualified now or after more talks
            fate = rng.choices(["sql", "talks: sql"], weights=[70, 30])[0]
        else:
            fate = rng.choices(
                ["reject", "disqualify", "lost", "talks: lost", "talks: open"],
                weights=[25, 15, 20, 25, 15],
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
            self.by_owner(self.after(later, 60), lead.pk, self.qualify, rng, chance)
        else:  # still talking: qualified or lost a week or two later, or still open
            self.by_owner(later, lead.pk, self.activity, *rng.choice(WORKING))
            decided = self.working(later + timedelta(days=rng.randint(5, 15)), rng)
            if fate == "talks: sql":
                self.by_owner(decided, lead.pk, self.qualify, rng, chance)
            elif fate == "talks: lost":
                self.by_owner(decided, lead.pk, self.lose, rng)

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

    def qualify(self, when: datetime, lead_id: int, rep, rng: random.Random, chance: float) -> None:
        """SQL, a demo and a proposal, then won, lost or still open: the stronger the lead
        (``chance``, its ``promise``), the likelier the win."""
        if not self.move(when, lead_id, rep, Stage.SQL, "Budget, need and timing confirmed."):
            return
        later = when
        for step in rng.sample(WORKING[1:], 2):
            later = self.working(later + timedelta(days=rng.randint(2, 6)), rng)
            self.by_owner(later, lead_id, self.activity, *step)
        close = self.working(later + timedelta(days=rng.randint(3, 14)), rng)
        outcome = rng.choices(["won", "lost", "open"], weights=[15 + 40 * chance, 35, 15])[0]
        if outcome == "won":
            self.by_owner(close, lead_id, self.win, rng)
        elif outcome == "lost":
            self.by_owner(close, lead_id, self.lose, rng)

    def win(self, when: datetime, lead_id: int, rep, rng: random.Random) -> None:
        """Won: an annual plan priced by the size of the company, as mid-market analytics
        tools are (thousands a year for a small team, tens of thousands for an enterprise),
        so the quarter's campaigns pay back a few times over, as B2B campaigns do."""
        size = Lead.objects.values_list("company_size", flat=True).get(pk=lead_id) or 50
        low, high = (8, 16) if size <= 200 else (15, 35) if size <= 1000 else (30, 60)
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
