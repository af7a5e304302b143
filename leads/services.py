"""Writes with rules for leads: capture from every door, touchpoints, scoring."""

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Field
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import events
from alignment.models import AgreementVersion
from alignment.services import agreement_in_force
from campaigns.models import Campaign
from leads import lifecycle, scoring
from leads.models import (
    Lead,
    ScoringRule,
    ScoringRuleSet,
    Stage,
    StageChange,
    Touchpoint,
    TouchpointKind,
)

logger = logging.getLogger(__name__)

#: Lead fields a capture may fill; the doors validate their shape before calling.
PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "country",
    "company_size",
    "industry",
)
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
# Both fields declare a max_length; the cast tells the type checker so.
EMAIL_MAX_LENGTH = cast(int, Lead._meta.get_field("email").max_length)
URL_MAX_LENGTH = cast(int, Touchpoint._meta.get_field("url").max_length)


def normalise_email(raw: str) -> str:
    """Trim, apply Unicode NFKC and lowercase; raise ``ValidationError`` if not an address."""
    email = unicodedata.normalize("NFKC", raw or "").strip().lower()
    # The validator accepts addresses longer than the column; the database would not.
    if len(email) > EMAIL_MAX_LENGTH:
        raise ValidationError({"email": [f"At most {EMAIL_MAX_LENGTH} characters."]})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    return email


def _clean_field(key: str, value: Any) -> Any:
    """One profile value as the lead stores it: trimmed, country upper-case, validated."""
    if isinstance(value, str):
        value = value.strip()
        if key == "country":
            value = value.upper()
    return cast(Field, Lead._meta.get_field(key)).clean(value, None)


def _clean_values(fields: dict[str, Any], *, keep_empty: bool = False) -> dict[str, Any]:
    """Validated values, with field keys on any error, so every door gets the same checks
    (lengths, numbers) and bad input never reaches the database. Without ``keep_empty``,
    empty values are dropped: a capture never blanks a field.
    """
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for key, value in fields.items():
        if not keep_empty and (value is None or (isinstance(value, str) and not value.strip())):
            continue
        try:
            values[key] = _clean_field(key, value)
        except ValidationError as exc:
            errors[key] = exc.messages
    if errors:
        raise ValidationError(errors)
    return values


@dataclass
class CaptureResult:
    lead: Lead
    created: bool
    touchpoint: Touchpoint | None


def resolve_campaign(*, campaign: Campaign | None, utm_campaign: str = "") -> Campaign | None:
    if campaign is not None:
        return campaign
    if utm_campaign.strip():
        # Links carry the code in any case; campaigns store it lowercase.
        return Campaign.objects.filter(utm_campaign__iexact=utm_campaign.strip()).first()
    return None


def capture_lead(
    *,
    email: str,
    campaign: Campaign | None = None,
    touchpoint_kind: str = "form_submitted",
    occurred_at: datetime | None = None,
    url: str = "",
    referrer: str = "",
    consent: bool | None = None,
    consent_text: str = "",
    note: str = "",
    **fields: Any,
) -> CaptureResult:
    """Normalise, dedupe and upsert a lead and record the touchpoint, in one transaction.

    A new non-empty value fills an empty field; a field already filled keeps its value.
    The first-touch campaign is kept. ``note`` (what the person wrote, such as a form's
    message) and, with ``consent``, the ``consent_text`` they agreed to are kept on the
    touchpoint. Scoring is queued after commit.
    """
    unknown = set(fields) - set(PROFILE_FIELDS) - set(UTM_FIELDS)
    if unknown:
        raise TypeError(f"capture_lead got unknown fields: {sorted(unknown)}")
    normalised = normalise_email(email)
    _check_touchpoint_kind(touchpoint_kind)
    values = _clean_values(fields)
    campaign = resolve_campaign(campaign=campaign, utm_campaign=values.get("utm_campaign", ""))
    now = timezone.now()

    with transaction.atomic():
        lead, created = _get_or_create_locked(normalised, values, campaign)
        if not created:
            changed = [key for key, value in values.items() if getattr(lead, key) in (None, "")]
            for key in changed:
                setattr(lead, key, values[key])
            if lead.campaign_id is None and campaign is not None:
                lead.campaign = campaign
                changed.append("campaign")
            if changed:
                lead.scored_at = None
                lead.save(update_fields=[*changed, "scored_at", "updated_at"])
        if consent and not lead.consent:
            lead.consent, lead.consent_at = True, now
            lead.save(update_fields=["consent", "consent_at", "updated_at"])
        touchpoint = record_touchpoint(
            lead,
            kind=touchpoint_kind,
            campaign=campaign,
            occurred_at=occurred_at,
            url=url,
            referrer=referrer,
            note=note,
            consent_text=consent_text if consent else "",
        )
        if created:
            events.publish(
                events.LEAD_CAPTURED,
                subject=f"lead:{lead.pk}",
                payload={"lead": lead.pk, "email": lead.email, "campaign": lead.campaign_id},
                lead=lead,
            )
    return CaptureResult(lead=lead, created=created, touchpoint=touchpoint)


