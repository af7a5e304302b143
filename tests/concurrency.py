"""Run calls on threads released together, each on its own database connection."""

import threading
from collections.abc import Callable


def in_threads(
    *targets: Callable[[], object], describe: Callable[[object], str] = str
) -> list[str]:
    """Start every target at the same moment; return ``describe(result)`` of each, or
    ``error:<type>: <message>`` for one that raised (in the order they finished)."""
    from django.db import connections

    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(target: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            try:
                outcome = describe(target())
            except Exception as exc:  # the test must show anything that went wrong
                outcome = f"error:{type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes
