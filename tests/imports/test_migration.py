"""The migration to parts: an import queued or running when it runs goes on as one part
from where it stood, and finishes."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from leads.imports import services
from leads.imports.models import LeadImport
from leads.models import Lead
from tests.factories import UserFactory
from tests.imports.conftest import hubspot_file, upload

BEFORE = [("leads", "0013_lead_ranking_not_serialized")]
AFTER = [("leads", "0014_lead_import_parts")]

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_an_import_running_before_the_migration_finishes_as_one_part(monkeypatch):
    from leads import tasks as lead_tasks

    monkeypatch.setattr(lead_tasks.score_leads, "apply_async", lambda *args, **kwargs: None)
    marketer = UserFactory(username="mia", roles=["marketing"])
    stored = services.create_import(file=upload(hubspot_file(5)), by=marketer)
    old_apps = migrate(BEFORE)
    try:
        OldImport = old_apps.get_model("leads", "LeadImport")
        # Rows 2 and 3 were captured before the upgrade; the run stopped at row 4.
        OldImport.objects.filter(pk=stored.pk).update(status="running", next_row=4, processed=2)
        finished = OldImport.objects.create(file=stored.file.name, status="done", next_row=7)
        draft = OldImport.objects.create(file=stored.file.name, status="draft")
    finally:
        migrate(AFTER)

    lead_import = LeadImport.objects.get(pk=stored.pk)
    assert list(lead_import.parts.values_list("number", "next_row", "finished_at")) == [
        (0, 4, None)
    ]
    assert not LeadImport.objects.get(pk=finished.pk).parts.exists()
    assert not LeadImport.objects.get(pk=draft.pk).parts.exists()

    assert services.run_import_part(lead_import.pk, 0) == "done"
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.processed, lead_import.created) == ("done", 5, 3)
    assert set(Lead.objects.values_list("email", flat=True)) == {
        f"person{number}@example.com" for number in (3, 4, 5)
    }
