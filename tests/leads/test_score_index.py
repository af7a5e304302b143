"""Leads sort and filter by score through ``LeadScore``, a narrow table with the index
``leads_lead`` gave up so that a rescore rewrites a lead in place.

The database keeps the copy (triggers of migration 0012), so each test writes a score
the way the product does and then compares the copy with ``Lead.score``.
"""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alignment.pages import PAGE_SIZE
from leads.filters import LeadFilter
from leads.models import Lead, LeadScore, Stage
from leads.scoring import Rule, rescoring
from leads.scoring.rules import services as rule_services
from leads.services import capture_lead, capture_leads, merge_leads, score_lead, update_lead
from leads.views import SORTS
from tests.factories import CampaignFactory, LeadFactory, TouchpointFactory

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
LIST = reverse("leads:list")
API = "/api/v1/leads/"

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="query plans and row versions are PostgreSQL's"
)


def assert_in_step() -> None:
    """Every lead has exactly one row of ``LeadScore``, holding its score."""
    copied = dict(LeadScore.objects.values_list("lead_id", "score"))
    assert copied == dict(Lead.objects.values_list("pk", "score"))


def run_rescore(job) -> None:
    assert rescoring.run_rescore(job.pk, worker="test", now=NOW) == "done"


def row_versions() -> dict[int, str]:
    """Each lead's row of ``LeadScore`` and the transaction that wrote its version."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT lead_id, xmin::text FROM leads_leadscore")
        return dict(cursor.fetchall())


# The copy follows every path that writes a score.


def test_a_captured_lead_has_its_row_from_the_start(db):
    capture_lead(email="ana@acme.com")
    capture_leads([{"email": "bo@beta.io"}, {"email": "cy@gamma.io"}, {"email": "ana@acme.com"}])

    assert LeadScore.objects.count() == 3
    assert_in_step()


def test_scoring_one_lead_changes_its_row(db):
    lead = LeadFactory()

    score_lead(lead.pk, now=NOW)

    assert LeadScore.objects.get(lead=lead).score == 30  # the default rules
    assert_in_step()


def test_the_batch_rescore_changes_the_rows_of_the_leads_it_rescored(db):
    leads = LeadFactory.create_batch(3, stage=Stage.SAL, scored_at=NOW)
    TouchpointFactory(lead=leads[0], kind="pricing_page_view", occurred_at=NOW)

    run_rescore(rescoring.start_rescore(reason="test", chunk_leads=2))

    assert [row.score for row in LeadScore.objects.order_by("lead_id")] == [40, 30, 30]
    assert_in_step()


def test_activating_a_rule_set_keeps_every_row_in_step(db, marketer):
    LeadFactory.create_batch(3, stage=Stage.SAL)
    LeadFactory(stage=Stage.SAL, country="DE")
    draft = rule_services.create_draft(
        by=marketer,
        rules=[Rule(kind="fit", field="country", operator="equals", value="US", points=55)],
    )

    run_rescore(rule_services.activate_ruleset(draft, by=marketer, now=NOW))

    assert sorted(LeadScore.objects.values_list("score", flat=True)) == [0, 55, 55, 55]
    assert_in_step()


def test_a_merge_takes_the_duplicates_row_away_and_the_survivors_row_follows(db, marketer):
    survivor = LeadFactory(email="ana@acme.com", score=10)
    duplicate = LeadFactory(email="ana.a@acme.com", score=80)
    TouchpointFactory(lead=duplicate, kind="demo_requested", occurred_at=NOW)

    merge_leads(survivor, duplicate, by=marketer)
    score_lead(survivor.pk, now=NOW)

    assert list(LeadScore.objects.values_list("lead_id", flat=True)) == [survivor.pk]
    assert_in_step()


def test_any_write_of_the_score_is_followed_even_a_raw_update(db):
    leads = LeadFactory.create_batch(2, score=5)

    Lead.objects.filter(pk=leads[0].pk).update(score=77)

    assert LeadScore.objects.get(lead=leads[0]).score == 77
    assert_in_step()


def test_an_edit_that_leaves_the_score_alone_leaves_the_row_alone(db):
    lead = LeadFactory(score=40)

    update_lead(lead, job_title="CMO")

    assert LeadScore.objects.get(lead=lead).score == 40


def test_the_database_keeps_the_copy_with_two_triggers(db):
    """A migration after which SQLite rebuilds ``leads_lead`` (it does for many column
    changes) drops the table's triggers: it must create them again, as 0012 does."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'leads_lead'::regclass "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'leads_lead'"
            )
        names = {name for (name,) in cursor.fetchall()}
    assert {"leads_leadscore_insert", "leads_leadscore_update"} <= names


@postgresql_only
def test_scoring_rewrites_only_the_rows_whose_score_changed(db):
    leads = LeadFactory.create_batch(3, stage=Stage.SAL)
    run_rescore(rescoring.start_rescore(reason="first"))
    before = row_versions()
    TouchpointFactory(lead=leads[1], kind="pricing_page_view", occurred_at=NOW)

    run_rescore(rescoring.start_rescore(reason="second"))
    score_lead(leads[2].pk, now=NOW)  # writes the lead, with the score it had

    after = row_versions()
    assert {lead_id for lead_id in after if after[lead_id] != before[lead_id]} == {leads[1].pk}
    assert_in_step()


