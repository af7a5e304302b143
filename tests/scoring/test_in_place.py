"""A rescore rewrites each lead in place on PostgreSQL.

PostgreSQL updates a row "HOT" (heap-only: the new version on the same page, no index
touched) only when no index refers to a column the update changes. The rescore changes
the score columns, the explanation and ``scored_at``, so no index of ``leads_lead`` may
name them, in its columns, its expressions or its condition; the outbox sweep's index
reads the generated ``unscored`` column instead, which a rescore of a scored lead leaves
as it is.
"""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from leads import tasks
from leads.models import Lead, Stage
from leads.scoring.rules.batch import rescore_range
from tests.factories import LeadFactory, TouchpointFactory

from .conftest import NOW

RESCORED_COLUMNS = {"score", "fit_score", "engagement_score", "score_breakdown", "scored_at"}

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="HOT updates are PostgreSQL's (set DATABASE_URL)"
)


def index_columns() -> dict[str, set[str]]:
    """Every index of ``leads_lead`` with the columns it refers to anywhere."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT index.relname, attribute.attname
            FROM pg_index
            JOIN pg_class AS index ON index.oid = pg_index.indexrelid
            JOIN pg_attribute AS attribute ON attribute.attrelid = pg_index.indrelid
            WHERE pg_index.indrelid = %s::regclass AND attribute.attnum > 0 AND (
                attribute.attnum = ANY(pg_index.indkey)
                OR pg_get_expr(pg_index.indexprs, pg_index.indrelid)
                    ~ ('\\m' || attribute.attname || '\\M')
                OR pg_get_expr(pg_index.indpred, pg_index.indrelid)
                    ~ ('\\m' || attribute.attname || '\\M')
            )
            """,
            [Lead._meta.db_table],
        )
        found: dict[str, set[str]] = {}
        for index, column in cursor.fetchall():
            found.setdefault(index, set()).add(column)
    return found


def lead_updates_in_this_transaction() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [Lead._meta.db_table],
        )
        return cursor.fetchone()


@postgresql_only
def test_no_index_of_leads_names_a_column_the_rescore_changes(db):
    indexes = index_columns()
    assert "lead_unscored" in indexes  # the query sees expressions and conditions
    assert {name: columns & RESCORED_COLUMNS for name, columns in indexes.items()} == {
        name: set() for name in indexes
    }


@postgresql_only
def test_leads_pages_keep_room_for_the_new_versions(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", ["leads_lead"])
        assert cursor.fetchone()[0] == ["fillfactor=50"]


@postgresql_only
def test_a_rescore_that_changes_every_score_updates_every_lead_in_place(db):
    # Scored before, and past the stages scoring moves: every lead takes the batch's write.
    leads = LeadFactory.create_batch(5, scored_at=NOW, stage=Stage.SAL)
    for lead in leads:
        TouchpointFactory(lead=lead, kind="pricing_page_view", occurred_at=NOW)
    first, last = leads[0].pk, leads[-1].pk
    with transaction.atomic():
        before = lead_updates_in_this_transaction()
        stats = rescore_range(first, last, now=NOW)
        after = lead_updates_in_this_transaction()
    assert stats.changed == 5
    assert (after[0] - before[0], after[1] - before[1]) == (5, 5)


def test_unscored_follows_scored_at(db):
    lead = LeadFactory(scored_at=None)
    assert Lead.objects.get(pk=lead.pk).unscored is True
    Lead.objects.filter(pk=lead.pk).update(scored_at=timezone.now())
    assert Lead.objects.get(pk=lead.pk).unscored is False


def test_the_sweep_scores_only_the_unscored_leads(db):
    stale = LeadFactory(scored_at=None)
    fresh = LeadFactory(scored_at=NOW)
    assert tasks.score_unscored_leads() == 1
    assert Lead.objects.get(pk=stale.pk).scored_at is not None
    assert Lead.objects.get(pk=fresh.pk).scored_at == NOW
