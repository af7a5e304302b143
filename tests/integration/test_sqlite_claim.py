"""Two reps claim the same lead at the same moment over HTTP, on the embedded SQLite default.

No mocks: a SQLite file of its own, migrated by ``manage.py migrate``; two reps and some
MQLs made in it by a script; a real threaded server (``runserver``, as ``./run`` starts
it, and gunicorn with two worker processes) serving it; both claims sent at once from two
threads. The settings open every SQLite database in WAL mode with IMMEDIATE transactions
and a busy timeout, so the second claim waits for the first and answers 409 — never a 500
with "database is locked". Needs neither PostgreSQL nor Redis.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

PROJECT_ROOT = Path(settings.BASE_DIR)
ROUNDS = 5
START_SECONDS = 60
DATABASE = "tandem.sqlite3"

SETUP = f"""
import json
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from leads import lifecycle
from leads.models import Lead, Stage

sales = Group.objects.get(name="sales")
tokens = {{}}
for name in ("sam", "rob"):
    user = get_user_model().objects.create_user(name, f"{{name}}@example.com", "pass-word-123")
    user.groups.add(sales)
    tokens[name] = Token.objects.create(user=user).key
handoffs = []
for n in range({ROUNDS}):
    lead = Lead.objects.create(email=f"lead{{n}}@example.com", first_name="Lead", last_name=str(n))
    lifecycle.advance(lead, Stage.MQL, automatic=True, reason="Score reached the threshold.")
    handoffs.append(lead.handoffs.get().pk)
print("SETUP " + json.dumps({{"tokens": tokens, "handoffs": handoffs}}))
"""


@dataclass
class Site:
    """A running server on its own SQLite file, with the reps' tokens and open handoffs."""

    url: str
    tokens: dict[str, str]
    handoffs: list[int]
    log: Path

    def claim(self, handoff_id: int, rep: str) -> int:
        request = urllib.request.Request(
            f"{self.url}/api/v1/handoffs/{handoff_id}/claim/",
            method="POST",
            data=b"",
            headers={"Authorization": f"Token {self.tokens[rep]}", "Accept": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(folder: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_TASK_ALWAYS_EAGER")
    }
    env.update(
        DATABASE_URL=f"sqlite:///{folder / DATABASE}",
        TANDEM_STATE_DIR=str(folder / "state"),
        DJANGO_SETTINGS_MODULE="alignment.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def server_command(kind: str, port: int) -> list[str]:
    if kind == "runserver":
        return [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "alignment.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
        "--timeout",
        "60",
    ]


def wait_until_serving(url: str, token: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    request = urllib.request.Request(
        f"{url}/api/v1/handoffs/", headers={"Authorization": f"Token {token}"}
    )
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not start in {START_SECONDS}s:\n{log.read_text(errors='replace')}")


def stop(process: subprocess.Popen) -> None:
    """Stop the server and every process it started (gunicorn's workers)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each server (migrating takes a while)."""
    folder = tmp_path_factory.mktemp("migrated")
    manage(environment(folder), "migrate", "--noinput")
    return folder / DATABASE


@pytest.fixture(params=["runserver", "gunicorn"])
def site(request, tmp_path, migrated) -> Iterator[Site]:
    shutil.copyfile(migrated, tmp_path / DATABASE)
    env = environment(tmp_path)
    output = manage(env, "shell", "-c", SETUP)
    setup = json.loads(output.split("SETUP ", 1)[1])
    port = free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            server_command(request.param, port),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(url, setup["tokens"]["sam"], process, log)
        yield Site(url=url, tokens=setup["tokens"], handoffs=setup["handoffs"], log=log)
    finally:
        stop(process)


def claim_at_once(site: Site, handoff_id: int) -> list[int]:
    """Both reps claim ``handoff_id`` from two threads released together."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []
    lock = threading.Lock()

    def claim(rep: str) -> None:
        barrier.wait(timeout=10)
        status = site.claim(handoff_id, rep)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=claim, args=(rep,)) for rep in ("sam", "rob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not any(thread.is_alive() for thread in threads), "a claim hung"
    return statuses


def test_two_reps_claiming_one_lead_at_once_get_200_and_409_never_500(site):
    outcomes = [sorted(claim_at_once(site, handoff_id)) for handoff_id in site.handoffs]

    log = site.log.read_text(errors="replace")
    assert outcomes == [[200, 409]] * ROUNDS, log
    assert "database is locked" not in log
