"""Backtest: how many MQLs a rule-set version would have made, and how good they were.

The maths is a pure function over constructed cases (``backtest``), so a test can check
it against a known answer; ``backtest_ruleset`` loads the cases from the database.

A case is a lead that reached an outcome (it was ever SQL, won, lost, sent back or
disqualified). It is scored as of the moment it was first judged (its first stage change
out of ``new``), on the touchpoints it had by then and with the decay of that moment, so
the version in force and the draft are both asked the question scoring really faced.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Min, Q

from alignment.services import agreement_in_force
from leads import scoring
from leads.models import Lead, Stage, StageChange, Touchpoint
from leads.scoring.rules.models import ScoringRuleSet
from leads.scoring.rules.queries import active_ruleset, half_life_of, rules_of

#: Stages that say how a lead turned out: a decision by sales or by marketing.
OUTCOME_STAGES = (Stage.SQL, Stage.WON, Stage.LOST, Stage.RECYCLED, Stage.DISQUALIFIED)


@dataclass(frozen=True)
class Case:
    """One lead with an outcome, as the backtest sees it."""

    facts: Mapping[str, Any]
    touchpoints: Sequence[scoring.TouchpointFact]
    as_of: datetime
    #: Whether the lead meets the rest of the MQL definition (required fields, consent).
    eligible: bool
    reached_sql: bool
    won: bool


@dataclass(frozen=True)
class Outcome:
    """What one version would have done on the cases."""

    leads: int
    mqls: int
    sqls: int
    won: int

    @property
    def sql_rate(self) -> float | None:
        return self.sqls / self.mqls if self.mqls else None

    @property
    def won_rate(self) -> float | None:
        return self.won / self.mqls if self.mqls else None


def backtest(
    cases: Iterable[Case],
    rules: Sequence[scoring.Rule],
    *,
    half_life_days: int,
    threshold: int,
) -> Outcome:
    """Count the cases ``rules`` would have made MQLs, and how many of those reached SQL
    and were won. A case a disqualifying rule matches is never an MQL."""
    leads = mqls = sqls = won = 0
    for case in cases:
        leads += 1
        result = scoring.score(
            case.facts,
            [t for t in case.touchpoints if t.occurred_at <= case.as_of],
            rules,
            half_life_days=half_life_days,
            now=case.as_of,
        )
        if result.disqualified_by or not case.eligible or result.total < threshold:
            continue
        mqls += 1
        sqls += case.reached_sql
        won += case.won
    return Outcome(leads=leads, mqls=mqls, sqls=sqls, won=won)


@dataclass(frozen=True)
class Report:
    """A version's backtest next to the version in force, on the same cases."""

    ruleset: ScoringRuleSet
    outcome: Outcome
    active: ScoringRuleSet | None
    active_outcome: Outcome
    threshold: int


def load_cases() -> list[Case]:
    """The leads that reached an outcome, with their facts and touchpoints (three queries)."""
    from leads.services import meets_mql_definition

    agreement = agreement_in_force()
    judged = (
        StageChange.objects.values("lead_id")
        .annotate(
            judged_at=Min("changed_at"),
            outcomes=Count("id", filter=Q(to_stage__in=OUTCOME_STAGES)),
            sqls=Count("id", filter=Q(to_stage__in=(Stage.SQL, Stage.WON))),
            wins=Count("id", filter=Q(to_stage=Stage.WON)),
        )
        .filter(outcomes__gt=0)
        .order_by()
    )
    rows = {row["lead_id"]: row for row in judged}
    touchpoints: dict[int, list[scoring.TouchpointFact]] = {}
    for lead_id, kind, occurred_at in Touchpoint.objects.filter(
        lead_id__in=judged.values("lead_id")
    ).values_list("lead_id", "kind", "occurred_at"):
        touchpoints.setdefault(lead_id, []).append(scoring.TouchpointFact(kind, occurred_at))
    cases = []
    for lead_id, *values in Lead.objects.filter(pk__in=judged.values("lead_id")).values_list(
        "pk", *scoring.LEAD_COLUMNS
    ):
        columns = dict(zip(scoring.LEAD_COLUMNS, values, strict=True))
        # The definition's other conditions, asked with a score that just meets the bar.
        probe = Lead(pk=lead_id, score=agreement.mql_threshold, **columns)
        row = rows[lead_id]
        cases.append(
            Case(
                facts=scoring.facts_from(columns),
                touchpoints=touchpoints.get(lead_id, []),
                as_of=row["judged_at"],
                eligible=meets_mql_definition(probe, agreement),
                reached_sql=row["sqls"] > 0,
                won=row["wins"] > 0,
            )
        )
    return cases


def backtest_ruleset(ruleset: ScoringRuleSet) -> Report:
    """Backtest ``ruleset`` and the version in force on the leads that reached an outcome."""
    threshold = agreement_in_force().mql_threshold
    cases = load_cases()
    active = active_ruleset()
    return Report(
        ruleset=ruleset,
        outcome=backtest(
            cases, rules_of(ruleset), half_life_days=half_life_of(ruleset), threshold=threshold
        ),
        active=active,
        active_outcome=backtest(
            cases, rules_of(active), half_life_days=half_life_of(active), threshold=threshold
        ),
        threshold=threshold,
    )
