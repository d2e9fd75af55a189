"""Checking rows: parse every cell, find the household, refuse with a reason."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from .. import normalize as n
from ..models import Community, GridGroup
from .base import (
    ABROAD_CATEGORIES,
    CHUNK,
    PARSERS,
    Outcome,
    Rejected,
    Row,
    Table,
    cycles_unchecked,
)

# --- checking ----------------------------------------------------------------------------------


class _Lookups:
    """Communities and grid groups by name, loaded once per import."""

    def __init__(self):
        self.communities = {c.name: c for c in Community.objects.all()}
        self.groups = {(g.community_id, g.name): g for g in GridGroup.objects.all()}

    def community(self, name: str) -> Community | None:
        return self.communities.get(name) or self.communities.get(f"{name}社区")

    def grid_group(self, community: Community, name: str) -> GridGroup | None:
        candidates = [name]
        if name.isdigit():
            candidates += [f"第{name}小组", f"第{name}组", f"{name}组"]
        for candidate in candidates:
            if group := self.groups.get((community.pk, candidate)):
                return group
        return None


# Fields whose cells repeat from row to row: a household's key, householder, address and
# phone on each of its people's rows, and a handful of communities, groups, relations,
# categories and countries. Each distinct cell is parsed once (a third of the checking time
# of a large file). Names, numbers and dates, nearly all different, are parsed as they come:
# remembering them would only cost memory.
_REPEATING = {
    "household_key",
    "householder_name",
    "address",
    "home_phone",
    "community",
    "grid_group",
    "relation",
    "category",
    "country",
    "lives_abroad",
    "gender",
    "consent",
    "is_key",
    "is_hardship",
    "is_empty_nest",
}


def _remembered(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``parser``, remembering its answer for each distinct cell (by the cell's type too: True
    and 1 are equal keys), raising its NormalizeError again for a cell it refused."""
    seen: dict[tuple, tuple[bool, Any]] = {}

    def parse(cell: Any) -> Any:
        memo = (type(cell), cell)
        try:
            ok, result = seen[memo]
        except KeyError:
            try:
                ok, result = True, parser(cell)
            except n.NormalizeError as exc:
                ok, result = False, exc
            seen[memo] = (ok, result)
        if not ok:  # a new error each time: one raised again would grow its traceback
            raise n.NormalizeError(result.message, result.params)
        return result

    return parse


def _parsers(today: date) -> dict[str, Callable[[Any], Any]]:
    """Each field's parser for one import: dates checked against one ``today`` (looking the
    time zone up for each row cost a tenth of the checking), repeating fields remembered."""
    parsers = {
        **PARSERS,
        "birth_date": partial(n.parse_date, today=today),
        "id_number": partial(n.parse_id_number, today=today),
    }
    return {
        key: _remembered(parser) if key in _REPEATING else parser for key, parser in parsers.items()
    }


def _household_key(values: dict, community: Community | None, householder: str) -> str:
    if values.get("household_key"):
        return values["household_key"]
    basis = "|".join(
        [community.name if community else "", householder, values.get("address") or ""]
    )
    return "H" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:15].upper()


def _member_identity(key: str, values: dict) -> tuple:
    if values.get("id_number"):
        return (key, "id", values["id_number"])
    return (key, "name", values.get("name"), values.get("birth_date"))


