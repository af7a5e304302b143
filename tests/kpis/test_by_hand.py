"""Every KPI worked out by hand on one constructed March, against the query functions,
``/api/v1/kpis/`` and the dashboard's CSV exports.

The period is March 2026 (UTC); the period before it is 29 January – 28 February (31
days). ``NOW`` is mid-April, so every March deadline has passed. The agreement in force
(v1) gives 60 minutes to claim, 240 from the claim to the first contact, and asks for no
field; campaign B's handoffs were opened under v2, which asks for the lead's phone (only
b2 has one).

Campaigns and spend (cost entries by date):

| campaign | channel     | March                     | Feb (before)  | outside        |
| A        | email       | 600 (5th) + 300 (20th)    | 200 (15 Feb)  | 50 (28 Jan)    |
| B        | email       | 400 (10th)                |               |                |
| C        | paid search | 500 (1st)                 | 300 (28 Feb)  | 100 (1 Apr)    |
March 900 + 400 + 500 = 1,800; before 200 + 300 = 500.

Leads (created at 10:00 on the day; p1, p2 in February) and their stage history; the
MQL opens the handoff, the claim makes the SAL; "now" is the stage today (recy: recycled).

| lead | of | created | mql          | sal          | sql          | end              | own | now  |
| a1   | A  | 1 Mar   | 2 Mar        | 2 Mar 10:20  | 9 Mar 10:20  | won 20 Mar 3,000 | sam | won  |
| a2   | A  | 2 Mar   | 3 Mar        | 3 Mar 11:30  | 10 Mar 11:30 | lost 25 Mar      | sam | lost |
| a3   | A  | 2 Mar   | 4 Mar        |              |              | recycled 10:30   |     | recy |
| a4   | A  | 3 Mar   | 5 Mar        |              |              | (withdrawn)      |     | mql  |
| a5   | A  | 28 Mar  |              |              |              |                  |     | new  |
| b1   | B  | 4 Mar   | 6 Mar        | 6 Mar 10:10  |              |                  | rob | sal  |
| b2   | B  | 4 Mar   | 7 Mar        | 7 Mar 10:45  | 12 Mar 10:45 | won 26 Mar 3,000 | sam | won  |
| b3   | B  | 8 Mar   | 31 Mar 22:00 |              |              | (handoff open)   |     | mql  |
| c1   | C  | 6 Mar   | 10 Mar       | 10 Mar 10:30 | 16 Mar 10:30 | won 28 Mar 5,000 | rob | won  |
| c2   | C  | 7 Mar   | 11 Mar       | 11 Mar 11:10 | 18 Mar 11:10 |                  | sam | sql  |
| c3   | C  | 9 Mar   | 12 Mar       | 13 Mar       |              | (no handoff)     |     | sal  |
| n1   | -  | 14 Mar  | 15 Mar       |              |              | (no handoff)     |     | mql  |
| p1   | A  | 10 Feb  | 12 Feb       | 12 Feb 10:30 | 20 Feb       | won 15 Mar 1,000 | sam | won  |
| p2   | C  | 20 Feb  | 21 Feb       |              |              | recycled 10:20   |     | recy |

Handoffs (minutes after it opened; claim due at +60, contact due 240 after the claim):

| h  | rep | routed | notified | claimed | contact | end                   | claim | contact |
| a1 | sam | +2     | +5       | +20     | +80     | claimed
| a2 | sam | +1     | +4       | +90     | +120    | closed                | late  | met     |
| a3 | rob | +1     | +3       |         |         | rejected +30 not_a_fit| met   |         |
| a4 | —   | +1     |          |         |         | withdrawn +30         | (not due)       |
| b1 | rob | +1     | +2       | +10     |         | claimed               | met   | missed  |
| b2 | sam | +3     | +6       | +45     | +345    | claimed               | met   | late    |
| b3 | sam | +1     | +2       |         |         | open, due 23:00       | missed|         |
| c1 | rob | +1     | +2       | +30     | +90     | claimed               | met   | met     |
| c2 | sam | +2     | +4       | +70     | +100    | claimed               | late  | met     |
| p1 | sam | +1     | +2       | +30     | +90     | claimed (12 Feb)      | met   | met     |
| p2 | rob | +1     | +2       |         |         | rejected +20 no_need (21 Feb) | met |      |

Campaign touchpoints (and one page view with no campaign each for c2 and n1):
a1 A 1 Mar, C 8 Mar, B 22 Mar (after its deal); a2 A 2 Mar; b2 B 4 Mar, B 6 Mar,
A 11 Mar, C 20 Mar; c1 C 6 Mar; c2 C 19 Mar (after its SQL); p1 A 10 Feb, B 1 Mar;
the others their own campaign when created.
"""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from alignment.models import AgreementVersion
from campaigns.models import Channel
from handoffs.models import Handoff
from kpis.models import Rollup
from kpis.queries import (
    DEFAULT_METRICS,
    METRICS,
    NO_CAMPAIGN,
    Scope,
    campaign_rows,
    compare,
    rep_rows,
    values,
)
from kpis.queries.metrics import PREVIOUS_METRICS
from kpis.rollups import refresh_rollups
from leads.models import Stage
from tests.factories import CampaignFactory, CostEntryFactory, TouchpointFactory
from tests.kpis.builders import BEFORE_MARCH, MARCH, MINUTE, NOW, at, history, lead_created, opened

