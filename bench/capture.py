"""Capture benchmark: CSV import, bulk API and single-lead API on PostgreSQL, each next to
a raw ``COPY`` of the same rows measured in the same run.

    .venv/bin/python bench/capture.py [--rows 100000] [--duration 20] [--profile]

It makes its own database (``bench_capture`` on the server of ``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/bench_capture``), migrates it, generates a
reproducible HubSpot-style export (fixed seed; a few repeated people, bad emails and bad
company sizes) and measures:

- the floor: ``COPY`` of the export (the same columns, as text) into a bare table;
- the CSV import: the upload through ``leads.imports.services``, the automatic mapping,
  and the import task's body run in this process as a Celery worker runs it, into an empty
  leads table; then the same file again (every row meets a lead it already has);
- the bulk API: ``POST /api/v1/leads/bulk/`` with 1,000 rows a request from a few client
  threads, against gunicorn (4 sync workers, as in the Dockerfile);
- the single-lead API: ``POST /api/v1/leads/`` with ``wrk`` (a unique email a request).

The served app and this process run with production settings (``DEBUG=0``) and Redis
(``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/9``, flushed before and after) as the
Celery broker and cache, so capture publishes its scoring tasks as it does in production;
no worker runs. ``--profile`` adds an in-process profile of each path. The database is
dropped at the end unless ``--keep`` is given. See bench/README.md.
"""

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import random
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

from benchdb import (
    clean_up,
    database_url,
    flush_redis,
    free_port,
    gunicorn_command,
    production_environment,
    recreate_database,
    wait_until_serving,
    weighted,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_capture"
WRK = shutil.which("wrk") or "wrk"
BULK_ROWS = 1000

HEADERS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Company Name",
    "Job Title",
    "Country/Region",
    "Number of Employees",
    "Industry",
    "Original Source",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "Marketing Consent",
    "Lifecycle Stage",
]
FIRST_NAMES = [
    "Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Edsger", "Frances",
    "John", "Mary", "Dennis", "Radia", "Tim", "Sophie", "José", "Zoë", "Søren", "Aiko",
    "Priya", "Chen", "Olu", "Fatima", "Lars", "Marta", "Noah", "Emma", "Lucas", "Mia", "Omar",
]  # fmt: skip
LAST_NAMES = [
    "Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Dijkstra",
    "Allen", "Backus", "Müller", "Ritchie", "Perlman", "Berners-Lee", "Wilson", "García",
    "Kowalski", "Nakamura", "Sharma", "Wang", "Adeyemi", "Haddad", "Jensen", "Rossi", "O'Brien",
]  # fmt: skip
COMPANY_WORDS = [
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Soylent",
    "Tyrell", "Cyberdyne", "Wonka", "Aperture", "Massive", "Nimbus",
]  # fmt: skip
COMPANY_SUFFIXES = ["Inc", "GmbH", "Ltd", "Labs", "Systems", "Analytics", "Group", ""]
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "hotmail.co.uk", "gmx.de"]
TITLES = [
    ("VP Marketing", 6), ("Head of Growth", 5), ("Chief Revenue Officer", 2),
    ("Marketing Manager", 12), ("Demand Generation Manager", 6), ("Sales Team Lead", 5),
    ("Software Engineer", 10), ("Data Analyst", 8), ("Consultant", 6), ("Student", 3),
    ("CEO", 3), ("", 10),
]  # fmt: skip
#: (the code the API gets, the name the export holds)
COUNTRIES = [
    (("US", "United States"), 30), (("GB", "United Kingdom"), 12), (("DE", "Germany"), 10),
    (("FR", "France"), 7), (("NL", "Netherlands"), 5), (("ES", "Spain"), 4), (("IT", "Italy"), 4),
    (("BR", "Brazil"), 4), (("IN", "India"), 6), (("CA", "Canada"), 5), (("AU", "Australia"), 4),
    (("SE", "Sweden"), 2), (("", ""), 7),
]  # fmt: skip
#: (the cell of the export, the number the API gets)
SIZES = [
    (("8", 8), 10), (("45", 45), 12), (("250", 250), 15), (("1,200", 1200), 8),
    (("51-200", 51), 10), (("201-500", 201), 8), (("10000+", 10000), 4), (("3500", 3500), 5),
    (("", None), 28),
]  # fmt: skip
INDUSTRIES = ["Software", "Retail", "Financial Services", "Healthcare", "Manufacturing",
              "Education", "Media", ""]  # fmt: skip
SOURCES = [
    (("google", "cpc", "spring-search"), 20), (("linkedin", "paid-social", "abm-q2"), 15),
    (("newsletter", "email", "monthly-digest"), 15), (("webinar", "event", "webinar-pipeline"), 8),
    (("facebook", "paid-social", "retargeting"), 5), (("", "", ""), 37),
]  # fmt: skip
ORIGINAL_SOURCES = ["Organic Search", "Paid Search", "Direct Traffic", "Email Marketing", "Offline"]
CONSENT = [(("Yes", True), 45), (("No", False), 20), (("opted in", True), 5), (("", None), 30)]
BAD_EMAILS = ["not-an-email", "jane.doe@", "@example.com", "john smith@acme.com", "a@b@c.com"]
BAD_SIZES = ["a lot", "n/a", "about 50", "-12"]
#: Campaigns whose UTM code some rows carry (a row's campaign is found by its code).
CAMPAIGN_CODES = ["spring-search", "abm-q2", "monthly-digest", "webinar-pipeline"]


