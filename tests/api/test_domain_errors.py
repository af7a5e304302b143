"""Domain errors carry their HTTP meaning through one base class in the core, so the
API's error handler answers them without knowing which app raised them."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

from alignment.api import exception_handler
from alignment.exceptions import Conflict, DomainError, Forbidden
from campaigns.services import CampaignInUse
from handoffs.services import AlreadyClaimed, HandoffClosed, NotAllowed, OfferedToAnother
from leads.lifecycle import IllegalTransition

APPS = ("campaigns", "handoffs", "kpis", "leads")


class Teapot(DomainError):
    status_code = 418


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Conflict("It moved."), 409),
        (Forbidden("Not yours."), 403),
        (Teapot("A new app's own error."), 418),
        (AlreadyClaimed("Rob claimed it first."), 409),
        (OfferedToAnother("Offered to Rob."), 409),
        (HandoffClosed("Closed."), 409),
        (CampaignInUse("Leads name it."), 409),
        (NotAllowed("Sales only."), 403),
    ],
)
def test_a_domain_error_answers_its_status_with_its_message(error, status):
    answer = exception_handler(error, {})
    assert (answer.status_code, answer.data) == (status, {"detail": str(error)})


def test_the_apps_errors_are_domain_errors():
    assert issubclass(IllegalTransition, Conflict)
    assert issubclass(NotAllowed, Forbidden)


def test_the_cores_error_handling_imports_no_app():
    for module in ("api.py", "exceptions.py", "errors.py"):
        tree = ast.parse((Path(settings.BASE_DIR) / "alignment" / module).read_text())
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        assert not [name for name in imported if name and name.split(".")[0] in APPS], module