D = Decimal

# fmt: off
#: March, every KPI of ``METRICS``.
BY_HAND = {
    # The funnel: distinct leads entering each stage in March.
    "leads": 12,  # a1–a5, b1–b3, c1–c3, n1 (p1, p2 were created in February)
    "mqls": 11,  # all of them but a5
    "sals": 7,  # a1 a2 b1 b2 c1 c2 c3
    "sqls": 5,  # a1 a2 b2 c1 c2
    "won": 4,  # a1 b2 c1, and p1 (an SQL since February)
    "lost": 1,  # a2
    "lead_to_mql_rate": 0.9167,  # 11 / 12
    "mql_to_sal_rate": 0.6364,  # 7 / 11
    "sal_to_sql_rate": 0.7143,  # 5 / 7
    "sql_to_won_rate": 0.8,  # 4 / 5
    "mql_to_sql_rate": 0.4545,  # 5 / 11
    "win_rate": 0.8,  # 4 / (4 + 1)
    "lead_velocity": 4.5,  # (11 − 2) / 2 MQLs in February
    # Money.
    "won_amount": D("12000.00"),  # 3,000 + 3,000 + 5,000 + 1,000
    "spend": D("1800.00"),  # 900 + 400 + 500
    "cost_per_lead": D("150.00"),  # 1,800 / 12
    "cost_per_mql": D("163.64"),  # 1,800 / 11 = 163.636…
    "cost_per_sql": D("360.00"),  # 1,800 / 5
    "cost_per_won": D("450.00"),  # 1,800 / 4
    "roi": 5.6667,  # (12,000 − 1,800) / 1,800
    # The handoffs opened in March: a1 a2 a3 a4 b1 b2 b3 c1 c2.
    "handoffs": 9,
    "rejected": 1,  # a3
    "acceptance_rate": 0.8571,  # accepted a1 a2 b1 b2 c1 c2 / (6 + a3); a4 withdrawn
    "sla_compliance_rate": 0.375,  # a1 c1 a3 / due: all but a4 (8)
    "claim_sla_rate": 0.625,  # a1 b1 b2 c1 a3 / 8
    "contact_sla_rate": 0.6667,  # a1 a2 c1 c2 / claimed a1 a2 b1 b2 c1 c2 (6)
    # Speed to lead, minutes; p90 interpolates at 0.9 × (n − 1) of the sorted values.
    "speed_to_route_minutes_median": 1.0,  # 1 1 1 1 1 1 2 2 3
    "speed_to_route_minutes_p90": 2.2,  # 2 + 0.2 × (3 − 2)
    "speed_to_notify_minutes_median": 2.0,  # 1 1 1 2 2 3 3 3 (a4 never notified)
    "speed_to_notify_minutes_p90": 3.0,  # between 3 and 3
    "speed_to_pick_up_minutes_median": 33.5,  # 8 15 28 39 66 86: (28 + 39) / 2
    "speed_to_pick_up_minutes_p90": 76.0,  # 66 + 0.5 × (86 − 66)
    "speed_to_contact_minutes_median": 60.0,  # 30 30 60 60 300
    "speed_to_contact_minutes_p90": 204.0,  # 60 + 0.6 × (300 − 60)
    "speed_to_claim_minutes_median": 37.5,  # 10 20 30 45 70 90: (30 + 45) / 2
    "speed_to_claim_minutes_p90": 80.0,  # 70 + 0.5 × (90 − 70)
    "speed_to_lead_minutes_median": 100.0,  # 80 90 100 120 345
    "speed_to_lead_minutes_p90": 255.0,  # 120 + 0.6 × (345 − 120)
    "brief_completeness_rate": 0.7778,  # 7 / 9: b1 and b3 (under v2) have no phone
    # Time in stage: median days of the stays that ended in March.
    "days_in_new_median": 2.0,  # 1 1 1 2 2 2 3 3 4 4 23.5 (b3)
    "days_in_mql_median": 0.0,  # minutes 10 20 30 30 45 70 90 1440: 37.5 min = 0.026 days
    "days_in_sal_median": 7.0,  # 5 (b2) 6 (c1) 7 (a1) 7 (a2) 7 (c2)
    "days_in_sql_median": 14.0,  # 11 (a1) 12 (c1) 14 (b2) 15 (a2) 23 (p1)
    # Now, whatever the period.
    "unowned_leads": 1,  # c3, a SAL nobody owns
    "mqls_waiting": 2,  # MQLs a4 n1 (b3 has an open handoff)
}

