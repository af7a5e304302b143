"""A busy stretch of weeks for the dashboard's tests: campaigns on several channels with
spend, leads with journeys across campaigns, handoffs claimed fast and slow, rejections,
SQLs and deals won, all computed by hand from the loop counters (no randomness).
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from campaigns.models import Channel
from handoffs.models import Handoff, RejectionReason
from leads.models import Lead, Stage
from tests.factories import CampaignFactory, CostEntryFactory, TouchpointFactory
from tests.kpis.builders import history, lead_created, opened

CHANNELS = [Channel.WEBINAR, Channel.EMAIL, Channel.PAID_SEARCH, Channel.EVENT, Channel.CONTENT]
REASONS = [RejectionReason.NO_NEED, RejectionReason.NO_BUDGET, RejectionReason.NOT_A_FIT]
MINUTE = timedelta(minutes=1)


def moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def busy_weeks(
    end: date,
    *,
    campaigns: int,
    reps: list,
    owner=None,
    days: int = 60,
    leads_per_campaign: int = 6,
    names: list[str] | None = None,
) -> list:
    """``campaigns`` campaigns (owned by ``owner``) with ``leads_per_campaign`` leads
    each, created over the ``days`` days up to ``end``, handed to ``reps`` in turn.

    Lead ``j`` of campaign ``i``: an MQL a day after it came; every fifth is sent back;
    the others are claimed after ``15 + 10·j`` minutes and contacted two hours later;
    every second reaches SQL and every fourth is won (for ``1000·(i + 1)``), every
    third of the rest lost. Each lead later touches the next campaign too, so the
    attribution models differ.
    """
    made = [
        CampaignFactory(
            name=names[i] if names and i < len(names) else f"Campaign {i + 1}",
            channel=CHANNELS[i % len(CHANNELS)],
            owner=owner,
        )
        for i in range(campaigns)
    ]
    start = end - timedelta(days=days - 1)
    for i, campaign in enumerate(made):
        for week in range(0, days, 7):
            CostEntryFactory(
                campaign=campaign, date=start + timedelta(days=week), amount=Decimal(150 + 40 * i)
            )
        for j in range(leads_per_campaign):
            created = moment(start + timedelta(days=(j * days // leads_per_campaign + i) % days))
            rep = reps[(i + j) % len(reps)]
            mql_at = created + timedelta(days=1)
            if mql_at.date() > end:
                mql_at = created + 30 * MINUTE
            rejected = j % 5 == 4
            lead = lead_created(created, campaign, owner=None if rejected else rep)
            TouchpointFactory(lead=lead, campaign=campaign, occurred_at=created)
            TouchpointFactory(
                lead=lead, campaign=made[(i + 1) % len(made)], occurred_at=created + 5 * MINUTE
            )
            if rejected:
                history(lead, (Stage.MQL, mql_at), (Stage.RECYCLED, mql_at + 40 * MINUTE))
                opened(
                    lead,
                    mql_at,
                    routed_to=rep,
                    rejected_by=rep,
                    status=Handoff.Status.REJECTED,
                    rejected_at=mql_at + 40 * MINUTE,
                    rejection_reason=REASONS[(i + j) % len(REASONS)],
                )
                continue
            claimed = mql_at + (15 + 10 * j) * MINUTE
            steps = [(Stage.MQL, mql_at), (Stage.SAL, claimed)]
            if j % 2 == 0:
                steps.append((Stage.SQL, claimed + timedelta(hours=5)))
                if j % 4 == 0:
                    steps.append((Stage.WON, claimed + timedelta(hours=8), Decimal(1000 * (i + 1))))
            elif j % 3 == 0:
                steps.append((Stage.LOST, claimed + timedelta(hours=8)))
            history(lead, *steps)
            Lead.objects.filter(pk=lead.pk).update(stage=steps[-1][0])
            opened(
                lead,
                mql_at,
                routed_to=rep,
                routed_at=mql_at + MINUTE,
                notified_at=mql_at + 2 * MINUTE,
                claimed_at=claimed,
                claimed_by=rep,
                first_contact_at=claimed + timedelta(hours=2),
            )
    return made
