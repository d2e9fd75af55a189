"""The .xlsx files people download: the template and the rejected rows."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from core.spreadsheets import safe_row

from .. import normalize as n


def rejected_workbook(headers: list[str], rejected: list[dict]) -> bytes:
    """An .xlsx of the refused rows: the reasons first, then the row as it was uploaded."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("退回的行"))
    # Every cell through safe_row: the uploaded cells come back as they were typed, and
    # openpyxl would turn text starting with "=" into a live formula.
    sheet.append(safe_row([_("原行号"), _("有问题的列"), _("原因"), *headers]))
    by_row: dict[int, list[dict]] = {}
    for item in rejected:
        by_row.setdefault(item["row"], []).append(item)
    for row, items in sorted(by_row.items()):
        columns = "、".join(dict.fromkeys(i["column"] for i in items))
        reasons = "；".join(dict.fromkeys(i["reason"] for i in items))
        sheet.append(safe_row([row, columns, reasons, *(items[0].get("cells") or [])]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_workbook() -> bytes:
    """The downloadable import template: the columns we read, an example row and a help sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("侨户名册")
    columns = [
        "household_key",
        "community",
        "grid_group",
        "householder_name",
        "address",
        "name",
        "relation",
        "gender",
        "birth_date",
        "category",
        "country",
        "mobile",
        "id_number",
        "home_phone",
        "home_contact",
        "consent",
        "is_empty_nest",
        "notes",
    ]
    sheet.append(safe_row([str(n.FIELDS[c]) for c in columns]))
    sheet.append(
        safe_row(
            [
                "",
                "东港社区",
                "第1小组",
                "王秀英",
                "东港社区1幢1单元101室",
                "王秀英",
                "户主",
                "女",
                "1956-03-12",
                "侨眷",
                "",
                "13812345678",
                "",
                "0580-2012345",
                "",
                "是",
                "否",
                "",
            ]
        )
    )
    sheet.append(
        safe_row(
            [
                "",
                "东港社区",
                "第1小组",
                "王秀英",
                "东港社区1幢1单元101室",
                "李明",
                "儿子",
                "男",
                "1985年6月1日",
                "华侨",
                "美国",
                "",
                "",
                "",
                "王秀英",
                "是",
                "",
                "在旧金山",
            ]
        )
    )
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 16
    notes = workbook.create_sheet(_("填写说明"))
    for line in [
        _("每一行是一个人。同一户的人，“户主姓名”“社区”“地址”要填得一样。"),
        _("“户编号”可不填：系统会按社区、户主和地址识别同一户，再次导入不会重复建户。"),
        _("日期可以写 1980-01-31、1980/1/31 或 1980年1月31日。"),
        _("类别填：归侨、侨眷、华侨、华人、港澳同胞、留学生。"),
        _("侨居国家（地区）可写中文、繁体或英文，如 美国、美國、USA；港澳台按地区填。"),
        _("手机号直接写11位；境外号码写国家或地区代码，如 +852 6123 4567。"),
        _("空着的格子不会清除系统里已有的内容。"),
    ]:
        notes.append(safe_row([line]))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