#: 29 January – 28 February: ``previous`` of the summary (``DEFAULT_METRICS``).
PREVIOUS_BY_HAND = {
    "leads": 2,  # p1 p2
    "mqls": 2,  # p1 p2
    "sals": 1,  # p1
    "sqls": 1,  # p1
    "won": 0,
    "lost": 0,
    "lead_to_mql_rate": 1.0,  # 2 / 2
    "mql_to_sal_rate": 0.5,  # 1 / 2
    "sal_to_sql_rate": 1.0,  # 1 / 1
    "sql_to_won_rate": 0.0,  # 0 / 1
    "mql_to_sql_rate": 0.5,  # 1 / 2
    "win_rate": None,  # 0 / (0 + 0)
    "lead_velocity": None,  # no MQLs the month before
    "won_amount": D("0.00"),
    "spend": D("500.00"),  # 200 + 300
    "cost_per_lead": D("250.00"),  # 500 / 2
    "cost_per_mql": D("250.00"),  # 500 / 2
    "cost_per_sql": D("500.00"),  # 500 / 1
    "cost_per_won": None,  # no deal
    "roi": -1.0,  # (0 − 500) / 500
    "handoffs": 2,  # p1 p2
    "rejected": 1,  # p2
    "acceptance_rate": 0.5,  # p1 / (p1 + p2)
    "sla_compliance_rate": 1.0,  # p1 claimed and contacted in time, p2 sent back in time
    "claim_sla_rate": 1.0,  # 2 / 2
    "contact_sla_rate": 1.0,  # 1 / 1
    "speed_to_route_minutes_median": 1.0,  # 1 1
    "speed_to_route_minutes_p90": 1.0,
    "speed_to_notify_minutes_median": 1.0,  # 1 1
    "speed_to_notify_minutes_p90": 1.0,
    "speed_to_pick_up_minutes_median": 28.0,  # p1: 30 − 2
    "speed_to_pick_up_minutes_p90": 28.0,
    "speed_to_contact_minutes_median": 60.0,  # p1: 90 − 30
    "speed_to_contact_minutes_p90": 60.0,
    "speed_to_claim_minutes_median": 30.0,  # p1
    "speed_to_claim_minutes_p90": 30.0,
    "speed_to_lead_minutes_median": 90.0,  # p1
    "speed_to_lead_minutes_p90": 90.0,
    "brief_completeness_rate": 1.0,  # both under v1, which asks for nothing
    "unowned_leads": None,  # a number about now has no value before
    "mqls_waiting": None,
}

#: The campaign table by the lead's own campaign, March.
#: (spend, leads, MQLs, SQLs, won, won revenue, cost per lead, per MQL, per SQL,
#: accepted, rejected, acceptance, top rejection reason)
CAMPAIGNS = {
    # 900 / 5 leads, / 4 MQLs, / 2 SQLs; won a1 3,000 + p1 1,000; accepted a1 a2, sent
    # back a3: 2 / 3.
    "A": (D("900.00"), 5, 4, 2, 2, D("4000.00"), D("180.00"), D("225.00"), D("450.00"),
          2, 1, 0.6667, "not_a_fit"),
    # 400 / 3, / 3, / 1; won b2; accepted b1 b2 (b3 still open): 2 / 2.
    "B": (D("400.00"), 3, 3, 1, 1, D("3000.00"), D("133.33"), D("133.33"), D("400.00"),
          2, 0, 1.0, None),
    # 500 / 3, / 3, / 2; won c1; accepted c1 c2 (c3 had no handoff).
    "C": (D("500.00"), 3, 3, 2, 1, D("5000.00"), D("166.67"), D("166.67"), D("250.00"),
          2, 0, 1.0, None),
    # n1: a lead and an MQL, nothing spent: 0 per lead, nothing per SQL, no decision.
    NO_CAMPAIGN: (D("0.00"), 1, 1, 0, 0, D("0.00"), D("0.00"), D("0.00"), None,
                  0, 0, None, None),
}
CAMPAIGN_FIELDS = (
    "spend", "leads", "mqls", "sqls", "won", "won_amount", "cost_per_lead", "cost_per_mql",
    "cost_per_sql", "accepted", "rejected", "acceptance_rate", "top_rejection_reason",
)

