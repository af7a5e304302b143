"""The rep table: how fast each sales rep picks leads up and what comes of them."""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from alignment.roles import SALES
from handoffs.models import Handoff
from kpis.queries.base import Period, Scope, minutes_of, money_of, rate
from kpis.queries.handoff_figures import ACCEPTED, sla_conditions, speed_aggregates
from kpis.queries.metrics import currency
from leads.models import Stage, StageChange


@dataclass(frozen=True)
class RepRow:
    """One rep's numbers for a period.

    Handoffs opened in the period count for the rep who had them: their claimer, else
    who sent them back, else the rep they were offered to (``handoffs``). ``claimed`` and
    the speeds are over the ones they claimed; ``rejections`` the ones sent back; SLA
    compliance as in the summary. SQLs, won and lost are the entries into those stages
    in the period of the leads the rep owns.
    """

    rep: int
    username: str
    name: str
    handoffs: int
    claimed: int
    rejections: int
    acceptance_rate: float | None
    speed_to_claim_minutes_median: float | None
    speed_to_claim_minutes_p90: float | None
    speed_to_contact_minutes_median: float | None
    speed_to_contact_minutes_p90: float | None
    sla_compliance_rate: float | None
    claim_sla_rate: float | None
    contact_sla_rate: float | None
    sqls: int
    won: int
    lost: int
    won_amount: Decimal
    win_rate: float | None
    currency: str = field(default_factory=currency)

    def as_dict(self) -> dict:
        return asdict(self)


def _handoffs_by_rep(period: Period, scope: Scope, now: datetime) -> dict[int, dict]:
    """Per rep, the handoffs opened in the period that they had (one query)."""
    rows = (
        Handoff.objects.filter(
            scope.leads_q("lead__"), created_at__gte=period.start, created_at__lt=period.end
        )
        .values(rep=Coalesce("claimed_by", "rejected_by", "routed_to"))
        .annotate(
            handoffs=Count("pk"),
            claimed=Count("pk", filter=Q(claimed_at__isnull=False)),
            accepted=Count("pk", filter=Q(status__in=ACCEPTED)),
            rejections=Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
            **{name: Count("pk", filter=q) for name, q in sla_conditions(now).items()},
            **speed_aggregates(["claim", "contact"]),
        )
        .order_by()
    )
    return {row["rep"]: dict(row) for row in rows if row["rep"] is not None}


def _no_outcomes() -> dict:
    return {"sqls": 0, "won": 0, "lost": 0, "won_amount": money_of(0)}


def _outcomes_by_owner(period: Period, scope: Scope) -> dict[int, dict]:
    """Per lead owner, the leads that became SQL, won or lost in the period (one query)."""
    rows = (
        StageChange.objects.filter(
            scope.leads_q("lead__"),
            lead__owner__isnull=False,
            to_stage__in=[Stage.SQL, Stage.WON, Stage.LOST],
            changed_at__gte=period.start,
            changed_at__lt=period.end,
        )
        .values("lead__owner", "to_stage")
        .annotate(n=Count("lead", distinct=True), amount=Sum("amount"))
        .order_by()
    )
    outcomes: dict[int, dict] = defaultdict(_no_outcomes)
    names: dict[str, str] = {Stage.SQL: "sqls", Stage.WON: "won", Stage.LOST: "lost"}
    for row in rows:
        figures = outcomes[row["lead__owner"]]
        figures[names[row["to_stage"]]] = row["n"]
        if row["to_stage"] == Stage.WON:
            figures["won_amount"] = money_of(row["amount"])
    return outcomes


def rep_rows(
    period: Period, scope: Scope | None = None, *, now: datetime | None = None
) -> list[RepRow]:
    """The rep table for a period: every active sales rep (with an owner in ``scope``,
    only the reps with numbers), and anyone else who had handoffs or leads that moved;
    by name. Three queries, whatever the number of reps."""
    scope = scope or Scope()
    handoffs = _handoffs_by_rep(period, scope, now or timezone.now())
    outcomes = _outcomes_by_owner(period, scope)
    who = Q(pk__in=set(handoffs) | set(outcomes))
    if scope.owner is None:
        who |= Q(is_active=True, groups__name=SALES)
    users = (
        get_user_model()
        .objects.filter(who)
        .distinct()
        .order_by("username")
        .values("pk", "username", "first_name", "last_name")
    )
    rows = []
    for user in users:
        h = handoffs.get(user["pk"], {})
        o = outcomes.get(user["pk"]) or _no_outcomes()
        name = f"{user['first_name']} {user['last_name']}".strip() or user["username"]
        rows.append(
            RepRow(
                rep=user["pk"],
                username=user["username"],
                name=name,
                handoffs=h.get("handoffs", 0),
                claimed=h.get("claimed", 0),
                rejections=h.get("rejections", 0),
                acceptance_rate=rate(
                    h.get("accepted", 0), h.get("accepted", 0) + h.get("rejections", 0)
                ),
                speed_to_claim_minutes_median=minutes_of(h.get("claim_median")),
                speed_to_claim_minutes_p90=minutes_of(h.get("claim_p90")),
                speed_to_contact_minutes_median=minutes_of(h.get("contact_median")),
                speed_to_contact_minutes_p90=minutes_of(h.get("contact_p90")),
                sla_compliance_rate=rate(h.get("sla_met", 0), h.get("sla_due", 0)),
                claim_sla_rate=rate(h.get("claim_met", 0), h.get("claim_due", 0)),
                contact_sla_rate=rate(h.get("contact_met", 0), h.get("contact_due", 0)),
                sqls=o["sqls"],
                won=o["won"],
                lost=o["lost"],
                won_amount=o["won_amount"],
                win_rate=rate(o["won"], o["won"] + o["lost"]),
            )
        )
    return rows
