# Covering indexes for the KPI queries (kpis.queries) at a million leads, PostgreSQL only.
#
# Each one lets a KPI query answer from an index alone (an index-only scan) instead of
# reading the table's rows one by one. Timed on bench/kpis.py's data (1,000,000 leads,
# 3,000,000 touchpoints, 2 busy cores), with these indexes and without any of them:
#
# - stage_change_to_time_lead: the funnel counts walk the (to_stage, changed_at) range and
#   need each change's lead and amount (the summary's stage query: 95 ms, 240-380 without);
# - lead_created_scope: leads created in a period per campaign or owner (the campaign
#   table's lead counts: 55 ms, 150-230 without);
# - lead_scope: a lead's campaign and owner by id, for the joins that group stage changes
#   and handoffs by campaign or owner (campaign table's stages: 300 ms, 480-560 without);
# - touchpoint_attribution: the campaign touchpoints of a lead up to a time, with the id
#   that breaks ties between touchpoints at the same instant (first/last touch credit:
#   100-190 ms, 290-370 without);
# - lead_mql: the ids of the leads at MQL, a small partial index, for the MQLs still
#   waiting for a handoff (the summary's counts of now: 15 ms, 45-75 without).
#
# INCLUDE columns are PostgreSQL's (Django's Index(include=...) warns on SQLite, where an
# index always carries the row id and the tables of the tests are small): nothing to do
# on other databases. In the kpis app, which reads these tables, so that the leads app's
# numbering is left to the helpers changing its models.
from django.db import migrations

INDEXES = {
    "stage_change_to_time_lead": (
        "leads_stagechange",
        "(to_stage, changed_at) INCLUDE (lead_id, amount)",
    ),
    "lead_created_scope": ("leads_lead", "(created_at) INCLUDE (campaign_id, owner_id)"),
    "lead_scope": ("leads_lead", "(id) INCLUDE (campaign_id, owner_id)"),
    "touchpoint_attribution": (
        "leads_touchpoint",
        "(lead_id, occurred_at) INCLUDE (campaign_id, id)",
    ),
    "lead_mql": ("leads_lead", "(id) WHERE stage = 'mql'"),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (table, columns) in INDEXES.items():
        # IF NOT EXISTS: a database tuned by hand with the same index keeps it.
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("kpis", "0001_goals"),
        ("leads", "0012_lead_scores_indexed_in_a_narrow_table"),
    ]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