@dataclass
class Export:
    """The generated export: CSV cells per row, the same rows as API objects, and what a
    capture of them must end with."""

    cells: list[list[str]]
    api_rows: list[dict[str, Any]]
    bad_rows: int
    distinct_emails: int
    csv_bytes: bytes = b""

    @property
    def rows(self) -> int:
        return len(self.cells)

    @property
    def valid_rows(self) -> int:
        return self.rows - self.bad_rows


def generate_export(count: int, *, seed: int = 42) -> Export:
    """A HubSpot-style export of ``count`` rows: about 2 % repeat an earlier person (another
    case of the email, sometimes another job title), 0.5 % have an email that is not one
    and 0.5 % an unreadable number of employees."""
    rng = random.Random(seed)
    cells: list[list[str]] = []
    api_rows: list[dict[str, Any]] = []
    good: list[int] = []
    emails: set[str] = set()
    bad = 0
    for n in range(count):
        roll = rng.random()
        if roll < 0.02 and good:
            # A repeat of an earlier person: same address in another case, another form.
            source = rng.choice(good)
            row = list(cells[source])
            api = dict(api_rows[source])
            row[0] = str(10_000_000 + n)
            row[3] = f"  {row[3].upper()} " if rng.random() < 0.5 else row[3].title()
            api["email"] = row[3]
            if rng.random() < 0.5:
                title = weighted(rng, TITLES)
                row[6] = title
                if title:
                    api["job_title"] = title
                else:
                    api.pop("job_title", None)
            cells.append(row)
            api_rows.append(api)
            continue
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        company = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}".strip()
        if rng.random() < 0.3:
            domain = rng.choice(FREE_MAIL)
        else:
            domain = company.split()[0].lower() + rng.choice([".com", ".io", ".de", ".co.uk"])
        # Addresses are ASCII before the @ (names are not: "José", "Müller").
        local = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
        local = local.encode("ascii", "ignore").decode().replace("'", "")
        email = f"{local}.{n}@{domain}"
        (country_code, country_name) = weighted(rng, COUNTRIES)
        (size_cell, size) = weighted(rng, SIZES)
        (source, medium, code) = weighted(rng, SOURCES)
        (consent_cell, consent) = weighted(rng, CONSENT)
        title = weighted(rng, TITLES)
        industry = rng.choice(INDUSTRIES)
        phone = f"+1 555 {rng.randrange(1000, 9999)}" if rng.random() < 0.6 else ""
        row_is_bad = False
        roll = rng.random()
        if roll < 0.005:
            email = rng.choice(BAD_EMAILS)
            row_is_bad = True
        elif roll < 0.01:
            size_cell = rng.choice(BAD_SIZES)
            size = size_cell
            row_is_bad = True
        row = [
            str(10_000_000 + n), first, last, email, phone, company, title, country_name,
            size_cell, industry, rng.choice(ORIGINAL_SOURCES), source, medium, code,
            consent_cell, rng.choice(["lead", "subscriber", "marketingqualifiedlead"]),
        ]  # fmt: skip
        api = {
            "email": email,
            "first_name": first,
            "last_name": last,
            "phone": phone,
            "company": company,
            "job_title": title,
            "country": country_code,
            "company_size": size,
            "industry": industry,
            "utm_source": source,
            "utm_medium": medium,
            "utm_campaign": code,
            "consent": consent,
        }
        # An integration leaves out what it does not know.
        api = {key: value for key, value in api.items() if value not in ("", None)}
        cells.append(row)
        api_rows.append(api)
        if row_is_bad:
            bad += 1
        else:
            good.append(n)
            emails.add(email.lower())
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(HEADERS)
    writer.writerows(cells)
    export = Export(cells=cells, api_rows=api_rows, bad_rows=bad, distinct_emails=len(emails))
    export.csv_bytes = text.getvalue().encode("utf-8")
    return export


# --- the database ----------------------------------------------------------------------


def app_environment(state_dir: Path) -> dict[str, str]:
    """Production settings for this process and the served app (plain http on localhost).

    The import runs in this one process: in one part, as a deployment with one worker
    would set it (``IMPORT_PARTS``), so the file is read once as in earlier figures."""
    return {**production_environment(state_dir, database_url(DEFAULT_URL)), "IMPORT_PARTS": "1"}


def setup_django(environment: dict[str, str]) -> None:
    os.environ.update(environment)
    os.environ["DJANGO_SETTINGS_MODULE"] = "alignment.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(export: Export) -> str:
    """A marketing user with a token, and the campaigns some rows name by UTM code."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from alignment.models import AgreementVersion
    from alignment.roles import MARKETING
    from campaigns.models import Campaign, Channel

    user = get_user_model().objects.create_user("bench-marketer", password=secrets.token_hex(8))
    user.groups.add(Group.objects.get_or_create(name=MARKETING)[0])
    today = timezone.localdate()
    for code in [*CAMPAIGN_CODES, "bench-import"]:
        Campaign.objects.create(
            name=code.replace("-", " ").title(),
            utm_campaign=code,
            channel=Channel.EMAIL,
            status=Campaign.Status.ACTIVE,
            starts_on=today,
        )
    # Not scored here, but kept as the scoring bench does: the MQL path is not measured.
    AgreementVersion.objects.filter(status="in_force").update(mql_threshold=10_000)
    return Token.objects.create(user=user).key


def lead_count() -> int:
    from leads.models import Lead

    return Lead.objects.count()


def empty_leads() -> None:
    """Every lead and what capture wrote with them gone, so the next path starts empty."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE leads_lead, alignment_event CASCADE")
        cursor.execute("VACUUM ANALYZE")


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- the floor: COPY -------------------------------------------------------------------


