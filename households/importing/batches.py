"""Writes for uploaded import batches: upload, column mapping, the dry run, the import, giving
a batch up, and the sweep of old files. The dry run and the import run in Celery
(``households.tasks``), reporting progress.

The uploaded file is personal data (names, mobiles, ID numbers). It is read once in the
upload request, within the import limits, for its header and a few sample rows (numbers
masked), which are kept on the batch; after that only the Celery job opens it. It lives in
the private storage (no URL) and is deleted when the import is done, when the batch is given
up, and by the daily sweep when neither happens within ``IMPORT_FILE_RETENTION_DAYS``.
A refused upload leaves no file anywhere.
"""

from __future__ import annotations

import logging
import re
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.storage import private_storage

from .. import normalize as n
from ..models import ImportBatch
from .base import SUFFIXES, ImportFileError, _blank, wrong_type_message
from .checking import check_rows
from .limits import Limits, check_size
from .locks import ImportBusy, import_lock
from .reading import auto_mapping, read_table
from .writing import run_import

SAMPLE_ROWS = 3
IMPORT_FOLDER = "imports"
# A file in the import folder that no batch names is removed once it is this old (younger
# ones may belong to an upload still being saved).
ORPHAN_AGE = timedelta(days=1)
logger = logging.getLogger(__name__)
# A run of digits (full-width ones too) that common separators may split: spaces (also the
# ideographic one), dots, slashes, hyphens and dashes, underscores, middle dots, commas, in
# ASCII and full-width forms. mask() counts the digits: seven or more are a number.
_SEPARATORS = re.escape(
    " \u00a0\u3000"  # spaces: ASCII, no-break, ideographic
    ".\uff0e\u3002\u00b7\u30fb"  # dots: full stop, full-width, ideographic, middle dots
    "/\uff0f\\\uff3c"  # slashes and backslashes, ASCII and full-width
    "-\uff0d\u2010\u2011\u2012\u2013\u2014\u2015\u2212_\uff3f"  # hyphens, dashes, underscores
    ",\uff0c"  # commas
)
_NUMBER = re.compile(rf"\d(?:[{_SEPARATORS}]{{0,3}}\d)+(?:[{_SEPARATORS}]{{0,3}}[Xx\uff38\uff58])?")


def mask_numbers(text: str) -> str:
    """Numbers of seven digits or more in ``text`` masked as core.masking masks them (the first
    three digits, four of an ID number, and the last four kept): enough to recognise a column
    or a mistake, not to read the number."""

    def mask(match: re.Match) -> str:
        chunk = match.group()
        places = [i for i, char in enumerate(chunk) if char.isdigit() or char in "Xx\uff38\uff58"]
        if len(places) < 7:
            return chunk
        keep_start = 4 if len(places) >= 15 else 3
        hidden = set(places[keep_start:-4])
        return "".join("*" if i in hidden else char for i, char in enumerate(chunk))

    return _NUMBER.sub(mask, text)


def mask_sample(value: Any) -> str:
    """A sample cell as the mapping page shows it: as the import will read it, numbers masked."""
    return mask_numbers(n.clean_text(value))


@contextmanager
def _local_upload(upload: UploadedFile, suffix: str) -> Iterator[Path]:
    """The upload as a file on disk, for the reader: Django's temporary file when it has one,
    else a temporary copy (removed afterwards)."""
    if hasattr(upload, "temporary_file_path"):
        path = Path(upload.temporary_file_path())
        if path.suffix.lower() == suffix:
            yield path
            return
    with tempfile.NamedTemporaryFile(suffix=suffix) as copy:
        upload.seek(0)
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        yield Path(copy.name)


@contextmanager
def batch_file(batch: ImportBatch) -> Iterator[Path]:
    """The batch's stored file as a path on disk (a temporary copy when the private storage
    is not a local folder, e.g. S3). Raises ImportFileError when it was already deleted."""
    if not batch.file:
        raise ImportFileError(
            _("上传的文件已经删除（这批已放弃，或超过 %(days)s 天没有完成）。请重新上传。")
            % {"days": settings.IMPORT_FILE_RETENTION_DAYS}
        )
    storage, name = batch.file.storage, batch.file.name
    try:
        local = Path(storage.path(name))
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with tempfile.NamedTemporaryFile(suffix=Path(name).suffix) as copy:
        with storage.open(name, "rb") as handle:
            shutil.copyfileobj(handle, copy)
        copy.flush()
        yield Path(copy.name)


def _file_discard(batch: ImportBatch) -> None:
    """Forget the batch's file and delete it once the transaction commits (a rollback keeps
    the row pointing at a file that still exists)."""
    name = batch.file.name
    if not name:
        return
    batch.file = ""
    storage = private_storage()
    transaction.on_commit(lambda: storage.delete(name))


def import_batch_create(*, user: User, upload: UploadedFile) -> ImportBatch:
    """Check and read the upload (its header and a few rows), then store it privately.
    Raises ImportFileError with a message; nothing is stored then."""
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(wrong_type_message(upload.name))
    limits = Limits.from_settings()
    check_size(upload.size, limits)
    with _local_upload(upload, suffix) as path:
        table = read_table(path, limits=limits, preview=True)
    filled = [cells for _number, cells in table.rows if any(not _blank(c) for c in cells)]
    samples = [[mask_sample(cell) for cell in cells] for cells in filled[:SAMPLE_ROWS]]
    batch = ImportBatch(
        uploaded_by=user,
        original_name=upload.name[:200],
        headers=table.headers,
        header_row=table.header_row,
        mapping=auto_mapping(table.headers),
        samples=samples,
    )
    upload.seek(0)
    batch.file.save(f"{uuid.uuid4().hex}{suffix}", upload, save=False)
    try:
        with transaction.atomic():
            batch.save()
    except BaseException:
        batch.file.storage.delete(batch.file.name)
        raise
    return batch


