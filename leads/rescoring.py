"""Batch rescore: every lead scored again, after a rule change and nightly for decay.

``start_rescore`` plans the work as chunks of about ``CHUNK_LEADS`` leads (id ranges, one
``INSERT ... SELECT`` with a window function) and queues a few ``run_rescore`` tasks.
Each task claims a pending chunk by locking its row with ``SKIP LOCKED``, scores the
chunk set-based and marks it done in the same transaction, then claims the next:

- two queries load the chunk's leads (locked, so a capture waits instead of being
  overwritten by an older picture) and their touchpoints' timestamps;
- the pure scorer (``leads.scoring.Scorer``) computes every score in Python;
- on PostgreSQL one statement writes the leads whose score or explanation changed
  (``UPDATE ... FROM (VALUES ...)``) and, from the same ``VALUES`` list, inserts their
  score history and ``lead.scored`` events; elsewhere ``bulk_update`` and bulk inserts;
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
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import events, jobs
from alignment.models import AgreementVersion, Event, Job
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

_LOADED = ("id", "stage", "score", "fit_score", "engagement_score", "score_breakdown")


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
    scorer = scoring.Scorer(rules_of(ruleset), half_life_days=half_life_of(ruleset), now=now)
    agreement = agreement_in_force()
    postgres = connection.vendor == "postgresql"
    rows = _load_leads(first_id, last_id, postgres=postgres)
    times = _load_times(first_id, last_id, scorer.kinds, postgres=postgres)
    needs_domain = "email_domain" in scorer.fields
    no_times: dict[str, list[float]] = {}

    stats = ChunkStats(scored=len(rows))
    per_lead: list[tuple[int, str, int]] = []
    writes: list[_Write] = []
    for lead_id, stage, score, fit, engagement, breakdown, unscored, *values in rows:
        columns = dict(zip(scoring.LEAD_COLUMNS, values, strict=True))
        if needs_domain:
            columns["email_domain"] = (columns["email"] or "").rpartition("@")[2]
        result = scorer.score(columns, times.get(lead_id, no_times))
        if _may_move(lead_id, stage, columns, result, agreement):
            per_lead.append((lead_id, stage, score))
            continue
        numbers_changed = (result.total, result.fit, result.engagement) != (score, fit, engagement)
        # The stored explanation is read only when the numbers alone do not decide.
        if numbers_changed or unscored or result.breakdown != _as_list(breakdown):
            writes.append(_Write(lead_id, result, score, numbers_changed))

    stats.changed = sum(write.numbers_changed for write in writes)
    if postgres:
        _write_postgresql(writes, ruleset_id=ruleset.pk if ruleset else None, now=now)
    else:
        _write_portable(writes, ruleset_id=ruleset.pk if ruleset else None, now=now)
    for lead_id, stage, before in per_lead:
        lead = score_lead(lead_id, now=now, source=ScoreChange.Source.RESCORE)
        if lead is None:
            continue
        stats.changed += lead.score != before
        stats.moved += lead.stage != stage
    return stats


@dataclass
class _Write:
    lead_id: int
    result: scoring.ScoreResult
    previous: int
    numbers_changed: bool


def _as_list(breakdown: Any) -> Any:
    # PostgreSQL's raw rows carry the JSON as text; the ORM's carry it parsed.
    return json.loads(breakdown) if isinstance(breakdown, str) else breakdown


def _load_leads(first_id: int, last_id: int, *, postgres: bool) -> list[tuple]:
    """The chunk's leads, locked in id order (so a capture waits for the chunk instead of
    being overwritten by an older picture of the lead): one query."""
    if not postgres:
        return list(
            Lead.objects.select_for_update()
            .filter(pk__gte=first_id, pk__lte=last_id)
            .order_by("pk")
            .annotate(unscored=Q(scored_at__isnull=True))
            .values_list(*_LOADED, "unscored", *scoring.LEAD_COLUMNS)
        )
    columns = ", ".join(connection.ops.quote_name(name) for name in scoring.LEAD_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id, stage, score, fit_score, engagement_score, score_breakdown,
                   scored_at IS NULL, {columns}
            FROM {connection.ops.quote_name(Lead._meta.db_table)}
            WHERE id BETWEEN %s AND %s
            ORDER BY id
            FOR UPDATE
            """,
            [first_id, last_id],
        )
        return cursor.fetchall()


