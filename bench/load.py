"""Load benchmark: a mixed day on PostgreSQL, Redis, gunicorn and two Celery workers.

    .venv/bin/python bench/load.py [--duration 300] [--clients 8] [--rate 0]
    .venv/bin/python bench/load.py --duration 30          # a quick run

It makes its own database (``bench_load`` on the server of ``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/bench_load``; its name must start with
``bench_``), migrates it and fills it with the demo company (``manage.py seed_demo``: 7
campaigns, 4 of them active with a web form, 305 leads, a marketer, two reps, two
managers, routing rules and business hours) plus two more reps. Then it runs the app as
production runs it (``DEBUG=0``, a random ``SECRET_KEY``, Redis as broker and cache at
``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/9``, flushed before and after):
gunicorn with 4 sync workers, two ``celery worker`` processes and ``celery beat``; and a
webhook receiver (a process of its own) subscribed over the API to ``lead.captured`` and
``lead.stage_changed``.

For ``--duration`` seconds, ``--clients`` threads (one connection each) send a weighted
mix of requests, each as soon as the last one was answered (or at ``--rate`` requests per
second in all): web-form captures, API captures, the sales queue (API and page), "claim
next", activities on claimed leads, the KPI summary and the dashboard (page and
sections). It reports throughput and latency per kind, errors, how far the Celery queue
and scoring fell behind and how long the workers took to catch up once the clients
stopped, the webhooks (delivered, pending, lag from a capture's answer to its webhook),
who used the CPU, and checks that every answered capture is a lead, no lead was scored
twice or got two live handoffs, every claim and activity answered is in the database,
and every webhook arrived once, signed, in order per lead. A Markdown table, then JSON;
exit 1 with the problems if a check failed. The database is dropped at the end unless
``--keep`` is given. See bench/README.md.
"""

import argparse
import hashlib
import hmac
import io
import json
import math
import multiprocessing
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.client import HTTPConnection, HTTPException
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchdb import (
    clean_up,
    cpu_of,
    database_url,
    descendants,
    flush_redis,
    free_port,
    gunicorn_command,
    load,
    machine_ticks,
    production_environment,
    recreate_database,
    redis_url,
    wait_until_serving,
    weighted,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_load"
#: Celery's default queue: every task of the app goes there.
QUEUE = "celery"
WEBHOOK_EVENTS = ["lead.captured", "lead.stage_changed"]
EXTRA_REPS = ["rep3", "rep4"]
DASHBOARD_SECTIONS = ["goals", "numbers", "trends", "campaigns", "reps"]

#: (kind, weight): the share of each kind of request in the mix.
MIX = [
    ("form capture", 22),
    ("API capture", 18),
    ("queue (API)", 10),
    ("queue (page)", 5),
    ("claim next", 12),
    ("activity", 10),
    ("KPI summary (API)", 6),
    ("dashboard page", 3),
    ("dashboard section", 14),
]
KINDS = [kind for kind, _ in MIX]
#: The answers each kind expects; anything else is an error. A browser's form post is
#: answered with the thank-you page's address (303 See Other); "claim next" with 204 when
#: nothing is left to claim.
EXPECTED = {
    "form capture": {303},
    "API capture": {201},
    "claim next": {200, 204},
    "activity": {201},
}

FIRST_NAMES = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Edsger",
               "Frances", "John", "Mary", "Radia", "Sophie", "Priya", "Chen", "Olu", "Lars",
               "Marta", "Noah", "Emma"]  # fmt: skip
LAST_NAMES = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov",
              "Dijkstra", "Allen", "Backus", "Ritchie", "Perlman", "Wilson", "Garcia",
              "Nakamura", "Sharma", "Wang", "Adeyemi", "Jensen", "Rossi"]  # fmt: skip
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Tyrell", "Wonka",
             "Aperture", "Nimbus", "Stark", "Wayne", "Soylent", "Cyberdyne"]  # fmt: skip
FREE_MAIL = ["gmail.com", "outlook.com", "yahoo.com", "gmx.de"]
#: Titles, sizes, countries and touchpoints weighted so that about one capture in seven
#: meets the demo's MQL definition (score 50) and opens a handoff for sales to claim.
TITLES = [
    ("VP Marketing", 12), ("Head of Revenue Operations", 8), ("Chief Financial Officer", 5),
    ("Director of Sales", 6), ("Marketing Manager", 15), ("Sales Team Lead", 8),
    ("Data Analyst", 14), ("Software Engineer", 14), ("Consultant", 10), ("Student", 8),
]  # fmt: skip
FORM_SIZES = [("1", 10), ("11", 15), ("51", 20), ("201", 20), ("501", 15), ("1001", 12),
              ("5001", 8)]  # fmt: skip
COUNTRIES = [("US", 25), ("DE", 15), ("GB", 12), ("FR", 6), ("NL", 5), ("CA", 5), ("IN", 10),
             ("BR", 7), ("ES", 5), ("JP", 5), ("", 5)]  # fmt: skip
API_TOUCHPOINTS = [("api", 50), ("demo_requested", 25), ("content_download", 15),
                   ("webinar_attended", 10)]  # fmt: skip
ACTIVITY_KINDS = ["call", "email", "meeting", "demo"]
OUTCOMES = ["connected", "left_message", "no_answer", "meeting_booked", "interested", ""]


def percentile(samples: list[float], share: float) -> float:
    """The nearest-rank percentile (0 for no samples)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


# --- the webhook receiver ---------------------------------------------------------------


def signature_valid(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """The check the README shows a receiver making: ``t=<unix>,v1=<HMAC of "t.body">``,
    the time within five minutes."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), parts.get("v1", ""))


