"""An import as parts: rows split by a stable hash of their email, one task per part, each
part with its own resume point, and the last part through finishing the import."""

import pytest
from kombu.exceptions import OperationalError as KombuOperationalError

from alignment.models import Job
from leads.imports import services, tasks
from leads.imports.models import LeadImport, LeadImportPart
from leads.imports.parts import part_of
from leads.models import Lead, LeadFieldConflict, Touchpoint
from tests.factories import CampaignFactory
from tests.imports.conftest import csv_bytes, upload

#: Twelve people and the part of four (and of two) each one's rows go to.
PEOPLE = [
    "ada@example.com",
    "grace@example.com",
    "alan@example.com",
    "linus@example.com",
    "barbara@example.com",
    "ken@example.com",
    "edsger@example.com",
    "margaret@example.com",
    "radia@example.com",
    "dennis@example.com",
    "frances@example.com",
    "john@example.com",
]
PARTS_OF_FOUR = [0, 3, 0, 2, 2, 1, 3, 3, 0, 1, 3, 0]
PARTS_OF_TWO = [0, 1, 0, 0, 0, 1, 1, 1, 0, 1, 1, 0]


@pytest.fixture
def four_parts(settings):
    settings.IMPORT_PARTS = 4


@pytest.fixture
def no_queue(monkeypatch):
    """Parts queued on commit are recorded, not run: each test runs the parts it means."""
    queued: list[tuple[int, int]] = []
    monkeypatch.setattr(tasks.run_import_part, "delay", lambda *args: queued.append(args))
    return queued


def people_file(extra: list[list[str]] | None = None) -> bytes:
    return csv_bytes(
        [["Email", "First Name"], *([email, "Someone"] for email in PEOPLE), *(extra or [])]
    )


def started(user, data: bytes, capture_callbacks) -> LeadImport:
    with capture_callbacks(execute=True):
        lead_import = services.create_import(file=upload(data), by=user)
        return services.start_import(lead_import, by=user)


def test_a_rows_part_is_a_stable_hash_of_its_email():
    # Fixed values: a hash salted per process (Python's hash()) would split one person's
    # rows between workers.
    assert [part_of(email, 4) for email in PEOPLE] == PARTS_OF_FOUR
    assert [part_of(email, 2) for email in PEOPLE] == PARTS_OF_TWO
    assert {part_of(email, 1) for email in PEOPLE} == {0}


def test_one_address_written_in_other_ways_is_in_one_part():
    same = ["ada@example.com", "  ADA@Example.COM ", "ａｄａ@example.com"]
    assert {part_of(email, 4) for email in same} == {part_of("ada@example.com", 4)}
    punycode = ["zoe@bücher.example", "ZOE@xn--bcher-kva.example"]
    assert len({part_of(email, 16) for email in punycode}) == 1


def test_a_row_without_an_email_goes_to_part_zero():
    assert part_of("", 4) == part_of("   ", 4) == 0


def test_starting_makes_the_parts_and_queues_a_task_for_each(
    marketer, four_parts, no_queue, django_capture_on_commit_callbacks
):
    lead_import = started(marketer, people_file(), django_capture_on_commit_callbacks)
    parts = list(lead_import.parts.values_list("number", "next_row", "finished_at"))
    assert parts == [(0, 2, None), (1, 2, None), (2, 2, None), (3, 2, None)]
    assert no_queue == [(lead_import.pk, number) for number in range(4)]

    with django_capture_on_commit_callbacks(execute=True):
        services.start_import(lead_import, by=marketer)
    assert lead_import.parts.count() == 4
    assert len(no_queue) == 4


