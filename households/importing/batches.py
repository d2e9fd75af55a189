"""Writes for uploaded import batches: upload, column mapping, the dry run and the import.
The dry run and the import run in Celery (``households.tasks``), reporting progress."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import ImportBatch
from .base import SUFFIXES, ImportFileError
from .checking import check_rows
from .reading import auto_mapping, mapping_problems, read_table
from .writing import run_import

MAX_UPLOAD_BYTES = 100 * 1024 * 1024
logger = logging.getLogger(__name__)


@transaction.atomic
def import_batch_create(*, user: User, upload: UploadedFile) -> ImportBatch:
    """Store the upload and read its header row. Raises ImportFileError with a message."""
    suffix = Path(upload.name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(
            _("只能导入 .xlsx 或 .csv 文件（收到的是“%(name)s”）。") % {"name": upload.name}
        )
    if upload.size > MAX_UPLOAD_BYTES:
        raise ImportFileError(_("文件太大（超过 100 MB），请分成几个文件导入。"))
    batch = ImportBatch(uploaded_by=user, original_name=upload.name[:200])
    batch.file.save(f"register{suffix}", upload, save=False)
    try:
        table = read_table(Path(batch.file.path))
    except ImportFileError:
        batch.file.delete(save=False)
        raise
    batch.headers = table.headers
    batch.header_row = table.header_row
    batch.mapping = auto_mapping(table.headers)
    batch.save()
    return batch


def import_batch_samples(*, batch: ImportBatch, rows: int = 3) -> list[list[str]]:
    """The first few data rows, to help people choose the columns."""
    table = read_table(Path(batch.file.path), batch.header_row)
    return [["" if c is None else str(c) for c in cells] for _n, cells in table.rows[:rows]]


@transaction.atomic
def import_batch_check(*, batch: ImportBatch, mapping: dict[str, str]) -> list[str]:
    """Save the column mapping and queue the dry run. Returns problems (nothing queued then)."""
    mapping = {k: v for k, v in mapping.items() if v}
    problems = mapping_problems(mapping)
    batch.mapping = mapping
    if problems:
        batch.save(update_fields=["mapping"])
        return problems
    batch.status, batch.progress, batch.summary, batch.rejected, batch.error = (
        ImportBatch.Status.CHECKING, 0, {}, [], "")  # fmt: skip
    batch.save()
    from ..tasks import import_batch_process

    import_batch_process.delay_on_commit(batch.pk, False)
    return []


@transaction.atomic
def import_batch_confirm(*, batch: ImportBatch) -> None:
    """Queue the real import of a checked batch."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.CHECKED:
        raise ImportFileError(_("这批数据还没有检查完，或者已经导入过了。"))
    batch.status, batch.progress = ImportBatch.Status.IMPORTING, 0
    batch.save(update_fields=["status", "progress"])
    from ..tasks import import_batch_process

    import_batch_process.delay_on_commit(batch.pk, True)


def import_batch_process(*, batch_id: int, write: bool) -> ImportBatch:
    """The dry run (``write=False``) or the import. Progress is saved as it goes (outside any
    transaction, so the progress bar sees it); the import itself is one transaction."""
    batch = ImportBatch.objects.get(pk=batch_id)
    expected = ImportBatch.Status.IMPORTING if write else ImportBatch.Status.CHECKING
    if batch.status != expected:  # a job that already ran (redelivered after a lost worker)
        return batch

    def progress(percent: int) -> None:
        # checking is the first 80 % of the work, writing the rest
        ImportBatch.objects.filter(pk=batch_id).update(progress=min(99, percent * 8 // 10))

    try:
        table = read_table(Path(batch.file.path), batch.header_row)
        rows, outcome = check_rows(table, batch.mapping, progress=progress)
        progress(100)
        run_import(rows, outcome, write=write, actor=batch.uploaded_by, source=batch.original_name)
    except ImportFileError as exc:
        batch.status, batch.error = ImportBatch.Status.FAILED, str(exc)
        batch.save(update_fields=["status", "error"])
        return batch
    except Exception:
        logger.exception("import batch %s failed", batch_id)
        batch.status = ImportBatch.Status.FAILED
        batch.error = _("导入时出了意外错误，没有写入任何数据。请把文件发给管理员。")
        batch.save(update_fields=["status", "error"])
        raise
    outcome.rejected.sort(key=lambda r: r.row)
    batch.summary = outcome.summary()
    batch.rejected = [r.as_dict() for r in outcome.rejected]
    batch.progress = 100
    batch.status = ImportBatch.Status.DONE if write else ImportBatch.Status.CHECKED
    batch.finished_at = timezone.now() if write else None
    batch.save()
    return batch
