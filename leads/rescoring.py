"""Batch rescore: every lead scored again, after a rule change and nightly for decay.

``start_rescore`` plans the work as chunks of about ``CHUNK_LEADS`` leads (id ranges, one
``INSERT ... SELECT`` with a window function) and queues a few ``run_rescore`` tasks.
Each task claims a pending chunk by locking its row with ``SKIP LOCKED``, scores the
chunk set-based and marks it done in the same transaction, then claims the next:

- two queries load the chunk's leads (locked, so a capture waits instead of being
  overwritten by an older picture) and their touchpoints;
- the pure scorer (``leads.scoring``) computes every score in Python;
- one ``UPDATE ... FROM (VALUES ...)`` on PostgreSQL (``bulk_update`` elsewhere) writes
  the leads whose score or explanation changed, and two bulk inserts record their score
  history and ``lead.scored`` events;
- the few leads whose stage must move (they now meet the MQL definition, or a
  disqualifying rule matches a new lead) go through ``leads.services.score_lead``, the
  per-lead path, so ``lifecycle.advance`` opens their handoff exactly as on capture.

Progress is the chunk's leads added to the ``Job`` in the chunk's transaction. A worker
that dies mid-chunk rolls back and leaves the chunk pending for the next.
"""

import json
import logging
import os
import socket
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import events, jobs
from alignment.models import AgreementVersion, Job
from alignment.services import agreement_in_force
from leads import scoring
from leads.models import Lead, Stage, Touchpoint
from leads.rules.models import RescoreChunk, ScoreChange
from leads.rules.queries import active_ruleset, half_life_of, rules_of

logger = logging.getLogger(__name__)

JOB_KIND = "rescore"
CHUNK_LEADS = 1000
#: Tasks queued per rescore; a task that finds no chunk left simply ends.
PARALLEL_TASKS = 2
#: A task hands over to a fresh one after this long, so none nears Celery's time limit.
TIME_BUDGET_SECONDS = 120.0

_LOADED = ("id", "stage", "score", "fit_score", "engagement_score", "score_breakdown", "scored_at")


@dataclass
class ChunkStats:
    scored: int = 0
    changed: int = 0
    moved: int = 0


def start_rescore(*, by=None, reason: str, chunk_leads: int = CHUNK_LEADS) -> Job:
    """Plan a rescore of every lead and queue its tasks after commit; returns its job."""
    with transaction.atomic():
        job = jobs.create_job(kind=JOB_KIND, created_by=by)
        total = plan_chunks(job, chunk_leads=chunk_leads)
        Job.objects.filter(pk=job.pk).update(total=total, result={"reason": reason})
        job.total, job.result = total, {"reason": reason}
        queue_rescore(job.pk, tasks=PARALLEL_TASKS)
    return job