def copy_seconds(export: Export, repeats: int = 3) -> float:
    """The best of ``repeats`` ``COPY`` runs of the export's CSV into a fresh bare table
    (text columns, no index, no constraint), each committed."""
    import psycopg2

    columns = ", ".join(f"c{number} text" for number in range(len(HEADERS)))
    best = float("inf")
    connection = psycopg2.connect(database_url(DEFAULT_URL))
    try:
        for _ in range(repeats):
            with connection.cursor() as cursor:
                cursor.execute("DROP TABLE IF EXISTS bench_copy")
                cursor.execute(f"CREATE TABLE bench_copy ({columns})")
            connection.commit()
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.copy_expert(
                    "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)",
                    io.BytesIO(export.csv_bytes),
                )
                copied = cursor.rowcount
            connection.commit()
            best = min(best, time.perf_counter() - started)
            assert copied == export.rows, (copied, export.rows)
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_copy")
        connection.commit()
    finally:
        connection.close()
    return best


#: The capture's three writes as one plain SQL statement from the copied rows: the leads
#: upserted on their normalised email (first row of an email wins, an empty field takes
#: the offer), a touchpoint per lead, a ``lead.captured`` event per new lead. No check of
#: any value, no field conflicts kept, no scoring asked: less than capture does.
DESIGN_FLOOR_SQL = """
WITH staged AS (
    SELECT DISTINCT ON (lower(trim(c3))) lower(trim(c3)) AS email, c1, c2, c4, c5, c6,
           c11, c12, c13
    FROM bench_copy WHERE c3 LIKE '%%_@_%%' ORDER BY lower(trim(c3))
), up AS (
    INSERT INTO leads_lead (email, first_name, last_name, phone, company, job_title,
        country, industry, utm_source, utm_medium, utm_campaign, stage, score, fit_score,
        engagement_score, score_breakdown, consent, created_at, updated_at)
    SELECT email, coalesce(c1, ''), coalesce(c2, ''), left(coalesce(c4, ''), 50),
           coalesce(c5, ''), coalesce(c6, ''), '', '', coalesce(c11, ''),
           coalesce(c12, ''), coalesce(c13, ''), 'new', 0, 0, 0, '[]', false, now(), now()
    FROM staged
    ON CONFLICT (email) DO UPDATE SET
        first_name = CASE WHEN leads_lead.first_name = '' THEN EXCLUDED.first_name
                          ELSE leads_lead.first_name END,
        scored_at = NULL, updated_at = EXCLUDED.updated_at
    RETURNING id, email, (xmax = 0) AS inserted
), touched AS (
    INSERT INTO leads_touchpoint (lead_id, campaign_id, kind, occurred_at, url, referrer,
        note, consent_text, created_at)
    SELECT id, NULL, 'imported', now(), '', '', '', '', now() FROM up
)
INSERT INTO alignment_event (name, subject, payload, created_at)
SELECT 'lead.captured', 'lead:' || id,
       jsonb_build_object('lead', id, 'email', email, 'campaign', NULL), now()
FROM up WHERE inserted
"""


def design_floor_seconds(export: Export) -> float:
    """The floor of the capture's design: its writes into the real (empty) tables, with
    their indexes and constraints, done by PostgreSQL alone from rows already copied in."""
    import psycopg2

    columns = ", ".join(f"c{number} text" for number in range(len(HEADERS)))
    connection = psycopg2.connect(database_url(DEFAULT_URL))
    try:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy")
            cursor.execute(f"CREATE TABLE bench_copy ({columns})")
            cursor.copy_expert(
                "COPY bench_copy FROM STDIN WITH (FORMAT csv, HEADER true)",
                io.BytesIO(export.csv_bytes),
            )
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(DESIGN_FLOOR_SQL)
        connection.commit()
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_copy")
        connection.commit()
    finally:
        connection.close()
    empty_leads()
    return seconds


# --- CSV import ------------------------------------------------------------------------


