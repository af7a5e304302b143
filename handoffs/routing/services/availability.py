"""Who can take a lead now: each rep's leads in play, time away and capacity."""

from collections.abc import Sequence
from datetime import datetime
from enum import Enum
from typing import Literal

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from alignment.notifications import local_time, person, zone_of
from alignment.roles import MANAGER, SALES, has_role
from alignment.services import team_time_zone
from handoffs.models import Handoff
from handoffs.routing.models import RepAvailability
from leads.models import Stage

#: Stages at which a claimed lead still counts against its rep's capacity.
IN_PLAY = (Stage.SAL, Stage.SQL)


def loads(user_ids: Sequence[int]) -> dict[int, int]:
    """Each rep's leads in play: claimed and still worked, plus routed and waiting."""
    counts = dict.fromkeys(user_ids, 0)
    if not user_ids:
        return counts
    claimed = (
        Handoff.objects.filter(
            status=Handoff.Status.CLAIMED, claimed_by_id__in=user_ids, lead__stage__in=IN_PLAY
        )
        .values_list("claimed_by_id")
        .annotate(n=Count("pk"))
    )
    offered = (
        Handoff.objects.filter(
            status=Handoff.Status.OPEN, routed_to_id__in=user_ids, requeued_at__isnull=True
        )
        .values_list("routed_to_id")
        .annotate(n=Count("pk"))
    )
    for user_id, n in [*claimed, *offered]:
        counts[user_id] += n
    return counts


def is_away(availability: RepAvailability | None, now: datetime) -> bool:
    if availability is None or (availability.away_from is None and availability.away_until is None):
        return False
    started = availability.away_from is None or availability.away_from <= now
    ended = availability.away_until is not None and availability.away_until <= now
    return started and not ended


def unavailable_reasons(users: Sequence, *, now: datetime) -> dict[int, str]:
    """Why each of ``users`` cannot take a lead now ("" when they can): "is away until
    Mon 09:00", "is at capacity (8 of 8)", "is deactivated"."""
    ids = [user.pk for user in users]
    availability = {row.user_id: row for row in RepAvailability.objects.filter(user_id__in=ids)}
    in_sales = set(
        get_user_model().objects.filter(pk__in=ids, groups__name=SALES).values_list("pk", flat=True)
    )
    limited = [pk for pk, row in availability.items() if row.capacity is not None]
    counts = loads(limited)
    tz = zone_of("", team_time_zone())
    reasons = {}
    for user in users:
        row = availability.get(user.pk)
        if not user.is_active:
            reasons[user.pk] = "is deactivated"
        elif user.pk not in in_sales:
            reasons[user.pk] = "is no longer in sales"
        elif is_away(row, now):
            assert row is not None
            until = f" until {local_time(row.away_until, tz, now=now)}" if row.away_until else ""
            reasons[user.pk] = f"is away{until}"
        elif row is not None and row.capacity is not None and counts[user.pk] >= row.capacity:
            reasons[user.pk] = f"is at capacity ({counts[user.pk]} of {row.capacity})"
        else:
            reasons[user.pk] = ""
    return reasons


def available_reps(*, now: datetime | None = None) -> list:
    """Active sales reps who are not away (the team a queued MQL is announced to)."""
    now = now or timezone.now()
    reps = list(get_user_model().objects.filter(is_active=True, groups__name=SALES).distinct())
    reasons = unavailable_reasons(reps, now=now)
    return [rep for rep in reps if not reasons[rep.pk].startswith("is away")]


class _Unchanged(Enum):
    UNCHANGED = "unchanged"


#: ``set_availability(capacity=UNCHANGED)`` keeps the capacity a manager set: a rep
#: setting their time away does not have to repeat it.
UNCHANGED = _Unchanged.UNCHANGED


def availability_of(user) -> RepAvailability:
    return RepAvailability.objects.filter(user=user).first() or RepAvailability(user=user)


def set_availability(
    user,
    *,
    by,
    capacity: int | None | Literal[_Unchanged.UNCHANGED] = UNCHANGED,
    away_from: datetime | None = None,
    away_until: datetime | None = None,
) -> RepAvailability:
    """A rep sets their own time away; a manager sets anyone's, and capacities."""
    if not has_role(user, SALES):
        raise ValidationError({"user": [f"{person(user)} is not a sales rep."]})
    is_manager = has_role(by, MANAGER)
    if not is_manager and by.pk != user.pk:
        raise PermissionDenied("Only a manager can change another rep's availability.")
    if away_from and away_until and away_until <= away_from:
        raise ValidationError({"away_until": ["The end of the time away must be after its start."]})
    with transaction.atomic():
        # The capacity is compared with the locked row: a manager changing it at the same
        # moment is not undone by the rep's write of the value they read before.
        row = RepAvailability.objects.select_for_update().filter(user=user).first()
        current = row.capacity if row is not None else None
        if capacity is UNCHANGED:
            capacity = current
        if not is_manager and capacity != current:
            raise PermissionDenied("Only a manager sets a rep's capacity.")
        if row is None:
            row, _ = RepAvailability.objects.select_for_update().get_or_create(user=user)
        row.capacity, row.away_from, row.away_until = capacity, away_from, away_until
        row.updated_by = by
        row.save()
    return row
