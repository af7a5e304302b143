"""CSV import across workers: one import run by 1 and by 2 Celery worker processes on
PostgreSQL and Redis, with the CPU it took and the floor that CPU allows on this machine.

    .venv/bin/python bench/imports.py [--rows 50000] [--repeats 3] [--parts 4]

It makes its own database (``bench_imports`` on the server of ``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/bench_imports``), migrates it, generates the
capture bench's reproducible HubSpot-style export (fixed seed: 2 % repeated people, 1 %
bad rows) and, for each setup in turn, empties the leads, starts the workers (and waits
for the sweep of unscored leads a starting worker queues), uploads the file and starts
the import as the page does (``start_import``: ``--parts`` parts, a task each, queued on
Redis), and times it from the start to the import's ``finished_at``:

- ``1x1``: one ``celery worker --concurrency 1`` process;
- ``2x1``: two such processes;
- ``1x2``: one worker with two pool processes (``--concurrency 2``).

Every run's counts are checked (created, updated, failed, a lead per person and a
touchpoint per captured row). Beside each figure: the CPU time per row of the workers
(their process trees) and of the bench database's PostgreSQL backends; the floor that
CPU allows, its sum over the machine's cores (and the rate that floor means); the cores
the workers, PostgreSQL and everything else on the machine used meanwhile; the share of
samples (every 50 ms) in which a backend waited on a lock, and on which statement; the
load average. Scoring tasks the captures queue wait behind the parts (the queue is first
in, first out) and are dropped between runs: the figures are the import's. Redis
(``BENCH_REDIS_URL``, default database 9) is flushed before, between and after; the
database is dropped at the end unless ``--keep``. See bench/README.md.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from benchdb import (
    TICKS,
    clean_up,
    cpu_of,
    database_url,
    descendants,
    flush_redis,
    load,
    machine_ticks,
    production_environment,
    recreate_database,
)
from capture import Export, empty_leads, generate_export, prepare, setup_django

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_imports"


@dataclass
class Sampler:
    """Every 50 ms while an import runs: the bench database's backends' CPU time (each
    counted from its first sight: a worker connects when its first task starts), and
    which statements, if any, wait on a lock."""

    own_backend: int
    backend_cpu: dict[int, list[float]] = field(default_factory=dict)
    samples: int = 0
    lock_waits: int = 0
    waiting: dict[str, int] = field(default_factory=dict)
    #: Backends seen in each state: ``CPU`` (running) or the event waited for
    #: (``Client:ClientRead``: for the worker; ``Lock:extend``, ``LWLock:...``, ``IO:...``).
    waits: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        import psycopg2

        connection = psycopg2.connect(database_url(DEFAULT_URL))
        connection.autocommit = True
        first = True
        try:
            with connection.cursor() as cursor:
                while not self.stop.is_set():
                    cursor.execute(
                        "SELECT pid, coalesce(wait_event_type || ':' || wait_event, 'CPU'), "
                        "left(query, 60) "
                        "FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid NOT IN (pg_backend_pid(), %s)",
                        [self.own_backend],
                    )
                    rows = cursor.fetchall()
                    self.samples += 1
                    self.lock_waits += any(wait.startswith("Lock:") for _, wait, _ in rows)
                    for pid, wait, query in rows:
                        self.waits[wait] = self.waits.get(wait, 0) + 1
                        if wait.startswith("Lock:"):
                            self.waiting[query] = self.waiting.get(query, 0) + 1
                        seconds = cpu_of(pid)
                        if pid in self.backend_cpu:
                            self.backend_cpu[pid][1] = max(self.backend_cpu[pid][1], seconds)
                        else:
                            self.backend_cpu[pid] = [seconds if first else 0.0, seconds]
                    first = False
                    time.sleep(0.05)
        finally:
            connection.close()

    def postgres_seconds(self) -> float:
        return sum(last - start for start, last in self.backend_cpu.values())


def machine_busy() -> float:
    """CPU seconds every core of the machine has been busy since boot."""
    return machine_ticks()[0] / TICKS


def own_backend() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def start_workers(setup: str, environment: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    """``setup`` is ``<processes>x<concurrency>``: that many ``celery worker`` processes,
    each with that many pool processes; returns once every one answers a ping."""
    from alignment.celery import app

    processes, concurrency = (int(number) for number in setup.split("x"))
    workers = []
    command = [
        *(sys.executable, "-m", "celery", "-A", "alignment", "worker", "--loglevel=WARNING"),
        *(f"--concurrency={concurrency}", "--without-gossip", "--without-mingle"),
        "--without-heartbeat",
    ]
    for number in range(processes):
        with (logs / f"worker-{setup}-{number}.log").open("wb") as log:
            workers.append(
                subprocess.Popen(
                    [*command, f"--hostname=bench-imports-{number}@%h"],
                    cwd=ROOT,
                    env={**os.environ, **environment},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    deadline = time.monotonic() + 90
    while len(app.control.ping(timeout=1.0)) < processes or busy(app):
        # A worker coming up queues a sweep of unscored leads: it runs before the import.
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            stop_workers(workers)
            raise SystemExit(f"the {setup} workers did not come up; see {logs}")
    return workers


def busy(app) -> bool:
    """Whether a worker has a task in hand or waiting."""
    inspect = app.control.inspect(timeout=1.0)
    return any(
        tasks
        for found in (inspect.active(), inspect.reserved())
        for tasks in (found or {}).values()
    )


def stop_workers(workers: list[subprocess.Popen]) -> None:
    """A warm shutdown (the task at hand finishes), then whatever they queued is dropped."""
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
    flush_redis()


def import_once(export: Export, setup: str, workers: list[subprocess.Popen]) -> dict[str, Any]:
    """Start an import of the export into an empty leads table and wait for its end."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from leads.imports import services
    from leads.imports.models import LeadImport
    from leads.models import Lead, Touchpoint

    user = get_user_model().objects.get(username="bench-marketer")
    upload = SimpleUploadedFile("hubspot-export.csv", export.csv_bytes, content_type="text/csv")
    lead_import = services.create_import(file=upload, by=user)
    sampler = Sampler(own_backend=own_backend())
    trees = [pid for worker in workers for pid in descendants(worker.pid)]
    before = {pid: cpu_of(pid) for pid in trees}
    own_before, machine_before, load_before = cpu_of(os.getpid()), machine_busy(), load()
    thread = threading.Thread(target=sampler.run, daemon=True)
    thread.start()
    started: datetime = timezone.now()
    services.start_import(lead_import, by=user)
    while not LeadImport.objects.filter(pk=lead_import.pk, finished_at__isnull=False).exists():
        if any(worker.poll() is not None for worker in workers):
            raise SystemExit("a worker stopped during the import")
        time.sleep(0.05)
    # Read at once: the workers go on to the scoring the import queued.
    machine = machine_busy() - machine_before
    own = cpu_of(os.getpid()) - own_before
    trees = [pid for worker in workers for pid in descendants(worker.pid)]
    worker_cpu = sum(cpu_of(pid) - before.get(pid, 0.0) for pid in trees)
    sampler.stop.set()
    thread.join()
    postgres_cpu = sampler.postgres_seconds()
    lead_import.refresh_from_db()
    seconds = (lead_import.finished_at - started).total_seconds()
    cores = os.cpu_count() or 1
    per_row = (worker_cpu + postgres_cpu) / export.rows
    return {
        "setup": setup,
        "seconds": round(seconds, 2),
        "rows_per_second": round(export.rows / seconds),
        "status": lead_import.status,
        "counts": services.counts_of(lead_import),
        "leads": Lead.objects.count(),
        "touchpoints": Touchpoint.objects.count(),
        "cores_workers": round(worker_cpu / seconds, 2),
        "cores_postgres": round(postgres_cpu / seconds, 2),
        "cores_bench": round(own / seconds, 2),
        # Everything else the machine ran meanwhile.
        "cores_other": round((machine - worker_cpu - postgres_cpu - own) / seconds, 2),
        "cpu_us_per_row": {
            "workers": round(worker_cpu / export.rows * 1e6),
            "postgres": round(postgres_cpu / export.rows * 1e6),
        },
        # The least time the machine's cores allow for the CPU the import took.
        "floor_seconds": round(per_row * export.rows / cores, 2),
        "ceiling_rows_per_second": round(cores / per_row),
        "lock_wait_share": round(sampler.lock_waits / max(sampler.samples, 1), 3),
        "lock_waits_on": sampler.waiting,
        "backend_states": sampler.waits,
        "load_before": load_before,
        "load_after": load(),
    }


