"""CSV import services: upload, preview, and the chunked run with its counts, failed rows,
resume point and safety when run twice."""

import pytest
from django.core.exceptions import ValidationError

from alignment.models import Job
from leads.imports import services
from leads.imports.models import LeadImport
from leads.imports.queries import error_csv_lines
from leads.models import Lead, Touchpoint, TouchpointKind
from tests.factories import CampaignFactory, LeadFactory
from tests.imports.conftest import HUBSPOT_HEADERS, csv_bytes, hubspot_file, hubspot_row, upload


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)


@pytest.fixture
def one_part(settings):
    """Every row in one part, so a test of the chunks follows the file's order."""
    settings.IMPORT_PARTS = 1


def draft(user, data: bytes, **kwargs) -> LeadImport:
    return services.create_import(file=upload(data), by=user, **kwargs)


def started(user, data: bytes, **kwargs) -> LeadImport:
    """A queued import whose task has not run (on-commit work does not run in tests)."""
    return services.start_import(draft(user, data, **kwargs), by=user)


def imported(user, data: bytes, capture_callbacks, **kwargs) -> LeadImport:
    """An import run to the end by its task, queued on commit and run eagerly."""
    with capture_callbacks(execute=True):
        lead_import = started(user, data, **kwargs)
    lead_import.refresh_from_db()
    return lead_import


def mixed_file() -> bytes:
    """Two good rows, a bad email, an unknown country and a repeat of the first person."""
    return csv_bytes(
        [
            HUBSPOT_HEADERS,
            hubspot_row(1),
            hubspot_row(2),
            hubspot_row(3, Email="not-an-email"),
            hubspot_row(4, **{"Country/Region": "Narnia"}),
            hubspot_row(1, Industry="Retail"),
        ]
    )


def test_an_upload_is_stored_as_a_draft_with_its_guessed_mapping(marketer):
    lead_import = draft(marketer, hubspot_file(3))
    assert lead_import.status == LeadImport.Status.DRAFT
    assert (lead_import.total, lead_import.delimiter, lead_import.created_by) == (3, ",", marketer)
    assert lead_import.mapping["Email"] == "email"
    assert lead_import.job is None
    with lead_import.file.open("rb") as file:
        assert file.read() == hubspot_file(3)


def test_an_upload_with_a_bad_mapping_is_refused_under_mapping(marketer):
    with pytest.raises(ValidationError) as error:
        draft(marketer, hubspot_file(1), mapping={"Company Name": "company"})
    assert error.value.message_dict == {"mapping": ["Map a column to email: every lead needs one."]}
    assert not LeadImport.objects.exists()


def test_an_upload_that_is_not_utf8_is_refused_under_file(marketer):
    with pytest.raises(ValidationError) as error:
        draft(marketer, "Email\r\nzoë@example.com\r\n".encode("latin-1"))
    assert list(error.value.message_dict) == ["file"]


def test_the_preview_shows_the_first_rows_with_their_errors(marketer):
    rows = services.preview(draft(marketer, mixed_file()))
    assert [row.row for row in rows] == [2, 3, 4, 5, 6]
    assert rows[0].errors == {}
    assert rows[0].values["country"] == "US"
    assert rows[2].errors == {"email": ["Enter a valid email address."]}
    assert rows[3].errors == {"country": ["Unknown country “Narnia”."]}


def test_the_preview_shows_capture_errors_such_as_values_too_long(marketer):
    data = csv_bytes([["Email", "Job Title"], ["a@example.com", "x" * 201]])
    (row,) = services.preview(draft(marketer, data))
    assert list(row.errors) == ["job_title"]


def test_the_preview_follows_a_mapping_not_yet_saved(marketer):
    lead_import = draft(marketer, hubspot_file(12))
    rows = services.preview(lead_import, mapping={"Email": "email", "Industry": "company"})
    assert len(rows) == services.PREVIEW_ROWS
    assert rows[0].values == {"email": "person1@example.com", "company": "Software"}


def test_starting_queues_a_job_once(marketer):
    lead_import = started(marketer, hubspot_file(2))
    again = services.start_import(lead_import, by=marketer)
    assert again.status == LeadImport.Status.QUEUED
    assert Job.objects.count() == 1
    assert (again.job.kind, again.job.status, again.job.total) == ("lead_import", "queued", 2)


