"""Reading .xlsx/.csv files and mapping their columns to register fields."""

from __future__ import annotations

import codecs
import csv
import logging
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .. import normalize as n
from .base import (
    EXCEL_SUFFIXES,
    PARSERS,
    SUFFIXES,
    ImportFileError,
    Table,
    _blank,
    cycles_unchecked,
    wrong_type_message,
)
from .limits import Limits, check_extent, check_size, check_xlsx

# --- reading -----------------------------------------------------------------------------------
# Every read goes through read_table, which checks the file against the import limits first
# (limits.py): no spreadsheet reader sees a file that would make it allocate without bound.

logger = logging.getLogger(__name__)
PREVIEW_ROWS = 20  # enough for the header search (first ten rows) and a few samples
_CSV_CHUNK = 1024 * 1024


def _read_excel(path: Path, limits: Limits, nrows: int | None = None) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    check_xlsx(path, limits)
    workbook = CalamineWorkbook.from_path(str(path))
    sheet = workbook.get_sheet_by_index(0)
    data = [list(row) for row in sheet.to_python(skip_empty_area=False, nrows=nrows)]
    # Fill merged cells with their anchor's value: header cells merged across two rows or
    # columns ("联系电话" over 手机/座机) otherwise read as blanks. Only the part of each range
    # inside the data counts, and all of it together no more than the cell limit: a range
    # can be declared over the whole sheet.
    merged = []
    area = 0
    for (top, left), (bottom, right) in sheet.merged_cell_ranges or []:
        if top >= len(data) or top > bottom or left > right:
            continue
        bottom = min(bottom, len(data) - 1)
        right = min(right, max(len(row) for row in data[top : bottom + 1]) - 1)
        area += max(0, bottom - top + 1) * max(0, right - left + 1)
        if area > limits.max_cells:
            raise ImportFileError(_("文件里合并的单元格太多，请取消合并后再导入。"))
        merged.append((top, left, bottom, right))
    for top, left, bottom, right in merged:
        anchor = data[top][left] if left < len(data[top]) else None
        for r in range(top, bottom + 1):
            row = data[r]
            for c in range(left, min(right, len(row) - 1) + 1):
                if _blank(row[c]):
                    row[c] = anchor
    return data


def _csv_encoding(path: Path) -> str:
    """The first encoding that decodes the whole file, read a chunk at a time."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(_CSV_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(_("无法识别文件的文字编码，请另存为 UTF-8 编码的 CSV 或 .xlsx。"))


def _read_csv(path: Path, limits: Limits, nrows: int | None = None) -> list[list[Any]]:
    """Row by row, never the whole file at once, within the row, column and cell limits."""
    encoding = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        sample = handle.read(4096)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        handle.seek(0)
        data: list[list[Any]] = []
        width = 0
        for row in csv.reader(handle, dialect):
            data.append(row)
            width = max(width, len(row))
            if (
                len(data) > limits.max_rows
                or width > limits.max_columns
                or len(data) * width > limits.max_cells
            ):
                check_extent(len(data), width, limits)
            if nrows is not None and len(data) >= nrows:
                break
    check_extent(len(data), width, limits)
    return data


@cycles_unchecked()
def read_table(
    path: Path,
    header_row: int | None = None,
    *,
    limits: Limits | None = None,
    preview: bool = False,
) -> Table:
    """The first sheet as a table; the header row is the one (among the first ten) whose cells
    match the most known column names, so title rows above the header are skipped.

    The file is checked against ``limits`` (the settings by default) before it is read.
    ``preview`` reads only the first rows (the upload's header and samples)."""
    limits = limits or Limits.from_settings()
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportFileError(wrong_type_message(path.name))
    check_size(path.stat().st_size, limits)
    nrows = PREVIEW_ROWS if preview else None
    try:
        if suffix in EXCEL_SUFFIXES:
            data = _read_excel(path, limits, nrows)
        else:
            data = _read_csv(path, limits, nrows)
    except ImportFileError:
        raise
    except csv.Error as exc:  # a field over csv.field_size_limit(), a stray quote, a NUL
        logger.warning("import: %s unreadable as CSV", path.name, exc_info=True)
        raise ImportFileError(
            _(
                "CSV 文件读不了：可能有一格的内容太长（超过 %(limit)s 个字符）或引号没有配对。"
                "请在 Excel 或 WPS 里检查后另存为 .xlsx 或 CSV 再导入。"
            )
            % {"limit": f"{csv.field_size_limit():,}"}
        ) from exc
    except Exception as exc:  # a corrupt or mislabelled file; the reader's words stay in the log
        logger.warning("import: %s unreadable", path.name, exc_info=True)
        raise ImportFileError(
            _(
                "文件打不开：内容已损坏或不是 Excel/CSV 文件。"
                "请在 Excel 或 WPS 里打开后另存为 .xlsx 再导入。"
            )
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
    if index >= len(data):
        raise ImportFileError(_("找不到表头：文件的行数比表头所在行还少。"))
    headers = [n.clean_text(c) for c in data[index]]
    width = len(headers)
    # each row exactly as wide as the header (the readers' rows are lists of our own)
    rows = [
        (i + 1, row if len(row) == width else (list(row) + [None] * width)[:width])
        for i, row in enumerate(data)
        if i > index
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
