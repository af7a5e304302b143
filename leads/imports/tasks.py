"""Thin import tasks: they take an import id and are safe to run twice."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from leads.imports import services


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError),
    retry_backoff=True,
    max_retries=5,
    # A run stops itself after services.TIME_BUDGET_SECONDS; these limits are the backstop.
    soft_time_limit=600,
    time_limit=660,
)
def run_import(self, import_id: int) -> str:
    """Capture the rows of a queued import; a crash resumes at the last committed chunk."""
    try:
        return services.run_import(import_id)
    except (OperationalError, InterfaceError, ConnectionError):
        if self.request.retries >= self.max_retries:
            services.fail_import(import_id, error="The database stayed unreachable.")
        raise
    except Exception as exc:
        # Not transient: say so on the import instead of leaving it "running" forever.
        services.fail_import(import_id, error=f"The import stopped: {exc}")
        raise


@shared_task
def resume_stalled_imports() -> int:
    """Queue again imports whose worker died or whose message the broker lost."""
    return services.resume_stalled_imports()


@shared_task
def purge_old_import_files() -> tuple[int, int]:
    """Delete the uploads of long-finished imports and long-abandoned drafts."""
    return services.purge_old_files()