def _get_or_create_locked(
    email: str, values: dict[str, Any], campaign: Campaign | None
) -> tuple[Lead, bool]:
    """The lead for ``email``, locked; two captures racing on one email end in one lead."""
    existing = Lead.objects.select_for_update().filter(email=email).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            lead = Lead.objects.create(email=email, campaign=campaign, **values)
        return lead, True
    except IntegrityError:
        return Lead.objects.select_for_update().get(email=email), False


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


def request_scoring(lead_id: int) -> None:
    """Queue ``score_lead`` after commit; if the broker is down the beat sweep scores it."""

    def _queue() -> None:
        from leads.tasks import score_lead

        try:
            score_lead.delay(lead_id)
        except (KombuOperationalError, OSError):  # broker down: the beat sweep scores it
            logger.warning("Could not queue scoring for lead %s; the sweep will.", lead_id)

    transaction.on_commit(_queue)


def active_ruleset() -> tuple[ScoringRuleSet | None, list[scoring.Rule]]:
    ruleset = ScoringRuleSet.objects.filter(status=ScoringRuleSet.Status.ACTIVE).first()
    if ruleset is None:
        return None, []
    rules = [
        scoring.Rule(
            kind=rule.kind,
            points=rule.points,
            label=rule.label,
            field=rule.field,
            operator=rule.operator,
            value=rule.value,
            touchpoint_kind=rule.touchpoint_kind,
            cap=rule.cap,
        )
        for rule in ScoringRule.objects.filter(ruleset=ruleset)
    ]
    return ruleset, rules


def lead_facts(lead: Lead) -> dict[str, Any]:
    facts: dict[str, Any] = {name: getattr(lead, name) for name in PROFILE_FIELDS}
    facts.update(
        email=lead.email,
        email_domain=lead.email.rpartition("@")[2],
        consent=lead.consent,
        utm_source=lead.utm_source,
        utm_medium=lead.utm_medium,
    )
    return facts


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


def score_lead(lead_id: int, *, now: datetime | None = None) -> Lead | None:
    """Compute a lead's score and explanation; make it an MQL if it meets the definition.

    Safe to run twice and concurrently: the lead row is locked, and a lead already past
    ``new`` is never moved by scoring (except a recycled lead after its cool-off).
    """
    now = now or timezone.now()
    ruleset, rules = active_ruleset()
    agreement = agreement_in_force()
    with transaction.atomic():
        lead = Lead.objects.select_for_update().filter(pk=lead_id).first()
        if lead is None:
            return None
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
        lead.fit_score, lead.engagement_score = result.fit, result.engagement
        lead.score, lead.score_breakdown, lead.scored_at = result.total, result.breakdown, now
        lead.save(
            update_fields=["fit_score", "engagement_score", "score", "score_breakdown", "scored_at"]
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
