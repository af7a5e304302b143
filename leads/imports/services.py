"""CSV imports: upload, mapping, preview, and the chunked run the workers do.

A started import is a few parts (``IMPORT_PARTS``), each the rows whose email hashes to
it (``leads.imports.parts``), run by a task of its own so the workers share the file.
A part reads the stored file as a stream and captures ``CHUNK_ROWS`` of its rows per
transaction through the one capture path. Each chunk's transaction also moves the part's
``next_row`` and adds to the import's counts and the job's progress, so what the page
shows is always what is committed, and a part that stops (a killed worker, a time budget
spent) starts again at its first row not yet committed. The last part through the file
finishes the import; a run of a finished part or import does nothing.
"""

import logging
import time
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import jobs
from campaigns.models import Campaign
from leads.imports import capture, csvfile
from leads.imports.mapping import FIELDS, check_mapping, columns_of, guess_mapping, row_to_capture
from leads.imports.models import LeadImport, LeadImportError, LeadImportPart
from leads.imports.parts import part_of

logger = logging.getLogger(__name__)

JOB_KIND = "lead_import"
CHUNK_ROWS = 1000
PREVIEW_ROWS = 10
#: A run hands over to a fresh task after this long, so no task nears the time limit.
TIME_BUDGET_SECONDS = 120.0
MAX_FILE_BYTES = 200 * 1024 * 1024

#: A mapping as (column position, lead field) pairs.
Columns = list[tuple[int, str]]


@dataclass
class PreviewRow:
    row: int
    cells: list[str]
    values: dict[str, Any]
    errors: dict[str, list[str]]


def create_import(
    *,
    file: UploadedFile,
    by,
    campaign: Campaign | None = None,
    mapping: dict[str, str] | None = None,
) -> LeadImport:
    """Check and store an uploaded CSV file as a draft import with its column mapping.

    Without ``mapping`` the headers' guess is kept (the mapping form shows it); a given
    ``mapping`` must be valid. Raises ``ValidationError`` keyed ``file`` or ``mapping``.
    """
    if file.size is not None and file.size > MAX_FILE_BYTES:
        raise ValidationError({"file": [f"At most {MAX_FILE_BYTES // (1024 * 1024)} MB."]})
    info = csvfile.inspect_csv(file)
    if mapping is None:
        mapping = guess_mapping(info.headers)
    else:
        mapping = _checked(mapping, info.headers)
    lead_import = LeadImport(
        file_name=(file.name or "import.csv")[-255:],
        delimiter=info.delimiter,
        headers=info.headers,
        mapping=mapping,
        campaign=campaign,
        total=info.rows,
        created_by=by,
    )
    file.seek(0)
    lead_import.file.save(lead_import.file_name, file, save=False)
    lead_import.save()
    return lead_import


def _checked(mapping: Any, headers: list[str]) -> dict[str, str]:
    try:
        return check_mapping(mapping, headers)
    except ValidationError as exc:
        raise ValidationError({"mapping": exc.messages}) from exc


def set_mapping(lead_import: LeadImport, *, mapping: dict[str, str]) -> LeadImport:
    """Replace a draft's mapping (only a draft: a running import keeps the one it started
    with). Raises ``ValidationError`` keyed ``mapping``."""
    cleaned = _checked(mapping, lead_import.headers)
    if lead_import.status != LeadImport.Status.DRAFT:
        raise ValidationError({"mapping": ["This import has started; its mapping is fixed."]})
    lead_import.mapping = cleaned
    lead_import.save(update_fields=["mapping"])
    return lead_import


def start_import(lead_import: LeadImport, *, by) -> LeadImport:
    """Queue a draft import for the workers as ``IMPORT_PARTS`` parts; starting it again
    changes nothing.

    The mapping is checked first (it may be a guess nobody confirmed). A task per part is
    queued after commit; with the broker down the import stays queued and the beat sweep
    (``resume_stalled_imports``) queues its parts later.
    """
    _checked(lead_import.mapping, lead_import.headers)
    with transaction.atomic():
        # Locked, so two clicks on "Start" make one job, not two.
        locked = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
        if locked.status == LeadImport.Status.DRAFT:
            locked.job = jobs.create_job(kind=JOB_KIND, created_by=by, total=locked.total)
            locked.status = LeadImport.Status.QUEUED
            locked.save(update_fields=["job", "status"])
            numbers = range(settings.IMPORT_PARTS)
            LeadImportPart.objects.bulk_create(
                LeadImportPart(lead_import=locked, number=number) for number in numbers
            )
            queue_parts(locked.pk, list(numbers))
    lead_import.refresh_from_db()
    return lead_import


