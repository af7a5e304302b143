"""Two reps press "Claim next" in two real browsers at once; each lands on a different lead.

On PostgreSQL the two requests run side by side and ``FOR UPDATE SKIP LOCKED`` hands them
two different rows; on SQLite the claims take turns on the write lock and the second one
sees the first lead taken.

Set ``E2E_SCREENSHOTS=<folder>`` to also save both reps' lead pages after the claim.
"""

import re
import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from handoffs.models import Handoff
from leads import lifecycle
from leads.models import Lead, Stage
from tests.factories import LeadFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: How far ahead both clicks are scheduled, so that both pages know the moment before it comes.
HEAD_START_MS = 500


@pytest.fixture
def claims_take_turns_on_sqlite(live_server):
    """The in-memory SQLite test database gives each server thread its own connection to
    one shared cache, where a second writer fails at once ("database table is locked")
    instead of waiting for the write lock as it does on a database file. On SQLite the
    live server therefore answers one request at a time, the order that lock imposes;
    on PostgreSQL both requests run at once."""
    if connection.vendor != "sqlite":
        yield
        return
    server = live_server.thread.httpd
    app = server.get_app()
    turn = threading.Lock()

    def one_at_a_time(environ, start_response):
        with turn:
            return app(environ, start_response)

    server.set_app(one_at_a_time)
    yield
    server.set_app(app)


def mql(first_name: str, last_name: str) -> Handoff:
    lead = LeadFactory(first_name=first_name, last_name=last_name, stage=Stage.NEW, score=60)
    lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Score reached the threshold.")
    return lead.handoffs.get()


def click_at(page, selector: str, at_ms: float) -> None:
    """Have the page click ``selector`` when its clock reads ``at_ms`` (epoch ms); both
    browser windows read the same clock, so two pages told the same moment click together."""
    page.evaluate(
        """([selector, at]) => {
            setTimeout(() => document.querySelector(selector).click(), at - Date.now());
        }""",
        [selector, at_ms],
    )


def test_two_reps_pressing_claim_next_at_once_each_get_a_different_lead(
    claims_take_turns_on_sqlite, open_as, shots, rep, other_rep
):
    queued = [mql("Ada", "Archer"), mql("Ben", "Baker"), mql("Cleo", "Cole")]
    sam, rob = open_as("sam"), open_as("rob")
    for page in (sam, rob):
        expect(page.get_by_role("heading", name="Queue")).to_be_visible()
        expect(page.locator(".work-card")).to_have_count(3)
    shots.take(sam, "claim-next-1-queue")

    at = sam.evaluate("Date.now()") + HEAD_START_MS
    for page in (sam, rob):
        click_at(page, "#claim-next", at)

    lead_page = re.compile(r"/leads/(\d+)/$")
    for page in (sam, rob):
        expect(page).to_have_url(lead_page)
    landed = {
        name: int(lead_page.search(page.url).group(1))
        for name, page in (("sam", sam), ("rob", rob))
    }
    assert landed["sam"] != landed["rob"]

    claimed = Handoff.objects.filter(status=Handoff.Status.CLAIMED).select_related("claimed_by")
    assert {h.claimed_by.username: h.lead_id for h in claimed} == landed
    # The two most urgent leads went; the third still waits.
    assert {h.pk for h in claimed} == {queued[0].pk, queued[1].pk}
    assert Handoff.objects.get(pk=queued[2].pk).status == Handoff.Status.OPEN
    owners = dict(Lead.objects.filter(pk__in=landed.values()).values_list("pk", "owner__username"))
    assert owners == {landed["sam"]: "sam", landed["rob"]: "rob"}

    for name, page in (("sam", sam), ("rob", rob)):
        lead = Lead.objects.get(pk=landed[name])
        expect(page.get_by_role("heading", name=str(lead))).to_be_visible()
        expect(page.locator("#toasts")).to_contain_text(f"Claimed {lead}.")
        expect(page.locator(".page-header__meta")).to_contain_text("SAL")
        shots.take(page, f"claim-next-2-lead-{name}")