# Sorting and filtering read the copy.


def test_the_list_sorts_by_score_both_ways_with_ties_broken_by_id(client, marketer):
    middle, low, high, tie = (LeadFactory(score=score) for score in (50, 10, 90, 50))
    client.force_login(marketer)

    highest = client.get(LIST, {"sort": "score"}).context["page"].object_list
    lowest = client.get(LIST, {"sort": "score_low"}).context["page"].object_list

    assert list(highest) == [high, tie, middle, low]
    assert list(lowest) == [low, middle, tie, high]


def test_the_api_orders_by_score_both_ways(api_as, marketer):
    for email, score in (("mid@x.io", 50), ("low@x.io", 5), ("high@x.io", 95)):
        LeadFactory(email=email, score=score)
    client = api_as(marketer)

    descending = client.get(API, {"ordering": "-score"}).json()["results"]
    ascending = client.get(API, {"ordering": "score"}).json()["results"]

    assert [row["email"] for row in descending] == ["high@x.io", "mid@x.io", "low@x.io"]
    assert [row["email"] for row in ascending] == ["low@x.io", "mid@x.io", "high@x.io"]


def test_the_score_range_includes_its_bounds(db):
    leads = {score: LeadFactory(score=score) for score in (49, 50, 60, 61)}

    found = LeadFilter({"score_min": 50, "score_max": 60}, queryset=Lead.objects.all()).qs

    assert set(found) == {leads[50], leads[60]}


def test_counting_the_list_sorted_by_score_reads_only_the_leads(client, marketer):
    LeadFactory.create_batch(3)
    client.force_login(marketer)

    with CaptureQueriesContext(connection) as queries:
        client.get(LIST, {"sort": "score"})

    [count] = [
        query["sql"]
        for query in queries
        if query["sql"].startswith('SELECT COUNT(*) AS "__count" FROM "leads_lead"')
    ]
    assert "leads_leadscore" not in count


def test_the_list_sorted_and_filtered_by_score_takes_as_many_queries_as_unsorted(
    client, marketer, rep, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    for score in range(30):
        LeadFactory(campaign=campaign, owner=rep, score=score)
    client.force_login(marketer)

    # session, user, roles, unread count, campaigns, owners, count, rows, time zone
    with django_assert_max_num_queries(9):
        response = client.get(LIST, {"sort": "score", "score_min": 2})

    assert [lead.score for lead in response.context["page"].object_list] == list(
        range(29, 29 - PAGE_SIZE, -1)
    )


def test_the_api_sorted_by_score_takes_as_many_queries_as_unsorted(
    api_as, marketer, django_assert_max_num_queries
):
    campaign = CampaignFactory()
    for score in range(30):
        LeadFactory(campaign=campaign, owner=marketer, score=score)
    client = api_as(marketer)

    with django_assert_max_num_queries(4):
        response = client.get(API, {"page_size": 100, "ordering": "-score", "score_max": 9})

    assert [row["score"] for row in response.json()["results"]] == list(range(9, -1, -1))


@postgresql_only
def test_the_list_sorted_by_score_is_read_along_the_score_index(db):
    Lead.objects.bulk_create(
        Lead(email=f"lead{n}@example.com", score=n % 97, stage=Stage.NEW) for n in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
        cursor.execute("ANALYZE leads_leadscore")
    listed = Lead.objects.select_related("campaign", "owner")

    plans = {
        sort: LeadFilter({}, queryset=listed).qs.order_by(*SORTS[sort])[:PAGE_SIZE].explain()
        for sort in ("score", "score_low")
    }
    filtered = (
        LeadFilter({"score_min": 90, "score_max": 92}, queryset=listed)
        .qs.order_by(*SORTS["score"])[:PAGE_SIZE]
        .explain()
    )

    assert "Index Only Scan Backward using lead_score_rank" in plans["score"]
    assert "Index Only Scan using lead_score_rank" in plans["score_low"]
    assert "Index Cond: ((score >= 90) AND (score <= 92))" in filtered
    assert not any("Sort" in plan for plan in (*plans.values(), filtered))


def test_a_dump_of_leads_loads_back_with_the_scores_in_step(db, tmp_path):
    import io
    import json

    from django.core.management import call_command

    lead = LeadFactory(score=42)
    dump = io.StringIO()
    call_command("dumpdata", "leads.lead", stdout=dump)
    rows = json.loads(dump.getvalue())
    assert "ranking" not in rows[0]["fields"]

    Lead.objects.all().delete()
    fixture = tmp_path / "leads.json"
    fixture.write_text(dump.getvalue())
    call_command("loaddata", str(fixture), verbosity=0)
    assert LeadScore.objects.get(lead_id=lead.pk).score == 42