def _load_times(
    first_id: int, last_id: int, kinds: set[str], *, postgres: bool
) -> dict[int, dict[str, list[float]]]:
    """The chunk's touchpoints of the kinds some rule counts, as timestamps by lead and
    kind: one query."""
    found: dict[int, dict[str, list[float]]] = defaultdict(dict)
    if not kinds:
        return found
    if postgres:
        with connection.cursor() as cursor:
            # float8, so the timestamps are the very doubles ``datetime.timestamp()`` gives.
            cursor.execute(
                f"""
                SELECT lead_id, kind, EXTRACT(EPOCH FROM occurred_at)::float8
                FROM {connection.ops.quote_name(Touchpoint._meta.db_table)}
                WHERE lead_id BETWEEN %s AND %s AND kind = ANY(%s)
                """,
                [first_id, last_id, sorted(kinds)],
            )
            rows: Iterable[tuple[int, str, float]] = cursor.fetchall()
    else:
        rows = (
            (lead_id, kind, occurred_at.timestamp())
            for lead_id, kind, occurred_at in Touchpoint.objects.filter(
                lead_id__gte=first_id, lead_id__lte=last_id, kind__in=kinds
            ).values_list("lead_id", "kind", "occurred_at")
        )
    for lead_id, kind, stamp in rows:
        found[lead_id].setdefault(kind, []).append(stamp)
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
    fields = {name: columns[name] for name in scoring.LEAD_COLUMNS}
    probe = Lead(pk=lead_id, stage=stage, score=result.total, **fields)
    return meets_mql_definition(probe, agreement)


def _scored_events(writes: list[_Write]) -> list[events.Pending]:
    return [
        events.Pending(
            subject=f"lead:{write.lead_id}",
            payload={
                "lead": write.lead_id,
                "before": {"score": write.previous},
                "after": {"score": write.result.total},
            },
        )
        for write in writes
        if write.result.total != write.previous
    ]


def _history(write: _Write, *, ruleset_id: int | None, now: datetime) -> ScoreChange:
    return ScoreChange(
        lead_id=write.lead_id,
        ruleset_id=ruleset_id,
        score=write.result.total,
        fit_score=write.result.fit,
        engagement_score=write.result.engagement,
        previous_score=write.previous,
        source=ScoreChange.Source.RESCORE,
        scored_at=now,
    )


def _write_portable(writes: list[_Write], *, ruleset_id: int | None, now: datetime) -> None:
    """The writes through the ORM, for databases other than PostgreSQL."""
    Lead.objects.bulk_update(
        [
            Lead(
                pk=write.lead_id,
                score=write.result.total,
                fit_score=write.result.fit,
                engagement_score=write.result.engagement,
                score_breakdown=write.result.breakdown,
                scored_at=now,
            )
            for write in writes
        ],
        ["score", "fit_score", "engagement_score", "score_breakdown", "scored_at"],
        batch_size=250,
    )
    ScoreChange.objects.bulk_create(
        _history(write, ruleset_id=ruleset_id, now=now) for write in writes if write.numbers_changed
    )
    events.publish_many(events.LEAD_SCORED, _scored_events(writes))


def _write_postgresql(writes: list[_Write], *, ruleset_id: int | None, now: datetime) -> None:
    """One statement for the chunk: the leads' new scores, their history rows and their
    ``lead.scored`` events all come from one JSON document of the changes, unpacked in
    the database (``jsonb_to_recordset``) and written by data-modifying CTEs."""
    if not writes:
        return
    in_bulk = not events.has_subscribers(events.LEAD_SCORED)
    quote = connection.ops.quote_name
    document = json.dumps(
        [
            {
                "id": write.lead_id,
                "score": write.result.total,
                "fit": write.result.fit,
                "engagement": write.result.engagement,
                "breakdown": write.result.breakdown,
                "previous": write.previous,
                "changed": write.numbers_changed,
            }
            for write in writes
        ],
        separators=(",", ":"),
    )
    events_sql = ""
    if in_bulk:
        events_sql = f"""
            , scored_events AS (
                INSERT INTO {quote(Event._meta.db_table)} (name, subject, payload, created_at)
                SELECT %s, 'lead:' || v.id, jsonb_build_object(
                    'lead', v.id,
                    'before', jsonb_build_object('score', v.previous),
                    'after', jsonb_build_object('score', v.score)
                ), %s
                FROM v WHERE v.score <> v.previous
            )"""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH v AS (
                SELECT * FROM jsonb_to_recordset(%s::jsonb) AS v (
                    id bigint, score int, fit int, engagement int, breakdown jsonb,
                    previous int, changed bool
                )
            ), history AS (
                INSERT INTO {quote(ScoreChange._meta.db_table)}
                    (lead_id, ruleset_id, score, fit_score, engagement_score, previous_score,
                     source, scored_at)
                SELECT v.id, %s, v.score, v.fit, v.engagement, v.previous, %s, %s
                FROM v WHERE v.changed
            ){events_sql}
            UPDATE {quote(Lead._meta.db_table)} AS lead
            SET score = v.score, fit_score = v.fit, engagement_score = v.engagement,
                score_breakdown = v.breakdown, scored_at = %s
            FROM v
            WHERE lead.id = v.id
            """,
            [
                document,
                ruleset_id,
                ScoreChange.Source.RESCORE,
                now,
                *([events.LEAD_SCORED, now] if in_bulk else []),
                now,
            ],
        )
    if not in_bulk:
        events.publish_many(events.LEAD_SCORED, _scored_events(writes))
