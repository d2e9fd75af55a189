from __future__ import annotations

from celery import shared_task

from . import services
from .importing import batches


@shared_task(acks_late=True)
def import_batch_process(batch_id: int, write: bool) -> str:
    """Dry run or import of an uploaded register file. Safe to run twice: a batch that is no
    longer waiting for this step is left alone."""
    return batches.import_batch_process(batch_id=batch_id, write=write).status


@shared_task
def import_files_sweep() -> dict[str, int]:
    """Daily (CELERY_BEAT_SCHEDULE): delete uploaded files of imports not finished within
    IMPORT_FILE_RETENTION_DAYS and files no batch names."""
    return batches.import_files_sweep()


@shared_task
def responsibility_roles_expire() -> int:
    """Daily (CELERY_BEAT_SCHEDULE): take the role group of a level from people whose
    responsibilities of that level have all ended. Idempotent."""
    return services.responsibility_roles_expire()