@transaction.atomic
def import_batch_abandon(*, batch: ImportBatch) -> ImportBatch:
    """Give a batch up: its file is deleted, its sample and refused rows forgotten. Takes the
    batch row lock; refuses while a job runs on it (the job holds the file)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.is_running:
        raise ImportFileError(_("这批正在检查或导入，请等它结束后再放弃。"))
    if batch.is_finished:
        raise ImportFileError(_("这批已经导入或已经放弃了。"))
    _batch_forget(batch)
    batch.status = ImportBatch.Status.ABANDONED
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def _batch_forget(batch: ImportBatch) -> None:
    """Drop the personal data an unfinished batch still holds: file, samples, refused cells."""
    _file_discard(batch)
    batch.samples = []
    batch.rejected = [{**item, "cells": []} for item in batch.rejected]


def import_lock_holder(batch: ImportBatch) -> str:
    """How a web import tells others that it holds the register ("张晓燕（网页导入第 12 批：
    名册.xlsx）")."""
    user = batch.uploaded_by.display_name if batch.uploaded_by else _("已删除的用户")
    return _("%(user)s（网页导入第 %(batch)s 批：%(file)s）") % {
        "user": user,
        "batch": batch.pk,
        "file": batch.original_name,
    }


def import_batch_process(*, batch_id: int, write: bool) -> ImportBatch:
    """The dry run (``write=False``) or the import. Progress is saved as it goes (outside any
    transaction, so the progress bar sees it); the import itself is one transaction. Once the
    import is done the uploaded file is deleted.

    The import holds the register import lock (``locks.import_lock``) from before it compares
    the file with the register until it has committed. When another import holds it, the batch
    goes back to "checked" with the message naming who holds it, to be confirmed again later.
    The dry run takes no lock: it writes nothing, and the import works its counts out again."""
    batch = ImportBatch.objects.get(pk=batch_id)
    expected = ImportBatch.Status.IMPORTING if write else ImportBatch.Status.CHECKING
    if batch.status != expected:  # a job that already ran (redelivered after a lost worker)
        return batch
    if not write:
        return _batch_run(batch, write=False)
    holder = import_lock_holder(batch)
    try:
        with import_lock(holder=holder):
            batch.refresh_from_db()
            if batch.status != expected:  # finished meanwhile by another delivery of this job
                return batch
            return _batch_run(batch, write=True)
    except ImportBusy as exc:
        if exc.holder == holder:  # another delivery of this very job is importing it
            return batch
        ImportBatch.objects.filter(pk=batch_id, status=expected).update(
            status=ImportBatch.Status.CHECKED, progress=100, error=exc.message
        )
        batch.refresh_from_db()
        return batch


def _batch_run(batch: ImportBatch, *, write: bool) -> ImportBatch:
    batch_id = batch.pk

    def progress(percent: int) -> None:
        # checking is the first 80 % of the work, writing the rest
        ImportBatch.objects.filter(pk=batch_id).update(progress=min(99, percent * 8 // 10))

    try:
        with batch_file(batch) as path:
            table = read_table(path, batch.header_row)
        rows, outcome = check_rows(table, batch.mapping, progress=progress)
        progress(100)
        run_import(
            rows,
            outcome,
            write=write,
            actor=batch.uploaded_by,
            source=batch.original_name,
            cells=dict(table.rows),
        )
    except ImportFileError as exc:  # RegisterChanged too: rolled back, nothing written
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
    with transaction.atomic():
        batch.summary = outcome.summary()
        batch.rejected = [r.as_dict() for r in outcome.rejected]
        batch.progress = 100
        batch.status = ImportBatch.Status.DONE if write else ImportBatch.Status.CHECKED
        batch.error = ""
        batch.finished_at = timezone.now() if write else None
        if write:
            _file_discard(batch)
        batch.save()
    return batch


def _stored_files(storage, folder: str) -> Iterator[str]:
    try:
        folders, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _stored_files(storage, f"{folder}/{sub}")


def import_files_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what imports leave behind: batches not finished within the retention period are
    given up (file deleted, samples and refused cells forgotten), finished batches still
    holding a file lose it, and files in the private import folder that no batch names are
    deleted. Safe to run at any time and twice."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    abandoned = 0
    stale = ImportBatch.objects.filter(created_at__lt=cutoff).exclude(
        status__in=[ImportBatch.Status.DONE, ImportBatch.Status.ABANDONED]
    )
    for pk in stale.values_list("pk", flat=True):
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=pk)
            if batch.is_finished or batch.created_at >= cutoff:
                continue
            _batch_forget(batch)
            batch.status = ImportBatch.Status.ABANDONED
            batch.error = _("超过 %(days)s 天没有完成，上传的文件已删除。") % {
                "days": settings.IMPORT_FILE_RETENTION_DAYS
            }
            batch.finished_at = now
            batch.save()
            abandoned += 1
    finished = ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.DONE, ImportBatch.Status.ABANDONED]
    ).exclude(file="")
    for batch in finished:
        with transaction.atomic():
            _file_discard(batch)
            batch.save(update_fields=["file"])
    storage = private_storage()
    known = set(ImportBatch.objects.exclude(file="").values_list("file", flat=True))
    orphans = 0
    for name in _stored_files(storage, IMPORT_FOLDER):
        if name in known:
            continue
        try:
            modified = storage.get_modified_time(name)
        except (FileNotFoundError, NotImplementedError):
            continue
        if modified < now - ORPHAN_AGE:
            storage.delete(name)
            orphans += 1
    return {"abandoned": abandoned, "orphans": orphans}