def receive(ready, secret: str, log_path: str) -> None:
    """The receiver, in a process of its own (forked before Django is set up): it answers
    200 at once and appends what arrived, when, and whether it was signed, to a file."""
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    lock = threading.Lock()
    log = open(log_path, "a", buffering=1)  # line-buffered: read while it runs

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived = time.time()
            signed = signature_valid(secret, body, self.headers.get("X-Tandem-Signature", ""))
            try:
                document = json.loads(body)
            except ValueError:
                document = {}
            data = document.get("data") or {}
            line = json.dumps(
                {
                    "at": arrived,
                    "delivery": self.headers.get("X-Tandem-Delivery"),
                    "event": self.headers.get("X-Tandem-Event"),
                    "subject": document.get("subject"),
                    "event_id": document.get("event_id"),
                    "email": data.get("email") if isinstance(data, dict) else None,
                    "signed": signed,
                }
            )
            with lock:
                log.write(line + "\n")
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    ready.send(server.server_address[1])
    server.serve_forever()


def received(log_path: Path) -> list[dict[str, Any]]:
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]


# --- the processes -----------------------------------------------------------------------


def app_environment(state_dir: Path) -> dict[str, str]:
    """Production settings for this process, gunicorn, the workers and beat.

    The settings module is the app's own, with the collected static files in the run's
    folder (pages render with the production storage, which needs its manifest)."""
    (state_dir / "load_settings.py").write_text(
        "from alignment.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(state_dir / 'static')!r}\n"
    )
    return {
        **production_environment(state_dir, database_url(DEFAULT_URL)),
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "PYTHONPATH": os.pathsep.join([str(state_dir), str(ROOT)]),
        # The receiver listens on 127.0.0.1.
        "WEBHOOKS_ALLOW_PRIVATE_NETWORKS": "1",
        # Every form capture comes from 127.0.0.1: lift the per-address budget too.
        "CAPTURE_RATE_LIMIT": "1000000000",
    }


def setup_django(environment: dict[str, str], state_dir: Path) -> None:
    os.environ.update(environment)
    sys.path[:0] = [str(state_dir), str(ROOT)]
    import django

    django.setup()


@dataclass
class Service:
    name: str
    process: subprocess.Popen
    log: Path


class Services:
    """gunicorn, the workers and beat as subprocesses, each in a session of its own so it
    is stopped with its children, whatever happens."""

    def __init__(self, environment: dict[str, str], state_dir: Path) -> None:
        self.environment = environment
        self.state_dir = state_dir
        self.running: list[Service] = []

    def start(self, name: str, command: list[str]) -> Service:
        log = self.state_dir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", *command],
                cwd=ROOT,
                env={**os.environ, **self.environment},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service = Service(name, process, log)
        self.running.append(service)
        return service

    def stop_all(self) -> None:
        for service in self.running:
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in self.running:
            try:
                # A worker's warm shutdown finishes its task first.
                service.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
        self.running = []


def wait_for_gunicorn(service: Service, port: int) -> None:
    wait_until_serving(service.process, service.log, port, "/api/v1/", seconds=60)


def wait_for_workers(services: list[Service], count: int) -> None:
    """Until ``count`` workers answer a ping on the bench's broker."""
    from alignment.celery import app

    deadline = time.monotonic() + 90
    while True:
        for service in services:
            if service.process.poll() is not None:
                raise SystemExit(
                    f"{service.name} stopped at start:\n{service.log.read_text()[-3000:]}"
                )
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= count:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(replies)} of {count} workers answered within 90 s")


# --- CPU accounting ---------------------------------------------------------------------


