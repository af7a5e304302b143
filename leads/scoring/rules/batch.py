"""One chunk of a batch rescore, set-based: load, score, write.

Two queries load the chunk's leads (locked, in id order, so a capture waits for the
chunk instead of being overwritten by an older picture of the lead) and their
touchpoints' timestamps; the pure ``leads.scoring.Scorer`` scores every lead in Python;
on PostgreSQL one statement writes the leads whose score or explanation changed and, from
the same JSON document, inserts their score history and ``lead.scored`` events (elsewhere
``bulk_update`` and bulk inserts). The few leads whose stage must move go through
``leads.services.score_lead``. The caller (``leads.scoring.rescoring``) owns the transaction.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import connection

from alignment import events
from alignment.models import AgreementVersion, Event
from alignment.services import agreement_in_force
from leads import scoring
from leads.models import Lead, Stage, Touchpoint
from leads.scoring.rules.models import ScoreChange
from leads.scoring.rules.queries import active_ruleset, half_life_of, rules_of

_LOADED = ("id", "stage", "score", "fit_score", "engagement_score", "score_breakdown")
#: The stages scoring may move a lead from (as plain strings, as the rows carry them).
_MOVABLE = frozenset({Stage.NEW.value, Stage.RECYCLED.value})


@dataclass
class ChunkStats:
    scored: int = 0
    changed: int = 0
    moved: int = 0


def rescore_range(first_id: int, last_id: int, *, now: datetime) -> ChunkStats:
    """Score the leads with ids in ``[first_id, last_id]``; call it inside a transaction."""
    from leads.services import score_lead

    postgres = connection.vendor == "postgresql"
    rows = _load_leads(first_id, last_id, postgres=postgres)
    # Read after the leads are locked, like ``score_lead``: a chunk that waited for a lead
    # scores it with the version in force now, not the one before an activation.
    ruleset = active_ruleset()
    scorer = scoring.Scorer(rules_of(ruleset), half_life_days=half_life_of(ruleset), now=now)
    agreement = agreement_in_force()
    times = _load_times(first_id, last_id, scorer.kinds, postgres=postgres)
    needs_domain = "email_domain" in scorer.fields
    no_times: dict[str, list[float]] = {}

    stats = ChunkStats(scored=len(rows))
    per_lead: list[tuple[int, str, int]] = []
    writes: list[_Write] = []
    lead_columns = scoring.LEAD_COLUMNS
    for lead_id, stage, score, fit, engagement, breakdown, unscored, *values in rows:
        columns = dict(zip(lead_columns, values, strict=True))
        if needs_domain:
            columns["email_domain"] = (columns["email"] or "").rpartition("@")[2]
        result = scorer.score(columns, times.get(lead_id, no_times))
        # Only a new or recycled lead can move; the test is asked here, not in a call,
        # because it rules out most leads of a chunk.
        if stage in _MOVABLE and _may_move(lead_id, stage, columns, result, agreement):
            per_lead.append((lead_id, stage, score))
            continue
        numbers_changed = (
            result.total != score or result.fit != fit or result.engagement != engagement
        )
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


@dataclass(slots=True)
class _Write:
    lead_id: int
    result: scoring.ScoreResult
    previous: int
    numbers_changed: bool


def _as_list(breakdown: Any) -> Any:
    # PostgreSQL's raw rows carry the JSON as text (parsed only when compared); the
    # ORM's carry it parsed.
    return orjson.loads(breakdown) if isinstance(breakdown, str) else breakdown


def _load_leads(first_id: int, last_id: int, *, postgres: bool) -> list[tuple]:
    """The chunk's leads, locked in id order (so a capture waits for the chunk instead of
    being overwritten by an older picture of the lead): one query."""
    if not postgres:
        return list(
            Lead.objects.select_for_update()
            .filter(pk__gte=first_id, pk__lte=last_id)
            .order_by("pk")
            .values_list(*_LOADED, "unscored", *scoring.LEAD_COLUMNS)
        )
    columns = ", ".join(connection.ops.quote_name(name) for name in scoring.LEAD_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT id, stage, score, fit_score, engagement_score, score_breakdown::text,
                   unscored, {columns}
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

    if stage not in _MOVABLE:
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
    # orjson: encoding the chunk's changes with the standard library took a tenth of a
    # rescore's time.
    document = orjson.dumps(
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
        ]
    ).decode()
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
    params: list[Any] = [document, ruleset_id, ScoreChange.Source.RESCORE, now]
    if in_bulk:
        params += [events.LEAD_SCORED, now]
        events.recorded()
    params.append(now)
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
            params,
        )
    if not in_bulk:
        events.publish_many(events.LEAD_SCORED, _scored_events(writes))