#: Attribution of March's SQLs (pipeline: a1 a2 b2 c1 c2) and deals (a1 3,000,
#: b2 3,000, c1 5,000, p1 1,000) over the campaign touchpoints at or before each:
#:   a1 SQL: A C → first A, last C, linear ½ ½;    a1 won: A C (B came after) the same
#:   a2 SQL: A;   b2 SQL: B B A → first B, last A, linear B ⅔, A ⅓
#:   b2 won: B B A C → first B, last C, linear B ½, A ¼, C ¼;   c1: C;
#:   c2 SQL: no campaign before it → "No campaign";   p1 won: A B → first A, last B, ½ ½.
#: (pipeline, won deals, won revenue, ROI on the campaign's spend)
ATTRIBUTED = {
    "first_touch": {
        "A": (D("2.00"), D("2.00"), D("4000.00"), 3.4444),  # a1 a2; a1 p1; (4,000 − 900) / 900
        "B": (D("1.00"), D("1.00"), D("3000.00"), 6.5),  # b2; b2; (3,000 − 400) / 400
        "C": (D("1.00"), D("1.00"), D("5000.00"), 9.0),  # c1; c1; (5,000 − 500) / 500
        NO_CAMPAIGN: (D("1.00"), D("0.00"), D("0.00"), None),  # c2; nothing spent
    },
    "last_touch": {
        "A": (D("2.00"), D("0.00"), D("0.00"), -1.0),  # a2 b2; none; (0 − 900) / 900
        "B": (D("0.00"), D("1.00"), D("1000.00"), 1.5),  # p1; (1,000 − 400) / 400
        "C": (D("2.00"), D("3.00"), D("11000.00"), 21.0),  # a1 c1; a1 b2 c1; 10,500 / 500
        NO_CAMPAIGN: (D("1.00"), D("0.00"), D("0.00"), None),
    },
    "linear": {
        # ½ + 1 + ⅓ = 1.833 SQLs; ½ + ¼ + ½ deals; 1,500 + 750 + 500; 1,850 / 900 = 2.0556
        "A": (D("1.83"), D("1.25"), D("2750.00"), 2.0556),
        # ⅔ = 0.667 (the cent the rounding leaves goes to the largest remainder, B's);
        # ½ + ½ deals; 1,500 + 500; 1,600 / 400
        "B": (D("0.67"), D("1.00"), D("2000.00"), 4.0),
        # ½ + 1 SQLs; ½ + ¼ + 1 deals; 1,500 + 750 + 5,000; 6,750 / 500
        "C": (D("1.50"), D("1.75"), D("7250.00"), 13.5),
        NO_CAMPAIGN: (D("1.00"), D("0.00"), D("0.00"), None),
    },
}
ATTRIBUTED_FIELDS = ("pipeline", "attributed_won", "attributed_won_amount", "roi")
#: The campaign table's order: most spend first, "No campaign" last.
CAMPAIGN_ORDER = ["A", "C", "B", NO_CAMPAIGN]

