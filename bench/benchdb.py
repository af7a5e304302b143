"""What every benchmark here shares: the database it may drop, the server's maintenance
connection, weighted choices, the load average to print beside each figure, and the
served app's plumbing (production settings, Redis, a free port, gunicorn coming up).

The scripts run as ``python bench/<name>.py``, so this module is importable by its name.
"""

import os
import random
import secrets
import shutil
import socket
import subprocess
import time
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def database_url(default: str) -> str:
    """``BENCH_DATABASE_URL`` (else ``default``), refusing a database not named bench_..."""
    url = os.environ.get("BENCH_DATABASE_URL", default)
    # The bench drops and creates this database: never one whose name does not say so.
    if not url.rstrip("/").rpartition("/")[2].startswith("bench_"):
        raise SystemExit(f"BENCH_DATABASE_URL must name a database called bench_...: {url}")
    return url


def server_url(url: str) -> str:
    """The same server's ``postgres`` database, to create and drop the bench's own."""
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def admin_execute(url: str, *statements: str) -> None:
    """Run statements outside any transaction (CREATE and DROP DATABASE need that)."""
    import psycopg2

    connection = psycopg2.connect(server_url(url))
    connection.autocommit = True
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    connection.close()


def recreate_database(url: str) -> None:
    name = database_name(url)
    admin_execute(
        url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
    )


def drop_database(url: str) -> None:
    admin_execute(url, f'DROP DATABASE IF EXISTS "{database_name(url)}" WITH (FORCE)')


def weighted(rng: random.Random, choices):
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def load() -> str:
    """The load average (1, 5, 15 minutes): how busy the machine was for a figure."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# --- the served app and its processes ------------------------------------------------------

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"


def redis_url() -> str:
    """``BENCH_REDIS_URL`` (else database 9 of the local Redis): a bench flushes it."""
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def flush_redis() -> None:
    import redis

    redis.Redis.from_url(redis_url()).flushdb()


def production_environment(state_dir: Path, database: str) -> dict[str, str]:
    """Production settings (``DEBUG=0``, a fresh secret, Redis) for a bench's own
    process, gunicorn and workers: plain http on localhost, state in ``state_dir``, and
    the API budgets lifted (a bench's few tokens send far more than any client should)."""
    return {
        "DATABASE_URL": database,
        "REDIS_URL": redis_url(),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "TANDEM_STATE_DIR": str(state_dir),
        "MEDIA_ROOT": str(state_dir / "media"),
        "LOG_LEVEL": "WARNING",
        "API_THROTTLE_CAPTURE": "100000000/minute",
        "API_THROTTLE_USER": "100000000/minute",
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port: int, workers: int) -> list[str]:
    """The app served as the Dockerfile serves it (``python -m`` and these arguments)."""
    return [
        "gunicorn",
        "alignment.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
    ]


def wait_until_serving(
    process: subprocess.Popen, log: Path, port: int, path: str, seconds: float
) -> None:
    """Until the app on ``port`` answers ``GET path`` (any status); a process that stops
    or a server that stays silent for ``seconds`` ends the bench with its log."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn stopped at start:\n{log.read_text()[-3000:]}")
        try:
            connection = HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", path)
            connection.getresponse().read()
            connection.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within {seconds:.0f} s") from None
            time.sleep(0.2)


def clean_up(url: str, state_dir: Path, *, keep: bool) -> None:
    """After a bench, whatever happened: close this process's connections, drop the
    database (unless ``keep``), flush the bench's Redis and remove its folder."""
    from django.db import connections

    connections.close_all()
    if not keep:
        drop_database(url)
    try:
        flush_redis()
    except Exception as error:  # noqa: BLE001 - cleanup must not hide the real error
        print(f"could not flush {redis_url()}: {error}")
    shutil.rmtree(state_dir, ignore_errors=True)


# --- CPU accounting (Linux's /proc) -------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_of(pid: int) -> float:
    """CPU seconds (user and system) a process has used; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (a worker and its pool processes)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of every core since boot."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)