@cycles_unchecked()
def check_rows(
    table: Table, mapping: dict[str, str], *, progress: Callable[[int], None] | None = None
) -> tuple[list[Row], Outcome]:
    """Parse and validate every row. Nothing is written."""
    outcome = Outcome()
    lookups = _Lookups()
    today = timezone.localdate()
    columns = {int(i): f for i, f in mapping.items() if f in PARSERS}
    label = {i: table.headers[i] or str(n.FIELDS.get(f, f)) for i, f in columns.items()}
    parsers = _parsers(today)
    readers = [(index, key, parsers[key]) for index, key in columns.items()]
    accepted: list[Row] = []
    seen: dict[tuple, int] = {}
    current_householder = ""
    total = len(table.rows) or 1
    for position, (number, cells) in enumerate(table.rows, start=1):
        if progress and position % CHUNK == 0:
            progress(int(position * 100 / total))
        for cell in cells:  # _blank, inline: this runs for every row
            if cell is not None and (not isinstance(cell, str) or cell.strip()):
                break
        else:
            outcome.empty_rows += 1
            continue
        outcome.rows += 1
        values: dict[str, Any] = {}
        errors: list[Rejected] = []
        unreadable: set[str] = set()
        for index, key, parse in readers:
            try:
                value = parse(cells[index])
            except n.NormalizeError as exc:
                unreadable.add(key)
                errors.append(Rejected(number, label[index], str(exc), cells))
                continue
            if value is not None and value != "":
                values[key] = value
        row = Row(number=number, values=values)
        if not values.get("name"):
            errors.append(Rejected(number, _("姓名"), _("姓名不能为空。"), cells))
        if "category" not in values and "category" not in unreadable:
            errors.append(
                Rejected(
                    number,
                    _("类别/身份"),
                    _("请填写类别：归侨、侨眷、华侨、华人、港澳同胞或留学生。"),
                    cells,
                )
            )
        if values.get("community"):
            row.community = lookups.community(values["community"])
            if row.community is None:
                errors.append(
                    Rejected(
                        number,
                        _("社区"),
                        _("社区“%(name)s”不在系统里，请核对名称或先在“社区”里添加。")
                        % {"name": values["community"]},
                        cells,
                    )
                )
            elif values.get("grid_group"):
                row.grid_group = lookups.grid_group(row.community, values["grid_group"])
                if row.grid_group is None:
                    errors.append(
                        Rejected(
                            number,
                            _("网格/小组"),
                            _("“%(community)s”没有小组“%(group)s”。")
                            % {"community": row.community.name, "group": values["grid_group"]},
                            cells,
                        )
                    )
        elif not values.get("household_key"):
            errors.append(Rejected(number, _("社区"), _("请填写社区。"), cells))
        if values.get("id_number") and not values.get("birth_date"):
            values["birth_date"] = n.id_number_birth_date(values["id_number"], today=today)
        if values.get("country") == "CN":
            values.pop("country")
        if "lives_abroad" not in values:
            values["lives_abroad"] = (
                bool(values.get("country")) or values.get("category") in ABROAD_CATEGORIES
            )
        if values.get("category") in ABROAD_CATEGORIES and not values.get("country"):
            errors.append(
                Rejected(
                    number,
                    _("侨居国/所在国家(地区)"),
                    _("华侨、华人和留学生请填写侨居国家或地区。"),
                    cells,
                )
            )
        # which household: the 户编号, the 户主姓名 column, or the householder row above
        householder = values.get("householder_name", "")
        if not householder and values.get("relation") == "householder":
            householder = values.get("name", "")
        if (
            not householder
            and "householder_name" not in columns.values()
            and not values.get("household_key")
        ):
            householder = current_householder
            if not householder:
                errors.append(
                    Rejected(
                        number,
                        _("与户主关系"),
                        _("找不到这个人所属的户：请把户主那一行放在前面，或者加一列“户主姓名”。"),
                        cells,
                    )
                )
        if values.get("relation") == "householder":
            current_householder = values.get("name", "")
        if errors:
            outcome.rejected.extend(errors)
            continue
        row.household_key = _household_key(values, row.community, householder)
        identity = _member_identity(row.household_key, values)
        if identity in seen:
            outcome.rejected.append(
                Rejected(
                    number,
                    _("姓名"),
                    _("与第 %(row)s 行是同一个人（重复行）。") % {"row": seen[identity]},
                    cells,
                )
            )
            continue
        seen[identity] = number
        accepted.append(row)
    return accepted, outcome