def plan_chunks(job: Job, *, chunk_leads: int = CHUNK_LEADS) -> int:
    """Cut the leads into id ranges of ``chunk_leads`` leads; returns how many leads."""
    chunk_table = connection.ops.quote_name(RescoreChunk._meta.db_table)
    lead_table = connection.ops.quote_name(Lead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {chunk_table}
                (job_id, first_lead_id, last_lead_id, leads, status, scored, changed, moved,
                 done_by)
            SELECT %s, MIN(id), MAX(id), COUNT(*), %s, 0, 0, 0, ''
            FROM (
                SELECT id, (ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS n FROM {lead_table}
            ) AS numbered
            GROUP BY n
            """,
            [job.pk, RescoreChunk.Status.PENDING, chunk_leads],
        )
    return RescoreChunk.objects.filter(job=job).aggregate(total=Sum("leads"))["total"] or 0


def queue_rescore(job_id: int, *, tasks: int = 1) -> None:
    """Queue ``tasks`` runs of the rescore after commit; a broker that is down only delays
    it (the beat sweep queues stalled rescores again)."""

    def _queue() -> None:
        from leads.tasks import run_rescore

        for _ in range(tasks):
            try:
                run_rescore.delay(job_id)
            except (KombuOperationalError, OSError):
                logger.warning("Could not queue rescore job %s; the sweep will.", job_id)
                return

    transaction.on_commit(_queue)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_rescore(
    job_id: int,
    *,
    worker: str = "",
    now: datetime | None = None,
    time_budget: float = TIME_BUDGET_SECONDS,
) -> str:
    """Claim and score chunks of a rescore until none is left: ``"done"`` (nothing left
    for anyone), ``"continued"`` (the time budget ran out; a fresh task was queued) or
    ``"skipped"`` (no such job, or it had finished). ``now`` fixes the scoring time."""
    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).first()
    if job is None or job.finished:
        return "skipped"
    jobs.start_job(job)
    worker = worker or worker_name()
    deadline = time.monotonic() + time_budget
    while rescore_next_chunk(job, worker=worker, now=now):
        if time.monotonic() > deadline:
            queue_rescore(job_id)
            return "continued"
    finish_if_complete(job)
    return "done"


def rescore_next_chunk(job: Job, *, worker: str, now: datetime | None = None) -> bool:
    """Claim one pending chunk, score it and mark it done; False when none is free."""
    with transaction.atomic():
        # SKIP LOCKED: a chunk another worker holds is passed over, not waited for.
        chunk = (
            RescoreChunk.objects.select_for_update(skip_locked=True)
            .filter(job=job, status=RescoreChunk.Status.PENDING)
            .order_by("first_lead_id")
            .first()
        )
        if chunk is None:
            return False
        stats = rescore_range(chunk.first_lead_id, chunk.last_lead_id, now=now or timezone.now())
        # Conditional, for databases without row locks (SQLite): a chunk is done once.
        claimed = RescoreChunk.objects.filter(
            pk=chunk.pk, status=RescoreChunk.Status.PENDING
        ).update(
            status=RescoreChunk.Status.DONE,
            scored=stats.scored,
            changed=stats.changed,
            moved=stats.moved,
            done_by=worker[:100],
            done_at=timezone.now(),
        )
        if not claimed:
            transaction.set_rollback(True)
            return True
        # Several workers add to one job, so progress is an increment, not a value.
        Job.objects.filter(pk=job.pk, status__in=jobs.UNFINISHED).update(
            done=F("done") + chunk.leads, updated_at=timezone.now()
        )
    return True


def finish_if_complete(job: Job) -> bool:
    """Finish the job with its counts once no chunk is pending; True if this call did."""
    if RescoreChunk.objects.filter(job=job, status=RescoreChunk.Status.PENDING).exists():
        return False
    totals = RescoreChunk.objects.filter(job=job).aggregate(
        leads=Sum("leads"), scored=Sum("scored"), changed=Sum("changed"), moved=Sum("moved")
    )
    counts = {name: value or 0 for name, value in totals.items()}
    reason = (job.result or {}).get("reason", "")
    return jobs.finish_job(job, result={"reason": reason, **counts}, done=counts["leads"])


def resume_stalled_rescores() -> int:
    """Queue again the rescores whose job stopped moving (a lost message, a dead worker)."""
    stalled = list(jobs.stalled_jobs(kind=JOB_KIND).values_list("pk", flat=True))
    for job_id in stalled:
        queue_rescore(job_id)
    return len(stalled)


def rescore_range(first_id: int, last_id: int, *, now: datetime) -> ChunkStats:
    """Score the leads with ids in ``[first_id, last_id]``; call it inside a transaction."""
    from leads.services import score_lead

    ruleset = active_ruleset()
    rules = rules_of(ruleset)
    half_life = half_life_of(ruleset)
    agreement = agreement_in_force()

    rows = list(
        Lead.objects.select_for_update()
        .filter(pk__gte=first_id, pk__lte=last_id)
        .order_by("pk")
        .values_list(*_LOADED, *scoring.LEAD_COLUMNS)
    )
    touchpoints = _touchpoints(first_id, last_id, rules)
    stats = ChunkStats(scored=len(rows))
    per_lead: list[tuple[int, str, int]] = []
    writes: list[tuple[int, scoring.ScoreResult]] = []
    history: list[ScoreChange] = []
    scored_events: list[events.Pending] = []
    for lead_id, stage, score, fit, engagement, breakdown, scored_at, *values in rows:
        columns = dict(zip(scoring.LEAD_COLUMNS, values, strict=True))
        result = scoring.score(
            scoring.facts_from(columns),
            touchpoints.get(lead_id, ()),
            rules,
            half_life_days=half_life,
            now=now,
        )
        if _may_move(lead_id, stage, columns, result, agreement):
            per_lead.append((lead_id, stage, score))
            continue
        numbers_changed = (result.total, result.fit, result.engagement) != (score, fit, engagement)
        if numbers_changed or scored_at is None or result.breakdown != breakdown:
            writes.append((lead_id, result))
        if numbers_changed:
            history.append(
                ScoreChange(
                    lead_id=lead_id,
                    ruleset=ruleset,
                    score=result.total,
                    fit_score=result.fit,
                    engagement_score=result.engagement,
                    previous_score=score,
                    source=ScoreChange.Source.RESCORE,
                    scored_at=now,
                )
            )
        if result.total != score:
            scored_events.append(_scored_event(lead_id, score, result.total))

    _write_scores(writes, now)
    ScoreChange.objects.bulk_create(history)
    events.publish_many(events.LEAD_SCORED, scored_events)
    stats.changed = len(history)
    for lead_id, stage, before in per_lead:
        lead = score_lead(lead_id, now=now, source=ScoreChange.Source.RESCORE)
        if lead is None:
            continue
        stats.changed += lead.score != before
        stats.moved += lead.stage != stage
    return stats


def _touchpoints(
    first_id: int, last_id: int, rules: Sequence[scoring.Rule]
) -> dict[int, list[scoring.TouchpointFact]]:
    """The chunk's touchpoints of the kinds some rule counts, by lead."""
    kinds = {rule.touchpoint_kind for rule in rules if rule.kind == "engagement"}
    found: dict[int, list[scoring.TouchpointFact]] = defaultdict(list)
    if not kinds:
        return found
    for lead_id, kind, occurred_at in Touchpoint.objects.filter(
        lead_id__gte=first_id, lead_id__lte=last_id, kind__in=kinds
    ).values_list("lead_id", "kind", "occurred_at"):
        found[lead_id].append(scoring.TouchpointFact(kind, occurred_at))
    return found


def _may_move(
    lead_id: int,
    stage: str,
    columns: dict[str, Any],
    result: scoring.ScoreResult,
    agreement: AgreementVersion,
) -> bool:
    """Whether scoring may move this lead's stage, so it takes the per-lead path.

    A disqualifying rule moves a new lead; the MQL definition moves a new lead, or a
    recycled one after its cool-off (``score_lead`` checks that). The threshold is asked
    first because it is cheap and rules out nearly everyone.
    """
    from leads.services import meets_mql_definition

    if stage not in (Stage.NEW, Stage.RECYCLED):
        return False
    if result.disqualified_by:
        return stage == Stage.NEW
    if result.total < agreement.mql_threshold:
        return False
    probe = Lead(pk=lead_id, stage=stage, score=result.total, **columns)
    return meets_mql_definition(probe, agreement)


def _scored_event(lead_id: int, before: int, after: int) -> events.Pending:
    return events.Pending(
        subject=f"lead:{lead_id}",
        payload={"lead": lead_id, "before": {"score": before}, "after": {"score": after}},
    )


def _write_scores(writes: list[tuple[int, scoring.ScoreResult]], now: datetime) -> None:
    if not writes:
        return
    if connection.vendor == "postgresql":
        _update_from_values(writes, now)
        return
    Lead.objects.bulk_update(
        [
            Lead(
                pk=lead_id,
                score=result.total,
                fit_score=result.fit,
                engagement_score=result.engagement,
                score_breakdown=result.breakdown,
                scored_at=now,
            )
            for lead_id, result in writes
        ],
        ["score", "fit_score", "engagement_score", "score_breakdown", "scored_at"],
        batch_size=250,
    )


def _update_from_values(writes: list[tuple[int, scoring.ScoreResult]], now: datetime) -> None:
    """One ``UPDATE ... FROM (VALUES ...)``: a statement per chunk, not one per lead."""
    table = connection.ops.quote_name(Lead._meta.db_table)
    rows = ", ".join(["(%s, %s, %s, %s, %s::jsonb)"] * len(writes))
    params: list[Any] = []
    for lead_id, result in writes:
        params += [
            lead_id,
            result.total,
            result.fit,
            result.engagement,
            json.dumps(result.breakdown),
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS lead
            SET score = v.score, fit_score = v.fit, engagement_score = v.engagement,
                score_breakdown = v.breakdown, scored_at = %s
            FROM (VALUES {rows}) AS v (id, score, fit, engagement, breakdown)
            WHERE lead.id = v.id
            """,
            [now, *params],
        )