#: The rep table, March: handoffs are the rep's by claimer, else who sent it back, else
#: who it was offered to; SQL, won and lost are the entries of the leads they own.
REPS = {
    "sam": {
        "handoffs": 5,  # a1 a2 b2 c2 claimed, b3 offered
        "claimed": 4,
        "rejections": 0,
        "acceptance_rate": 1.0,  # 4 / 4
        "speed_to_claim_minutes_median": 57.5,  # 20 45 70 90: (45 + 70) / 2
        "speed_to_claim_minutes_p90": 84.0,  # 70 + 0.7 × (90 − 70)
        "speed_to_contact_minutes_median": 45.0,  # 30 30 60 300: (30 + 60) / 2
        "speed_to_contact_minutes_p90": 228.0,  # 60 + 0.7 × (300 − 60)
        "sla_compliance_rate": 0.2,  # a1 / a1 a2 b2 c2 b3
        "claim_sla_rate": 0.4,  # a1 b2 / 5
        "contact_sla_rate": 0.75,  # a1 a2 c2 / a1 a2 b2 c2
        "sqls": 4,  # a1 a2 b2 c2
        "won": 3,  # a1 b2 p1
        "lost": 1,  # a2
        "won_amount": D("7000.00"),  # 3,000 + 3,000 + 1,000
        "win_rate": 0.75,  # 3 / (3 + 1)
    },
    "rob": {
        "handoffs": 3,  # b1 c1 claimed, a3 sent back
        "claimed": 2,
        "rejections": 1,
        "acceptance_rate": 0.6667,  # 2 / 3
        "speed_to_claim_minutes_median": 20.0,  # 10 30
        "speed_to_claim_minutes_p90": 28.0,  # 10 + 0.9 × (30 − 10)
        "speed_to_contact_minutes_median": 60.0,  # c1 (b1 never contacted)
        "speed_to_contact_minutes_p90": 60.0,
        "sla_compliance_rate": 0.6667,  # c1 a3 / b1 c1 a3
        "claim_sla_rate": 1.0,  # 3 / 3
        "contact_sla_rate": 0.5,  # c1 / b1 c1
        "sqls": 1,  # c1
        "won": 1,
        "lost": 0,
        "won_amount": D("5000.00"),
        "win_rate": 1.0,
    },
}
#: The channel filter, March: a lead counts by its own campaign's channel, and so does
#: the spend (A and B are email, C paid search; n1 has no campaign, so no channel).
BY_CHANNEL = {
    Channel.EMAIL: {
        "leads": 8,  # a1–a5, b1–b3
        "mqls": 7,  # a1–a4, b1–b3
        "sals": 4,  # a1 a2 b1 b2
        "sqls": 3,  # a1 a2 b2
        "won": 3,  # a1 b2 p1
        "lost": 1,  # a2
        "won_amount": D("7000.00"),  # 3,000 + 3,000 + 1,000
        "spend": D("1300.00"),  # 900 + 400
        "cost_per_lead": D("162.50"),  # 1,300 / 8
        "cost_per_mql": D("185.71"),  # 1,300 / 7 = 185.714…
        "cost_per_sql": D("433.33"),  # 1,300 / 3
        "cost_per_won": D("433.33"),  # 1,300 / 3
        "roi": 4.3846,  # (7,000 − 1,300) / 1,300
        "handoffs": 7,  # a1 a2 a3 a4 b1 b2 b3
        "acceptance_rate": 0.8,  # a1 a2 b1 b2 / (4 + a3)
        "sla_compliance_rate": 0.3333,  # a1 a3 / all but a4 (6)
    },
    Channel.PAID_SEARCH: {
        "leads": 3,  # c1–c3
        "mqls": 3,
        "sals": 3,
        "sqls": 2,  # c1 c2
        "won": 1,  # c1
        "lost": 0,
        "won_amount": D("5000.00"),
        "spend": D("500.00"),
        "cost_per_lead": D("166.67"),  # 500 / 3
        "cost_per_mql": D("166.67"),  # 500 / 3
        "cost_per_sql": D("250.00"),  # 500 / 2
        "cost_per_won": D("500.00"),  # 500 / 1
        "roi": 9.0,  # (5,000 − 500) / 500
        "handoffs": 2,  # c1 c2
        "acceptance_rate": 1.0,  # 2 / 2
        "sla_compliance_rate": 0.5,  # c1 / c1 c2 (c2 claimed late)
    },
}
# fmt: on

MARCH_QUERY = {"start": "2026-03-01", "end": "2026-03-31"}


def as_json(value):
    """How the API writes a value: money as a decimal string, None as null."""
    return str(value) if isinstance(value, Decimal) else value


def as_cell(value) -> str:
    """How the CSV writes a value: money as a plain decimal, None as an empty cell."""
    if value is None:
        return ""
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def export(browser, table: str, **params):
    return csv_rows(browser.get(f"/dashboard/export/{table}.csv", {**MARCH_QUERY, **params}))


