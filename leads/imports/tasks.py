"""Thin import tasks: they take an import's id (and a part's number) and are safe to run
twice."""

from collections.abc import Callable

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from leads.imports import services

TRANSIENT = (OperationalError, InterfaceError, ConnectionError)


def _run(task: Task, import_id: int, run: Callable[[], str]) -> str:
    try:
        return run()
    except TRANSIENT:
        if task.request.retries >= task.max_retries:
            services.fail_import(import_id, error="The database stayed unreachable.")
        raise
    except Exception as exc:
        # Not transient: say so on the import instead of leaving it "running" forever.
        services.fail_import(import_id, error=f"The import stopped: {exc}")
        raise


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
    # A run stops itself after services.TIME_BUDGET_SECONDS; these limits are the backstop.
    soft_time_limit=600,
    time_limit=660,
)
def run_import_part(self, import_id: int, number: int) -> str:
    """Capture one part's rows; a crash resumes at the part's last committed chunk."""
    return _run(self, import_id, lambda: services.run_import_part(import_id, number))


@shared_task(
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=600,
    time_limit=660,
)
def run_import(self, import_id: int) -> str:
    """Capture every part of an import in this worker (a message from before imports had
    parts); a crash resumes at each part's last committed chunk."""
    return _run(self, import_id, lambda: services.run_import(import_id))


@shared_task
def resume_stalled_imports() -> int:
    """Queue again the parts of imports whose worker died or whose message was lost."""
    return services.resume_stalled_imports()


@shared_task
def purge_old_import_files() -> tuple[int, int]:
    """Delete the uploads of long-finished imports and long-abandoned drafts."""
    return services.purge_old_files()