class CpuClock:
    """Who used the cores between two readings: the process trees of each group (a
    process and its children), this process alone (the clients), the PostgreSQL backends
    of the bench's database, Redis, and the machine in all.

    Django drops a connection older than ``DB_CONN_MAX_AGE`` (60 s) at the end of a
    request, and its backend's time goes with it: the sampler reads the backends' time
    every second (``track``), so each is counted up to its last second."""

    def __init__(self, trees: dict[str, list[int]], redis_pid: int | None) -> None:
        from django.db import connection

        self.trees = trees
        self.redis_pid = redis_pid
        self.lock = threading.Lock()
        self.tracking = False
        #: backend pid -> [its time at the start (0 for a later one), the latest reading]
        self.backend_cpu: dict[int, list[float]] = {}
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.own_backend = cursor.fetchone()[0]

    def backends(self) -> list[int]:
        """The bench database's backends but the bench's own."""
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND pid <> %s",
                [self.own_backend],
            )
            return [pid for (pid,) in cursor.fetchall()]

    def track(self, *, first: bool = False) -> None:
        readings = {pid: cpu_of(pid) for pid in self.backends()}
        with self.lock:
            for pid, seconds in readings.items():
                if pid in self.backend_cpu:
                    self.backend_cpu[pid][1] = max(self.backend_cpu[pid][1], seconds)
                else:
                    self.backend_cpu[pid] = [seconds if first else 0.0, seconds]

    def reading(self) -> dict[str, Any]:
        """Called at the start and at the end: between them, the backends are tracked."""
        self.track(first=not self.tracking)
        self.tracking = not self.tracking
        groups = {
            name: [pid for root in roots for pid in descendants(root)]
            for name, roots in self.trees.items()
        }
        # This process's own time: its children (the services) are counted above.
        groups["the bench's clients and sampler"] = [os.getpid()]
        with self.lock:
            postgres = sum(last - first for first, last in self.backend_cpu.values())
        return {
            "at": time.monotonic(),
            "groups": {name: {pid: cpu_of(pid) for pid in pids} for name, pids in groups.items()},
            "postgres": postgres,
            "redis": cpu_of(self.redis_pid) if self.redis_pid else 0.0,
            "machine": machine_ticks(),
        }

    @staticmethod
    def used(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
        """Cores used on average by each, between the readings."""
        seconds = after["at"] - before["at"]

        def spent(start: dict[int, float], end: dict[int, float]) -> float:
            return sum(value - start.get(pid, 0.0) for pid, value in end.items())

        shares = {
            name: spent(before["groups"][name], after["groups"][name]) / seconds
            for name in after["groups"]
        }
        shares["PostgreSQL (the bench's backends)"] = (
            after["postgres"] - before["postgres"]
        ) / seconds
        shares["Redis (the whole server)"] = (after["redis"] - before["redis"]) / seconds
        busy = after["machine"][0] - before["machine"][0]
        total = after["machine"][1] - before["machine"][1]
        cores = os.cpu_count() or 1
        machine = busy / total * cores if total else 0.0
        shares["the rest: other work, PostgreSQL's own processes, the kernel"] = machine - sum(
            shares.values()
        )
        shares["the machine, every process"] = machine
        return {name: round(value, 2) for name, value in shares.items()}


# --- the cast and the subscription ------------------------------------------------------


@dataclass
class Cast:
    marketer_token: str
    manager_token: str
    manager_session: str
    reps: list[str]
    rep_tokens: dict[str, str]
    rep_sessions: dict[str, str]
    #: Leads each rep owns: the activities' leads (those claimed in the run join them).
    owned: dict[str, list[int]]
    form_keys: list[str]
    campaigns: list[int]


def prepare() -> Cast:
    """The demo company, two more reps, a token for each API user, a session for each
    page reader."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import Client

    from alignment.roles import SALES
    from alignment.services.tokens import create_token
    from campaigns.models import Campaign
    from leads.models import Lead

    call_command("seed_demo", stdout=io.StringIO())
    users = get_user_model().objects
    sales = Group.objects.get(name=SALES)
    for username in EXTRA_REPS:
        rep = users.create_user(username, email=f"{username}@brightwave.example")
        rep.groups.add(sales)

    def session(user) -> str:
        """The Cookie header of a browser logged in as ``user``."""
        from django.conf import settings

        client = Client()
        client.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        return f"{name}={client.cookies[name].value}"

    reps = ["rep1", "rep2", *EXTRA_REPS]
    manager = users.get(username="manager")
    open_forms = Campaign.objects.filter(status=Campaign.Status.ACTIVE).exclude(form_key="")
    return Cast(
        marketer_token=create_token(users.get(username="marketer"), name="Website sync").key,
        manager_token=create_token(manager, name="Load bench").key,
        manager_session=session(manager),
        reps=reps,
        rep_tokens={name: create_token(users.get(username=name), name="CRM").key for name in reps},
        rep_sessions={name: session(users.get(username=name)) for name in reps},
        owned={
            name: list(Lead.objects.filter(owner__username=name).values_list("pk", flat=True))
            for name in reps
        },
        form_keys=list(open_forms.values_list("form_key", flat=True)),
        campaigns=list(open_forms.values_list("pk", flat=True)),
    )


def request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict | None = None
) -> tuple[int, bytes]:
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def subscribe(port: int, cast: Cast, receiver_port: int, secret: str) -> int:
    """The receiver's subscription, made over the API as an integrator makes it; then a
    ping, so a receiver that cannot be reached stops the bench before the load."""
    body = json.dumps(
        {
            "url": f"http://127.0.0.1:{receiver_port}/tandem",
            "events": WEBHOOK_EVENTS,
            "secret": secret,
            "description": "Load bench receiver",
        }
    ).encode()
    headers = {"Authorization": f"Token {cast.manager_token}", "Content-Type": "application/json"}
    status, answer = request(port, "POST", "/api/v1/webhooks/", body, headers)
    if status != 201:
        raise SystemExit(f"POST webhooks/ answered {status}: {answer[:500]!r}")
    webhook = json.loads(answer)["id"]
    status, answer = request(port, "POST", f"/api/v1/webhooks/{webhook}/test/", b"", headers)
    if status != 200 or json.loads(answer).get("status") != "delivered":
        raise SystemExit(f"the ping answered {status}: {answer[:500]!r}")
    return webhook


# --- the clients ------------------------------------------------------------------------


@dataclass
class Call:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Run with the status and body of an expected answer.
    then: Callable[[int, bytes, float], None] | None = None


class Day:
    """Builds each request of the mix and keeps what the answers taught: the captures
    answered (email → when), the leads each rep claimed, the counts to check."""

    def __init__(self, cast: Cast, nonce: str) -> None:
        self.cast = cast
        self.nonce = nonce
        self.lock = threading.Lock()
        self.captured: dict[str, float] = {}
        self.claimed: list[int] = []
        self.activities = 0

    def build(self, kind: str, rng: random.Random, client: int, number: int) -> Call:
        cast = self.cast
        if kind == "form capture":
            return self.form_capture(rng, client, number)
        if kind == "API capture":
            return self.api_capture(rng, client, number)
        if kind == "activity":
            with self.lock:
                workers = [rep for rep in cast.reps if cast.owned[rep]]
            if workers:
                return self.activity(rng, rng.choice(workers))
            kind = "claim next"  # nobody has a lead yet
        rep = rng.choice(cast.reps)
        rep_token = {"Authorization": f"Token {cast.rep_tokens[rep]}"}
        if kind == "claim next":
            return Call(
                "POST",
                "/api/v1/handoffs/claim-next/",
                headers=rep_token,
                then=lambda status, body, _: self.claimed_by(rep, status, body),
            )
        if kind == "queue (API)":
            return Call("GET", "/api/v1/handoffs/?status=open", headers=rep_token)
        if kind == "queue (page)":
            return Call("GET", "/handoffs/queue/", headers=self.cookie(cast.rep_sessions[rep]))
        if kind == "KPI summary (API)":
            return Call(
                "GET",
                "/api/v1/kpis/summary/",
                headers={"Authorization": f"Token {cast.manager_token}"},
            )
        if kind == "dashboard page":
            return Call("GET", "/dashboard/?period=90", headers=self.cookie(cast.manager_session))
        if kind == "dashboard section":
            name = rng.choice(DASHBOARD_SECTIONS)
            headers = {**self.cookie(cast.manager_session), "HX-Request": "true"}
            return Call("GET", f"/dashboard/section/{name}/?period=90", headers=headers)
        raise ValueError(kind)

    @staticmethod
    def cookie(session: str) -> dict[str, str]:
        return {"Cookie": session}

    def person(self, rng: random.Random, client: int, number: int) -> dict[str, str]:
        first, last, company = (
            rng.choice(FIRST_NAMES),
            rng.choice(LAST_NAMES),
            rng.choice(COMPANIES),
        )
        domain = (
            rng.choice(FREE_MAIL)
            if rng.random() < 0.2
            else f"{company.lower()}{number % 37}.example"
        )
        return {
            # Unique per request; the nonce finds the run's leads in the database.
            "email": f"load-{self.nonce}-{client}-{number}.{first.lower()}@{domain}",
            "first_name": first,
            "last_name": last,
            "company": f"{company} {rng.choice(['Inc', 'GmbH', 'Ltd', 'Labs'])}",
            "job_title": weighted(rng, TITLES),
        }

    def answered(self, email: str) -> Callable[[int, bytes, float], None]:
        def then(_status: int, _body: bytes, at: float) -> None:
            with self.lock:
                self.captured[email] = at

        return then

    def form_capture(self, rng: random.Random, client: int, number: int) -> Call:
        fields = self.person(rng, client, number)
        fields |= {
            "country": weighted(rng, COUNTRIES),
            "company_size": weighted(rng, FORM_SIZES),
            "consent": "on" if rng.random() < 0.6 else "",
            "message": "Please send me pricing." if rng.random() < 0.3 else "",
            "website": "",  # the honeypot, left empty as people leave it
            "page_url": "https://www.brightwave.example/revops?utm_source=google",
        }
        return Call(
            "POST",
            f"/f/{rng.choice(self.cast.form_keys)}/",
            urlencode(fields).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
            self.answered(fields["email"]),
        )

    def api_capture(self, rng: random.Random, client: int, number: int) -> Call:
        lead: dict[str, Any] = self.person(rng, client, number)
        lead |= {
            "country": weighted(rng, COUNTRIES),
            "company_size": int(weighted(rng, FORM_SIZES)) + rng.randrange(0, 40),
            "campaign": rng.choice(self.cast.campaigns),
            "touchpoint_kind": weighted(rng, API_TOUCHPOINTS),
            "utm_source": "website",
            "consent": rng.random() < 0.5,
        }
        lead = {key: value for key, value in lead.items() if value != ""}
        return Call(
            "POST",
            "/api/v1/leads/",
            json.dumps(lead).encode(),
            {
                "Authorization": f"Token {self.cast.marketer_token}",
                "Content-Type": "application/json",
            },
            self.answered(lead["email"]),
        )

    def claimed_by(self, rep: str, status: int, body: bytes) -> None:
        if status != 200:
            return
        handoff = json.loads(body)
        with self.lock:
            self.claimed.append(handoff["id"])
            self.cast.owned[rep].append(handoff["lead"])

    def activity(self, rng: random.Random, rep: str) -> Call:
        with self.lock:
            lead = rng.choice(self.cast.owned[rep])
        body = {
            "lead": lead,
            "kind": rng.choice(ACTIVITY_KINDS),
            "outcome": rng.choice(OUTCOMES),
            "note": "Called from the load bench.",
        }

        def then(_status: int, _body: bytes, _at: float) -> None:
            with self.lock:
                self.activities += 1

        return Call(
            "POST",
            "/api/v1/activities/",
            json.dumps(body).encode(),
            {
                "Authorization": f"Token {self.cast.rep_tokens[rep]}",
                "Content-Type": "application/json",
            },
            then,
        )


class Tally:
    """Latencies and answers per kind, and samples of the unexpected ones."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.errors: Counter = Counter()
        self.samples: list[str] = []

    def add(self, kind: str, status: int, seconds: float, problem: str = "") -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.statuses[kind][status] += 1
            if problem:
                self.errors[kind] += 1
                if len(self.samples) < 20:
                    self.samples.append(problem)


def client(
    number: int,
    port: int,
    day: Day,
    tally: Tally,
    stop_at: float,
    interval: float,
    seed: int,
) -> None:
    """One client: a connection, requests of the mix one after another until ``stop_at``
    (every ``interval`` seconds when paced)."""
    rng = random.Random(seed * 1000 + number)
    connection = HTTPConnection("127.0.0.1", port, timeout=60)
    count = 0
    next_at = time.monotonic() + rng.random() * interval
    while True:
        if interval:
            wait = next_at - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            next_at += interval
        if time.monotonic() >= stop_at:
            break
        count += 1
        kind = weighted(rng, MIX)
        call = day.build(kind, rng, number, count)
        if call.path.startswith("/api/v1/handoffs/claim-next"):
            kind = "claim next"
        started = time.perf_counter()
        try:
            connection.request(call.method, call.path, body=call.body, headers=call.headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, HTTPException) as error:
            # gunicorn's sync workers close each connection; a socket error is a failure.
            connection.close()
            seconds = time.perf_counter() - started
            tally.add(kind, 0, seconds, f"{kind} {call.path}: {type(error).__name__}: {error}")
            continue
        seconds = time.perf_counter() - started
        answered_at = time.time()
        expected = EXPECTED.get(kind, {200})
        if response.status in expected:
            tally.add(kind, response.status, seconds)
            if call.then:
                call.then(response.status, body, answered_at)
        else:
            tally.add(
                kind,
                response.status,
                seconds,
                f"{kind} {call.method} {call.path} answered {response.status}: {body[:300]!r}",
            )
    connection.close()


# --- the queues -------------------------------------------------------------------------


class Sampler(threading.Thread):
    """Once a second: the Celery queue's length in Redis, the messages taken but not yet
    acknowledged, the leads not yet scored and the webhook deliveries not yet sent."""

    def __init__(self, clock: CpuClock) -> None:
        super().__init__(daemon=True)
        import redis

        self.clock = clock
        self.redis = redis.Redis.from_url(redis_url())
        self.samples: list[dict[str, float]] = []
        self.stopping = threading.Event()
        self.started_at = time.monotonic()

    def sample(self) -> dict[str, float]:
        from alignment.webhooks.models import WebhookDelivery
        from leads.models import Lead

        return {
            "at": round(time.monotonic() - self.started_at, 1),
            "queued": self.redis.llen(QUEUE),
            "unacked": self.redis.hlen("unacked"),
            "unscored": Lead.objects.filter(unscored=True).count(),
            "deliveries_unsent": WebhookDelivery.objects.filter(
                status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING]
            ).count(),
        }

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stopping.wait(max(0.0, 1 - (time.monotonic() - self.started_at) % 1)):
                self.samples.append(self.sample())
                if self.clock.tracking:
                    self.clock.track()
        finally:
            connection.close()


