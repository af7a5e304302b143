"""Uploaded files are deleted once nobody needs them; the import's report stays."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from leads.imports import services
from leads.imports.models import LeadImport, LeadImportError
from tests.imports.conftest import HUBSPOT_HEADERS, csv_bytes, hubspot_file, hubspot_row, upload


@pytest.fixture(autouse=True)
def thirty_days(settings):
    settings.IMPORT_FILE_RETENTION_DAYS = 30


def stored(lead_import: LeadImport) -> Path:
    return Path(lead_import.file.path)


def finished_import(user, capture_callbacks, *, days_ago: int) -> LeadImport:
    data = csv_bytes([HUBSPOT_HEADERS, hubspot_row(1), hubspot_row(2, Email="nope")])
    with capture_callbacks(execute=True):
        lead_import = services.start_import(
            services.create_import(file=upload(data), by=user), by=user
        )
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.DONE
    LeadImport.objects.filter(pk=lead_import.pk).update(
        finished_at=timezone.now() - timedelta(days=days_ago)
    )
    lead_import.refresh_from_db()
    return lead_import


def test_the_file_of_an_import_finished_long_ago_is_deleted_and_its_report_kept(
    marketer, django_capture_on_commit_callbacks
):
    old = finished_import(marketer, django_capture_on_commit_callbacks, days_ago=31)
    recent = finished_import(marketer, django_capture_on_commit_callbacks, days_ago=29)
    old_path, recent_path = stored(old), stored(recent)
    assert old_path.exists() and recent_path.exists()

    assert services.purge_old_files() == (1, 0)

    old.refresh_from_db()
    assert not old_path.exists()
    assert old.file.name == ""
    assert (old.status, old.created, old.failed) == (LeadImport.Status.DONE, 1, 1)
    assert LeadImportError.objects.filter(lead_import=old).count() == 1
    assert recent_path.exists()
    # Run again: nothing left to do.
    assert services.purge_old_files() == (0, 0)


def test_a_draft_nobody_started_is_deleted_with_its_file(marketer):
    stale = services.create_import(file=upload(hubspot_file(2)), by=marketer)
    fresh = services.create_import(file=upload(hubspot_file(2)), by=marketer)
    LeadImport.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=31))
    stale_path, fresh_path = stored(stale), stored(fresh)

    assert services.purge_old_files() == (0, 1)

    assert not LeadImport.objects.filter(pk=stale.pk).exists()
    assert not stale_path.exists()
    assert LeadImport.objects.filter(pk=fresh.pk).exists() and fresh_path.exists()


def test_a_running_import_keeps_its_file_however_old(marketer):
    lead_import = services.start_import(
        services.create_import(file=upload(hubspot_file(2)), by=marketer), by=marketer
    )
    LeadImport.objects.filter(pk=lead_import.pk).update(
        status=LeadImport.Status.RUNNING, created_at=timezone.now() - timedelta(days=90)
    )

    assert services.purge_old_files() == (0, 0)
    assert stored(lead_import).exists()


def test_the_beat_schedule_runs_the_purge_every_night(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-old-import-files"]
    assert entry["task"] == "leads.imports.tasks.purge_old_import_files"
    from leads.imports.tasks import purge_old_import_files

    assert purge_old_import_files.name == entry["task"]
