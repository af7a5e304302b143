"""Writes with rules for leads: capture from every door, touchpoints, edits, scoring.

Capture itself (one lead or a batch) lives in ``leads.capture`` and merging duplicates
in ``leads.merge``; both are imported here, so every door imports from one place.
"""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from alignment import events
from alignment.models import AgreementVersion
from alignment.services import agreement_in_force
from campaigns.models import Campaign
from leads import lifecycle, scoring
from leads.capture import (
    EMAIL_MAX_LENGTH,
    PROFILE_FIELDS,
    URL_MAX_LENGTH,
    UTM_FIELDS,
    BatchResult,
    CaptureResult,
    RowResult,
    capture_lead,
    capture_leads,
    clean_consent,
    clean_values,
    lead_for_email,
    normalise_email,
    request_scoring,
    request_scoring_many,
    resolve_campaign,
)
from leads.merge import MergePlan, merge_leads, plan_merge
from leads.models import (
    Lead,
    ScoreChange,
    ScoringRuleSet,
    Stage,
    StageChange,
    Touchpoint,
    TouchpointKind,
)
from leads.scoring.rules import queries as rule_queries

__all__ = [
    "EMAIL_MAX_LENGTH",
    "PROFILE_FIELDS",
    "URL_MAX_LENGTH",
    "UTM_FIELDS",
    "BatchResult",
    "CaptureResult",
    "MergePlan",
    "RowResult",
    "capture_lead",
    "capture_leads",
    "lead_for_email",
    "merge_leads",
    "normalise_email",
    "plan_merge",
    "request_scoring",
    "request_scoring_many",
    "resolve_campaign",
]


def _clean_values(fields: dict[str, Any], *, keep_empty: bool = False) -> dict[str, Any]:
    """Profile, UTM and consent values as stored, or ``ValidationError`` keyed by field:
    the checks every capture makes (an edit passes ``keep_empty`` to blank a field)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    try:
        values = clean_values(
            {key: value for key, value in fields.items() if key != "consent"},
            keep_empty=keep_empty,
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "consent" in fields:
        try:
            values["consent"] = clean_consent(fields["consent"])
        except ValidationError as exc:
            errors["consent"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return values


def _check_touchpoint_kind(kind: str) -> None:
    if kind not in TouchpointKind.values:
        raise ValidationError({"kind": [f"Unknown touchpoint kind {kind!r}."]})


def record_touchpoint(
    lead: Lead,
    *,
    kind: str,
    campaign: Campaign | None = None,
    occurred_at: datetime | None = None,
    url: str = "",
    referrer: str = "",
    note: str = "",
    consent_text: str = "",
) -> Touchpoint:
    """Add a touchpoint and mark the lead's score stale; rescoring runs after commit."""
    _check_touchpoint_kind(kind)
    url, referrer = (url or "").strip(), (referrer or "").strip()
    for name, value in (("url", url), ("referrer", referrer)):
        if len(value) > URL_MAX_LENGTH:
            raise ValidationError({name: [f"At most {URL_MAX_LENGTH} characters."]})
    with transaction.atomic():
        touchpoint = Touchpoint.objects.create(
            lead=lead,
            campaign=campaign,
            kind=kind,
            occurred_at=occurred_at or timezone.now(),
            url=url,
            referrer=referrer,
            note=(note or "").strip(),
            consent_text=(consent_text or "").strip(),
        )
        Lead.objects.filter(pk=lead.pk).update(scored_at=None)
        lead.scored_at = None
        request_scoring(lead.pk)
    return touchpoint


@transaction.atomic
def update_lead(lead: Lead, **fields: Any) -> Lead:
    """Edit a lead's profile; the score is recomputed after commit."""
    for key in fields:
        if key not in PROFILE_FIELDS and key not in (*UTM_FIELDS, "consent"):
            raise TypeError(f"update_lead cannot set {key!r}")
    fields = _clean_values(fields, keep_empty=True)
    for key, value in fields.items():
        setattr(lead, key, value)
    changed = [*fields, "scored_at", "updated_at"]
    if fields.get("consent") and lead.consent_at is None:
        lead.consent_at = timezone.now()
        changed.append("consent_at")
    lead.scored_at = None
    # Only the edited fields are written: a stale copy must never put back an old stage,
    # score or owner that scoring or a claim changed in the meantime.
    lead.save(update_fields=changed)
    request_scoring(lead.pk)
    return lead


