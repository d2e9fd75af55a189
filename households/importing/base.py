"""Shared pieces of the register import: the parsers per field, rows, outcomes."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .. import normalize as n
from ..models import Community, GridGroup

# Only formats whose size the import can check before reading (limits.py): old .xls and .ods
# files are saved as .xlsx first.
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
SUFFIXES = EXCEL_SUFFIXES | {".csv"}
ABROAD_CATEGORIES = {"overseas_chinese", "ethnic_chinese", "student_abroad"}
CHUNK = 2000

PARSERS: dict[str, Callable[[Any], Any]] = {
    "household_key": n.clean_text,
    "householder_name": n.clean_text,
    "name": n.clean_text,
    "relation": n.parse_relation,
    "category": n.parse_category,
    "country": n.parse_country,
    "lives_abroad": n.parse_bool,
    "mobile": n.parse_mobile,
    "home_phone": n.parse_phone,
    "id_number": n.parse_id_number,
    "birth_date": n.parse_date,
    "gender": n.parse_gender,
    "community": n.clean_text,
    "grid_group": n.clean_text,
    "address": n.clean_text,
    "home_contact": n.clean_text,
    "consent": n.parse_bool,
    "notes": n.clean_text,
    "is_key": n.parse_bool,
    "is_hardship": n.parse_bool,
    "is_empty_nest": n.parse_bool,
}
MEMBER_FIELDS = {
    "name": "name",
    "gender": "gender",
    "birth_date": "birth_date",
    "relation": "relation",
    "category": "category",
    "country": "country",
    "lives_abroad": "lives_abroad",
    "mobile": "mobile",
    "id_number": "id_number",
    "consent": "consent_contact",
    "notes": "notes",
}
HOUSEHOLD_FIELDS = ("address", "home_phone", "is_key", "is_hardship", "is_empty_nest")


class ImportFileError(Exception):
    """The file as a whole cannot be read (wrong type, empty, no header row, too large)."""


def wrong_type_message(name: str) -> str:
    return _(
        "只能导入 .xlsx 或 .csv 文件（收到的是“%(name)s”）。"
        "旧版 .xls 或 .ods 文件请在 Excel 或 WPS 里另存为 .xlsx。"
    ) % {"name": name}


@dataclass
class Table:
    headers: list[str]
    header_row: int  # 1-based row number of the header in the sheet
    rows: list[tuple[int, list[Any]]]  # (1-based row number, cells)


@dataclass
class Rejected:
    row: int
    column: str
    reason: str
    cells: list[Any] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "reason": self.reason,
            "cells": [_jsonable(c) for c in self.cells],
        }


@dataclass
class Row:
    number: int
    values: dict[str, Any]
    household_key: str = ""
    community: Community | None = None
    grid_group: GridGroup | None = None


@dataclass
class Outcome:
    rows: int = 0
    empty_rows: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    members: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )
    households: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )

    def summary(self) -> dict:
        return {
            "rows": self.rows,
            "empty_rows": self.empty_rows,
            "rejected_rows": len({r.row for r in self.rejected}),
            "members": dict(self.members),
            "households": dict(self.households),
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@contextmanager
def cycles_unchecked() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a stage of an import (reading, checking,
    comparing and writing), and let it run again afterwards.

    An import builds hundreds of thousands of lists, dicts and model instances that all live
    until it ends. The collector's full passes, which the allocations set off again and again,
    walk every one of them each time and find nothing: a fifth of the CPU time of an import of
    15,000 people. What an import throws away is freed as it goes (reference counting); the
    few reference cycles it makes (a remembered error and its traceback, one per distinct bad
    cell) wait for the collector's next pass. Process-wide: another thread's cycles wait too,
    for as long as the stage runs. Nested or concurrent uses leave the collector as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
