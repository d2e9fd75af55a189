"""Import screens in the Wagtail admin: upload → column mapping → dry run → confirm."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import normalize
from .importing import ImportFileError, rejected_workbook, template_workbook
from .importing.batches import (
    import_batch_check,
    import_batch_confirm,
    import_batch_create,
    import_batch_samples,
)
from .models import ImportBatch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_import(request) -> None:
    if not request.user.has_perm("households.import_register"):
        raise PermissionDenied


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("名册文件（.xlsx 或 .csv）"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xls,.ods,.csv"}),
    )


def import_start(request):
    _require_import(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
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


def import_mapping(request, pk):
    batch = _batch(request, pk)
    if batch.is_running:
        return redirect("households_import:batch", batch.pk)
    problems: list[str] = []
    mapping = dict(batch.mapping)
    if request.method == "POST":
        mapping = {str(i): request.POST.get(f"column-{i}", "") for i in range(len(batch.headers))}
        problems = import_batch_check(batch=batch, mapping=mapping)
        if not problems:
            return redirect("households_import:batch", batch.pk)
    samples = import_batch_samples(batch=batch)
    columns = [
        {"index": str(i), "header": header, "field": mapping.get(str(i), ""),
         "samples": [row[i] for row in samples if i < len(row)]}
        for i, header in enumerate(batch.headers)
    ]  # fmt: skip
    choices = [("", _("（不导入）"))] + [
        (key, str(label)) for key, label in normalize.FIELDS.items()
    ]
    return TemplateResponse(request, "households/admin/import_mapping.html",
                            {"batch": batch, "columns": columns, "choices": choices,
                             "problems": problems})  # fmt: skip


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
        "batch": batch, "rejected": batch.rejected[:200], "rejected_rows": len(rejected_rows),
        "field_labels": normalize.FIELDS,
    })  # fmt: skip


def import_rejected(request, pk):
    batch = _batch(request, pk)
    response = HttpResponse(rejected_workbook(batch.headers, batch.rejected), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="rejected-rows-{batch.pk}.xlsx"'
    return response


def import_template(request):
    _require_import(request)
    response = HttpResponse(template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="register-template.xlsx"'
    return response
