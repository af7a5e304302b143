"""The alignment agreement: the version in force, proposals of the next one, their checks."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max

from alignment.models import AgreementVersion
from alignment.roles import MANAGER, has_role


class NoAgreementInForce(Exception):
    """Raised when no agreement version is in force (the data migration seeds one)."""


def agreement_in_force() -> AgreementVersion:
    version = AgreementVersion.objects.filter(status=AgreementVersion.Status.IN_FORCE).first()
    if version is None:
        raise NoAgreementInForce("No alignment agreement is in force.")
    return version


#: The terms a proposal may change, with their labels; the rest (number, status,
#: approvals) follow the approval flow.
AGREEMENT_TERMS = {
    "mql_threshold": "MQL threshold",
    "mql_required_fields": "Fields an MQL needs",
    "mql_requires_consent": "MQL needs consent",
    "claim_sla_minutes": "Minutes to claim",
    "first_contact_sla_minutes": "Minutes to first contact",
    "sla_segments": "SLA by segment",
    "recycle_cooloff_days": "Recycle cool-off days",
    "responsibilities": "Who owns each stage",
    "definitions": "Definitions",
}


def propose_agreement(
    *, by, based_on: AgreementVersion, notes: str = "", **changes: Any
) -> AgreementVersion:
    """Write a draft of the next agreement version: ``based_on``'s terms with ``changes``.

    Only a manager proposes (the agreement is theirs to sign). A draft takes effect only
    once a marketing and a sales manager approve it; until then nothing is measured
    against it. A proposal must change at least one term, and not repeat a draft.
    """
    if not has_role(by, MANAGER):
        raise PermissionDenied("Only a manager can propose a new version of the agreement.")
    unknown = set(changes) - set(AGREEMENT_TERMS)
    if unknown:
        raise TypeError(f"propose_agreement cannot change {sorted(unknown)}")
    terms = {name: getattr(based_on, name) for name in AGREEMENT_TERMS}
    if all(terms[name] == value for name, value in changes.items()):
        raise ValidationError(f"This proposal changes nothing in v{based_on.number}.")
    terms.update(changes)
    segment_errors = sla_segment_errors(terms["sla_segments"])
    if segment_errors:
        raise ValidationError({"sla_segments": segment_errors})
    # A second click on the same proposal should not make a second draft.
    for draft in AgreementVersion.objects.filter(status=AgreementVersion.Status.DRAFT):
        if all(getattr(draft, name) == value for name, value in terms.items()):
            raise ValidationError(f"v{draft.number} already proposes these terms.")
    # Two proposals at once may pick the same number; the unique number lets one win
    # and the other tries again with the next one.
    attempts = 3
    while True:
        number = (AgreementVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        draft = AgreementVersion(
            number=number,
            status=AgreementVersion.Status.DRAFT,
            proposed_by=by,
            notes=notes,
            **terms,
        )
        draft.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                draft.save()
        except IntegrityError:
            attempts -= 1
            if not attempts:
                raise
        else:
            return draft


#: Longest SLA target, in working minutes: a month of eight-hour days.
MAX_SLA_MINUTES = 60 * 8 * 31


def sla_segment_errors(segments: object) -> list[str]:
    """What is wrong with an agreement's SLA segments (a list of
    ``{"name", "min_score", "claim_minutes", "first_contact_minutes"}``)."""
    if not isinstance(segments, list):
        return ["Give a list of segments."]
    problems: list[str] = []
    seen: set[int] = set()
    for index, segment in enumerate(segments, start=1):
        if not isinstance(segment, dict):
            problems.append(f"Segment {index}: give name, min_score and the two targets.")
            continue
        for key in ("min_score", "claim_minutes", "first_contact_minutes"):
            value = segment.get(key)
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(f"Segment {index}: {key} must be a whole number.")
            elif key != "min_score" and not 0 < value <= MAX_SLA_MINUTES:
                problems.append(f"Segment {index}: {key} must be 1 to {MAX_SLA_MINUTES}.")
            elif key == "min_score" and not -1000 <= value <= 100000:
                problems.append(f"Segment {index}: min_score is out of range.")
        name = segment.get("name", "")
        if not isinstance(name, str) or len(name) > 60:
            problems.append(f"Segment {index}: the name is text of at most 60 characters.")
        if isinstance(segment.get("min_score"), int):
            if segment["min_score"] in seen:
                problems.append(f"Segment {index}: another segment starts at the same score.")
            seen.add(segment["min_score"])
        extra = set(segment) - {"name", "min_score", "claim_minutes", "first_contact_minutes"}
        if extra:
            problems.append(f"Segment {index}: unknown key {sorted(extra)[0]!r}.")
    return problems


def agreement_drafts():
    """Proposed versions not yet in force, newest first, with who proposed them."""
    return (
        AgreementVersion.objects.filter(status=AgreementVersion.Status.DRAFT)
        .select_related("proposed_by")
        .order_by("-number")
    )
