"""API: what one ``POST leads/`` costs in queries, so a regression fails here.

The capture itself (``leads.capture``) has its own count; the API adds one query, the
token with its user and the user's roles, and reads nothing else: the throttle counts in
the cache, and the answer is built from the lead the capture returns.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alignment.models import ApiToken
from alignment.services.tokens import create_token
from leads import services
from leads.models import TouchpointKind
from tests.factories import LeadFactory

URL = "/api/v1/leads/"
BODY = {"first_name": "Ana", "company": "Acme", "job_title": "VP Sales", "country": "US"}


@pytest.fixture
def token_api(api, marketer):
    issued = create_token(marketer, name="Website")
    # Used a moment ago, as in a busy integration: its last-used time is not due again.
    ApiToken.objects.update(last_used_at=timezone.now())
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    return api


def capture_queries(email: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        services.capture_lead(email=email, touchpoint_kind=TouchpointKind.API, **BODY)
    return [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("known", [False, True], ids=["new", "known"])
def test_a_capture_request_costs_the_capture_and_one_query(token_api, known):
    if known:
        LeadFactory(email="ana@acme.com")
        LeadFactory(email="bo@beta.io")
    alone = capture_queries("bo@beta.io")

    with CaptureQueriesContext(connection) as queries:
        response = token_api.post(URL, {"email": "ana@acme.com", **BODY}, format="json")

    assert response.status_code == (200 if known else 201)
    sql = [query["sql"] for query in queries.captured_queries]
    assert len(sql) == len(alone) + 1, "\n".join(sql)
    assert "alignment_apitoken" in sql[0]


def test_an_idempotency_key_adds_its_row_and_its_transaction(token_api):
    alone = capture_queries("bo@beta.io")

    with CaptureQueriesContext(connection) as queries:
        response = token_api.post(
            URL, {"email": "ana@acme.com", **BODY}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
        )

    assert response.status_code == 201
    sql = [query["sql"] for query in queries.captured_queries]
    # The token; then the request's transaction, the key's row (one INSERT ... ON CONFLICT
    # DO NOTHING, no savepoint) and its answer written.
    assert len(sql) == len(alone) + 5, "\n".join(sql)