def test_with_the_broker_down_the_import_stays_queued_for_the_sweep(
    marketer, four_parts, monkeypatch, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    attempts = []

    def broker_down(*args):
        attempts.append(args)
        raise KombuOperationalError("connection refused")

    monkeypatch.setattr(tasks.run_import_part, "delay", broker_down)
    lead_import = started(marketer, people_file(), django_capture_on_commit_callbacks)
    assert lead_import.status == LeadImport.Status.QUEUED
    assert len(attempts) == 1  # the first failure stops the rest: the sweep queues them all

    monkeypatch.undo()
    Job.objects.filter(pk=lead_import.job_id).update(updated_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.resume_stalled_imports() == 1
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.created) == (LeadImport.Status.DONE, 12)


def test_each_part_captures_only_the_rows_of_its_addresses(
    marketer, four_parts, no_queue, django_capture_on_commit_callbacks
):
    lead_import = started(marketer, people_file(), django_capture_on_commit_callbacks)

    assert services.run_import_part(lead_import.pk, 3) == "part_done"

    mine = {email for email, part in zip(PEOPLE, PARTS_OF_FOUR, strict=True) if part == 3}
    assert set(Lead.objects.values_list("email", flat=True)) == mine
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("running", 4, 4)
    assert Job.objects.get(pk=lead_import.job_id).done == 4
    part = lead_import.parts.get(number=3)
    assert part.finished and part.next_row == PEOPLE.index("frances@example.com") + 3


def test_the_last_part_through_finishes_the_import_once(
    marketer, four_parts, no_queue, django_capture_on_commit_callbacks
):
    lead_import = started(marketer, people_file(), django_capture_on_commit_callbacks)
    outcomes = [services.run_import_part(lead_import.pk, number) for number in (2, 0, 3, 1)]
    assert outcomes == ["part_done", "part_done", "part_done", "done"]
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("done", 12, 12)
    job = Job.objects.get(pk=lead_import.job_id)
    assert (job.status, job.done, job.result["created"]) == ("done", 12, 12)

    assert [services.run_import_part(lead_import.pk, n) for n in range(4)] == ["skipped"] * 4
    lead_import.refresh_from_db()
    assert (lead_import.processed, Touchpoint.objects.count()) == (12, 12)


def test_a_row_without_an_email_is_reported_by_part_zero(
    marketer, four_parts, no_queue, django_capture_on_commit_callbacks
):
    lead_import = started(
        marketer, people_file(extra=[["", "Nobody"]]), django_capture_on_commit_callbacks
    )
    for number in (1, 2, 3):
        services.run_import_part(lead_import.pk, number)
    assert not lead_import.errors.exists()

    assert services.run_import_part(lead_import.pk, 0) == "done"
    assert list(lead_import.errors.values_list("row", "errors")) == [
        (14, {"email": ["No email in this row."]})
    ]
    lead_import.refresh_from_db()
    assert (lead_import.processed, lead_import.failed) == (13, 1)


def test_a_persons_rows_are_captured_in_file_order(
    marketer, four_parts, no_queue, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(services, "CHUNK_ROWS", 1)
    for code in ("first", "second", "third"):
        CampaignFactory(utm_campaign=code)
    rows = [["Email", "Job Title", "utm_campaign"], ["ada@example.com", "CTO", "first"]]
    rows += [[email, "Engineer", ""] for email in PEOPLE[1:6]]
    rows += [["ADA@example.com", "CEO", "second"]]
    rows += [[email, "Engineer", ""] for email in PEOPLE[6:]]
    rows += [[" ada@example.com", "CFO", "third"]]
    lead_import = started(marketer, csv_bytes(rows), django_capture_on_commit_callbacks)

    # The parts run in reverse; each of Ada's rows is a chunk of its own.
    for number in (3, 2, 1, 0):
        services.run_import_part(lead_import.pk, number)

    ada = Lead.objects.get(email="ada@example.com")
    codes = ada.touchpoints.order_by("id").values_list("campaign__utm_campaign", flat=True)
    assert list(codes) == ["first", "second", "third"]
    assert ada.job_title == "CTO"
    offered = LeadFieldConflict.objects.filter(lead=ada).order_by("id")
    assert list(offered.values_list("offered_value", flat=True)) == ["CEO", "CFO"]
    lead_import.refresh_from_db()
    assert (lead_import.created, lead_import.updated, lead_import.status) == (12, 2, "done")


class WorkerKilled(BaseException):
    """What a killed worker looks like from inside: the run stops mid-chunk."""


def test_a_killed_part_resumes_at_its_own_row_and_leaves_the_others_alone(
    marketer, settings, no_queue, monkeypatch, django_capture_on_commit_callbacks
):
    settings.IMPORT_PARTS = 2
    monkeypatch.setattr(services, "CHUNK_ROWS", 2)
    lead_import = started(marketer, people_file(), django_capture_on_commit_callbacks)
    real_capture = services.capture.capture_rows
    calls = []

    def dies_in_the_second_chunk(rows, *, campaign):
        calls.append([row["email"] for row in rows])
        if len(calls) == 2:
            raise WorkerKilled
        return real_capture(rows, campaign=campaign)

    monkeypatch.setattr(services.capture, "capture_rows", dies_in_the_second_chunk)
    with pytest.raises(WorkerKilled):
        services.run_import_part(lead_import.pk, 1)
    # Part 1's first chunk is Grace (row 3) and Ken (row 7); it resumes at row 8.
    assert calls[0] == ["grace@example.com", "ken@example.com"]
    assert dict(LeadImportPart.objects.values_list("number", "next_row")) == {0: 2, 1: 8}
    assert set(Lead.objects.values_list("email", flat=True)) == set(calls[0])

    monkeypatch.setattr(services.capture, "capture_rows", real_capture)
    assert services.run_import_part(lead_import.pk, 1) == "part_done"
    assert services.run_import_part(lead_import.pk, 0) == "done"
    lead_import.refresh_from_db()
    assert (lead_import.processed, lead_import.created, lead_import.updated) == (12, 12, 0)
    assert Touchpoint.objects.count() == 12


def test_a_whole_import_run_in_one_process_runs_every_part(
    marketer, four_parts, no_queue, django_capture_on_commit_callbacks
):
    lead_import = started(marketer, people_file(), django_capture_on_commit_callbacks)
    services.run_import_part(lead_import.pk, 1)

    assert services.run_import(lead_import.pk) == "done"
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.created, lead_import.processed) == ("done", 12, 12)
    assert not lead_import.parts.filter(finished_at__isnull=True).exists()


def test_a_failed_import_stops_its_other_parts(
    marketer, four_parts, no_queue, django_capture_on_commit_callbacks
):
    lead_import = started(marketer, people_file(), django_capture_on_commit_callbacks)
    services.run_import_part(lead_import.pk, 0)
    services.fail_import(lead_import.pk, error="Stopped by hand.")

    assert services.run_import_part(lead_import.pk, 3) == "skipped"
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed) == ("failed", 4)
    assert Lead.objects.count() == 4