def problems_of(run: dict[str, Any], export: Export) -> list[str]:
    counts = run["counts"]
    expected = {
        "created": export.distinct_emails,
        "updated": export.valid_rows - export.distinct_emails,
        "merged": 0,
        "failed": export.bad_rows,
    }
    found = [
        f"{run['setup']}: {name} {counts[name]}, expected {value}"
        for name, value in expected.items()
        if counts[name] != value
    ]
    if run["status"] != "done":
        found.append(f"{run['setup']}: the import ended {run['status']}")
    if (run["leads"], run["touchpoints"]) != (export.distinct_emails, export.valid_rows):
        found.append(
            f"{run['setup']}: {run['leads']} leads and {run['touchpoints']} touchpoints, "
            f"expected {export.distinct_emails} and {export.valid_rows}"
        )
    return found


def describe(setup: str) -> str:
    processes, concurrency = (int(number) for number in setup.split("x"))
    workers = f"{processes} worker{'s' if processes > 1 else ''}"
    return f"{workers}, celery -c {concurrency}{' each' if processes > 1 else ''}"


def print_table(runs: list[dict[str, Any]]) -> None:
    print(
        "\n| setup | time | rows/s | CPU per row: workers + PostgreSQL | floor (CPU / cores) "
        "| cores: workers / PostgreSQL / other work | lock waits | load before → after |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for run in runs:
        cpu = run["cpu_us_per_row"]
        print(
            f"| {describe(run['setup'])} | {run['seconds']:.1f} s | {run['rows_per_second']:,} "
            f"| {cpu['workers']} + {cpu['postgres']} µs "
            f"| {run['floor_seconds']:.1f} s · {run['ceiling_rows_per_second']:,} rows/s "
            f"| {run['cores_workers']:.2f} / {run['cores_postgres']:.2f} "
            f"/ {run['cores_other']:.2f} "
            f"| {run['lock_wait_share']:.0%} | {run['load_before']} → {run['load_after']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows of the export")
    parser.add_argument("--parts", type=int, default=4, help="IMPORT_PARTS")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each setup, in turn")
    parser.add_argument(
        "--setups",
        default="1x1,2x1",
        help="comma-separated <worker processes>x<pool processes each>",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    # A stop (Ctrl-C, kill) still stops the workers and drops the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    url = database_url(DEFAULT_URL)
    state_dir = Path(tempfile.mkdtemp(prefix="tandem-bench-imports-"))
    environment = {**production_environment(state_dir, url), "IMPORT_PARTS": str(args.parts)}
    recreate_database(url)
    workers: list[subprocess.Popen] = []
    runs: list[dict[str, Any]] = []
    try:
        setup_django(environment)
        flush_redis()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        export = generate_export(args.rows)
        prepare(export)
        print(
            f"{export.rows:,} rows ({len(export.csv_bytes) / 1e6:.1f} MB of CSV), "
            f"{export.distinct_emails:,} people, {export.bad_rows:,} bad rows; "
            f"{args.parts} parts; {os.cpu_count()} cores; load {load()}",
            flush=True,
        )
        setups = args.setups.split(",")
        for repeat in range(args.repeats):
            for setup in setups:
                empty_leads()
                workers = start_workers(setup, environment, state_dir)
                try:
                    run = import_once(export, setup, workers)
                finally:
                    stop_workers(workers)
                    workers = []
                run["repeat"] = repeat + 1
                runs.append(run)
                print(json.dumps(run), flush=True)
        print_table(runs)
        problems = [problem for run in runs for problem in problems_of(run, export)]
        if problems:
            print("PROBLEMS:\n  " + "\n  ".join(problems))
            raise SystemExit(1)
    finally:
        if workers:
            stop_workers(workers)
        clean_up(url, state_dir, keep=args.keep)


if __name__ == "__main__":
    main()
