"""What every benchmark here shares: the database it may drop, the server's maintenance
connection, weighted choices and the load average to print beside each figure.

The scripts run as ``python bench/<name>.py``, so this module is importable by its name.
"""

import os
import random
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