@pytest.fixture(params=["live", "rolled_up"])
def march(request, db, rep, other_rep):
    """The data set of the module docstring; every test runs twice: on the events
    themselves, and with the daily rollups rebuilt (which the pages and the API then read
    for the company, a campaign or a channel)."""
    sam, rob = rep, other_rep
    a = CampaignFactory(name="A", channel=Channel.EMAIL)
    b = CampaignFactory(name="B", channel=Channel.EMAIL)
    c = CampaignFactory(name="C", channel=Channel.PAID_SEARCH)
    for campaign, day, amount in [
        (a, date(2026, 1, 28), "50"),
        (a, date(2026, 2, 15), "200"),
        (c, date(2026, 2, 28), "300"),
        (c, date(2026, 3, 1), "500"),
        (a, date(2026, 3, 5), "600"),
        (b, date(2026, 3, 10), "400"),
        (a, date(2026, 3, 20), "300"),
        (c, date(2026, 4, 1), "100"),
    ]:
        CostEntryFactory(campaign=campaign, date=day, amount=Decimal(amount))
    v2 = AgreementVersion.objects.create(
        number=2,
        status=AgreementVersion.Status.SUPERSEDED,
        mql_threshold=50,
        mql_required_fields=["phone"],
        claim_sla_minutes=60,
        first_contact_sla_minutes=240,
    )

    def lead(day, campaign, stage, owner=None, month=3, **fields):
        return lead_created(at(day, month=month), campaign, stage=stage, owner=owner, **fields)

    def touched(lead, *touches):
        for campaign, when in touches:
            TouchpointFactory(lead=lead, campaign=campaign, occurred_at=when)

    def handed_off(lead, when, to, routed, notified=None, claimed=None, contact=None, **fields):
        """A handoff opened ``when``; its steps are minutes after it."""

        def later(minutes):
            return None if minutes is None else when + minutes * MINUTE

        for stamp in ("rejected_at", "withdrawn_at"):
            if stamp in fields:
                fields[stamp] = later(fields[stamp])
        return opened(
            lead,
            when,
            routed_to=to,
            routed_at=later(routed),
            notified_at=later(notified),
            claimed_at=later(claimed),
            claimed_by=to if claimed is not None else None,
            first_contact_at=later(contact),
            **fields,
        )

    def rejected(by, minutes, reason):
        return {
            "status": Handoff.Status.REJECTED,
            "rejected_by": by,
            "rejected_at": minutes,
            "rejection_reason": reason,
        }

    a1 = lead(1, a, Stage.WON, sam)
    history(
        a1,
        ("mql", at(2)),
        ("sal", at(2, 10, 20)),
        ("sql", at(9, 10, 20)),
        ("won", at(20, 10, 20), D(3000)),
    )
    handed_off(a1, at(2), sam, 2, 5, 20, 80)
    touched(a1, (a, at(1)), (c, at(8, 12)), (b, at(22, 12)))

    a2 = lead(2, a, Stage.LOST, sam)
    history(
        a2,
        ("mql", at(3)),
        ("sal", at(3, 11, 30)),
        ("sql", at(10, 11, 30)),
        ("lost", at(25, 11, 30)),
    )
    handed_off(a2, at(3), sam, 1, 4, 90, 120, status=Handoff.Status.CLOSED)
    touched(a2, (a, at(2)))

    a3 = lead(2, a, Stage.RECYCLED)
    history(a3, ("mql", at(4)), ("recycled", at(4, 10, 30)))
    handed_off(a3, at(4), rob, 1, 3, **rejected(rob, 30, "not_a_fit"))
    touched(a3, (a, at(2)))

    a4 = lead(3, a, Stage.MQL)
    history(a4, ("mql", at(5)))
    handed_off(a4, at(5), None, 1, status=Handoff.Status.WITHDRAWN, withdrawn_at=30)
    touched(a4, (a, at(3)))

    a5 = lead(28, a, Stage.NEW)
    touched(a5, (a, at(28)))

    b1 = lead(4, b, Stage.SAL, rob)
    history(b1, ("mql", at(6)), ("sal", at(6, 10, 10)))
    handed_off(b1, at(6), rob, 1, 2, 10, agreement=v2)
    touched(b1, (b, at(4)))

    b2 = lead(4, b, Stage.WON, sam, phone="+1 555 0100")
    history(
        b2,
        ("mql", at(7)),
        ("sal", at(7, 10, 45)),
        ("sql", at(12, 10, 45)),
        ("won", at(26, 10, 45), D(3000)),
    )
    handed_off(b2, at(7), sam, 3, 6, 45, 345, agreement=v2)
    touched(b2, (b, at(4)), (b, at(6, 12)), (a, at(11, 12)), (c, at(20, 12)))

    b3 = lead(8, b, Stage.MQL)
    history(b3, ("mql", at(31, 22)))
    handed_off(b3, at(31, 22), sam, 1, 2, agreement=v2)
    touched(b3, (b, at(8)))

    c1 = lead(6, c, Stage.WON, rob)
    history(
        c1,
        ("mql", at(10)),
        ("sal", at(10, 10, 30)),
        ("sql", at(16, 10, 30)),
        ("won", at(28, 10, 30), D(5000)),
    )
    handed_off(c1, at(10), rob, 1, 2, 30, 90)
    touched(c1, (c, at(6)))

    c2 = lead(7, c, Stage.SQL, sam)
    history(c2, ("mql", at(11)), ("sal", at(11, 11, 10)), ("sql", at(18, 11, 10)))
    handed_off(c2, at(11), sam, 2, 4, 70, 100)
    touched(c2, (None, at(7)), (c, at(19, 12)))

    c3 = lead(9, c, Stage.SAL)
    history(c3, ("mql", at(12)), ("sal", at(13)))
    touched(c3, (c, at(9)))

    n1 = lead(14, None, Stage.MQL)
    history(n1, ("mql", at(15)))
    touched(n1, (None, at(14)))

    p1 = lead(10, a, Stage.WON, sam, month=2)
    history(
        p1,
        ("mql", at(12, month=2)),
        ("sal", at(12, 10, 30, month=2)),
        ("sql", at(20, month=2)),
        ("won", at(15), D(1000)),
    )
    handed_off(p1, at(12, month=2), sam, 1, 2, 30, 90)
    touched(p1, (a, at(10, month=2)), (b, at(1, 12)))

    p2 = lead(20, c, Stage.RECYCLED, month=2)
    history(p2, ("mql", at(21, month=2)), ("recycled", at(21, 10, 20, month=2)))
    handed_off(p2, at(21, month=2), rob, 1, 2, **rejected(rob, 20, "no_need"))
    touched(p2, (c, at(20, month=2)))
    if request.param == "rolled_up":
        refresh_rollups()