def queue_parts(import_id: int, numbers: list[int]) -> None:
    """Queue ``run_import_part`` for each part after commit; a broker that is down only
    delays them (the sweep queues them again), so the first failure stops the rest."""

    def _queue() -> None:
        from leads.imports.tasks import run_import_part

        for number in numbers:
            try:
                run_import_part.delay(import_id, number)
            except (KombuOperationalError, OSError):
                logger.warning("Could not queue import %s; the sweep will.", import_id)
                return

    transaction.on_commit(_queue)


def queue_run(import_id: int) -> None:
    """Queue ``run_import`` (every part in one process) after commit, as ``queue_parts``."""

    def _queue() -> None:
        from leads.imports.tasks import run_import

        try:
            run_import.delay(import_id)
        except (KombuOperationalError, OSError):
            logger.warning("Could not queue import %s; the sweep will.", import_id)

    transaction.on_commit(_queue)


def preview(
    lead_import: LeadImport, *, mapping: dict[str, str] | None = None, rows: int = PREVIEW_ROWS
) -> list[PreviewRow]:
    """The first ``rows`` rows as the import would read them, each with its errors."""
    mapping = lead_import.mapping if mapping is None else mapping
    columns = columns_of(mapping, lead_import.headers)
    result = []
    with lead_import.file.open("rb") as file, closing(_rows(file, lead_import)) as reader:
        for number, values in islice(reader, rows):
            data, errors = row_to_capture(values, columns)
            if "email" in data:
                errors = {**capture.validate_row(data), **errors}
            shown = {field: data.get(field) for field in FIELDS if field in data}
            result.append(PreviewRow(row=number, cells=values, values=shown, errors=errors))
    return result


def _rows(
    file: IO[bytes], lead_import: LeadImport, after_row: int = 1
) -> Generator[tuple[int, list[str]], None, None]:
    return csvfile.read_rows(file, delimiter=lead_import.delimiter, after_row=after_row)


def run_import_part(
    import_id: int, number: int, *, time_budget: float = TIME_BUDGET_SECONDS
) -> str:
    """Capture one part's rows from where it stands: ``"done"`` when this part was the
    last one and finished the import, ``"part_done"`` when other parts are still running,
    ``"continued"`` when the time budget ran out and a fresh task was queued,
    ``"skipped"`` when there was nothing to do (the part or the import had finished) and
    ``"failed"`` when the file could not be read."""
    deadline = time.monotonic() + time_budget
    return _run_part(
        import_id, number, deadline=deadline, hand_over=lambda: queue_parts(import_id, [number])
    )


def run_import(import_id: int, *, time_budget: float = TIME_BUDGET_SECONDS) -> str:
    """Capture every unfinished part of an import, one after another, in this process.

    What one worker does with a whole import: the task of a message queued before imports
    had parts, and any caller that wants the import through without a worker pool. Parts
    other workers run at the same time are safe (each part's chunks lock the part).
    Returns ``"done"`` if one of its parts finished the import, ``"part_done"`` if parts
    run elsewhere are not through yet, and otherwise as ``run_import_part`` does;
    ``"continued"`` queues this again, not the parts.
    """
    deadline = time.monotonic() + time_budget
    outcomes: set[str] = set()
    for number in _unfinished_parts(import_id):
        outcome = _run_part(
            import_id, number, deadline=deadline, hand_over=lambda: queue_run(import_id)
        )
        if outcome in ("continued", "failed"):
            return outcome
        outcomes.add(outcome)
    if "done" in outcomes:
        return "done"
    return "part_done" if "part_done" in outcomes else "skipped"


def _unfinished_parts(import_id: int) -> list[int]:
    return list(
        LeadImportPart.objects.filter(lead_import_id=import_id, finished_at__isnull=True)
        .order_by("number")
        .values_list("number", flat=True)
    )