# --- the run ----------------------------------------------------------------------------


def measure(args, port: int, cast: Cast, sampler: Sampler, clock: CpuClock) -> dict[str, Any]:
    nonce = secrets.token_hex(3)
    day = Day(cast, nonce)
    tally = Tally()
    interval = args.clients / args.rate if args.rate else 0.0
    loads = {"start": load()}
    cpu_before = clock.reading()
    started = time.monotonic()
    stop_at = started + args.duration
    threads = [
        threading.Thread(
            target=client, args=(number, port, day, tally, stop_at, interval, args.seed)
        )
        for number in range(args.clients)
    ]
    sampler.started_at = started
    sampler.start()
    for thread in threads:
        thread.start()
    time.sleep(args.duration / 2)
    loads["middle"] = load()
    print(f"half way: load {loads['middle']}", flush=True)
    for thread in threads:
        thread.join()
    seconds = time.monotonic() - started
    loads["end"] = load()
    cpu_after = clock.reading()
    return {
        "nonce": nonce,
        "day": day,
        "tally": tally,
        "seconds": seconds,
        "loads": loads,
        "cpu": CpuClock.used(cpu_before, cpu_after),
    }


def drain(args, sampler: Sampler, first_event: int, log_path: Path) -> dict[str, Any]:
    """After the clients stop: how long until every lead is scored, the queue is empty,
    and every webhook of the run's events has arrived."""
    from alignment.models import Event

    started = time.monotonic()
    done: dict[str, float | None] = {"scoring": None, "queue": None, "webhooks": None}
    at_end = sampler.sample()
    while time.monotonic() - started < args.drain_timeout:
        now = sampler.sample()
        waited = round(time.monotonic() - started, 1)
        if done["scoring"] is None and now["unscored"] == 0:
            done["scoring"] = waited
        if done["queue"] is None and now["queued"] == 0 and now["unacked"] == 0:
            done["queue"] = waited
        if done["webhooks"] is None and now["deliveries_unsent"] == 0:
            events = Event.objects.filter(pk__gt=first_event, name__in=WEBHOOK_EVENTS).count()
            arrived = {line["delivery"] for line in received(log_path) if line["event"] != "ping"}
            if len(arrived) >= events:
                done["webhooks"] = waited
        if all(value is not None for value in done.values()):
            break
        time.sleep(0.5)
    sampler.stopping.set()
    sampler.join()
    return {"at_end": at_end, "drained_after": done}