@pytest.fixture
def browser(client, manager):
    client.force_login(manager)
    return client


def test_the_hand_tables_name_every_kpi():
    assert set(BY_HAND) == set(METRICS)
    assert set(PREVIOUS_BY_HAND) == set(DEFAULT_METRICS)


# The summary: every KPI ------------------------------------------------------------------


def test_values_give_every_kpi_worked_out_by_hand(march):
    assert values(MARCH, names=list(METRICS), now=NOW) == BY_HAND


def test_each_metric_called_alone_gives_its_hand_value(march):
    assert {name: metric(MARCH, now=NOW) for name, metric in METRICS.items()} == BY_HAND


def test_the_period_before_is_worked_out_by_hand_too(march):
    both = compare(MARCH, now=NOW)

    assert both.previous_period == BEFORE_MARCH
    assert both.current == {name: BY_HAND[name] for name in DEFAULT_METRICS}
    assert both.previous == PREVIOUS_BY_HAND


def test_the_period_before_can_leave_speed_to_lead_out(march):
    both = compare(MARCH, now=NOW, previous_names=PREVIOUS_METRICS)

    assert both.current == {name: BY_HAND[name] for name in DEFAULT_METRICS}
    assert both.previous == {name: PREVIOUS_BY_HAND[name] for name in PREVIOUS_METRICS}
    assert "speed_to_claim_minutes_median" not in PREVIOUS_METRICS


def test_the_summary_api_says_the_hand_values(march, api_as, manager):
    # The API judges the SLA clocks at the real now: later than NOW, so the same.
    body = api_as(manager).get("/api/v1/kpis/summary/", MARCH_QUERY).json()

    returned = [name for name in METRICS if name in body]
    assert set(DEFAULT_METRICS) <= set(returned)
    assert {name: body[name] for name in returned} == {
        name: as_json(BY_HAND[name]) for name in returned
    }
    # Speed to lead is read for the period asked only (each percentile is a sort).
    assert body["previous"] == {name: as_json(PREVIOUS_BY_HAND[name]) for name in PREVIOUS_METRICS}
    assert (body["currency"], body["previous_start"], body["previous_end"]) == (
        "EUR",
        "2026-01-29",
        "2026-02-28",
    )
    # Read from the rollups when they were rebuilt (and said so), live otherwise.
    assert (body["as_of"] is not None) == Rollup.objects.exists()


def test_the_summary_csv_says_the_hand_values(march, browser):
    rows = export(browser, "summary")

    assert [row["metric"] for row in rows] == DEFAULT_METRICS
    assert {row["metric"]: (row["value"], row["previous"]) for row in rows} == {
        name: (
            as_cell(BY_HAND[name]),
            as_cell(PREVIOUS_BY_HAND[name] if name in PREVIOUS_METRICS else None),
        )
        for name in DEFAULT_METRICS
    }