def _run_part(
    import_id: int, number: int, *, deadline: float, hand_over: Callable[[], None]
) -> str:
    part = (
        LeadImportPart.objects.select_related("lead_import__job")
        .filter(lead_import_id=import_id, number=number)
        .first()
    )
    if part is None or part.finished:
        return "skipped"
    lead_import = part.lead_import
    if lead_import.status not in (LeadImport.Status.QUEUED, LeadImport.Status.RUNNING):
        return "skipped"
    LeadImport.objects.filter(
        pk=import_id, status__in=[LeadImport.Status.QUEUED, LeadImport.Status.RUNNING]
    ).update(status=LeadImport.Status.RUNNING, started_at=Coalesce(F("started_at"), timezone.now()))
    if lead_import.job is not None:
        jobs.start_job(lead_import.job, total=lead_import.total)
    columns = columns_of(lead_import.mapping, lead_import.headers)
    email_at = next(position for position, field in columns if field == "email")
    parts = LeadImportPart.objects.filter(lead_import_id=import_id).count()
    try:
        file = lead_import.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        fail_import(import_id, error=f"The uploaded file cannot be read from storage ({exc}).")
        return "failed"
    with file, closing(_rows(file, lead_import, after_row=part.next_row - 1)) as rows:
        mine = (
            (row, values)
            for row, values in rows
            if part_of(values[email_at] if email_at < len(values) else "", parts) == number
        )
        while True:
            chunk = list(islice(mine, CHUNK_ROWS))
            outcome = _commit_chunk(part.pk, chunk, columns)
            if outcome != "more":
                return outcome
            if time.monotonic() > deadline:
                hand_over()
                return "continued"


class _ImportStopped(Exception):
    """The import failed while a chunk was being captured: the chunk is rolled back."""


def _commit_chunk(part_id: int, chunk: list[tuple[int, list[str]]], columns: Columns) -> str:
    """Capture one chunk of a part and move the part past it, in one transaction.

    Returns ``"more"`` to go on, ``"done"`` or ``"part_done"`` at the end of the file (see
    ``run_import_part``) and ``"skipped"`` if the part or the import is no longer running
    (another run finished it, or the import failed).
    """
    try:
        with transaction.atomic():
            # The part's lock makes runs of one part take turns chunk by chunk; each skips
            # the rows another has committed, so two deliveries of a part's task never
            # capture a row twice. Other parts lock other rows and run alongside.
            part = (
                LeadImportPart.objects.select_for_update(of=("self",))
                .select_related("lead_import__job", "lead_import__campaign")
                .get(pk=part_id)
            )
            if part.finished or part.lead_import.status != LeadImport.Status.RUNNING:
                return "skipped"
            if not chunk:
                return _finish_part(part)
            todo = [(number, values) for number, values in chunk if number >= part.next_row]
            if todo:
                _capture_chunk(part, todo, columns)
            return "more"
    except _ImportStopped:
        return "skipped"


def _capture_chunk(
    part: LeadImportPart, chunk: list[tuple[int, list[str]]], columns: Columns
) -> None:
    lead_import = part.lead_import
    failures: list[LeadImportError] = []
    rows: list[tuple[int, list[str], dict[str, Any]]] = []
    for number, values in chunk:
        data, errors = row_to_capture(values, columns)
        if errors:
            failures.append(_failure(lead_import, number, values, errors))
        else:
            rows.append((number, values, data))
    results = capture.capture_rows([data for _, _, data in rows], campaign=lead_import.campaign)
    # A lead made since this import started was (nearly always) made by its own earlier
    # rows: matching it again is an update; matching a lead from before is a merge.
    started = lead_import.started_at or timezone.now()
    counts = {"created": 0, "updated": 0, "merged": 0}
    for (number, values, _), result in zip(rows, results, strict=True):
        if result.status == "error":
            failures.append(_failure(lead_import, number, values, result.errors))
        elif result.status == "created":
            counts["created"] += 1
        elif result.lead_created_at is not None and result.lead_created_at >= started:
            counts["updated"] += 1
        else:
            counts["merged"] += 1
    LeadImportError.objects.bulk_create(failures, ignore_conflicts=True)
    LeadImportPart.objects.filter(pk=part.pk).update(next_row=chunk[-1][0] + 1)
    # Every part adds to the import's counts: last in the transaction, so the import's row
    # is locked from here to the commit only, and parts wait on each other that briefly.
    # The chunk's foreign keys are checked first, not at the commit under that lock
    # (checked there, they kept the other part waiting in 3 % of a two-worker run).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    # The status condition is the import's lock too: a failure committed meanwhile wins.
    added = LeadImport.objects.filter(pk=lead_import.pk, status=LeadImport.Status.RUNNING).update(
        processed=F("processed") + len(chunk),
        failed=F("failed") + len(failures),
        **{name: F(name) + count for name, count in counts.items()},
    )
    if not added:
        raise _ImportStopped
    if lead_import.job is not None:
        processed = LeadImport.objects.values_list("processed", flat=True).get(pk=lead_import.pk)
        jobs.advance_job(lead_import.job, done=processed)