def more_than_once(rows) -> int:
    """How many leads have more than one of ``rows`` (score changes, handoffs)."""
    from django.db.models import Count

    return rows.values("lead").annotate(n=Count("id")).filter(n__gt=1).count()


def check(
    run: dict[str, Any], started_at: float, first_event: int, webhook: int, log_path: Path
) -> dict[str, Any]:
    """What the database and the receiver say, against what the clients were answered."""
    from django.db.models import Count

    from alignment.models import Event
    from alignment.webhooks.models import WebhookDelivery
    from handoffs.models import Activity, Handoff
    from leads.models import Lead, ScoreChange

    day: Day = run["day"]
    problems: list[str] = []
    prefix = f"load-{day.nonce}-"
    leads = dict(Lead.objects.filter(email__startswith=prefix).values_list("email", "pk"))
    missing = [email for email in day.captured if email not in leads]
    if missing:
        problems.append(f"{len(missing)} captures answered 2xx have no lead: {missing[:5]}")
    ids = list(leads.values())
    twice = more_than_once(ScoreChange.objects.filter(lead__in=ids))
    if twice:
        problems.append(f"{twice} leads of the run scored more than once")
    unscored = Lead.objects.filter(pk__in=ids, unscored=True).count()
    if unscored:
        problems.append(f"{unscored} leads of the run still unscored after the drain")
    live = more_than_once(
        Handoff.objects.filter(status__in=[Handoff.Status.OPEN, Handoff.Status.CLAIMED])
    )
    if live:
        problems.append(f"{live} leads have more than one live handoff")
    handoffs_twice = more_than_once(Handoff.objects.filter(lead__in=ids))
    if handoffs_twice:
        problems.append(f"{handoffs_twice} leads of the run got more than one handoff")
    mqls = Lead.objects.filter(pk__in=ids).exclude(stage__in=["new", "disqualified"])
    without = mqls.exclude(pk__in=Handoff.objects.values("lead")).count()
    if without:
        problems.append(f"{without} leads of the run past MQL have no handoff")
    since = datetime.fromtimestamp(started_at, tz=UTC)
    claims = Handoff.objects.filter(claimed_at__gte=since).count()
    if claims != len(day.claimed):
        problems.append(f"{len(day.claimed)} claims answered 200, {claims} handoffs claimed")
    activities = Activity.objects.filter(note="Called from the load bench.").count()
    if activities != day.activities:
        problems.append(f"{day.activities} activities answered 201, {activities} written")

    # Webhooks: one delivery per subscribed event, each arrived once, signed, in order.
    events = dict(
        Event.objects.filter(pk__gt=first_event, name__in=WEBHOOK_EVENTS)
        .values_list("name")
        .annotate(n=Count("id"))
        .values_list("name", "n")
    )
    deliveries = WebhookDelivery.objects.filter(endpoint=webhook).exclude(event_name="ping")
    by_status = dict(deliveries.values_list("status").annotate(n=Count("id")))
    lines = [line for line in received(log_path) if line["event"] != "ping"]
    arrivals = Counter(line["delivery"] for line in lines)
    duplicates = sum(1 for n in arrivals.values() if n > 1)
    unsigned = sum(1 for line in lines if not line["signed"])
    if sum(events.values()) != deliveries.count():
        problems.append(
            f"{sum(events.values())} subscribed events, {deliveries.count()} deliveries"
        )
    if len(arrivals) != deliveries.count():
        problems.append(f"{deliveries.count()} deliveries, {len(arrivals)} arrived")
    if duplicates:
        problems.append(f"{duplicates} deliveries arrived more than once")
    if unsigned:
        problems.append(f"{unsigned} deliveries without a valid signature")
    last_event: dict[str, int] = {}
    out_of_order = 0
    for line in sorted(lines, key=lambda line: line["at"]):
        subject, event_id = line["subject"], line["event_id"] or 0
        if event_id < last_event.get(subject, 0):
            out_of_order += 1
        last_event[subject] = max(event_id, last_event.get(subject, 0))
    if out_of_order:
        problems.append(f"{out_of_order} deliveries arrived before an earlier event of their lead")
    lags = []
    first_arrival: dict[str, float] = {}
    for line in lines:
        if line["event"] == "lead.captured" and line["email"] in day.captured:
            first_arrival.setdefault(line["email"], line["at"])
    for email, arrived in first_arrival.items():
        lags.append(arrived - day.captured[email])
    captured_hooks = len(first_arrival)
    if captured_hooks != len(day.captured):
        problems.append(
            f"{len(day.captured)} captures answered, {captured_hooks} lead.captured arrived"
        )
    stages = dict(Lead.objects.filter(pk__in=ids).values_list("stage").annotate(n=Count("id")))
    return {
        **delivery_delays(webhook),
        "problems": problems,
        "leads_of_the_run": len(leads),
        "stages_of_the_run": stages,
        "claims": len(day.claimed),
        "activities": day.activities,
        "events": events,
        "deliveries": by_status,
        "arrived": len(arrivals),
        "duplicates": duplicates,
        "unsigned": unsigned,
        "out_of_order": out_of_order,
        "lag_p50": round(percentile(lags, 0.5), 2),
        "lag_p95": round(percentile(lags, 0.95), 2),
        "lag_max": round(max(lags, default=0.0), 2),
    }


