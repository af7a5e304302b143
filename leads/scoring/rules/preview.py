"""Preview: how a sample of leads would score under rules not yet saved, next to the
version in force. Nothing is written."""

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F
from django.db.models.functions import Abs
from django.utils import timezone

from alignment.services import agreement_in_force
from leads import scoring
from leads.models import Lead, Touchpoint
from leads.scoring.rules.queries import active_ruleset, half_life_of, rules_of

RECENT_LEADS = 20
NEAR_THRESHOLD_LEADS = 20


@dataclass
class PreviewRow:
    lead: Lead
    before: int
    mql_before: bool
    #: The lead as the draft would score it (a copy; ``score_breakdown`` explains it).
    after: Lead
    mql_after: bool
    disqualified_by: str

    @property
    def delta(self) -> int:
        return self.after.score - self.before

    @property
    def flips(self) -> bool:
        return self.mql_before != self.mql_after or bool(self.disqualified_by)


@dataclass
class Preview:
    rows: list[PreviewRow]
    threshold: int

    @property
    def mqls_before(self) -> int:
        return sum(row.mql_before for row in self.rows)

    @property
    def mqls_after(self) -> int:
        return sum(row.mql_after for row in self.rows)

    @property
    def changed(self) -> int:
        return sum(row.delta != 0 for row in self.rows)


def sample_leads(threshold: int) -> list[Lead]:
    """The most recent leads and those whose score is nearest the MQL threshold.

    The nearest come from one top-N sort by distance to the threshold: scores are not
    indexed (so that a rescore updates leads in place), so each query of them reads the
    table once.
    """
    recent = list(Lead.objects.order_by("-created_at", "-id")[:RECENT_LEADS])
    near = list(
        Lead.objects.exclude(pk__in=[lead.pk for lead in recent])
        .annotate(distance=Abs(F("score") - threshold))
        .order_by("distance", "-id")[:NEAR_THRESHOLD_LEADS]
    )
    return sorted(recent + near, key=lambda lead: -lead.score)


def _qualifies(lead: Lead, result: scoring.ScoreResult, agreement) -> bool:
    from leads.services import meets_mql_definition

    if result.disqualified_by:
        return False
    probe = copy.copy(lead)
    probe.score = result.total
    return meets_mql_definition(probe, agreement)


def preview(
    rules: Sequence[scoring.Rule],
    *,
    half_life_days: int,
    leads: Sequence[Lead] | None = None,
    now: datetime | None = None,
) -> Preview:
    """Score ``leads`` (by default a sample) under ``rules`` and under the version in force.

    "MQL" here is the agreement's definition applied to the score: what scoring would
    decide for a new lead, whatever stage the lead is in now.
    """
    now = now or timezone.now()
    agreement = agreement_in_force()
    leads = list(leads) if leads is not None else sample_leads(agreement.mql_threshold)
    active = active_ruleset()
    active_rules = rules_of(active)
    touchpoints: dict[int, list[scoring.TouchpointFact]] = {}
    for lead_id, kind, occurred_at in Touchpoint.objects.filter(
        lead_id__in=[lead.pk for lead in leads]
    ).values_list("lead_id", "kind", "occurred_at"):
        touchpoints.setdefault(lead_id, []).append(scoring.TouchpointFact(kind, occurred_at))
    rows = []
    for lead in leads:
        facts = scoring.facts_from({name: getattr(lead, name) for name in scoring.LEAD_COLUMNS})
        mine = touchpoints.get(lead.pk, [])
        before = scoring.score(
            facts, mine, active_rules, half_life_days=half_life_of(active), now=now
        )
        after = scoring.score(facts, mine, rules, half_life_days=half_life_days, now=now)
        scored = copy.copy(lead)
        scored.score, scored.fit_score, scored.engagement_score = (
            after.total,
            after.fit,
            after.engagement,
        )
        scored.score_breakdown = after.breakdown
        rows.append(
            PreviewRow(
                lead=lead,
                before=before.total,
                mql_before=_qualifies(lead, before, agreement),
                after=scored,
                mql_after=_qualifies(lead, after, agreement),
                disqualified_by=after.disqualified_by,
            )
        )
    return Preview(rows=rows, threshold=agreement.mql_threshold)
