"""CSV imports: upload, mapping, preview, and the chunked run a worker does.

The run reads the stored file as a stream and captures ``CHUNK_ROWS`` rows per transaction
through the one capture path. Each chunk's transaction also moves the import's
``next_row``, its counts and the job's progress, so what the page shows is always what
is committed, and a run that stops (a killed worker, a time budget spent) starts again at
the first row not yet committed. A run of a finished import does nothing.
"""

import logging
import time
from collections.abc import Generator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment import jobs
from campaigns.models import Campaign
from leads.imports import capture, csvfile
from leads.imports.mapping import FIELDS, check_mapping, columns_of, guess_mapping, row_to_capture
from leads.imports.models import LeadImport, LeadImportError

logger = logging.getLogger(__name__)

JOB_KIND = "lead_import"
CHUNK_ROWS = 1000
PREVIEW_ROWS = 10
#: A run hands over to a fresh task after this long, so no task nears the time limit.
TIME_BUDGET_SECONDS = 120.0
MAX_FILE_BYTES = 200 * 1024 * 1024


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
    """Queue a draft import for a worker; starting it again changes nothing.

    The mapping is checked first (it may be a guess nobody confirmed). The task is queued
    after commit; with the broker down the import stays queued and the beat sweep
    (``resume_stalled_imports``) queues it later.
    """
    _checked(lead_import.mapping, lead_import.headers)
    with transaction.atomic():
        # Locked, so two clicks on "Start" make one job, not two.
        locked = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
        if locked.status == LeadImport.Status.DRAFT:
            locked.job = jobs.create_job(kind=JOB_KIND, created_by=by, total=locked.total)
            locked.status = LeadImport.Status.QUEUED
            locked.save(update_fields=["job", "status"])
            queue_run(locked.pk)
    lead_import.refresh_from_db()
    return lead_import


def queue_run(import_id: int) -> None:
    """Queue ``run_import`` after commit; a broker that is down only delays it."""

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


def run_import(import_id: int, *, time_budget: float = TIME_BUDGET_SECONDS) -> str:
    """Capture an import's rows from where it stands; ``"done"`` when the file is through,
    ``"continued"`` when the time budget ran out and a fresh task was queued, and
    ``"skipped"`` when there was nothing to do (a draft, or an import already finished).
    """
    lead_import = LeadImport.objects.select_related("job", "campaign").filter(pk=import_id).first()
    if lead_import is None or lead_import.status not in (
        LeadImport.Status.QUEUED,
        LeadImport.Status.RUNNING,
    ):
        return "skipped"
    LeadImport.objects.filter(
        pk=import_id, status__in=[LeadImport.Status.QUEUED, LeadImport.Status.RUNNING]
    ).update(status=LeadImport.Status.RUNNING, started_at=Coalesce(F("started_at"), timezone.now()))
    if lead_import.job is not None:
        jobs.start_job(lead_import.job, total=lead_import.total)
    columns = columns_of(lead_import.mapping, lead_import.headers)
    deadline = time.monotonic() + time_budget
    try:
        file = lead_import.file.open("rb")
    except (FileNotFoundError, OSError) as exc:
        fail_import(import_id, error=f"The uploaded file cannot be read from storage ({exc}).")
        return "failed"
    with file, closing(_rows(file, lead_import, after_row=lead_import.next_row - 1)) as rows:
        while True:
            chunk = list(islice(rows, CHUNK_ROWS))
            outcome = _commit_chunk(import_id, chunk, columns)
            if outcome != "more":
                return outcome
            if time.monotonic() > deadline:
                queue_run(import_id)
                return "continued"


def _commit_chunk(import_id: int, chunk: list[tuple[int, list[str]]], columns) -> str:
    """Capture one chunk and move the import past it, in one transaction.

    Returns ``"more"`` to go on, ``"done"`` at the end of the file and ``"skipped"`` if the
    import is no longer running (another run finished it).
    """
    with transaction.atomic():
        # The lock makes runs of one import take turns chunk by chunk; each skips the rows
        # another has committed, so two deliveries of the task never capture a row twice.
        lead_import = (
            LeadImport.objects.select_for_update(of=("self",))
            .select_related("job", "campaign")
            .get(pk=import_id)
        )
        if lead_import.status != LeadImport.Status.RUNNING:
            return "skipped"
        if not chunk:
            _finish(lead_import)
            return "done"
        todo = [(number, values) for number, values in chunk if number >= lead_import.next_row]
        if todo:
            _capture_chunk(lead_import, todo, columns)
        return "more"


def _capture_chunk(lead_import: LeadImport, chunk: list[tuple[int, list[str]]], columns) -> None:
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
    LeadImport.objects.filter(pk=lead_import.pk).update(
        next_row=chunk[-1][0] + 1,
        processed=F("processed") + len(chunk),
        failed=F("failed") + len(failures),
        **{name: F(name) + count for name, count in counts.items()},
    )
    if lead_import.job is not None:
        jobs.advance_job(lead_import.job, done=lead_import.processed + len(chunk))


def _failure(
    lead_import: LeadImport, number: int, values: list[str], errors: dict[str, list[str]]
) -> LeadImportError:
    return LeadImportError(lead_import=lead_import, row=number, errors=errors, values=values)


def _finish(lead_import: LeadImport) -> None:
    now = timezone.now()
    lead_import.status = LeadImport.Status.DONE
    lead_import.finished_at = now
    lead_import.save(update_fields=["status", "finished_at"])
    if lead_import.job is not None:
        jobs.finish_job(lead_import.job, result=counts_of(lead_import), done=lead_import.processed)


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
    """Queue again the imports whose job stopped moving (a lost message, a dead worker)."""
    stalled = LeadImport.objects.filter(
        status__in=[LeadImport.Status.QUEUED, LeadImport.Status.RUNNING],
        job__in=jobs.stalled_jobs(kind=JOB_KIND),
    ).values_list("pk", flat=True)
    count = 0
    for import_id in stalled:
        queue_run(import_id)
        count += 1
    return count