def test_an_import_captures_rows_and_counts_what_happened(
    marketer, django_capture_on_commit_callbacks
):
    LeadFactory(email="person2@example.com", company="Known Ltd")
    lead_import = imported(marketer, mixed_file(), django_capture_on_commit_callbacks)
    assert lead_import.status == LeadImport.Status.DONE
    counts = (lead_import.created, lead_import.updated, lead_import.merged, lead_import.failed)
    assert counts == (1, 1, 1, 2)
    assert lead_import.processed == lead_import.total == 5
    assert Lead.objects.count() == 2
    assert Lead.objects.get(email="person2@example.com").company == "Known Ltd"


def test_every_captured_row_is_an_imported_touchpoint_of_the_campaign(
    marketer, django_capture_on_commit_callbacks
):
    campaign = CampaignFactory()
    imported(marketer, hubspot_file(3), django_capture_on_commit_callbacks, campaign=campaign)
    touchpoints = Touchpoint.objects.filter(kind=TouchpointKind.IMPORTED, campaign=campaign)
    assert touchpoints.count() == 3
    assert set(Lead.objects.values_list("campaign", flat=True)) == {campaign.pk}


def test_failed_rows_are_kept_with_their_row_number_and_reasons(
    marketer, django_capture_on_commit_callbacks
):
    lead_import = imported(marketer, mixed_file(), django_capture_on_commit_callbacks)
    assert list(lead_import.errors.values_list("row", "errors")) == [
        (4, {"email": ["Enter a valid email address."]}),
        (5, {"country": ["Unknown country “Narnia”."]}),
    ]


def test_the_job_ends_done_with_the_counts(marketer, django_capture_on_commit_callbacks):
    lead_import = imported(marketer, mixed_file(), django_capture_on_commit_callbacks)
    job = Job.objects.get(pk=lead_import.job_id)
    assert (job.status, job.done, job.total) == ("done", 5, 5)
    assert job.result == {
        "import": lead_import.pk,
        "total": 5,
        "created": 2,
        "updated": 1,
        "merged": 0,
        "failed": 2,
    }
    assert job.started_at is not None and job.finished_at is not None


def test_errors_csv_holds_the_failed_rows_cells_and_a_reason(
    marketer, django_capture_on_commit_callbacks
):
    lead_import = imported(marketer, mixed_file(), django_capture_on_commit_callbacks)
    lines = "".join(error_csv_lines(lead_import)).lstrip("\ufeff").splitlines()
    assert lines[0] == ",".join([*HUBSPOT_HEADERS, "Row", "Reason"])
    assert lines[1] == ",".join(
        [*hubspot_row(3, Email="not-an-email"), "4", "Email: Enter a valid email address."]
    )
    assert lines[2].endswith(",5,Country/Region: Unknown country “Narnia”.")
    assert len(lines) == 3


def test_a_finished_import_run_again_does_nothing(marketer, django_capture_on_commit_callbacks):
    lead_import = imported(marketer, mixed_file(), django_capture_on_commit_callbacks)
    assert services.run_import(lead_import.pk) == "skipped"
    lead_import.refresh_from_db()
    assert (lead_import.created, lead_import.failed, lead_import.processed) == (2, 2, 5)
    assert Touchpoint.objects.count() == 3
    assert lead_import.errors.count() == 2