def upload_import(export: Export):
    """Upload and start an import as the page does: the automatic mapping, the task queued."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from campaigns.models import Campaign
    from leads.imports import services

    user = get_user_model().objects.get(username="bench-marketer")
    campaign = Campaign.objects.get(utm_campaign="bench-import")
    upload = SimpleUploadedFile("hubspot-export.csv", export.csv_bytes, content_type="text/csv")
    lead_import = services.create_import(file=upload, by=user, campaign=campaign)
    return services.start_import(lead_import, by=user)


def run_import_task(import_id: int) -> tuple[str, int]:
    """The import task's body, run here as a worker runs it; run again while it hands
    over to a fresh task (as the next worker would). The outcome and the runs it took."""
    from leads.imports import tasks

    runs = 0
    while True:
        runs += 1
        outcome = tasks.run_import(import_id)
        if outcome != "continued":
            return outcome, runs


def csv_import(export: Export) -> dict[str, Any]:
    from leads.imports import services
    from leads.imports.models import LeadImport

    started = time.perf_counter()
    lead_import = upload_import(export)
    upload_seconds = time.perf_counter() - started
    started = time.perf_counter()
    outcome, runs = run_import_task(lead_import.pk)
    seconds = time.perf_counter() - started
    lead_import = LeadImport.objects.get(pk=lead_import.pk)
    return {
        "seconds": seconds,
        "upload_seconds": upload_seconds,
        "outcome": outcome,
        "task_runs": runs,
        "unmapped": [header for header in HEADERS if header not in lead_import.mapping],
        "counts": services.counts_of(lead_import),
    }


def check_import(result: dict[str, Any], export: Export, *, first: bool) -> list[str]:
    counts = result["counts"]
    problems = []
    if result["outcome"] != "done":
        problems.append(f"import ended {result['outcome']!r}")
    if counts["failed"] != export.bad_rows:
        problems.append(f"import failed {counts['failed']} rows, expected {export.bad_rows}")
    expected = (
        {"created": export.distinct_emails, "updated": export.valid_rows - export.distinct_emails}
        if first
        else {"created": 0, "updated": 0, "merged": export.valid_rows}
    )
    for name, value in expected.items():
        if counts[name] != value:
            problems.append(f"import {name} {counts[name]}, expected {value}")
    return problems


# --- the served app --------------------------------------------------------------------


@contextmanager
def gunicorn(environment: dict[str, str], log: Path, workers: int) -> Iterator[int]:
    """The app served as the Dockerfile serves it, on a free port; stopped on the way out,
    whatever happens."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", *gunicorn_command(port, workers)],
            cwd=ROOT,
            env={**os.environ, **environment},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(process, log, port, "/api/v1/leads/", seconds=30)
        yield port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def post(port: int, path: str, body: bytes, token: str) -> tuple[int, bytes]:
    connection = HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def warm_up(port: int, token: str, workers: int) -> None:
    """A few requests per worker first: each worker imports its code on first use."""
    for number in range(workers * 4):
        body = json.dumps({"leads": [{"email": f"warm-up-{number}@bench.example"}]}).encode()
        status, answer = post(port, "/api/v1/leads/bulk/", body, token)
        if status != 200:
            raise SystemExit(f"warm-up answered {status}: {answer[:500]!r}")


def bulk_api(export: Export, port: int, token: str, clients: int) -> dict[str, Any]:
    """Every row through ``leads/bulk/``, 1,000 a request, from ``clients`` threads; every
    answer must be a 200 whose counts add up."""
    bodies = [
        json.dumps({"leads": export.api_rows[start : start + BULK_ROWS]}).encode()
        for start in range(0, export.rows, BULK_ROWS)
    ]
    todo = list(enumerate(bodies))
    lock = threading.Lock()
    answers: dict[int, tuple[int, dict[str, Any] | bytes, float]] = {}

    def client() -> None:
        while True:
            with lock:
                if not todo:
                    return
                number, body = todo.pop(0)
            sent = time.perf_counter()
            status, answer = post(port, "/api/v1/leads/bulk/", body, token)
            took = time.perf_counter() - sent
            parsed: dict[str, Any] | bytes = json.loads(answer) if status == 200 else answer
            with lock:
                answers[number] = (status, parsed, took)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started

    problems = []
    totals = {"created": 0, "updated": 0, "failed": 0}
    for number in range(len(bodies)):
        status, answer, _ = answers.get(number, (0, b"no answer", 0.0))
        size = min(BULK_ROWS, export.rows - number * BULK_ROWS)
        if status != 200 or not isinstance(answer, dict):
            problems.append(f"bulk request {number} answered {status}: {answer!r:.300}")
            continue
        if answer["created"] + answer["updated"] + answer["failed"] != size:
            problems.append(f"bulk request {number}: counts do not add up to {size}")
        for name in totals:
            totals[name] += answer[name]
    expected = {
        "created": export.distinct_emails,
        "updated": export.valid_rows - export.distinct_emails,
        "failed": export.bad_rows,
    }
    if totals != expected:
        problems.append(f"bulk counts {totals}, expected {expected}")
    latencies = sorted(took for _, _, took in answers.values())
    return {
        "seconds": seconds,
        "requests": len(bodies),
        "counts": totals,
        "request_p50": statistics.median(latencies) if latencies else 0.0,
        "request_max": latencies[-1] if latencies else 0.0,
        "problems": problems,
    }


WRK_SCRIPT = """
-- One POST leads/ per request, each with an email no other request uses; or, with
-- refuse, each with a body the endpoint refuses (400): authentication, throttles,
-- middleware, parsing and the checks run, nothing is captured.
local refuse = %(refuse)s
local expected = %(expected)d
local threads = {}
counter = 0
failed = 0
local titles = {"VP Marketing", "Head of Growth", "Marketing Manager", "Software Engineer",
                "Data Analyst", "Consultant", "Sales Team Lead", ""}
local countries = {"US", "GB", "DE", "FR", "NL", "IN", "CA", ""}
local sources = {"google", "linkedin", "newsletter", ""}
local headers = {["Authorization"] = "Token %(token)s", ["Content-Type"] = "application/json"}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function request()
  counter = counter + 1
  if refuse then
    return wrk.format("POST", "/api/v1/leads/", headers, '{"email": "not an address"}')
  end
  local body = string.format(
    '{"email": "wrk-%(nonce)s-%%d-%%d@company%%d.example", "first_name": "Load", ' ..
    '"last_name": "Tester %%d", "company": "Company %%d", "job_title": "%%s", ' ..
    '"country": "%%s", "company_size": %%d, "consent": %%s, "utm_source": "%%s"}',
    id, counter, counter %% 997, counter, counter %% 500, titles[counter %% #titles + 1],
    countries[counter %% #countries + 1], (counter %% 40) * 25,
    (counter %% 3 == 0) and "true" or "false", sources[counter %% #sources + 1])
  return wrk.format("POST", "/api/v1/leads/", headers, body)
end

function response(status, headers, body)
  if status ~= expected then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local sent, bad = 0, 0
  for _, thread in ipairs(threads) do
    sent = sent + thread:get("counter")
    bad = bad + thread:get("failed")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%d, "duration_us": %%d, "sent": %%d, "unexpected": %%d, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d, "connect_errors": %%d, ' ..
    '"read_errors": %%d, "write_errors": %%d, "timeouts": %%d, "non_2xx": %%d}\\n',
    summary.requests, summary.duration, sent, bad, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, errors.connect,
    errors.read, errors.write, errors.timeout, errors.status))
end
"""