def delivery_delays(webhook: int) -> dict[str, float]:
    """Where a webhook's lag goes, from the delivery log: from the event to its delivery
    row (the relay) and from that row to the receiver's 2xx (the send), p50 and p95."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY relay),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY relay),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY send),
                   percentile_cont(0.95) WITHIN GROUP (ORDER BY send)
            FROM (SELECT extract(epoch FROM d.created_at - e.created_at) AS relay,
                         extract(epoch FROM d.delivered_at - d.created_at) AS send
                  FROM alignment_webhookdelivery d JOIN alignment_event e ON e.id = d.event_id
                  WHERE d.endpoint_id = %s AND d.delivered_at IS NOT NULL) AS delays
            """,
            [webhook],
        )
        row = cursor.fetchone()
    names = ["relay_p50", "relay_p95", "send_p50", "send_p95"]
    return {name: round(float(value or 0), 2) for name, value in zip(names, row, strict=True)}


def deadlocks() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


STATUS = re.compile(r'" (\d{3}) ')


def log_problems(services: list[Service]) -> list[str]:
    """Server errors in gunicorn's access log, and errors and tracebacks in every log."""
    problems = []
    for service in services:
        text = service.log.read_text(errors="replace")
        lines = text.splitlines()
        if service.name == "gunicorn":
            failed = [line for line in lines if (m := STATUS.search(line)) and m[1] >= "500"]
            if failed:
                problems.append(f"gunicorn answered {len(failed)} 5xx: {failed[:3]}")
        bad = [
            line
            for line in lines
            if "Traceback" in line
            or "ERROR" in line
            or "CRITICAL" in line
            or "WORKER TIMEOUT" in line
            or "deadlock" in line.lower()
        ]
        if bad:
            problems.append(f"{service.name} logged {len(bad)} errors, first: {bad[:3]}")
    return problems