def test_a_draft_is_not_run(marketer):
    lead_import = draft(marketer, hubspot_file(2))
    assert services.run_import(lead_import.pk) == "skipped"
    assert not Lead.objects.exists()


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: the run stops mid-chunk."""


def test_a_crashed_import_resumes_after_the_last_committed_chunk(
    marketer, one_part, small_chunks, monkeypatch
):
    lead_import = started(marketer, hubspot_file(5))
    real_capture = services.capture.capture_rows
    calls = []

    def dies_in_the_second_chunk(rows, *, campaign):
        calls.append(len(rows))
        if len(calls) == 2:
            raise WorkerKilled
        return real_capture(rows, campaign=campaign)

    monkeypatch.setattr(services.capture, "capture_rows", dies_in_the_second_chunk)
    with pytest.raises(WorkerKilled):
        services.run_import_part(lead_import.pk, 0)
    lead_import.refresh_from_db()
    part = lead_import.parts.get()
    assert (part.next_row, lead_import.processed, lead_import.status) == (4, 2, "running")
    assert Lead.objects.count() == 2

    monkeypatch.setattr(services.capture, "capture_rows", real_capture)
    assert services.run_import_part(lead_import.pk, 0) == "done"
    lead_import.refresh_from_db()
    assert (lead_import.processed, lead_import.created, lead_import.status) == (5, 5, "done")
    assert Touchpoint.objects.count() == 5


def test_a_second_run_skips_rows_another_run_committed(
    marketer, one_part, small_chunks, monkeypatch
):
    lead_import = started(marketer, hubspot_file(5))
    real_commit = services._commit_chunk
    calls = []

    def racing_commit(part_id, chunk, columns):
        # While the first run reads its second chunk, a second delivery of the task runs
        # the whole part; the first run must then capture nothing more.
        calls.append(chunk[0][0] if chunk else None)
        if len(calls) == 2:
            monkeypatch.setattr(services, "_commit_chunk", real_commit)
            assert services.run_import_part(lead_import.pk, 0) == "done"
        return real_commit(part_id, chunk, columns)

    monkeypatch.setattr(services, "_commit_chunk", racing_commit)
    assert services.run_import_part(lead_import.pk, 0) == "skipped"
    lead_import.refresh_from_db()
    assert (lead_import.processed, lead_import.created, lead_import.status) == (5, 5, "done")
    assert Touchpoint.objects.count() == 5


def test_a_run_past_its_time_budget_hands_over_to_a_new_task(
    marketer, one_part, small_chunks, monkeypatch, django_capture_on_commit_callbacks
):
    from leads.imports import tasks

    lead_import = started(marketer, hubspot_file(5))
    queued = []
    monkeypatch.setattr(tasks.run_import_part, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_import_part(lead_import.pk, 0, time_budget=0) == "continued"
    lead_import.refresh_from_db()
    part = lead_import.parts.get()
    assert (lead_import.processed, part.next_row, lead_import.status) == (2, 4, "running")
    assert queued == [(lead_import.pk, 0)]


def test_a_whole_import_run_past_its_time_budget_queues_itself_again(
    marketer, small_chunks, monkeypatch, django_capture_on_commit_callbacks
):
    from leads.imports import tasks

    lead_import = started(marketer, hubspot_file(5))
    queued = []
    monkeypatch.setattr(tasks.run_import, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.run_import(lead_import.pk, time_budget=0) == "continued"
    lead_import.refresh_from_db()
    assert lead_import.status == "running"
    assert 0 < lead_import.processed < 5
    assert queued == [lead_import.pk]


def test_progress_is_committed_with_each_chunk(marketer, one_part, small_chunks):
    lead_import = started(marketer, hubspot_file(5))
    services.run_import_part(lead_import.pk, 0, time_budget=0)
    job = Job.objects.get(pk=lead_import.job_id)
    assert (job.status, job.done, job.total) == ("running", 2, 5)


def test_an_import_whose_file_is_gone_fails_with_a_reason(marketer):
    lead_import = started(marketer, hubspot_file(2))
    lead_import.file.storage.delete(lead_import.file.name)
    assert services.run_import(lead_import.pk) == "failed"
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.FAILED
    assert lead_import.error.startswith("The uploaded file cannot be read from storage")
    assert Job.objects.get(pk=lead_import.job_id).status == "failed"


def test_a_stalled_import_is_queued_again(marketer, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    stalled = started(marketer, hubspot_file(2))
    fresh = started(marketer, hubspot_file(2))
    Job.objects.filter(pk=stalled.job_id).update(updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_stalled_imports() == 1
    stalled.refresh_from_db()
    fresh.refresh_from_db()
    assert (stalled.status, fresh.status) == ("done", "queued")


def test_a_5000_row_file_is_imported_in_chunks(marketer, django_capture_on_commit_callbacks):
    bad = [hubspot_row(9999, Email="broken@")]
    data = hubspot_file(5000, extra=bad)
    lead_import = started(marketer, data)
    assert services.run_import(lead_import.pk) == "done"
    lead_import.refresh_from_db()
    assert (lead_import.total, lead_import.created, lead_import.failed) == (5001, 5000, 1)
    assert Lead.objects.count() == 5000
    assert lead_import.errors.get().row == 5002


def test_errors_csv_writes_a_formula_from_the_file_as_text(
    marketer, django_capture_on_commit_callbacks
):
    rows = [HUBSPOT_HEADERS, hubspot_row(1, Email="bad", **{"Company Name": "=HYPERLINK(1)"})]
    lead_import = imported(marketer, csv_bytes(rows), django_capture_on_commit_callbacks)

    lines = "".join(error_csv_lines(lead_import)).lstrip("\ufeff").splitlines()

    assert ",'=HYPERLINK(1)," in lines[1]
