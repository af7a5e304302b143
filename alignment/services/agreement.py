"""The alignment agreement: the version in force, proposals of the next one, the two
sides' approvals that put a version in force, and the history of versions.

The terms, their checks and what a version changes in another are in ``agreement_terms``.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from alignment import notifications
from alignment.models import AgreementVersion
from alignment.notifications import person
from alignment.roles import ALL_ROLES, MANAGER, SIGNING_SIDES, has_role, signing_sides
from alignment.services.agreement_terms import (
    AGREEMENT_TERMS,
    AgreementDiff,
    agreement_diff,
    diff_base,
    normalised,
    same,
    term_errors,
    text,
)
from alignment.services.inbox import notify, users_with_role

Status = AgreementVersion.Status


class NoAgreementInForce(Exception):
    """Raised when no agreement version is in force (the data migration seeds one)."""


class AgreementConflict(Exception):
    """The version's state refuses the approval: it is no longer a draft, its side is
    already approved, or the approver already signed its other side."""


def agreement_in_force() -> AgreementVersion:
    version = (
        AgreementVersion.objects.filter(status=Status.IN_FORCE)
        .select_related("marketing_approved_by", "sales_approved_by", "based_on")
        .first()
    )
    if version is None:
        raise NoAgreementInForce("No alignment agreement is in force.")
    return version


def agreement_url(version: AgreementVersion) -> str:
    return f"{reverse('agreement')}#v{version.number}"


def propose_agreement(
    *, by, based_on: AgreementVersion, notes: str = "", **changes: Any
) -> AgreementVersion:
    """Write a draft of the next agreement version: ``based_on``'s terms with ``changes``,
    and tell the managers of both sides.

    Only a manager proposes (the agreement is theirs to sign). A draft takes effect only
    once a marketing and a sales manager approve it; until then nothing is measured
    against it. A proposal must change at least one term, and not repeat a draft.
    """
    if not has_role(by, MANAGER):
        raise PermissionDenied("Only a manager can propose a new version of the agreement.")
    unknown = set(changes) - set(AGREEMENT_TERMS)
    if unknown:
        raise TypeError(f"propose_agreement cannot change {sorted(unknown)}")
    errors = term_errors({name: getattr(based_on, name) for name in AGREEMENT_TERMS} | changes)
    if errors:
        raise ValidationError(errors)
    terms = {name: normalised(name, getattr(based_on, name)) for name in AGREEMENT_TERMS}
    changed = {
        name: normalised(name, value)
        for name, value in changes.items()
        if not same(name, terms[name], normalised(name, value))
    }
    if not changed:
        raise ValidationError(f"This proposal changes nothing in v{based_on.number}.")
    terms.update(changed)
    # A second click on the same proposal should not make a second draft.
    for draft in AgreementVersion.objects.filter(status=Status.DRAFT):
        if all(same(name, getattr(draft, name), value) for name, value in terms.items()):
            raise ValidationError(f"v{draft.number} already proposes these terms.")
    # Two proposals at once may pick the same number; the unique number lets one win
    # and the other tries again with the next one.
    attempts = 3
    while True:
        number = (AgreementVersion.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        draft = AgreementVersion(
            number=number,
            status=Status.DRAFT,
            based_on=based_on,
            proposed_by=by,
            notes=text(notes),
            **terms,
        )
        draft.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                draft.save()
                _tell_proposed(draft)
        except IntegrityError:
            attempts -= 1
            if not attempts:
                raise
        else:
            return draft


def approve_agreement(
    version: AgreementVersion, *, by, side: str | None = None, now: datetime | None = None
) -> AgreementVersion:
    """Record ``by``'s approval of the draft ``version`` for their side; the second side's
    approval puts it in force.

    ``side`` is needed only from someone who may sign for both sides and neither is
    approved yet. One person signs one side of a version: the other needs someone else.
    When both sides have approved, in the same transaction the version in force becomes
    superseded and this one takes effect ``now``. A draft proposed from an older version
    than the one now in force may still be approved: it replaces the whole text.

    Raises ``PermissionDenied`` for someone who signs for no side (or not for ``side``),
    ``AgreementConflict`` when the version or the side is no longer open to them, and
    ``ValidationError`` for an unknown ``side`` or one left unsaid when it is needed.
    """
    if side is not None and side not in SIGNING_SIDES:
        raise ValidationError({"side": [f"Choose {' or '.join(SIGNING_SIDES)}."]})
    sides = signing_sides(by)
    if not sides:
        raise PermissionDenied(
            "Only a marketing manager or a sales manager approves the agreement."
        )
    if side is not None and side not in sides:
        raise PermissionDenied(f"Approving for {side} takes a {side} manager.")
    with transaction.atomic():
        # Every version is locked, always in the same order, before anything is read:
        # whichever of two approvals comes second waits here and then sees what the first
        # did, so two drafts completed at once still leave exactly one version in force.
        # Versions are few and approvals rare, so the wide lock costs nothing.
        list(AgreementVersion.objects.select_for_update().order_by("pk").values_list("pk"))
        # Read the clock once the lock is held, so versions take effect in the order
        # their approvals did.
        now = now or timezone.now()
        locked = AgreementVersion.objects.select_related(
            "marketing_approved_by", "sales_approved_by"
        ).get(pk=version.pk)
        side = _side_to_sign(locked, by=by, sides=sides, side=side)
        setattr(locked, f"{side}_approved_by", by)
        setattr(locked, f"{side}_approved_at", now)
        fields = [f"{side}_approved_by", f"{side}_approved_at"]
        replaced = None
        if all(locked.approved_at(each) is not None for each in SIGNING_SIDES):
            replaced = AgreementVersion.objects.filter(status=Status.IN_FORCE).first()
            if replaced is not None:
                replaced.status = Status.SUPERSEDED
                replaced.save(update_fields=["status"])
            locked.status = Status.IN_FORCE
            locked.effective_at = now
            fields += ["status", "effective_at"]
        locked.save(update_fields=fields)
        if locked.status == Status.IN_FORCE:
            _tell_in_force(locked, replaced=replaced, by=by, now=now)
        else:
            _tell_approved(locked, side=side, by=by, now=now)
    return locked


def _side_to_sign(version: AgreementVersion, *, by, sides: list[str], side: str | None) -> str:
    """The side ``by`` approves ``version`` for, or why they cannot."""
    if version.status != Status.DRAFT:
        state = version.get_status_display().lower()
        raise AgreementConflict(f"v{version.number} is {state}: only a draft can be approved.")
    for signed in SIGNING_SIDES:
        if getattr(version, f"{signed}_approved_by_id") == by.pk:
            other = _other(signed)
            raise AgreementConflict(
                f"You already approved v{version.number} for {signed}; {other} needs "
                f"another person's approval."
            )
    if side is None:
        open_sides = [each for each in sides if version.approved_at(each) is None]
        if len(open_sides) > 1:
            raise ValidationError(
                {"side": ["You manage marketing and sales: say which side you approve for."]}
            )
        side = open_sides[0] if open_sides else sides[0]
    if version.approved_at(side) is not None:
        raise AgreementConflict(
            f"v{version.number} is already approved for {side} by "
            f"{person(version.approved_by(side))}."
        )
    return side


def _other(side: str) -> str:
    return next(each for each in SIGNING_SIDES if each != side)


def sides_open_to(version: AgreementVersion, user) -> list[str]:
    """The sides ``user`` could approve ``version`` for now (what the page offers)."""
    if version.status != Status.DRAFT:
        return []
    if any(getattr(version, f"{side}_approved_by_id") == user.pk for side in SIGNING_SIDES):
        return []
    return [side for side in signing_sides(user) if version.approved_at(side) is None]


def agreement_history() -> QuerySet[AgreementVersion]:
    """Every version, newest first, with who proposed it, who approved each side and
    what it was proposed from (one query)."""
    return AgreementVersion.objects.select_related(
        "proposed_by", "marketing_approved_by", "sales_approved_by", "based_on"
    ).order_by("-number")


# Telling both sides ------------------------------------------------------------------------


def _managers(*, besides) -> list:
    return [user for user in users_with_role(MANAGER) if user.pk != besides.pk]


def _changes_text(diff: AgreementDiff) -> str:
    return "\n".join(
        f"{change.label}: rewritten."
        if change.long
        else f"{change.label}: {change.before_text} → {change.after_text}"
        for change in diff.changes
    )


def _tell_proposed(draft: AgreementVersion) -> None:
    try:
        in_force: AgreementVersion | None = agreement_in_force()
    except NoAgreementInForce:
        in_force = None
    diff = agreement_diff(draft, diff_base(draft, in_force=in_force))
    notify(
        _managers(besides=draft.proposed_by),
        kind=notifications.AGREEMENT_PROPOSED,
        title=f"{person(draft.proposed_by)} proposed v{draft.number} of the agreement",
        body=f"{diff.note}\n{_changes_text(diff)}\n\n"
        + (f"Why: {draft.notes}\n\n" if draft.notes else "")
        + "It takes effect once a marketing manager and a sales manager approve it.",
        url=agreement_url(draft),
        subject=f"agreement:{draft.pk}",
    )


def _tell_approved(version: AgreementVersion, *, side: str, by, now: datetime) -> None:
    notify(
        _managers(besides=by),
        kind=notifications.AGREEMENT_APPROVED,
        title=f"{person(by)} approved v{version.number} of the agreement for {side}",
        body=f"It takes effect once a {_other(side)} manager approves it too.",
        url=agreement_url(version),
        subject=f"agreement:{version.pk}",
        now=now,
    )


def _tell_in_force(
    version: AgreementVersion, *, replaced: AgreementVersion | None, by, now: datetime
) -> None:
    """Everyone works to the agreement, so everyone with a role hears it changed."""
    everyone = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=ALL_ROLES)
        .exclude(pk=by.pk)
        .distinct()
    )
    signed = " and ".join(
        f"{person(version.approved_by(side))} for {side}" for side in SIGNING_SIDES
    )
    body = f"Approved by {signed}."
    if replaced is not None:
        diff = agreement_diff(version, replaced)
        body += f" It replaces v{replaced.number}.\n{_changes_text(diff)}"
    notify(
        everyone,
        kind=notifications.AGREEMENT_IN_FORCE,
        title=f"Agreement v{version.number} is in force",
        body=body,
        url=agreement_url(version),
        subject=f"agreement:{version.pk}",
        now=now,
    )