def _failure(
    lead_import: LeadImport, number: int, values: list[str], errors: dict[str, list[str]]
) -> LeadImportError:
    return LeadImportError(lead_import=lead_import, row=number, errors=errors, values=values)


def _finish_part(part: LeadImportPart) -> str:
    """Mark a part through the file; the last part through finishes the import."""
    LeadImportPart.objects.filter(pk=part.pk).update(finished_at=timezone.now())
    return _finish_import_if_last(part.lead_import_id)


def _finish_import_if_last(import_id: int) -> str:
    """Finish the import if no part is left: ``"done"``, else ``"part_done"``.

    Each part is marked finished before the import's row is locked here: parts finishing
    together take the lock in turn, and the last to get it sees every other part's mark
    committed (each statement reads what was committed before it began), so exactly one
    of them finishes the import.
    """
    lead_import = (
        LeadImport.objects.select_for_update(of=("self",)).select_related("job").get(pk=import_id)
    )
    if lead_import.status != LeadImport.Status.RUNNING:
        return "skipped"
    if LeadImportPart.objects.filter(lead_import=lead_import, finished_at__isnull=True).exists():
        return "part_done"
    lead_import.status = LeadImport.Status.DONE
    lead_import.finished_at = timezone.now()
    lead_import.save(update_fields=["status", "finished_at"])
    if lead_import.job is not None:
        jobs.finish_job(lead_import.job, result=counts_of(lead_import), done=lead_import.processed)
    return "done"


def counts_of(lead_import: LeadImport) -> dict[str, int]:
    return {
        "import": lead_import.pk,
        "total": lead_import.total,
        "created": lead_import.created,
        "updated": lead_import.updated,
        "merged": lead_import.merged,
        "failed": lead_import.failed,
    }


def fail_import(import_id: int, *, error: str) -> None:
    """Stop an import for good with a reason people can read; rows committed stay."""
    with transaction.atomic():
        lead_import = (
            LeadImport.objects.select_for_update(of=("self",))
            .select_related("job")
            .get(pk=import_id)
        )
        if lead_import.finished:
            return
        lead_import.status = LeadImport.Status.FAILED
        lead_import.error = error
        lead_import.finished_at = timezone.now()
        lead_import.save(update_fields=["status", "error", "finished_at"])
        if lead_import.job is not None:
            jobs.fail_job(lead_import.job, error=error, result=counts_of(lead_import))


def purge_old_files(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete uploaded files nobody needs any more, after ``IMPORT_FILE_RETENTION_DAYS``.

    A finished import keeps its report (counts and failed rows) but loses the file it was
    read from; a draft nobody started in that time is deleted with its file. Returns
    (files of finished imports deleted, drafts deleted).
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    finished = LeadImport.objects.filter(
        status__in=[LeadImport.Status.DONE, LeadImport.Status.FAILED], finished_at__lt=cutoff
    ).exclude(file="")
    files = 0
    for lead_import in finished.only("pk", "file"):
        # The row first: a file deleted under a row that still names it would be an error.
        LeadImport.objects.filter(pk=lead_import.pk).update(file="")
        lead_import.file.storage.delete(lead_import.file.name or "")
        files += 1
    drafts = 0
    for draft in LeadImport.objects.filter(
        status=LeadImport.Status.DRAFT, created_at__lt=cutoff
    ).only("pk", "file"):
        # Still a draft when deleted: one started a moment ago keeps its file.
        deleted, _ = LeadImport.objects.filter(pk=draft.pk, status=LeadImport.Status.DRAFT).delete()
        if deleted and draft.file.name:
            draft.file.storage.delete(draft.file.name)
        drafts += bool(deleted)
    return files, drafts


def resume_stalled_imports() -> int:
    """Queue again the unfinished parts of imports whose job stopped moving (a lost
    message, a dead worker); a part still running elsewhere only takes turns with it.
    Returns how many imports were queued again."""
    stalled = LeadImport.objects.filter(
        status__in=[LeadImport.Status.QUEUED, LeadImport.Status.RUNNING],
        job__in=jobs.stalled_jobs(kind=JOB_KIND),
    ).values_list("pk", flat=True)
    count = 0
    for import_id in stalled:
        queue_parts(import_id, _unfinished_parts(import_id))
        count += 1
    return count
