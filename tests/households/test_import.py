"""Importing the register: edge cases of real files, dry run, idempotence, CLI and web flow."""

import csv
import io
import json
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command

from households.importing import import_file, read_table, rejected_workbook
from households.models import Community, GridGroup, Household, ImportBatch, Member
from households.normalize import id_check_char

pytestmark = pytest.mark.django_db

HEADERS = [
    "社区",
    "网格",
    "户主姓名",
    "地址",
    "姓名",
    "与户主关系",
    "类别",
    "出生日期",
    "侨居国",
    "联系电话",
    "身份证号",
]


# The import takes the register import lock (households/importing/locks.py), which must be taken
# outside a transaction: tests that run the CLI's or the web job's import commit for real.
WRITES_FOR_REAL = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def valid_id(born: str = "19560312", serial: str = "123") -> str:
    first17 = f"330903{born}{serial}"
    return first17 + id_check_char(first17)


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    """Uploads go to the test's own folder, not var/private."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": tmp_path / "private"}},
    }


@pytest.fixture
def world(db):
    community = Community.objects.create(name="东港社区")
    GridGroup.objects.create(community=community, name="第1小组")
    return community


def write_xlsx(path: Path, rows, *, title: str | None = None, headers=HEADERS) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def family(**overrides):
    head = [
        "东港社区",
        "第1小组",
        "王秀英",
        "1幢101室",
        "王秀英",
        "户主",
        "侨眷",
        "1956-03-12",
        "",
        "13812345678",
        valid_id(),
    ]
    son = [
        "东港社区",
        "第1小组",
        "王秀英",
        "1幢101室",
        "李明",
        "儿子",
        "华侨",
        "1985年6月1日",
        "美国",
        "",
        "",
    ]
    return [head, son]


def test_a_clean_file_creates_one_household_with_its_people(world, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", family())
    _table, outcome = import_file(path, write=True, actor=None)
    assert outcome.summary()["members"] == {"created": 2, "updated": 0, "unchanged": 0}
    household = Household.objects.get()
    assert household.householder_name == "王秀英"
    assert household.grid_group.name == "第1小组"
    son = household.members.get(name="李明")
    assert son.country == "US" and son.lives_abroad
    assert son.birth_date == date(1985, 6, 1)
    assert son.name_initials == "lm"


def test_importing_the_same_file_again_creates_no_duplicates(world, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", family())
    import_file(path, write=True, actor=None)
    _table, outcome = import_file(path, write=True, actor=None)
    assert outcome.summary()["members"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert outcome.summary()["households"]["unchanged"] == 1
    assert Household.objects.count() == 1
    assert Member.objects.count() == 2


def test_a_changed_cell_updates_and_a_blank_one_erases_nothing(world, tmp_path):
    import_file(write_xlsx(tmp_path / "a.xlsx", family()), write=True, actor=None)
    rows = family()
    rows[0][9] = "13912345678"  # new mobile for the householder
    rows[1][7] = ""  # the son's birth date left blank
    _t, outcome = import_file(write_xlsx(tmp_path / "b.xlsx", rows), write=True, actor=None)
    assert outcome.summary()["members"]["updated"] == 1
    assert Member.objects.get(name="王秀英").mobile == "+8613912345678"
    assert Member.objects.get(name="李明").birth_date == date(1985, 6, 1)


def test_dry_run_writes_nothing_but_counts_everything(world, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", family())
    _t, outcome = import_file(path, write=False, actor=None)
    assert outcome.summary()["households"]["created"] == 1
    assert outcome.summary()["members"]["created"] == 2
    assert not Household.objects.exists()


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        (9, "1381234", "手机号码"),
        (10, valid_id()[:-1] + ("0" if valid_id()[-1] != "0" else "1"), "校验位"),
        (0, "不存在社区", "不在系统里"),
        (6, "", "请填写类别"),
        (4, "", "姓名不能为空"),
        (7, "1980-13-45", "日期"),
    ],
)
def test_bad_cells_are_rejected_with_row_column_and_reason(world, tmp_path, column, value, reason):
    rows = family()
    rows[0][column] = value
    _t, outcome = import_file(write_xlsx(tmp_path / "r.xlsx", rows), write=True, actor=None)
    assert outcome.rejected, "the row must be refused"
    first = outcome.rejected[0]
    assert first.row == 2  # header is row 1
    assert reason in first.reason
    assert first.column
    assert not Member.objects.filter(name=rows[0][4] or "王秀英").exists() or column == 4


def test_unknown_grid_group_names_the_community(world, tmp_path):
    rows = family()
    rows[0][1] = "第9小组"
    _t, outcome = import_file(write_xlsx(tmp_path / "r.xlsx", rows), write=False, actor=None)
    assert "“东港社区”没有小组“第9小组”" in outcome.rejected[0].reason


def test_duplicate_rows_and_empty_rows(world, tmp_path):
    rows = family()
    rows = [rows[0], [None] * len(HEADERS), rows[1], list(rows[1])]
    _t, outcome = import_file(write_xlsx(tmp_path / "r.xlsx", rows), write=True, actor=None)
    summary = outcome.summary()
    assert summary["empty_rows"] == 1
    assert summary["rejected_rows"] == 1
    assert "与第 4 行是同一个人" in outcome.rejected[0].reason
    assert outcome.rejected[0].row == 5
    assert Member.objects.count() == 2


def test_title_row_merged_above_the_header_is_skipped(world, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", family(), title="东港社区侨户名册（2026年）")
    table = read_table(path)
    assert table.header_row == 2
    _t, outcome = import_file(path, write=True, actor=None)
    assert outcome.summary()["members"]["created"] == 2


def test_two_row_header_with_merged_cells(world, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["社区", "户主姓名", "地址", "姓名", "类别", "联系方式", None])
    sheet.append([None, None, None, None, None, "手机", "家庭电话"])
    for col in "ABCDE":
        sheet.merge_cells(f"{col}1:{col}2")
    sheet.merge_cells("F1:G1")
    sheet.append(["东港社区", "陈伯", "2幢", "陈伯", "归侨", "13812345678", "0580-2012345"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    table = read_table(path)
    assert table.header_row == 2
    assert table.headers[:4] == ["社区", "户主姓名", "地址", "姓名"]
    _t, outcome = import_file(path, write=True, actor=None)
    assert not outcome.rejected, [r.reason for r in outcome.rejected]
    member = Member.objects.get(name="陈伯")
    assert member.mobile == "+8613812345678"
    assert member.household.home_phone == "+865802012345"


def test_full_width_digits_excel_serials_and_country_spellings(world, tmp_path):
    rows = family()
    rows[0][9] = "１３８１２３４５６７８"
    rows[0][7] = 20526  # Excel serial for 1956-03-12
    rows[1][8] = "美國"
    extra = list(rows[1])
    extra[4], extra[8] = "李华", "USA"
    extra2 = list(rows[1])
    extra2[4], extra2[8], extra2[6] = "李芳", "中國香港", "港澳同胞"
    _t, outcome = import_file(
        write_xlsx(tmp_path / "r.xlsx", [*rows, extra, extra2]), write=True, actor=None
    )
    assert not outcome.rejected, [r.reason for r in outcome.rejected]
    head = Member.objects.get(name="王秀英")
    assert head.mobile == "+8613812345678"
    assert head.birth_date == date(1956, 3, 12)
    assert set(Member.objects.exclude(country="").values_list("country", flat=True)) == {"US", "HK"}


def test_csv_in_gb18030_with_householder_rows_instead_of_a_householder_column(world, tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["社区", "姓名", "与户主关系", "类别", "地址"])
    writer.writerow(["东港", "周老伯", "户主", "归侨", "3幢"])
    writer.writerow(["东港", "周小梅", "女儿", "留学生", "3幢"])
    path = tmp_path / "r.csv"
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    _t, outcome = import_file(path, write=True, actor=None)
    # the student has no country: refused, the householder imported
    assert [r.row for r in outcome.rejected] == [3]
    assert "侨居国家" in outcome.rejected[0].reason
    assert Household.objects.get().householder_name == "周老伯"


def test_rejected_rows_download_keeps_the_original_cells(world, tmp_path):
    rows = family()
    rows[1][9] = "12"
    _t, outcome = import_file(write_xlsx(tmp_path / "r.xlsx", rows), write=True, actor=None)
    content = rejected_workbook(HEADERS, [r.as_dict() for r in outcome.rejected])
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    values = list(sheet.values)
    assert values[0][:3] == ("原行号", "有问题的列", "原因")
    assert values[1][0] == 3
    assert "李明" in values[1]


@WRITES_FOR_REAL
def test_cli_exit_codes_and_summary(world, tmp_path, capsys):
    good = write_xlsx(tmp_path / "good.xlsx", family())
    out = io.StringIO()
    call_command("import_register", str(good), "--dry-run", stdout=out)
    assert "created 2" in out.getvalue()
    assert not Member.objects.exists()
    call_command("import_register", str(good), stdout=io.StringIO())
    assert Member.objects.count() == 2
    rows = family()
    rows[0][9] = "1"
    bad = write_xlsx(tmp_path / "bad.xlsx", rows)
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_register", str(bad), stdout=io.StringIO())
    assert exit_info.value.code == 1
    assert (tmp_path / "bad.rejected.xlsx").exists()


@WRITES_FOR_REAL
def test_cli_mapping_file_for_unusual_headers(world, tmp_path):
    headers = ["片区", "户长", "住址", "人名", "身份"]
    path = write_xlsx(
        tmp_path / "odd.xlsx", [["东港社区", "郑伯", "5幢", "郑伯", "侨眷"]], headers=headers
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "片区": "community",
                "户长": "householder_name",
                "住址": "address",
                "人名": "name",
                "身份": "category",
            }
        ),
        encoding="utf-8",
    )
    call_command("import_register", str(path), "--mapping", str(mapping), stdout=io.StringIO())
    assert Member.objects.get().name == "郑伯"


@WRITES_FOR_REAL
def test_web_flow_upload_map_check_confirm(
    world, tmp_path, client_for, django_capture_on_commit_callbacks, eager_jobs
):
    client = client_for("staff")
    path = write_xlsx(tmp_path / "r.xlsx", family())
    with path.open("rb") as handle:
        response = client.post("/admin/register/import/", {"file": handle})
    batch = ImportBatch.objects.get()
    assert response["Location"] == f"/admin/register/import/{batch.pk}/mapping/"
    page = client.get(response["Location"]).content.decode()
    assert "王秀英" in page  # sample values help choose the columns
    form = {f"column-{i}": field for i, field in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/register/import/{batch.pk}/mapping/", form)
    batch.refresh_from_db()
    assert batch.status == "checked", batch.error
    assert batch.summary["members"]["created"] == 2
    assert not Member.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/register/import/{batch.pk}/")
    batch.refresh_from_db()
    assert batch.status == "done"
    assert Member.objects.count() == 2
    assert "已导入" in client.get(f"/admin/register/import/{batch.pk}/").content.decode()


def test_mapping_without_required_columns_comes_back_with_the_choices_kept(
    world, tmp_path, client_for
):
    client = client_for("staff")
    with write_xlsx(tmp_path / "r.xlsx", family()).open("rb") as handle:
        client.post("/admin/register/import/", {"file": handle})
    batch = ImportBatch.objects.get()
    form = {f"column-{i}": "" for i in range(len(HEADERS))}
    form["column-0"] = "community"
    response = client.post(f"/admin/register/import/{batch.pk}/mapping/", form)
    html = response.content.decode()
    assert "必须指定“姓名”列" in html
    assert '<option value="community" selected>' in html
    batch.refresh_from_db()
    assert batch.status == "uploaded"


def test_upload_of_a_wrong_file_type_is_refused_in_chinese(client_for, tmp_path):
    client = client_for("staff")
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with path.open("rb") as handle:
        response = client.post("/admin/register/import/", {"file": handle})
    assert "只能导入 .xlsx 或 .csv 文件" in response.content.decode()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("persona", ["group_leader", "cadre", "committee_member", "relative"])
def test_only_staff_import(client_for, persona):
    response = client_for(persona).get("/admin/register/import/")
    assert response.status_code in (302, 403)


def test_template_download_reimports_cleanly(client_for, world, tmp_path):
    response = client_for("staff").get("/admin/register/import/template.xlsx")
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    _t, outcome = import_file(path, write=True, actor=None)
    assert not outcome.rejected, [r.reason for r in outcome.rejected]
    assert Member.objects.count() == 2


# --- the cyclic garbage collector during an import ---------------------------------------------


def test_the_collector_is_paused_while_the_file_is_read_checked_and_written(
    world, tmp_path, monkeypatch
):
    import gc

    from households.importing import base, checking, reading, writing

    paused = {}

    def watch(stage, real):
        def watched(*args, **kwargs):
            paused[stage] = not gc.isenabled()
            return real(*args, **kwargs)

        return watched

    monkeypatch.setattr(reading, "check_xlsx", watch("read", reading.check_xlsx))
    monkeypatch.setitem(checking.PARSERS, "name", watch("check", base.PARSERS["name"]))
    monkeypatch.setattr(writing, "plan_rows", watch("compare", writing.plan_rows))
    monkeypatch.setattr(writing, "_write", watch("write", writing._write))
    assert gc.isenabled()
    _t, outcome = import_file(write_xlsx(tmp_path / "a.xlsx", family()), write=True, actor=None)
    assert outcome.summary()["members"]["created"] == 2
    assert paused == {"read": True, "check": True, "compare": True, "write": True}
    assert gc.isenabled()  # running again afterwards


def test_the_collector_runs_again_after_a_failed_stage_and_stays_off_if_it_was():
    import gc

    from households.importing.base import cycles_unchecked

    with pytest.raises(ValueError), cycles_unchecked():
        with cycles_unchecked():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one leaves it as it found it
        raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with cycles_unchecked():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