def active_ruleset() -> tuple[ScoringRuleSet | None, list[scoring.Rule]]:
    ruleset = rule_queries.active_ruleset()
    return ruleset, rule_queries.rules_of(ruleset)


def lead_facts(lead: Lead) -> dict[str, Any]:
    return scoring.facts_from({name: getattr(lead, name) for name in scoring.LEAD_COLUMNS})


#: Stages a person reaches by overriding scoring: qualify by hand, or disqualify.
OVERRIDE_STAGES = (Stage.MQL, Stage.DISQUALIFIED)


def is_manual_override(change: StageChange) -> bool:
    """Whether ``change`` is a person's qualification decision rather than scoring's."""
    return not change.automatic and change.to_stage in OVERRIDE_STAGES


def _is_filled(value: Any) -> bool:
    """A required field counts as present only with a real value: blanks and an
    unticked box do not (``False`` is not ``None`` or ``""`` but says nothing either).
    """
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, bool):
        return value
    return True


def mql_gaps(lead: Lead, agreement: AgreementVersion) -> list[str]:
    """What keeps ``lead`` from the agreement's MQL definition; empty when it meets it."""
    gaps = []
    if lead.score < agreement.mql_threshold:
        gaps.append(f"Score {lead.score} is below the threshold of {agreement.mql_threshold}.")
    missing = [
        name for name in agreement.mql_required_fields if not _is_filled(getattr(lead, name, None))
    ]
    if missing:
        gaps.append(f"Missing required fields: {', '.join(missing)}.")
    if agreement.mql_requires_consent and not lead.consent:
        gaps.append("No consent.")
    return gaps


def meets_mql_definition(lead: Lead, agreement: AgreementVersion) -> bool:
    """The agreement's MQL definition: score at or above the threshold, every required
    field filled, and consent when the agreement asks for it.
    """
    return not mql_gaps(lead, agreement)


def _may_requalify(lead: Lead, agreement: AgreementVersion, now: datetime) -> bool:
    """A recycled lead returns to MQL only after the agreement's cool-off days **and** a
    new engagement: a touchpoint that happened once the cool-off had ended (and by
    ``now``). Interest shown during the cool-off does not count, nor does an import,
    which is a list being loaded rather than the person doing anything.
    """
    recycled_at = (
        StageChange.objects.filter(lead=lead, to_stage=Stage.RECYCLED)
        .order_by("-changed_at", "-id")
        .values_list("changed_at", flat=True)
        .first()
    )
    if recycled_at is None:
        return False
    cooloff_ends = recycled_at + timedelta(days=agreement.recycle_cooloff_days)
    if now < cooloff_ends:
        return False
    return (
        Touchpoint.objects.filter(lead=lead, occurred_at__gte=cooloff_ends, occurred_at__lte=now)
        .exclude(kind=TouchpointKind.IMPORTED)
        .exists()
    )


