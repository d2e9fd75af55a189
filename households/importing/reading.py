"""Reading .xlsx/.csv files and mapping their columns to register fields."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .. import normalize as n
from .base import EXCEL_SUFFIXES, PARSERS, SUFFIXES, ImportFileError, Table, _blank

# --- reading -----------------------------------------------------------------------------------


def _read_excel(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    sheet = workbook.get_sheet_by_index(0)
    data = [list(row) for row in sheet.to_python(skip_empty_area=False)]
    # Fill merged cells with their anchor's value: header cells merged across two rows or
    # columns ("联系电话" over 手机/座机) otherwise read as blanks.
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        if top >= len(data):
            continue
        anchor = data[top][left] if left < len(data[top]) else None
        for r in range(top, min(bottom, len(data) - 1) + 1):
            for c in range(left, right + 1):
                if c < len(data[r]) and _blank(data[r][c]):
                    data[r][c] = anchor
    return data


def _read_csv(path: Path) -> list[list[Any]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError(_("无法识别文件的文字编码，请另存为 UTF-8 编码的 CSV 或 .xlsx。"))
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text), dialect)]


def read_table(path: Path, header_row: int | None = None) -> Table:
    """The first sheet as a table; the header row is the one (among the first ten) whose cells
    match the most known column names, so title rows above the header are skipped."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(
            _("只能导入 .xlsx 或 .csv 文件（收到的是“%(suffix)s”）。") % {"suffix": suffix}
        )
    try:
        data = _read_excel(path) if suffix in EXCEL_SUFFIXES else _read_csv(path)
    except ImportFileError:
        raise
    except Exception as exc:  # a corrupt or mislabelled file
        raise ImportFileError(
            _("文件打不开：%(error)s。请确认是 Excel 或 CSV 文件。") % {"error": exc}
        ) from exc
    if not any(any(not _blank(c) for c in row) for row in data):
        raise ImportFileError(_("文件是空的。"))
    if header_row is None:
        scores = [
            (sum(1 for f in n.match_headers([n.clean_text(c) for c in row]).values() if f), -i)
            for i, row in enumerate(data[:10])
        ]
        best, negative_index = max(scores)
        index = (
            -negative_index
            if best >= 2
            else next(i for i, row in enumerate(data) if any(not _blank(c) for c in row))
        )
    else:
        index = header_row - 1
    headers = [n.clean_text(c) for c in data[index]]
    width = len(headers)
    rows = [
        (i + 1, (list(row) + [None] * width)[:width]) for i, row in enumerate(data) if i > index
    ]
    return Table(headers=headers, header_row=index + 1, rows=rows)


def auto_mapping(headers: list[str]) -> dict[str, str]:
    """{column index (as text): field key} for the headers we recognise."""
    return {str(i): f for i, f in n.match_headers(headers).items() if f}


def mapping_from_names(headers: list[str], by_name: dict[str, str]) -> dict[str, str]:
    """A mapping file names columns by their header text: {"户主": "householder_name"}."""
    unknown = set(by_name.values()) - set(PARSERS)
    if unknown:
        raise ImportFileError(
            _("对应文件里有不认识的字段：%(fields)s") % {"fields": "、".join(sorted(unknown))}
        )
    mapping = {}
    for i, header in enumerate(headers):
        if header in by_name:
            mapping[str(i)] = by_name[header]
    return mapping


def mapping_problems(mapping: dict[str, str]) -> list[str]:
    fields = list(mapping.values())
    problems = []
    if "name" not in fields:
        problems.append(_("必须指定“姓名”列。"))
    if "community" not in fields and "household_key" not in fields:
        problems.append(_("必须指定“社区”列（或已在册侨户的“户编号”列）。"))
    if "category" not in fields:
        problems.append(_("必须指定“类别/身份”列。"))
    duplicated = {f for f in fields if fields.count(f) > 1}
    if duplicated:
        labels = "、".join(str(n.FIELDS.get(f, f)) for f in sorted(duplicated))
        problems.append(_("这些字段对应了不止一列：%(fields)s") % {"fields": labels})
    return problems
