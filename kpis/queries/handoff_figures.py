"""The figures of the handoffs: sales' decisions, the SLA clocks, speed to lead in its
steps and the completeness of the brief, for handoffs opened in each bucket (one grouped
query, and one small one for what each agreement version required)."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    BooleanField,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    TextField,
)

from alignment.models import AgreementVersion
from handoffs.models import Handoff
from kpis.queries.base import Scope, minutes_of
from kpis.queries.buckets import Buckets, ByBucket, Figures, fill
from kpis.queries.percentile import Percentile, Seconds
from leads.models import Lead

#: Handoffs sales accepted: claimed and kept, or worked until the lead left the funnel.
ACCEPTED = (Handoff.Status.CLAIMED, Handoff.Status.CLOSED)

#: Speed to lead in its steps: (name, label, from, to) on the handoff's time stamps.
#: The first four follow each other; ``claim`` and ``lead`` are the totals people quote.
STEPS = (
    ("route", "MQL → routed", "created_at", "routed_at"),
    ("notify", "Routed → rep notified", "routed_at", "notified_at"),
    ("pick_up", "Notified → claimed", "notified_at", "claimed_at"),
    ("contact", "Claimed → first contact", "claimed_at", "first_contact_at"),
    ("claim", "MQL → claimed", "created_at", "claimed_at"),
    ("lead", "MQL → first contact", "created_at", "first_contact_at"),
)
PERCENTILES = {"median": 0.5, "p90": 0.9}
#: Lead fields the brief keeps as they were at the handoff (``brief["who"]``).
BRIEF_FIELDS = ("email", "job_title", "company", "company_size", "industry", "country", "phone")


def duration(start_field: str, end_field: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(end_field) - F(start_field), output_field=DurationField())


def sla_conditions(now: datetime) -> dict[str, Q]:
    """Which handoffs are due for each SLA clock at ``now``, and which met it.

    The due times are the ones stored on the handoff when it opened, from the agreement
    (and segment) in force then: last month is judged by last month's targets.

    - claim clock: due once claimed, rejected unclaimed, or past its claim deadline; met
      when claimed, or rejected unclaimed, by the deadline. A handoff marketing withdrew
      before its deadline never became due.
    - first-contact clock: due for a claimed handoff once contacted or past its deadline;
      met when the first contact came by the deadline.
    - both (``sla``): the claim clock's due handoffs, met when answered in time and (once
      due) contacted in time: the complement of what ``escalate_overdue`` escalates.
    """
    claimed = Q(claimed_at__isnull=False)
    claimed_on_time = claimed & Q(claimed_at__lte=F("claim_due_at"))
    rejected_unclaimed = Q(status=Handoff.Status.REJECTED, claimed_at__isnull=True)
    rejected_on_time = rejected_unclaimed & Q(rejected_at__lte=F("claim_due_at"))
    withdrawn_in_time = Q(status=Handoff.Status.WITHDRAWN, claimed_at__isnull=True) & (
        Q(withdrawn_at__isnull=True) | Q(withdrawn_at__lte=F("claim_due_at"))
    )
    contacted_on_time = Q(
        first_contact_at__isnull=False, first_contact_at__lte=F("first_contact_due_at")
    )
    contact_ok = (
        Q(first_contact_due_at__isnull=True)
        | contacted_on_time
        | Q(first_contact_at__isnull=True, first_contact_due_at__gt=now)
    )
    claim_due = (claimed | Q(claim_due_at__lte=now) | rejected_unclaimed) & ~withdrawn_in_time
    return {
        "claim_due": claim_due,
        "claim_met": claimed_on_time | rejected_on_time,
        "contact_due": claimed
        & Q(first_contact_due_at__isnull=False)
        & (Q(first_contact_at__isnull=False) | Q(first_contact_due_at__lte=now)),
        "contact_met": claimed & contacted_on_time,
        "sla_due": claim_due,
        "sla_met": (claimed_on_time & contact_ok) | rejected_on_time,
    }


def speed_aggregates(
    steps: Iterable[str] | None = None, *, since: datetime | None = None
) -> dict[str, Percentile]:
    """``{step}_{median|p90}`` for the steps of speed to lead (all, or those named), of
    the handoffs opened ``since`` if given (the other buckets' then sort nothing)."""
    wanted = set(steps) if steps is not None else None
    opened = Q(created_at__gte=since) if since is not None else Q()
    return {
        f"{name}_{which}": Percentile(
            Seconds(duration(start, end)),
            fraction,
            filter=Q(**{f"{start}__isnull": False, f"{end}__isnull": False}) & opened,
        )
        for name, _, start, end in STEPS
        if wanted is None or name in wanted
        for which, fraction in PERCENTILES.items()
    }


def _filled(name: str) -> Q:
    """Whether a handoff's lead had ``name`` filled, as ``leads.services.mql_gaps`` sees
    it (a blank or an unticked box is missing); for a field the brief keeps, as the brief
    has it (what sales was handed), else as the lead has it now."""
    try:
        field = Lead._meta.get_field(name)
    except FieldDoesNotExist:
        return Q(pk__isnull=True)  # a field no lead has is never filled
    path = f"lead__{name}"
    if isinstance(field, BooleanField):
        on_lead = Q(**{path: True})
    elif isinstance(field, CharField | TextField):
        on_lead = Q(**{f"{path}__isnull": False}) & ~Q(**{path: ""})
    else:
        on_lead = Q(**{f"{path}__isnull": False})
    if name not in BRIEF_FIELDS:
        return on_lead
    key = f"brief__who__{name}"
    in_brief = Q(brief__who__has_key=name)
    # Spelled out rather than ``~in_brief``: without a "who" the key test is NULL on
    # PostgreSQL, and so would be its negation.
    not_in_brief = Q(brief__who__isnull=True) | ~in_brief
    return (in_brief & ~Q(**{key: None}) & ~Q(**{key: ""})) | (not_in_brief & on_lead)


def brief_complete() -> Q:
    """Handoffs whose brief had every field their agreement version required (the
    version in force when each opened: one small query reads what each version asks)."""
    complete = Q(pk__isnull=True)
    for version, fields in AgreementVersion.objects.values_list("pk", "mql_required_fields"):
        condition = Q(agreement_id=version)
        for name in fields or []:
            condition &= _filled(name)
        complete |= condition
    return complete


#: Every figure of the handoffs: counts, the SLA clocks, the speed percentiles, briefs.
HANDOFF_FIGURES = (
    "handoffs",
    "accepted",
    "rejected",
    *(f"{clock}_{end}" for clock in ("claim", "contact", "sla") for end in ("due", "met")),
    *(f"{name}_{which}" for name, *_ in STEPS for which in PERCENTILES),
    "briefs_complete",
)


def handoff_aggregates(now: datetime, *, speed_since: datetime | None = None) -> dict[str, Any]:
    """Every figure of the handoffs, as the aggregate that computes it (speed to lead of
    the handoffs opened ``speed_since`` only, if given)."""
    return {
        "handoffs": Count("pk"),
        "accepted": Count("pk", filter=Q(status__in=ACCEPTED)),
        "rejected": Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
        **{name: Count("pk", filter=q) for name, q in sla_conditions(now).items()},
        **speed_aggregates(since=speed_since),
    }


def handoff_figures(
    buckets: Buckets, scope: Scope, needs: set[str], *, now: datetime, speed_last_only: bool = False
) -> ByBucket:
    """Handoffs opened in each bucket: ``handoffs``; sales' decisions (``accepted``:
    claimed and kept, or worked until the lead left; ``rejected``: sent back, before or
    after a claim; a withdrawn handoff is neither); the SLA clocks (``sla_conditions``);
    speed to lead, median and p90 minutes of each step (``STEPS``: ``claim_median``…);
    ``briefs_complete`` (``brief_complete``: one more small query). Only the figures
    ``needs`` asks for are computed (each percentile is a sort), speed to lead for the
    last bucket only if ``speed_last_only``."""
    every = handoff_aggregates(
        now, speed_since=buckets.periods[-1].start if speed_last_only else None
    )
    aggregates = {name: every[name] for name in needs if name in every}
    if "briefs_complete" in needs:
        aggregates["briefs_complete"] = Count("pk", filter=brief_complete())
    durations = {name for name, value in aggregates.items() if isinstance(value, Percentile)}
    result = fill(buckets, {name: None if name in durations else 0 for name in aggregates})
    rows = (
        Handoff.objects.filter(
            scope.leads_q("lead__"), created_at__gte=buckets.start, created_at__lt=buckets.end
        )
        .values(bucket=buckets.of("created_at"))
        .annotate(**aggregates)
        .order_by()
    )
    for row in rows:
        found: Figures = dict(row)
        result[buckets.key(found["bucket"])] = {
            name: minutes_of(found[name]) if name in durations else found[name]
            for name in aggregates
        }
    return result
