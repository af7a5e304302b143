"""The API against its own schema, with the examples Schemathesis generates from it (and
fuzzes), for a marketer's and a manager's token, on PostgreSQL through a live server with
the demo company's data: no 5xx, no answer that breaks the schema, no status code the
schema does not document."""

import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from alignment.services.tokens import create_token

#: Examples per operation and token: enough to meet each operation's edges, bounded so
#: the run takes a minute or two.
EXAMPLES = 10

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="runs on PostgreSQL (set DATABASE_URL)"
)


@pytest.fixture
def demo(transactional_db, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    call_command("seed_demo", stdout=StringIO())


@pytest.mark.parametrize("username", ["marketer", "manager"])
def test_the_api_keeps_to_its_schema(demo, live_server, username):
    key = create_token(get_user_model().objects.get(username=username), name="schemathesis").key
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{live_server.url}/api/v1/schema/?format=json",
        "--header",
        f"Authorization: Token {key}",
        "--max-examples",
        str(EXAMPLES),
        "--checks",
        "not_a_server_error,status_code_conformance,response_schema_conformance",
        "--phases",
        "examples,fuzzing",
        "--seed",
        "20261207",
        "--no-color",
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900)

    assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-5000:]
    generated = re.search(r"(\d+) generated", run.stdout)
    assert generated and int(generated.group(1)) > 300, run.stdout[-3000:]
