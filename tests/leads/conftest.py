"""Fixtures for the lead tests."""

import pytest


@pytest.fixture
def persona_by_name(request, db):
    """Look a persona fixture up by name, for tests parametrized over roles."""
    return lambda name: request.getfixturevalue(name)
