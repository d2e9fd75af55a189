"""Import screens in the Wagtail admin: upload → column mapping → dry run → confirm.

The uploaded file is read once, in the upload request; the mapping page shows the samples
kept on the batch (numbers masked) and never opens the file again. Pages and files that
carry an uploaded file's cells write an access-log row (``households.access``).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from . import access, normalize
from .importing import ImportFileError, rejected_workbook, template_workbook
from .importing.batches import import_batch_abandon, import_batch_create, mask_numbers
from .importing.limits import MB, Limits, too_large_message
from .importing.queue import import_batch_check, import_batch_confirm
from .importing.uploads import limit_uploads
from .models import AccessLog, ImportBatch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_import(request) -> None:
    if not request.user.has_perm("households.import_register"):
        raise PermissionDenied


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("名册文件（.xlsx 或 .csv）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("最大 %(mb)s MB。") % {
            "mb": settings.IMPORT_MAX_UPLOAD_MB
        }


@csrf_exempt
def import_start(request):
    # The size limit must be in place before anything reads the body, CSRF's check included:
    # so CSRF is checked inside, once the limit is set.
    _require_import(request)
    limit = limit_uploads(request, max_bytes=settings.IMPORT_MAX_UPLOAD_MB * MB)
    return _import_start(request, limit)


@csrf_protect
def _import_start(request, limit):
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST":
        if limit.exceeded:  # the file was dropped on the way in: say why, not "required"
            form.is_valid()
            form.errors.pop("file", None)
            form.add_error("file", too_large_message(Limits.from_settings()))
        elif form.is_valid():
            try:
                batch = import_batch_create(user=request.user, upload=form.cleaned_data["file"])
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                return redirect("households_import:mapping", batch.pk)
    batches = ImportBatch.objects.select_related("uploaded_by")[:20]
    return TemplateResponse(request, "households/admin/import_start.html",
                            {"form": form, "batches": batches})  # fmt: skip


def _batch(request, pk) -> ImportBatch:
    _require_import(request)
    return get_object_or_404(ImportBatch, pk=pk)


@access.reveals(AccessLog.Action.FILE, "import_batch", object_id_kwarg="pk")
def import_mapping(request, pk):
    batch = _batch(request, pk)
    if batch.is_running or batch.is_finished:
        return redirect("households_import:batch", batch.pk)
    problems: list[str] = []
    mapping = dict(batch.mapping)
    if request.method == "POST":
        mapping = {str(i): request.POST.get(f"column-{i}", "") for i in range(len(batch.headers))}
        problems = import_batch_check(batch=batch, mapping=mapping)
        if not problems:
            return redirect("households_import:batch", batch.pk)
    columns = [
        {"index": str(i), "header": header, "field": mapping.get(str(i), ""),
         "samples": [row[i] for row in batch.samples if i < len(row) and row[i]]}
        for i, header in enumerate(batch.headers)
    ]  # fmt: skip
    choices = [("", _("（不导入）"))] + [
        (key, str(label)) for key, label in normalize.FIELDS.items()
    ]
    return TemplateResponse(request, "households/admin/import_mapping.html",
                            {"batch": batch, "columns": columns, "choices": choices,
                             "problems": problems})  # fmt: skip


def _may_download_file(request, batch: ImportBatch) -> bool:
    """The original upload goes back only to the person who uploaded it (or a superuser)."""
    return bool(batch.file) and (
        batch.uploaded_by_id == request.user.pk or request.user.is_superuser
    )


def import_batch(request, pk):
    batch = _batch(request, pk)
    if request.method == "POST":
        try:
            import_batch_confirm(batch=batch)
        except ImportFileError as exc:
            messages.error(request, str(exc))
        return redirect("households_import:batch", batch.pk)
    rejected_rows = sorted({r["row"] for r in batch.rejected})
    return TemplateResponse(request, "households/admin/import_batch.html", {
        # the reasons quote the refused cells: their numbers masked here, in full only in the
        # (logged) download
        "batch": batch, "rejected_rows": len(rejected_rows),
        "rejected": [{**r, "reason": mask_numbers(r["reason"])} for r in batch.rejected[:200]],
        "field_labels": normalize.FIELDS,
        "rejected_cells": any(r.get("cells") for r in batch.rejected),
        "may_download_file": _may_download_file(request, batch),
        "may_abandon": not (batch.is_running or batch.is_finished),
        "retention_days": settings.IMPORT_FILE_RETENTION_DAYS,
    })  # fmt: skip


@require_POST
def import_abandon(request, pk):
    batch = _batch(request, pk)
    try:
        import_batch_abandon(batch=batch)
    except ImportFileError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已放弃这批导入，上传的文件已删除。"))
    return redirect("households_import:batch", batch.pk)


@access.reveals(AccessLog.Action.FILE, "import_batch", object_id_kwarg="pk")
def import_file_download(request, pk):
    batch = _batch(request, pk)
    if not _may_download_file(request, batch):
        raise Http404
    response = FileResponse(batch.file.open("rb"), as_attachment=True, filename=batch.original_name)
    response["Cache-Control"] = "private, no-store"
    return response


@access.reveals(AccessLog.Action.FILE, "import_batch", object_id_kwarg="pk")
def import_rejected(request, pk):
    batch = _batch(request, pk)
    if not any(r.get("cells") for r in batch.rejected):
        raise Http404
    response = HttpResponse(rejected_workbook(batch.headers, batch.rejected), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{batch.pk}.xlsx"'
    response["Cache-Control"] = "private, no-store"
    return response


def import_template(request):
    _require_import(request)
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="register-template.xlsx"'
    return response