def score_lead(
    lead_id: int,
    *,
    now: datetime | None = None,
    stale_only: bool = False,
    skip_locked: bool = False,
    source: str = ScoreChange.Source.LEAD,
) -> Lead | None:
    """Compute a lead's score and explanation; record the change in the score history;
    make it an MQL if it meets the definition, or disqualify it if a disqualifying rule
    matches.

    Safe to run twice and concurrently: the lead row is locked, and a lead already past
    ``new`` is never moved by scoring (except a recycled lead after its cool-off). With
    ``stale_only`` a lead whose score is fresh (``scored_at`` set) is left alone, so a
    task run twice does the work once. Returns the lead scored, or None (no such lead,
    or nothing to do).
    """
    now = now or timezone.now()
    agreement = agreement_in_force()
    with transaction.atomic():
        # ``skip_locked``: a lead another worker holds is left to it (the sweep passes it).
        lead = Lead.objects.select_for_update(skip_locked=skip_locked).filter(pk=lead_id).first()
        if lead is None:
            return None
        if stale_only and lead.scored_at is not None:
            return None  # scored since the work was asked for: nothing left to do
        # The rules are read once the lead is locked: a rescore that held the lock for a
        # newly activated version is never followed by a score from the version before.
        ruleset, rules = active_ruleset()
        touchpoints = [
            scoring.TouchpointFact(kind=kind, occurred_at=occurred_at)
            for kind, occurred_at in Touchpoint.objects.filter(lead=lead).values_list(
                "kind", "occurred_at"
            )
        ]
        result = scoring.score(
            lead_facts(lead),
            touchpoints,
            rules,
            half_life_days=ruleset.decay_half_life_days if ruleset else 30,
            now=now,
        )
        before = lead.score
        numbers_before = (lead.score, lead.fit_score, lead.engagement_score)
        lead.fit_score, lead.engagement_score = result.fit, result.engagement
        lead.score, lead.score_breakdown, lead.scored_at = result.total, result.breakdown, now
        lead.save(
            update_fields=["fit_score", "engagement_score", "score", "score_breakdown", "scored_at"]
        )
        if (lead.score, lead.fit_score, lead.engagement_score) != numbers_before:
            ScoreChange.objects.create(
                lead=lead,
                ruleset=ruleset,
                score=lead.score,
                fit_score=lead.fit_score,
                engagement_score=lead.engagement_score,
                previous_score=before,
                source=source,
                scored_at=now,
            )
        if before != lead.score:
            events.publish(
                events.LEAD_SCORED,
                subject=f"lead:{lead.pk}",
                payload={
                    "lead": lead.pk,
                    "before": {"score": before},
                    "after": {"score": lead.score},
                },
                lead=lead,
            )
        if result.disqualified_by:
            # A disqualifying rule (a competitor's domain, say) only ever moves a lead
            # nobody has worked yet; a lead sales holds stays where sales put it.
            if lead.stage == Stage.NEW:
                lifecycle.advance(
                    lead,
                    Stage.DISQUALIFIED,
                    automatic=True,
                    at=now,
                    reason=f"Disqualified by the scoring rule “{result.disqualified_by}”.",
                )
            return lead
        qualifies = meets_mql_definition(lead, agreement)
        if qualifies and (
            lead.stage == Stage.NEW
            or (lead.stage == Stage.RECYCLED and _may_requalify(lead, agreement, now))
        ):
            lifecycle.advance(
                lead,
                Stage.MQL,
                automatic=True,
                at=now,
                reason=f"Score {lead.score} reached the MQL threshold of "
                f"{agreement.mql_threshold} (agreement v{agreement.number}).",
            )
    return lead


def change_stage(
    lead: Lead,
    *,
    to_stage: str,
    by,
    reason: str = "",
    amount: Decimal | None = None,
    at: datetime | None = None,
) -> StageChange:
    """A person moves a lead (qualify, disqualify, SQL, won, lost, recycle)."""
    if to_stage == Stage.WON and amount is None:
        raise ValidationError({"amount": ["A won deal needs its amount."]})
    if amount is not None and amount < 0:
        raise ValidationError({"amount": ["The amount cannot be negative."]})
    if to_stage in (Stage.DISQUALIFIED, Stage.RECYCLED, Stage.LOST) and not reason.strip():
        raise ValidationError({"reason": ["Say why."]})
    if to_stage == Stage.MQL and not reason.strip():
        # Sales reads why a lead reached them; a qualification by hand with no note
        # still says what scoring alone would have withheld.
        gaps = mql_gaps(lead, agreement_in_force())
        reason = "Qualified by hand" + (f" before scoring did: {' '.join(gaps)}" if gaps else ".")
    return lifecycle.advance(lead, to_stage, by=by, reason=reason, amount=amount, at=at)