def run_wrk(
    port: int,
    token: str,
    script_dir: Path,
    *,
    seconds: int,
    connections: int,
    threads: int,
    refuse: bool = False,
) -> dict[str, Any]:
    script = script_dir / f"capture-{secrets.token_hex(4)}.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "token": token,
            "nonce": secrets.token_hex(4),
            "refuse": "true" if refuse else "false",
            "expected": 400 if refuse else 201,
        }
    )
    command = [
        WRK,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/api/v1/leads/",
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH "))
    return json.loads(line.removeprefix("BENCH "))


def single_api(port: int, token: str, script_dir: Path, args) -> dict[str, Any]:
    """``wrk`` POSTing single leads; every answer must be a 201 and every request a lead."""
    run_wrk(port, token, script_dir, seconds=3, connections=args.connections, threads=2)
    time.sleep(1)
    before = lead_count()
    result = run_wrk(
        port,
        token,
        script_dir,
        seconds=args.duration,
        connections=args.connections,
        threads=2,
    )
    time.sleep(1)  # requests wrk sent as it stopped may still be committing
    grew = lead_count() - before
    problems = []
    errors = {
        name: result[name]
        for name in ("unexpected", "non_2xx", "connect_errors", "read_errors", "write_errors")
        if result[name]
    }
    errors.update({"timeouts": result["timeouts"]} if result["timeouts"] else {})
    if errors:
        problems.append(f"single-lead errors: {errors}")
    # Requests in flight when wrk stopped were answered to nobody but still captured.
    if not result["requests"] <= grew <= result["sent"]:
        problems.append(
            f"leads grew by {grew}: {result['requests']} answered, {result['sent']} sent"
        )
    result["seconds"] = result["duration_us"] / 1e6
    result["per_second"] = result["requests"] / result["seconds"]
    result["leads_grew"] = grew
    result["problems"] = problems
    return result


def refused_api(port: int, token: str, script_dir: Path, args) -> dict[str, Any]:
    """``wrk`` POSTing a body the endpoint refuses with 400: the cost of the request
    around the capture (the framework's floor for this endpoint)."""
    result = run_wrk(
        port,
        token,
        script_dir,
        seconds=args.duration,
        connections=args.connections,
        threads=2,
        refuse=True,
    )
    result["seconds"] = result["duration_us"] / 1e6
    result["per_second"] = result["requests"] / result["seconds"]
    errors = {
        name: result[name]
        for name in ("unexpected", "connect_errors", "read_errors", "write_errors", "timeouts")
        if result[name]
    }
    result["problems"] = [f"refused requests answered otherwise: {errors}"] if errors else []
    return result


# --- profile ---------------------------------------------------------------------------

#: SQL statements by what they write or read, matched on the statement's text.
SQL_KINDS = [
    ('INSERT INTO "leads_lead"', "upsert of the leads"),
    ('INTO "leads_touchpoint"', "touchpoints"),
    ('INTO "alignment_event"', "events"),
    ('INTO "leads_leadfieldconflict"', "field conflicts"),
    ('INTO "leads_leadimporterror"', "failed rows"),
    ("leads_leadimport", "import progress"),
    ("alignment_job", "import progress"),
    ("leads_leadmerge", "merged-email lookup"),
    ("campaigns_campaign", "campaigns"),
    ("authtoken_token", "auth (token, user, roles)"),
    ("auth_", "auth (token, user, roles)"),
    ("idempotency", "idempotency"),
    ("SAVEPOINT", "transaction control"),
    ("BEGIN", "transaction control"),
    ("COMMIT", "transaction control"),
]


@dataclass
class SqlClock:
    """Time spent in the database (driver and round trip included), by kind of statement."""

    seconds: dict[str, float] = field(default_factory=dict)
    count: dict[str, int] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)
    keep: bool = False

    def __call__(self, execute: Callable, sql: str, params, many: bool, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - started
            kind = next((name for key, name in SQL_KINDS if key in sql), "other reads")
            if sql.startswith("SELECT") and kind in ("upsert of the leads", "touchpoints"):
                kind = "other reads"
            self.seconds[kind] = self.seconds.get(kind, 0.0) + took
            self.count[kind] = self.count.get(kind, 0) + 1
            if self.keep:
                self.statements.append(sql[:110])

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def commit_clock(clock: SqlClock) -> Callable[[], None]:
    """COMMITs do not pass the execute wrapper: time them by wrapping the connection's."""
    from django.db import connection

    original = connection.commit

    def timed_commit() -> None:
        started = time.perf_counter()
        try:
            original()
        finally:
            took = time.perf_counter() - started
            clock.seconds["commit"] = clock.seconds.get("commit", 0.0) + took
            clock.count["commit"] = clock.count.get("commit", 0) + 1

    connection.commit = timed_commit  # type: ignore[method-assign]

    def restore() -> None:
        connection.commit = original  # type: ignore[method-assign]

    return restore


@contextmanager
def sql_clock(keep: bool = False) -> Iterator[SqlClock]:
    from django.db import connection

    clock = SqlClock(keep=keep)
    restore = commit_clock(clock)
    try:
        with connection.execute_wrapper(clock):
            yield clock
    finally:
        restore()


#: Where Python's own time goes, by the file a function lives in (first match wins).
PY_AREAS = [
    ("leads/capture/values", "capture: checking values"),
    ("leads/capture/upsert", "capture: building the writes"),
    ("leads/capture/queue", "capture: queueing scoring"),
    ("leads/capture", "capture: the rest"),
    ("leads/imports/mapping", "import: reading cells (mapping)"),
    ("leads/imports/csvfile", "import: reading the CSV"),
    ("leads/imports", "import: the rest"),
    ("alignment/events", "events"),
    ("alignment/bulk", "capture: building the writes"),
    ("alignment/", "alignment (throttling, idempotency, jobs)"),
    ("leads/", "leads: API view and serializers"),
    ("django/core/validators", "Django: email validation"),
    ("django/db/", "Django ORM (query building, model init)"),
    ("rest_framework/", "DRF (parsing, auth, serializers)"),
    ("celery/", "Celery/kombu/redis (publishing)"),
    ("kombu/", "Celery/kombu/redis (publishing)"),
    ("redis/", "Celery/kombu/redis (publishing)"),
    ("django/test/", "Django test client"),
    ("django/", "Django: request, middleware, the rest"),
    ("json/", "json"),
    ("/csv.py", "csv"),
]
#: Calls that wait for PostgreSQL (their time is in the SQL figures, not Python's).
PG_WAIT = "PostgreSQL (psycopg2 calls)"


def area_of(filename: str, name: str) -> str:
    if filename == "~":  # a C function: name is "<built-in method ...>" or "{method ...}"
        if "psycopg2" in name:
            return PG_WAIT
        if "_socket.socket" in name:  # the test client and psycopg2 use no Python socket
            return "Redis round trips (throttle counters, publishing)"
        if "_csv" in name or "csv" in name:
            return "csv"
        if "json" in name:
            return "json"
        return "C builtins (str, dict, re, ...)"
    if "psycopg2" in filename:
        return PG_WAIT
    area = next((label for key, label in PY_AREAS if key in filename), None)
    if area is not None:
        return area
    if "site-packages/" in filename:
        return "library: " + filename.split("site-packages/")[1].split("/")[0]
    if str(ROOT / "bench") in filename:
        return "the bench itself"
    return "Python standard library"


def python_areas(profile: cProfile.Profile) -> list[tuple[str, float]]:
    """Python's time by area, as shares of the profiled time outside PostgreSQL calls."""
    stats = pstats.Stats(profile)
    areas: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        area = area_of(filename, name)
        areas[area] = areas.get(area, 0.0) + tottime
    areas.pop(PG_WAIT, None)
    total = sum(areas.values())
    return sorted(((name, seconds / total) for name, seconds in areas.items()), key=lambda x: -x[1])


def print_profile(profile: cProfile.Profile, clock: SqlClock, wall: float, top: int) -> None:
    """Python's areas as shares of the wall time measured without the profiler."""
    python = 1 - clock.total / wall
    print("    Python by area (cProfile's split of the Python time, as shares of the wall):")
    for area, share in python_areas(profile):
        if share * python >= 0.005:
            print(f"      {share * python:6.1%}  {area}")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    print("    top functions by own time (cProfile):")
    for line in lines[start : start + top + 1]:
        print("      " + line.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")[:150])


def print_sql(clock: SqlClock, wall: float, per: int, unit: str) -> None:
    print(
        f"    wall {wall / per * 1000:.3f} ms per {unit}; in PostgreSQL (driver and round "
        f"trip included) {clock.total / per * 1000:.3f} ms = {clock.total / wall:.0%}; "
        f"Python {(wall - clock.total) / per * 1000:.3f} ms = {1 - clock.total / wall:.0%}"
    )
    print("    PostgreSQL by statement, as shares of the wall:")
    for kind, seconds in sorted(clock.seconds.items(), key=lambda item: -item[1]):
        print(
            f"      {seconds / wall:6.1%}  {kind} ({clock.count[kind] / per:g} statements "
            f"per {unit})"
        )


def profile_paths(export: Export, token: str, args) -> None:
    """Where the time goes, in this process: the single POST through Django's test client,
    a bulk request's capture and an import's chunks, each timed once without the profiler
    (SQL by kind) and once under cProfile (Python by area)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # WhiteNoise warns that static files were never collected: no page is served here.
    warnings.filterwarnings("ignore", message="No directory at")

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def single(number: int, tag: str):
        body = json.dumps(
            {
                "email": f"profile-{tag}-{number}@company{number % 97}.example",
                "first_name": "Pro",
                "last_name": f"File {number}",
                "company": f"Company {number % 500}",
                "job_title": "Marketing Manager",
                "country": "DE",
                "company_size": 250,
                "consent": True,
                "utm_source": "google",
            }
        )
        response = client.post("/api/v1/leads/", body, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    print("\nprofile: single-lead POST leads/ (in process, Django test client)")
    for number in range(30):
        single(number, "warm")
    with CaptureQueriesContext(connection) as queries:
        single(0, "count")
    print(f"    {len(queries.captured_queries)} SQL statements per request:")
    for query in queries.captured_queries:
        print(f"      {query['sql'][:120]}")
    count = args.profile_requests
    with sql_clock() as clock:
        started = time.perf_counter()
        for number in range(count):
            single(number, "timed")
        wall = time.perf_counter() - started
    print_sql(clock, wall, count, "request")
    profile = cProfile.Profile()
    profile.enable()
    for number in range(count):
        single(number, "profiled")
    profile.disable()
    print_profile(profile, clock, wall, args.profile_top)

    print("\nprofile: bulk, POST leads/bulk/ with 1,000 new rows (in process)")
    empty_leads()
    requests = min(10, max(1, export.rows // BULK_ROWS // 2))  # new rows in each pass
    bodies = [
        json.dumps({"leads": export.api_rows[start : start + BULK_ROWS]})
        for start in range(0, requests * 2 * BULK_ROWS, BULK_ROWS)
    ]

    def bulk(body: str) -> None:
        response = client.post("/api/v1/leads/bulk/", body, content_type="application/json")
        assert response.status_code == 200, response.content[:300]

    with sql_clock() as clock:
        started = time.perf_counter()
        for body in bodies[:requests]:
            bulk(body)
        wall = time.perf_counter() - started
    print_sql(clock, wall, requests * BULK_ROWS, "row")
    profile = cProfile.Profile()
    profile.enable()
    for body in bodies[requests:]:
        bulk(body)
    profile.disable()
    print_profile(profile, clock, wall, args.profile_top)

    print("\nprofile: CSV import, the task's chunks (in process)")
    empty_leads()
    rows = min(export.rows, 20_000)
    part = Export(
        cells=export.cells[:rows],
        api_rows=[],
        bad_rows=0,
        distinct_emails=0,
    )
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([HEADERS, *part.cells])
    part.csv_bytes = text.getvalue().encode()
    lead_import = upload_import(part)
    with sql_clock() as clock:
        started = time.perf_counter()
        run_import_task(lead_import.pk)
        wall = time.perf_counter() - started
    print_sql(clock, wall, rows, "row")
    empty_leads()
    lead_import = upload_import(part)
    profile = cProfile.Profile()
    profile.enable()
    run_import_task(lead_import.pk)
    profile.disable()
    print_profile(profile, clock, wall, args.profile_top)


# --- the run ---------------------------------------------------------------------------


#: The targets of the capture paths: a share of the COPY rate, or requests per second.
TARGET_SHARE_OF_COPY = 0.25
TARGET_SINGLE_PER_SECOND = 400


def rate_line(label: str, rate: float, unit: str, floor: float, target: str, note: str) -> str:
    return (
        f"| {label} | {rate:,.0f} {unit} | {floor:,.0f} rows/s | {rate / floor:.2%} | "
        f"{target} | {note} |"
    )


def verdict(met: bool, goal: str) -> str:
    return f"{goal}: {'met' if met else 'NOT met'}"


def measure(args, export: Export, token: str, state_dir: Path, environment: dict) -> dict:
    results: dict[str, Any] = {
        "rows": export.rows,
        "cpus": os.cpu_count(),
        "load_before": [round(load, 2) for load in os.getloadavg()],
        "problems": [],
    }
    problems: list[str] = results["problems"]

    def floor(name: str) -> float:
        seconds = copy_seconds(export)
        rate = export.rows / seconds
        results[f"copy_{name}"] = {"seconds": round(seconds, 3), "rows_per_second": round(rate)}
        print(f"COPY of {export.rows:,} rows: {seconds:.3f} s, {rate:,.0f} rows/s", flush=True)
        return rate

    empty_leads()
    seconds = design_floor_seconds(export)
    results["design_floor"] = {
        "seconds": round(seconds, 3),
        "rows_per_second": round(export.rows / seconds),
    }
    print(
        f"the capture's writes in plain SQL from the copied rows: {seconds:.2f} s, "
        f"{export.rows / seconds:,.0f} rows/s",
        flush=True,
    )

    for name, first in (("csv_import", True), ("csv_import_again", False)):
        copy_rate = floor(name)
        vacuum()
        result = csv_import(export)
        problems.extend(check_import(result, export, first=first))
        rate = export.rows / result["seconds"]
        results[name] = {
            "seconds": round(result["seconds"], 2),
            "rows_per_second": round(rate),
            "of_copy": round(rate / copy_rate, 4),
            "upload_seconds": round(result["upload_seconds"], 2),
            "task_runs": result["task_runs"],
            "counts": result["counts"],
        }
        print(
            f"CSV import{' again' if not first else ''}: {result['seconds']:.2f} s, "
            f"{rate:,.0f} rows/s ({rate / copy_rate:.1%} of COPY); counts {result['counts']}; "
            f"upload and start {result['upload_seconds']:.2f} s; task runs "
            f"{result['task_runs']}; columns left out {result['unmapped']}",
            flush=True,
        )

    empty_leads()
    with gunicorn(environment, state_dir / "gunicorn.log", args.workers) as port:
        warm_up(port, token, args.workers)
        empty_leads()
        copy_rate = floor("bulk_api")
        result = bulk_api(export, port, token, args.clients)
        problems.extend(result.pop("problems"))
        rate = export.rows / result["seconds"]
        results["bulk_api"] = {
            **{key: round(value, 3) if isinstance(value, float) else value
               for key, value in result.items()},
            "rows_per_second": round(rate),
            "of_copy": round(rate / copy_rate, 4),
        }  # fmt: skip
        print(
            f"bulk API: {result['seconds']:.2f} s, {rate:,.0f} rows/s "
            f"({rate / copy_rate:.1%} of COPY); {result['requests']} requests, median "
            f"{result['request_p50']:.2f} s; counts {result['counts']}",
            flush=True,
        )

        if not shutil.which(WRK):
            print(
                "single-lead API: skipped, wrk is not installed (Debian: apt-get install wrk)",
                flush=True,
            )
        else:
            copy_rate = floor("single_api")
            result = single_api(port, token, state_dir, args)
            problems.extend(result.pop("problems"))
            results["single_api"] = {
                **result,
                "of_copy": round(result["per_second"] / copy_rate, 5),
            }
            refused = refused_api(port, token, state_dir, args)
            problems.extend(refused.pop("problems"))
            results["refused_api"] = refused
            print(
                f"the same endpoint refusing a bad email (no capture): "
                f"{refused['per_second']:,.0f} requests/s; latency p50 "
                f"{refused['p50_us'] / 1000:.1f} ms",
                flush=True,
            )
            print(
                f"single-lead API: {result['per_second']:,.0f} requests/s over "
                f"{result['seconds']:.1f} s ({result['requests']:,} answered, leads grew by "
                f"{result['leads_grew']:,}); latency p50 {result['p50_us'] / 1000:.1f} ms, "
                f"p99 {result['p99_us'] / 1000:.1f} ms; non-201 {result['unexpected']}",
                flush=True,
            )
    results["load_after"] = [round(load, 2) for load in os.getloadavg()]
    if problems:
        tail = (state_dir / "gunicorn.log").read_text(errors="replace").splitlines()
        errors = [line for line in tail if '" 2' not in line][-20:]
        if errors:
            print("gunicorn log (lines other than 2xx answers):\n  " + "\n  ".join(errors))
    return results


def print_table(results: dict) -> None:
    print(
        f"\n{results['rows']:,} rows, {results['cpus']} CPUs, load average before "
        f"{results['load_before']}, after {results['load_after']}"
    )
    print("| | measured | COPY, same run | share of COPY | target | |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for name, label in (
        ("csv_import", "CSV import, empty leads table"),
        ("csv_import_again", "CSV import of the same file again"),
        ("bulk_api", "bulk API, 1,000 rows a request"),
    ):
        if name in results:
            figure = results[name]
            print(
                rate_line(
                    label,
                    figure["rows_per_second"],
                    "rows/s",
                    results[f"copy_{name}"]["rows_per_second"],
                    verdict(
                        figure["of_copy"] >= TARGET_SHARE_OF_COPY,
                        f">= {TARGET_SHARE_OF_COPY:.0%} of COPY",
                    ),
                    f"{figure['seconds']} s",
                )
            )
    if "design_floor" in results:
        floor = results["design_floor"]
        copy_rate = results["copy_csv_import"]["rows_per_second"]
        print(
            f"| the capture's writes in plain SQL (no checks, no Python) | "
            f"{floor['rows_per_second']:,} rows/s | {copy_rate:,} rows/s | "
            f"{floor['rows_per_second'] / copy_rate:.2%} | the design's floor | "
            f"{floor['seconds']} s |"
        )
    if "single_api" in results:
        single = results["single_api"]
        print(
            rate_line(
                "single-lead API (wrk)",
                single["per_second"],
                "req/s",
                results["copy_single_api"]["rows_per_second"],
                verdict(
                    single["per_second"] >= TARGET_SINGLE_PER_SECOND,
                    f">= {TARGET_SINGLE_PER_SECOND} req/s",
                ),
                f"p50 {single['p50_us'] / 1000:.1f} ms, p99 {single['p99_us'] / 1000:.1f} ms, "
                f"non-2xx {single['non_2xx']}",
            )
        )
    if "refused_api" in results:
        refused = results["refused_api"]
        print(
            f"| the same endpoint refusing a bad email (no capture) | "
            f"{refused['per_second']:,.0f} req/s | | | the request's own cost | "
            f"p50 {refused['p50_us'] / 1000:.1f} ms |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the export")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=3, help="bulk API client threads")
    parser.add_argument("--duration", type=int, default=20, help="seconds of wrk")
    parser.add_argument("--connections", type=int, default=12, help="wrk connections")
    parser.add_argument("--profile", action="store_true", help="profile each path in process")
    parser.add_argument("--profile-requests", type=int, default=300)
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    # A stop (Ctrl-C, kill) still stops gunicorn and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = database_url(DEFAULT_URL)
    state_dir = Path(tempfile.mkdtemp(prefix="tandem-bench-capture-"))
    environment = app_environment(state_dir)
    recreate_database(url)
    try:
        setup_django(environment)
        flush_redis()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        export = generate_export(args.rows)
        token = prepare(export)
        print(
            f"ready in {time.perf_counter() - started:.1f} s: {export.rows:,} rows "
            f"({len(export.csv_bytes) / 1e6:.1f} MB of CSV), {export.distinct_emails:,} people, "
            f"{export.bad_rows:,} bad rows",
            flush=True,
        )
        results = measure(args, export, token, state_dir, environment)
        print_table(results)
        if args.profile:
            profile_paths(export, token, args)
        print(json.dumps(results, indent=2))
        if results["problems"]:
            print("PROBLEMS:\n  " + "\n  ".join(results["problems"]))
            raise SystemExit(1)
    finally:
        clean_up(url, state_dir, keep=args.keep)


if __name__ == "__main__":
    main()
