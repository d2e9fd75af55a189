"""Starting the import jobs: the two writes that queue a dry run or the real import of a batch
(the job itself is ``batches.import_batch_process``, run by ``households.tasks``)."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import ImportBatch
from ..tasks import import_batch_process
from .base import ImportFileError
from .reading import mapping_problems


@transaction.atomic
def import_batch_check(*, batch: ImportBatch, mapping: dict[str, str]) -> list[str]:
    """Save the column mapping and queue the dry run. Returns problems (nothing queued then)."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.is_finished or batch.is_running or not batch.file:
        return [_("这批已经导入、已放弃或正在处理，不能再对应列。")]
    mapping = {k: v for k, v in mapping.items() if v}
    problems = mapping_problems(mapping)
    batch.mapping = mapping
    if problems:
        batch.save(update_fields=["mapping"])
        return problems
    batch.status, batch.progress, batch.summary, batch.rejected, batch.error = (
        ImportBatch.Status.CHECKING, 0, {}, [], "")  # fmt: skip
    batch.save()
    import_batch_process.delay_on_commit(batch.pk, False)
    return []


@transaction.atomic
def import_batch_confirm(*, batch: ImportBatch) -> None:
    """Queue the real import of a checked batch."""
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.CHECKED:
        raise ImportFileError(_("这批数据还没有检查完，或者已经导入过了。"))
    batch.status, batch.progress, batch.error = ImportBatch.Status.IMPORTING, 0, ""
    batch.save(update_fields=["status", "progress", "error"])
    import_batch_process.delay_on_commit(batch.pk, True)