def summarise(run: dict[str, Any], drained: dict[str, Any], checked: dict[str, Any],
              sampler: Sampler, extra: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    tally: Tally = run["tally"]
    seconds = run["seconds"]
    kinds = {}
    everything: list[float] = []
    for kind in KINDS:
        samples = tally.latencies.get(kind, [])
        everything.extend(samples)
        kinds[kind] = {
            "requests": len(samples),
            "per_second": round(len(samples) / seconds, 1),
            "p50_ms": round(percentile(samples, 0.5) * 1000, 1),
            "p95_ms": round(percentile(samples, 0.95) * 1000, 1),
            "p99_ms": round(percentile(samples, 0.99) * 1000, 1),
            "errors": tally.errors.get(kind, 0),
            "statuses": dict(tally.statuses.get(kind, {})),
        }
    during = [sample for sample in sampler.samples if sample["at"] <= seconds]
    return {
        **extra,
        "seconds": round(seconds, 1),
        "overall": {
            "requests": len(everything),
            "per_second": round(len(everything) / seconds, 1),
            "p50_ms": round(percentile(everything, 0.5) * 1000, 1),
            "p95_ms": round(percentile(everything, 0.95) * 1000, 1),
            "p99_ms": round(percentile(everything, 0.99) * 1000, 1),
            "errors": sum(tally.errors.values()),
        },
        "kinds": kinds,
        "error_samples": tally.samples,
        "queue": {
            "max_queued": max((s["queued"] for s in during), default=0),
            "max_unacked": max((s["unacked"] for s in during), default=0),
            "max_unscored": max((s["unscored"] for s in during), default=0),
            "max_deliveries_unsent": max((s["deliveries_unsent"] for s in during), default=0),
            "at_end": drained["at_end"],
            "drained_after_s": drained["drained_after"],
        },
        "checks": {key: value for key, value in checked.items() if key != "problems"},
        "loads": run["loads"],
        "cpu_cores_used": run["cpu"],
    }


def print_report(results: dict[str, Any]) -> None:
    def ms(value: float) -> str:
        return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"

    print(
        f"\n{results['seconds']} s, {results['clients']} clients"
        f"{', paced at ' + str(results['rate']) + ' req/s' if results['rate'] else ''}; "
        f"{results['cpus']} cores; load average (1, 5, 15 min) at the start "
        f"{results['loads']['start']}, half way {results['loads']['middle']}, at the end "
        f"{results['loads']['end']}"
    )
    print("\n| kind | requests | req/s | p50 | p95 | p99 | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind, figure in results["kinds"].items():
        answers = ", ".join(f"{n:,} × {status}" for status, n in sorted(figure["statuses"].items()))
        print(
            f"| {kind} ({answers}) | {figure['requests']:,} | {figure['per_second']:.1f} | "
            f"{ms(figure['p50_ms'])} | {ms(figure['p95_ms'])} | {ms(figure['p99_ms'])} | "
            f"{figure['errors']} |"
        )
    overall = results["overall"]
    print(
        f"| **all** | {overall['requests']:,} | {overall['per_second']:.1f} | "
        f"{ms(overall['p50_ms'])} | {ms(overall['p95_ms'])} | {ms(overall['p99_ms'])} | "
        f"{overall['errors']} (target 0: {'met' if overall['errors'] == 0 else 'NOT met'}) |"
    )
    queue, hooks = results["queue"], results["checks"]
    drained = queue["drained_after_s"]

    def after(value: float | None) -> str:
        return "not within the drain timeout" if value is None else f"{value:.1f} s"

    print("\n| the background | figure |")
    print("| --- | --- |")
    rows = [
        ("Celery queue in Redis, most waiting (sampled each second)", f"{queue['max_queued']:,}"),
        ("Celery messages taken by a worker, not yet done, most at once",
         f"{queue['max_unacked']:,}"),
        ("Celery queue when the clients stopped", f"{queue['at_end']['queued']:,} waiting, "
         f"{queue['at_end']['unacked']:,} taken"),
        ("queue empty after the clients stopped", after(drained["queue"])),
        ("leads not yet scored, most at once", f"{queue['max_unscored']:,}"),
        ("leads not yet scored when the clients stopped", f"{queue['at_end']['unscored']:,}"),
        ("every lead scored after the clients stopped", after(drained["scoring"])),
        ("leads of the run (stages)", f"{hooks['leads_of_the_run']:,} "
         f"({', '.join(f'{n:,} {s}' for s, n in sorted(hooks['stages_of_the_run'].items()))})"),
        ("claims answered 200 / activities answered 201", f"{hooks['claims']:,} / "
         f"{hooks['activities']:,}"),
        ("webhook events of the run", ", ".join(f"{n:,} {name}" for name, n in
                                                 sorted(hooks["events"].items()))),
        ("webhook deliveries unsent, most at once", f"{queue['max_deliveries_unsent']:,}"),
        ("webhook deliveries unsent when the clients stopped",
         f"{queue['at_end']['deliveries_unsent']:,}"),
        ("every webhook arrived after the clients stopped", after(drained["webhooks"])),
        ("webhooks arrived (duplicates, unsigned, out of order)",
         f"{hooks['arrived']:,} ({hooks['duplicates']}, {hooks['unsigned']}, "
         f"{hooks['out_of_order']})"),
        ("lag from a capture's answer to its lead.captured webhook, p50 / p95 / max",
         f"{hooks['lag_p50']:.1f} s / {hooks['lag_p95']:.1f} s / {hooks['lag_max']:.1f} s"),
        ("every delivery: from its event to its delivery row (the relay), p50 / p95",
         f"{hooks['relay_p50']:.1f} s / {hooks['relay_p95']:.1f} s"),
        ("every delivery: from its row to the receiver's 2xx (the send), p50 / p95",
         f"{hooks['send_p50']:.1f} s / {hooks['send_p95']:.1f} s"),
        ("PostgreSQL deadlocks", f"{results['deadlocks']}"),
    ]  # fmt: skip
    for label, value in rows:
        print(f"| {label} | {value} |")
    print("\n| cores used, on average over the run | |")
    print("| --- | ---: |")
    for name, cores in results["cpu_cores_used"].items():
        print(f"| {name} | {cores:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=300, help="seconds of load")
    parser.add_argument("--clients", type=int, default=8, help="client threads")
    parser.add_argument(
        "--rate", type=float, default=0, help="requests per second in all (0: as fast as answered)"
    )
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--celery-workers", type=int, default=2, help="celery worker processes")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="each worker's pool (0: Celery's, the cores)"
    )
    parser.add_argument("--drain-timeout", type=int, default=300, help="seconds to wait after")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    # A stop (Ctrl-C, kill) still stops the processes and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = database_url(DEFAULT_URL)
    state_dir = Path(tempfile.mkdtemp(prefix="tandem-bench-load-"))
    secret = "whsec_" + secrets.token_urlsafe(24)
    log_path = state_dir / "received.jsonl"
    # The receiver is forked first, before Django, threads or connections exist.
    ready_here, ready_there = multiprocessing.get_context("fork").Pipe()
    receiver = multiprocessing.get_context("fork").Process(
        target=receive, args=(ready_there, secret, str(log_path)), daemon=True
    )
    receiver.start()
    receiver_port = ready_here.recv()
    environment = app_environment(state_dir)
    services = Services(environment, state_dir)
    recreate_database(url)
    try:
        setup_django(environment, state_dir)
        flush_redis()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", "--noinput", verbosity=0)
        cast = prepare()
        print(f"database ready in {time.perf_counter() - started:.0f} s", flush=True)

        port = free_port()
        web = services.start("gunicorn", gunicorn_command(port, args.web_workers))
        pool = ["--concurrency", str(args.concurrency)] if args.concurrency else []
        worker = ["celery", "-A", "alignment", "worker", "--loglevel=WARNING", *pool]
        workers = [
            services.start(f"worker{number}", [*worker, f"--hostname=load{number}@%h"])
            for number in range(1, args.celery_workers + 1)
        ]
        beat = services.start("beat", ["celery", "-A", "alignment", "beat", "--loglevel=WARNING"])
        wait_for_gunicorn(web, port)
        wait_for_workers(workers, args.celery_workers)
        webhook = subscribe(port, cast, receiver_port, secret)
        from alignment.models import Event
        from alignment.webhooks.models import WebhookEndpoint

        first_event = WebhookEndpoint.objects.get(pk=webhook).first_event
        # Each gunicorn worker imports its code on first use: warm them on the pages.
        for path, headers in [
            ("/handoffs/queue/", Day.cookie(cast.rep_sessions["rep1"])),
            ("/dashboard/?period=90", Day.cookie(cast.manager_session)),
            ("/api/v1/kpis/summary/", {"Authorization": f"Token {cast.manager_token}"}),
        ] * (args.web_workers * 2):
            status, answer = request(port, "GET", path, headers=headers)
            if status != 200:
                raise SystemExit(f"warm-up: {path} answered {status}: {answer[:300]!r}")
        import redis

        clock = CpuClock(
            {
                f"gunicorn ({args.web_workers} sync workers)": [web.process.pid],
                f"Celery workers ({args.celery_workers})": [w.process.pid for w in workers],
                "Celery beat": [beat.process.pid],
                "webhook receiver": [receiver.pid],
            },
            redis.Redis.from_url(redis_url()).info().get("process_id"),
        )
        deadlocks_before = deadlocks()
        print(
            f"{args.clients} clients for {args.duration} s; {os.cpu_count()} cores, load {load()}",
            flush=True,
        )
        sampler = Sampler(clock)
        started_at = time.time()
        run = measure(args, port, cast, sampler, clock)
        print(f"clients stopped after {run['seconds']:.1f} s; draining", flush=True)
        drained = drain(args, sampler, first_event, log_path)
        checked = check(run, started_at, first_event, webhook, log_path)
        problems = list(checked["problems"])
        tally: Tally = run["tally"]
        if tally.errors:
            problems.append(f"{sum(tally.errors.values())} unexpected answers: {tally.samples[:5]}")
        for name, value in drained["drained_after"].items():
            if value is None:
                problems.append(f"{name} not drained within {args.drain_timeout} s")
        found = deadlocks() - deadlocks_before
        if found:
            problems.append(f"PostgreSQL reported {found} deadlocks")
        services_list = list(services.running)
        services.stop_all()
        problems.extend(log_problems(services_list))
        results = summarise(
            run,
            drained,
            checked,
            sampler,
            {
                "clients": args.clients,
                "rate": args.rate,
                "cpus": os.cpu_count(),
                "web_workers": args.web_workers,
                "celery_workers": args.celery_workers,
                "deadlocks": found,
                "events_before": first_event,
                "events_after": Event.objects.order_by("-pk").values_list("pk", flat=True).first(),
                "problems": problems,
            },
        )
        print_report(results)
        print(json.dumps(results, indent=2, default=str))
        if problems:
            print("PROBLEMS:\n  " + "\n  ".join(problems))
            raise SystemExit(1)
    finally:
        services.stop_all()
        receiver.terminate()
        receiver.join(5)
        clean_up(url, state_dir, keep=args.keep)


if __name__ == "__main__":
    main()