@pytest.mark.parametrize("channel", BY_CHANNEL)
def test_a_channel_filter_gives_its_campaigns_numbers_by_hand(
    march, api_as, manager, browser, channel
):
    by_hand = BY_CHANNEL[channel]
    names = list(by_hand)
    query = {**MARCH_QUERY, "channel": channel}

    assert values(MARCH, Scope(channel=channel), names, now=NOW) == by_hand
    body = api_as(manager).get("/api/v1/kpis/summary/", query).json()
    assert {name: body[name] for name in names} == {
        name: as_json(value) for name, value in by_hand.items()
    }
    rows = export(browser, "summary", channel=channel)
    assert {row["metric"]: row["value"] for row in rows if row["metric"] in by_hand} == {
        name: as_cell(value) for name, value in by_hand.items()
    }


# The campaign table -------------------------------------------------------------------------


def campaign_by_hand(model: str) -> dict[str, dict]:
    """The hand rows of the campaign table under ``model``, by campaign name."""
    return {
        name: {
            **dict(zip(CAMPAIGN_FIELDS, CAMPAIGNS[name], strict=True)),
            **dict(zip(ATTRIBUTED_FIELDS, ATTRIBUTED[model][name], strict=True)),
        }
        for name in CAMPAIGN_ORDER
    }


def picked(row: dict, fields) -> dict:
    return {name: row[name] for name in fields}


FIELDS = CAMPAIGN_FIELDS + ATTRIBUTED_FIELDS
#: Shares of SQLs and deals are numbers in the API (thirds under linear), not strings.
SHARES = {"pipeline", "attributed_won"}


def test_every_attribution_model_hands_out_the_same_total():
    for position, total in enumerate((D("5.00"), D("4.00"), D("12000.00"))):
        for model, credit in ATTRIBUTED.items():
            assert sum(numbers[position] for numbers in credit.values()) == total, model


@pytest.mark.parametrize("model", ATTRIBUTED)
def test_campaign_rows_are_worked_out_by_hand(march, model):
    rows = campaign_rows(MARCH, attribution=model)

    assert [row.name for row in rows] == CAMPAIGN_ORDER
    assert {row.name: picked(row.as_dict(), FIELDS) for row in rows} == campaign_by_hand(model)
    a = next(row for row in rows if row.name == "A")
    assert a.rejection_reasons == [
        {"reason": "not_a_fit", "label": "Not a fit (wrong company or role)", "count": 1}
    ]


@pytest.mark.parametrize("model", ATTRIBUTED)
def test_the_campaigns_api_says_the_hand_values(march, api_as, manager, model):
    body = (
        api_as(manager).get("/api/v1/kpis/campaigns/", {**MARCH_QUERY, "attribution": model}).json()
    )

    assert [row["name"] for row in body] == CAMPAIGN_ORDER
    assert {row["name"]: picked(row, FIELDS) for row in body} == {
        name: {
            field: float(value) if field in SHARES else as_json(value)
            for field, value in row.items()
        }
        for name, row in campaign_by_hand(model).items()
    }


@pytest.mark.parametrize("model", ATTRIBUTED)
def test_the_campaigns_csv_says_the_hand_values(march, browser, model):
    rows = export(browser, "campaigns", attribution=model)

    assert [row["name"] for row in rows] == CAMPAIGN_ORDER
    assert {row["name"]: picked(row, FIELDS) for row in rows} == {
        name: {field: as_cell(value) for field, value in row.items()}
        for name, row in campaign_by_hand(model).items()
    }


# The rep table ------------------------------------------------------------------------------


REP_FIELDS = tuple(REPS["sam"])


def test_rep_rows_are_worked_out_by_hand(march):
    rows = rep_rows(MARCH, now=NOW)

    assert [row.username for row in rows] == ["rob", "sam"]
    assert {row.username: picked(row.as_dict(), REP_FIELDS) for row in rows} == REPS


def test_the_reps_api_says_the_hand_values(march, api_as, manager):
    body = api_as(manager).get("/api/v1/kpis/reps/", MARCH_QUERY).json()

    assert {row["username"]: picked(row, REP_FIELDS) for row in body} == {
        name: {field: as_json(value) for field, value in row.items()} for name, row in REPS.items()
    }


def test_the_reps_csv_says_the_hand_values(march, browser):
    rows = export(browser, "reps")

    assert {row["username"]: picked(row, REP_FIELDS) for row in rows} == {
        name: {field: as_cell(value) for field, value in row.items()} for name, row in REPS.items()
    }
