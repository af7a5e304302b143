"""The campaign table: each campaign's spend, funnel, sales' verdict, and the pipeline and
won revenue it earned under first-touch, last-touch or linear attribution.

Two ways of tying a lead to a campaign meet here, and each column says which it uses:

- the lead's own campaign (``Lead.campaign``, where it was first captured): leads, MQLs,
  SQLs, won, won revenue, costs per lead and SQL, acceptance and rejection reasons;
- attribution over the journey (``Touchpoint`` rows with a campaign): ``pipeline``, the
  SQLs reached in the period, and ``attributed_won``/``attributed_won_amount``, the deals
  won in it, credited to the campaigns whose touchpoints came before the stage was
  reached: all to the earliest (first touch), all to the latest (last touch), or split
  evenly over them (linear). ROI uses the attributed revenue, so it follows the model.

There is no deal amount before a deal is won, so pipeline is a count of opportunities
(leads reaching SQL), which the models share out like revenue. Every model hands out the
same total: what no campaign touched before the stage goes to the ``campaign=None``
("No campaign") row, which is shown when no campaign or channel is chosen.
"""

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any, Literal

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum

from campaigns.models import Campaign, CostEntry
from handoffs.models import Handoff, RejectionReason
from kpis.queries import rollups
from kpis.queries.base import MONEY, Period, Scope, money_of, per, rate, roi
from kpis.queries.figures import FUNNEL
from kpis.queries.handoff_figures import ACCEPTED
from kpis.queries.metrics import currency
from leads.models import Lead, Stage, StageChange, Touchpoint

Attribution = Literal["first_touch", "last_touch", "linear"]
ATTRIBUTIONS: tuple[Attribution, ...] = ("first_touch", "last_touch", "linear")
ATTRIBUTION_LABELS = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "linear": "Linear",
}
#: The row of leads and credit with no campaign.
NO_CAMPAIGN = "No campaign"


@dataclass(frozen=True)
class Credit:
    """What one campaign earned under a model: SQLs (``pipeline``) and won deals, as
    fractions under linear attribution, and won revenue."""

    pipeline: Decimal = Decimal("0.00")
    won: Decimal = Decimal("0.00")
    won_amount: Decimal = Decimal("0.00")


def reached(period: Period, scope: Scope) -> QuerySet[StageChange]:
    """The entries into SQL and won in the period whose lead is in the scope's owner
    part: what attribution shares out. The campaign and channel parts choose the rows
    credited, not the leads, so that every model's credit adds up to the same total."""
    return StageChange.objects.filter(
        Scope(owner=scope.owner).leads_q("lead__"),
        to_stage__in=[Stage.SQL, Stage.WON],
        changed_at__gte=period.start,
        changed_at__lt=period.end,
    ).order_by()


#: Per model: the window over each change's campaign touchpoints, the credit one
#: touchpoint row gets, and which rows keep it.
_MODELS = {
    "first_touch": (
        "ROW_NUMBER() OVER (PARTITION BY r.id ORDER BY tp.{at}, tp.{id})",
        "1",
        "place = 1",
    ),
    "last_touch": (
        "ROW_NUMBER() OVER (PARTITION BY r.id ORDER BY tp.{at} DESC, tp.{id} DESC)",
        "1",
        "place = 1",
    ),
    "linear": ("COUNT(*) OVER (PARTITION BY r.id)", "1.0 / place", "1 = 1"),
}


