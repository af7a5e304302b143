"""``alignment.bulk.insert_columns``: many rows in, column by column, exactly as given."""

import json
from datetime import UTC, datetime

import pytest
from django.db import DataError, connection, transaction

from alignment.bulk import insert_columns
from alignment.models import Event

TRICKY = [
    "",
    "plain",
    'a "quoted" word',
    'back\\slash \\\\ and \\"',
    "{braces}, commas, and NULL",
    "NULL",
    "  leading and trailing spaces  ",
    "line\nbreak\ttab",
    "ünïcødé ✓ 日本",
]


def test_it_writes_every_value_as_given_and_returns_the_ids_in_row_order(db):
    at = datetime(2026, 11, 29, 8, 30, 15, 123456, tzinfo=UTC)
    payloads = [{"text": text, "n": n} for n, text in enumerate(TRICKY)]

    ids = insert_columns(
        Event,
        {
            "name": ["test.bulk"] * len(TRICKY),
            "subject": TRICKY,
            "payload": [json.dumps(payload) for payload in payloads],
            "created_at": [at] * len(TRICKY),
        },
        returning_ids=True,
    )

    assert len(ids) == len(TRICKY)
    stored = Event.objects.in_bulk(ids)
    assert [stored[pk].subject for pk in ids] == TRICKY
    assert [stored[pk].payload for pk in ids] == payloads
    assert {stored[pk].created_at for pk in ids} == {at}


def test_it_writes_nulls_and_numbers(db):
    from leads.models import Lead, Touchpoint

    lead = Lead.objects.create(email="ana@acme.com")
    ids = insert_columns(
        Touchpoint,
        {
            "lead_id": [lead.pk, lead.pk],
            "campaign_id": [None, None],
            "kind": ["page_view", "email_click"],
            "occurred_at": [
                datetime(2026, 1, 1, tzinfo=UTC),
                datetime(2026, 1, 2, 12, tzinfo=UTC),
            ],
            "url": ["https://acme.example/pricing", ""],
            "referrer": ["", ""],
            "note": ["", ""],
            "consent_text": ["", ""],
            "created_at": [datetime(2026, 1, 3, tzinfo=UTC)] * 2,
        },
        returning_ids=True,
    )

    rows = list(Touchpoint.objects.filter(pk__in=ids).order_by("pk"))
    assert [(row.kind, row.campaign_id, row.occurred_at.day) for row in rows] == [
        ("page_view", None, 1),
        ("email_click", None, 2),
    ]


def test_it_does_nothing_for_no_rows(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert insert_columns(Event, {"name": [], "subject": []}) == []


def test_it_refuses_columns_of_different_lengths(db):
    with pytest.raises(ValueError, match="different lengths"):
        insert_columns(Event, {"name": ["a", "b"], "subject": ["a"]})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's casts")
def test_a_value_too_long_for_its_column_is_refused_not_cut_short(db):
    with pytest.raises(DataError), transaction.atomic():
        insert_columns(
            Event,
            {
                "name": ["test.bulk"],
                "subject": ["x" * 81],  # the column holds 80
                "payload": ["{}"],
                "created_at": [datetime(2026, 1, 1, tzinfo=UTC)],
            },
        )
    assert not Event.objects.filter(name="test.bulk").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the array literals")
def test_a_naive_datetime_is_refused(db):
    with pytest.raises(ValueError, match="naive"):
        insert_columns(
            Event,
            {
                "name": ["test.bulk"],
                "subject": [""],
                "payload": ["{}"],
                "created_at": [datetime(2026, 1, 1)],  # noqa: DTZ001 - naive on purpose
            },
        )