def credit_sql(changes: QuerySet[StageChange], model: Attribution) -> tuple[str, list]:
    """The SQL of ``(credited, to_stage, share, amount[, day])`` per campaign and stage
    (and day, when ``changes`` carry a ``day`` annotation: the rollups) under ``model``.

    Written in SQL around the ORM's own query of the changes, as the ORM cannot group
    over a window: each change is joined to the campaign touchpoints at or before it,
    which are numbered (first or last touch keeps number one) or counted (linear gives
    each one over their number). A change no campaign touched joins no touchpoint and
    keeps its whole credit, under campaign NULL: every model shares out the same total.
    """
    by_day = "day" in changes.query.annotations
    fields = ["id", "lead_id", "to_stage", "amount", "changed_at", *(["day"] if by_day else [])]
    inner, params = changes.values(*fields).query.sql_with_params()
    quote = connection.ops.quote_name
    window, share, keep = (
        part.format(at=quote("occurred_at"), id=quote("id")) for part in _MODELS[model]
    )
    day = ", day" if by_day else ""
    # ``* 1.0`` keeps the division exact on PostgreSQL (numeric) and fractional on SQLite,
    # which would otherwise divide a whole amount by an integer and drop the remainder.
    sql = f"""
        SELECT credited, to_stage, SUM({share}), SUM(amount * 1.0 * ({share})){day}
        FROM (
            SELECT tp.{quote("campaign_id")} AS credited, r.to_stage AS to_stage,
                r.amount AS amount, {window} AS place{day.replace("day", "r.day")}
            FROM ({inner}) r
            LEFT JOIN {quote(Touchpoint._meta.db_table)} tp
                ON tp.{quote("lead_id")} = r.lead_id
                AND tp.{quote("campaign_id")} IS NOT NULL
                AND tp.{quote("occurred_at")} <= r.changed_at
        ) credits
        WHERE {keep}
        GROUP BY credited, to_stage{day}
    """
    return sql, list(params)


def _credits(changes: QuerySet[StageChange], model: Attribution) -> list[tuple]:
    """``(campaign, stage, share, amount)`` per campaign and stage under ``model`` (one
    query; see ``credit_sql``)."""
    sql, params = credit_sql(changes, model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _apportion(shares: dict, *, unit: Decimal = MONEY) -> dict:
    """Each share rounded to ``unit`` so that together they make their rounded total
    (largest remainder): linear thirds of 100.00 are 33.34, 33.33 and 33.33."""
    exact = {key: Decimal(str(value)) for key, value in shares.items()}
    total = sum(exact.values(), Decimal(0)).quantize(unit)
    rounded = {key: value.quantize(unit, rounding=ROUND_FLOOR) for key, value in exact.items()}
    left = int((total - sum(rounded.values(), Decimal(0))) / unit)
    by_remainder = sorted(exact, key=lambda key: exact[key] - rounded[key], reverse=True)
    for key in by_remainder[:left]:
        rounded[key] += unit
    return rounded


def credit_by_campaign(
    period: Period,
    scope: Scope | None = None,
    *,
    model: Attribution = "first_touch",
    rolled_up: bool | None = None,
) -> dict[int | None, Credit]:
    """Credit per campaign id under ``model`` (``None``: no campaign touchpoint came
    before the stage). Over all campaigns, every model adds up to the same pipeline, won
    deals and won revenue. From the daily rollup if ``rolled_up`` (None: if one fits)."""
    if model not in ATTRIBUTIONS:
        raise ValueError(f"Attribution is one of {', '.join(ATTRIBUTIONS)}, not {model!r}.")
    scope = scope or Scope()
    if rolled_up is None:
        rolled_up = rollups.fresh_rollup([period], scope) is not None
    if rolled_up:
        rows = rollups.credit_rows(period, model)
    else:
        rows = _credits(reached(period, scope), model)
    shares: dict[str, dict] = {"pipeline": {}, "won": {}, "won_amount": {}}
    for credited, stage, share, amount in rows:
        if stage == Stage.SQL:
            shares["pipeline"][credited] = share
        else:
            shares["won"][credited] = share
            shares["won_amount"][credited] = amount or 0
    rounded = {name: _apportion(values) for name, values in shares.items()}
    campaigns = set().union(*(values.keys() for values in rounded.values()))
    return {
        campaign: Credit(
            **{name: values.get(campaign, Decimal("0.00")) for name, values in rounded.items()}
        )
        for campaign in campaigns
    }


@dataclass(frozen=True)
class CampaignRow:
    """One row of the campaign table (``campaign=None``: leads and credit with no
    campaign). Money is in ``currency``; ratios with nothing to divide by are None."""

    campaign: int | None
    name: str
    channel: str
    owner: int | None
    spend: Decimal
    leads: int
    mqls: int
    sqls: int
    won: int
    won_amount: Decimal
    cost_per_lead: Decimal | None
    cost_per_mql: Decimal | None
    cost_per_sql: Decimal | None
    accepted: int
    rejected: int
    acceptance_rate: float | None
    rejection_reasons: list[dict]
    top_rejection_reason: str | None
    attribution: str
    pipeline: Decimal
    attributed_won: Decimal
    attributed_won_amount: Decimal
    roi: float | None
    currency: str = field(default_factory=currency)

    def as_dict(self) -> dict:
        return asdict(self)


def _entries_by_campaign(period: Period, scope: Scope) -> list[tuple]:
    """``(campaign, stage, leads, amount)``: the distinct leads of each campaign that
    entered each funnel stage in the period, and the amounts of those entries (one query).

    The entries are first reduced to one row per lead and stage (the index range of
    ``(to_stage, changed_at)`` alone), and only those rows are joined to their lead for
    its campaign: a lead has one campaign, so counting the rows counts distinct leads,
    without the ``COUNT(DISTINCT …)`` over the join that sorted every entry with its lead.
    """
    entries, params = (
        StageChange.objects.filter(
            scope.leads_q("lead__"),
            to_stage__in=list(FUNNEL),
            changed_at__gte=period.start,
            changed_at__lt=period.end,
        )
        .values("lead_id", "to_stage")
        .annotate(amount=Sum("amount"))
        .order_by()
        .query.sql_with_params()
    )
    quote = connection.ops.quote_name
    sql = f"""
        SELECT lead_row.{quote("campaign_id")}, entry.to_stage, COUNT(*), SUM(entry.amount)
        FROM ({entries}) entry
        JOIN {quote(Lead._meta.db_table)} lead_row ON lead_row.{quote("id")} = entry.lead_id
        GROUP BY lead_row.{quote("campaign_id")}, entry.to_stage
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _by_campaign(period: Period, scope: Scope, *, rolled_up: bool) -> dict[int | None, dict]:
    """Spend, the funnel and sales' decisions per campaign of the lead (four queries),
    from the daily rollups if ``rolled_up``."""
    figures: dict[int | None, dict] = defaultdict(
        lambda: {
            "spend": money_of(0),
            "leads": 0,
            **dict.fromkeys(FUNNEL.values(), 0),
            "won_amount": money_of(0),
            "accepted": 0,
            "rejected": 0,
            "reasons": {},
        }
    )
    costs = (
        CostEntry.objects.filter(
            scope.costs_q(), date__gte=period.first_day, date__lte=period.last_day
        )
        .values("campaign")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for cost in costs:
        figures[cost["campaign"]]["spend"] = money_of(cost["total"])
    for campaign_id, n in (
        rollups.campaign_lead_rows(period, scope)
        if rolled_up
        else _leads_by_campaign(period, scope)
    ):
        figures[campaign_id]["leads"] = n
    entries = (
        rollups.campaign_entry_rows(period, scope, list(FUNNEL))
        if rolled_up
        else _entries_by_campaign(period, scope)
    )
    for campaign_id, stage, n, amount in entries:
        campaign = figures[campaign_id]
        campaign[FUNNEL[stage]] = n
        if stage == Stage.WON:
            campaign["won_amount"] = money_of(amount)
    decisions = (
        rollups.campaign_decision_rows(period, scope)
        if rolled_up
        else _decisions_by_campaign(period, scope)
    )
    for decided in decisions:
        campaign = figures[decided["campaign"]]
        campaign["accepted"] += decided["accepted"]
        campaign["rejected"] += decided["rejected"]
        if decided["rejected"]:
            campaign["reasons"][decided["rejection_reason"]] = decided["rejected"]
    return figures


def _leads_by_campaign(period: Period, scope: Scope) -> list[tuple]:
    """``(campaign, leads)`` created in the period."""
    return list(
        Lead.objects.filter(
            scope.leads_q(), created_at__gte=period.start, created_at__lt=period.end
        )
        .values("campaign")
        .annotate(n=Count("*"))  # rows, not ids: an index-only scan on PostgreSQL
        .order_by()
        .values_list("campaign", "n")
    )


def _decisions_by_campaign(period: Period, scope: Scope) -> list[dict]:
    """``{campaign, rejection_reason, accepted, rejected}`` of the handoffs opened in
    the period that sales decided on."""
    rows = (
        Handoff.objects.filter(
            scope.leads_q("lead__"),
            created_at__gte=period.start,
            created_at__lt=period.end,
            status__in=[*ACCEPTED, Handoff.Status.REJECTED],
        )
        .annotate(campaign=F("lead__campaign"))
        .values("campaign", "rejection_reason")
        .annotate(
            accepted=Count("pk", filter=Q(status__in=ACCEPTED)),
            rejected=Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
        )
        .order_by()
    )
    return [dict(row) for row in rows]


def _reasons(counts: dict[str, int]) -> list[dict]:
    """Rejection reasons, most given first: ``[{reason, label, count}]``."""
    labels = dict(RejectionReason.choices)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"reason": reason, "label": labels.get(reason, reason), "count": n} for reason, n in ordered
    ]


def campaign_rows(
    period: Period, scope: Scope | None = None, *, attribution: Attribution = "first_touch"
) -> list[CampaignRow]:
    """The campaign table for a period: a row per campaign with any spend, lead, stage,
    decision or credit in it (the campaign or channel of ``scope`` keeps only those
    campaigns), plus the "No campaign" row when no campaign or channel is chosen; most
    spend first. Six queries, whatever the number of campaigns (and one a minute at most
    asking whether the daily rollups answer: ``rollups.latest_rollup``)."""
    scope = scope or Scope()
    rolled_up = rollups.fresh_rollup([period], scope) is not None
    figures = _by_campaign(period, scope, rolled_up=rolled_up)
    credit = credit_by_campaign(period, scope, model=attribution, rolled_up=rolled_up)
    ids = {key for key in (*figures, *credit) if key is not None}
    campaigns: dict[int | None, dict[str, Any]] = {
        about["pk"]: dict(about)
        for about in Campaign.objects.filter(scope.campaigns_q(), pk__in=ids).values(
            "pk", "name", "channel", "owner"
        )
    }
    keys: list[int | None] = list(campaigns)
    if not scope.narrows_campaigns and (None in figures or None in credit):
        keys.append(None)
    rows = []
    for key in keys:
        numbers = figures[key]
        earned = credit.get(key, Credit())
        about = campaigns.get(key, {"name": NO_CAMPAIGN, "channel": "", "owner": None})
        reasons = _reasons(numbers["reasons"])
        rows.append(
            CampaignRow(
                campaign=key,
                name=about["name"],
                channel=about["channel"],
                owner=about["owner"],
                spend=numbers["spend"],
                leads=numbers["leads"],
                mqls=numbers["mqls"],
                sqls=numbers["sqls"],
                won=numbers["won"],
                won_amount=numbers["won_amount"],
                cost_per_lead=per(numbers["spend"], numbers["leads"]),
                cost_per_mql=per(numbers["spend"], numbers["mqls"]),
                cost_per_sql=per(numbers["spend"], numbers["sqls"]),
                accepted=numbers["accepted"],
                rejected=numbers["rejected"],
                acceptance_rate=rate(
                    numbers["accepted"], numbers["accepted"] + numbers["rejected"]
                ),
                rejection_reasons=reasons,
                top_rejection_reason=reasons[0]["reason"] if reasons else None,
                attribution=attribution,
                pipeline=earned.pipeline,
                attributed_won=earned.won,
                attributed_won_amount=earned.won_amount,
                roi=roi(earned.won_amount, numbers["spend"]),
            )
        )
    rows.sort(key=lambda row: (row.campaign is None, -row.spend, row.name.lower()))
    return rows
