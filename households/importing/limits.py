"""Bounds on what an import may read, checked before a spreadsheet reader sees the file.

A spreadsheet is a promise about memory: python-calamine builds the first sheet as one dense
grid from A1 to the last cell, so a 1.6 KB .xlsx with one cell at XFD1048576 asks for
16,384 × 1,048,576 cells (512 GiB), and a shared-strings part that compresses a thousandfold
asks for gigabytes of text. Neither can be caught once the reader runs, so an .xlsx is
checked here first, by streaming every zip member through zlib (never extracting it, never
trusting the sizes its headers declare) and reading the cell positions the way the reader
will place them:

- the file's size (the upload limit; the command line may set its own);
- the zip: members, encryption, compression method, and for each member the real
  uncompressed size against the declared one, a compression-ratio cap and a total;
- the sheet's declared ``<dimension ref=…>`` and its real extent: every ``<row>`` and ``<c>``
  tag, with or without an ``r`` attribute (without one the reader counts on from the previous
  cell, so this does too), against row, column and cell (rows × columns) limits;
- the shared-strings part: its uncompressed size and the number of strings.

CSV files are read row by row under the same row, column and cell limits (``reading.py``).
"""

from __future__ import annotations

import functools
import posixpath
import re
import struct
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from xml.parsers import expat

from django.conf import settings
from django.utils.translation import gettext as _

from .base import ImportFileError

MB = 1024 * 1024
MAX_MEMBERS = 1000
# Below this size a member's compression ratio does not matter.
RATIO_FLOOR = MB
_CHUNK = MB
# A run this long without a ">" is no spreadsheet's (a cell holds at most 32,767 characters):
# expat keeps a whole token in memory, so this bounds what it keeps.
_MAX_TOKEN = 4 * MB
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_REF = re.compile(r"\$?([A-Za-z]{1,7})\$?(\d{1,9})", re.ASCII)
# Parts the reader reads as XML, by their names; a workbook relationship may point only at these
# (or at the macro part of an .xlsm).
_XML_SUFFIXES = (".xml", ".rels", ".vml")
_WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"


@dataclass(frozen=True)
class Limits:
    """What one import may read. ``max_bytes`` None: no limit on the file's size."""

    max_bytes: int | None
    max_rows: int
    max_columns: int
    max_cells: int
    max_shared_strings_bytes: int
    max_uncompressed_bytes: int
    max_ratio: int

    @classmethod
    def from_settings(cls, **overrides) -> Limits:
        limits = cls(
            max_bytes=settings.IMPORT_MAX_UPLOAD_MB * MB,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_cells=settings.IMPORT_MAX_CELLS,
            max_shared_strings_bytes=settings.IMPORT_MAX_SHARED_STRINGS_MB * MB,
            max_uncompressed_bytes=settings.IMPORT_MAX_UNCOMPRESSED_MB * MB,
            max_ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        )
        return replace(limits, **overrides)


def too_large_message(limits: Limits) -> str:
    return _("文件太大（超过 %(mb)s MB），请分成几个文件导入。") % {
        "mb": (limits.max_bytes or 0) // MB
    }


def check_size(size: int, limits: Limits) -> None:
    if limits.max_bytes is not None and size > limits.max_bytes:
        raise ImportFileError(too_large_message(limits))


def check_extent(rows: int, columns: int, limits: Limits) -> None:
    """Refuse a sheet (or a CSV) of more rows, columns or cells than an import may read."""
    if rows > limits.max_rows:
        raise ImportFileError(
            _("表格有 %(rows)s 行，超过了一次导入的上限 %(limit)s 行。请分成几个文件导入。")
            % {"rows": f"{rows:,}", "limit": f"{limits.max_rows:,}"}
        )
    if columns > limits.max_columns:
        raise ImportFileError(
            _(
                "表格有 %(columns)s 列，超过了上限 %(limit)s 列。"
                "请删掉多余的列（或远处误填的格子）后再导入。"
            )
            % {"columns": f"{columns:,}", "limit": f"{limits.max_columns:,}"}
        )
    if rows * columns > limits.max_cells:
        raise ImportFileError(
            _(
                "表格范围太大（%(rows)s 行 × %(columns)s 列），超过了一次导入的上限 "
                "%(limit)s 个格子。请删掉远处误填的格子，或分成几个文件导入。"
            )
            % {"rows": f"{rows:,}", "columns": f"{columns:,}", "limit": f"{limits.max_cells:,}"}
        )


@functools.lru_cache(maxsize=4096)
def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - 64
    return number


def _unreadable(ref: str) -> ImportFileError:
    return ImportFileError(_("文件格式不对：格子位置“%(ref)s”看不懂。") % {"ref": ref[:20]})


def _position(ref: str) -> tuple[int, int]:
    """``"XFD1048576"`` → (1048576, 16384); raises ImportFileError for a malformed one."""
    match = _REF.fullmatch(ref.strip())
    if not match:
        raise _unreadable(ref)
    return int(match.group(2)), _column_number(match.group(1))


def _position_attribute(attributes: list[str]) -> str | None:
    """The ``r`` of a tag's (name, value, name, value, …) attributes. A prefixed ``x:r`` is
    refused: the reader does not read it, so the cells after it would land elsewhere than
    this scan would place them. (A second ``r`` never gets here: expat refuses it.)"""
    ref = None
    for index in range(0, len(attributes), 2):
        key = attributes[index]
        if key == "r":
            ref = attributes[index + 1]
        elif key[-2:] == ":r":
            raise _broken()
    return ref


def _broken() -> ImportFileError:
    return ImportFileError(
        _("文件打不开：不是有效的 .xlsx 文件。请在 Excel 或 WPS 里另存为 .xlsx 后再导入。")
    )


def _bomb() -> ImportFileError:
    return ImportFileError(
        _("文件的内容解压后大得异常（可能是损坏或恶意的文件），没有导入。请在 Excel 里另存后再试。")
    )


class _SheetScan:
    """Parses one XML part as the reader will read it, with expat, and follows the cells:
    where each row and cell lands, and how many shared strings there are. Fed in chunks.

    A part that is not well-formed XML is refused, and so is anything the reader and this
    scan might read differently: a tag with the same attribute twice (not well-formed: the
    reader takes the last ``r``, a regular expression the first), a position attribute with
    a namespace prefix (``x:r``, which the reader ignores), a DOCTYPE (no entity can be
    declared, so none can expand), or a position that is not a plain reference."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.row = 0  # the current row (1-based; 0 before the first)
        self.column = 0  # the last cell's column in the current row
        self.max_row = 0
        self.max_column = 0
        self.strings = 0
        self.since_close = 0  # bytes since the last ">": bounds what expat buffers
        self.targets: list[tuple[str, str]] = []  # (Type, Target) of a .rels part
        parser = expat.ParserCreate()
        parser.ordered_attributes = True
        parser.StartElementHandler = self._start
        parser.StartDoctypeDeclHandler = self._doctype
        self.parser = parser

    def feed(self, data: bytes, final: bool = False) -> None:
        close = data.rfind(b">")
        self.since_close = len(data) - close - 1 if close != -1 else self.since_close + len(data)
        if self.since_close > _MAX_TOKEN:
            raise _broken()
        try:
            self.parser.Parse(data, final)
        except expat.ExpatError as exc:
            raise _broken() from exc

    @staticmethod
    def _doctype(*args) -> None:
        raise _broken()

    def _start(self, name: str, attributes: list[str]) -> None:
        if ":" in name:
            name = name.rpartition(":")[2]
        if name == "c":
            ref = _position_attribute(attributes)
            if ref is None:
                row, self.column = self.row, self.column + 1
            else:
                row, self.column = _position(ref)
            if row > self.max_row:
                self.max_row = row
                if row > self.limits.max_rows:
                    check_extent(self.max_row, self.max_column, self.limits)
            if self.column > self.max_column:
                self.max_column = self.column
                check_extent(self.max_row, self.max_column, self.limits)
        elif name == "row":
            ref = _position_attribute(attributes)
            if ref is None:
                self.row += 1
            elif ref.isdigit() and ref.isascii():
                self.row = int(ref)
            else:
                raise _unreadable(ref)
            self.column = 0
            if self.row > self.max_row:
                self.max_row = self.row
                if self.max_row > self.limits.max_rows or (
                    self.max_row * self.max_column > self.limits.max_cells
                ):
                    check_extent(self.max_row, self.max_column, self.limits)
        elif name == "si":
            self.strings += 1
            if self.strings > self.limits.max_cells:
                raise _too_many_strings()
        elif name == "dimension":  # what the sheet says about itself, before any cell
            values = dict(zip(attributes[::2], attributes[1::2], strict=True))
            if "ref" in values:
                rows, columns = _position(values["ref"].split(":")[-1])
                check_extent(rows, columns, self.limits)
        elif name == "Relationship":
            values = dict(zip(attributes[::2], attributes[1::2], strict=True))
            self.targets.append((values.get("Type", ""), values.get("Target", "")))

    def finish(self) -> None:
        self.feed(b"", final=True)
        check_extent(self.max_row, self.max_column, self.limits)


def _too_many_strings() -> ImportFileError:
    return ImportFileError(
        _("文件里的文字（共享字符串）太多，超过了一次导入的上限。请分成几个文件导入。")
    )


def _is_shared_strings(name: str) -> bool:
    return name.replace("\\", "/").rsplit("/", 1)[-1].lower() == "sharedstrings.xml"


def check_xlsx(path: Path, limits: Limits) -> None:
    """Refuse an .xlsx that would make the reader allocate more than the limits allow.
    Reads every member once, streaming; extracts nothing. Raises ImportFileError."""
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _broken() from exc
    with archive, path.open("rb") as handle:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise _broken()
        if sum(m.file_size for m in members) > limits.max_uncompressed_bytes:
            raise _bomb()
        total = 0
        other_parts: set[str] = set()  # parts not read as XML here
        workbook_targets: list[tuple[str, str]] = []
        for member in members:
            if member.flag_bits & 0x1:
                raise ImportFileError(_("文件设置了打开密码。请去掉密码另存后再导入。"))
            if member.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _broken()
            shared = _is_shared_strings(member.filename)
            if shared and member.file_size > limits.max_shared_strings_bytes:
                raise _too_many_strings()
            if member.file_size > RATIO_FLOOR and (
                member.file_size > limits.max_ratio * max(1, member.compress_size)
            ):
                raise _bomb()
            cap = limits.max_shared_strings_bytes if shared else limits.max_uncompressed_bytes
            name = member.filename.replace("\\", "/").lower()
            scan = _SheetScan(limits) if name.endswith(_XML_SUFFIXES) else None
            if scan is None:
                other_parts.add(name)
            size = 0
            for chunk in _member_chunks(handle, member):
                size += len(chunk)
                total += len(chunk)
                if size > cap:
                    raise _too_many_strings() if shared else _bomb()
                if total > limits.max_uncompressed_bytes or (
                    size > RATIO_FLOOR and size > limits.max_ratio * max(1, member.compress_size)
                ):
                    raise _bomb()
                if scan is not None:
                    scan.feed(chunk)
            if size != member.file_size:
                raise _broken()
            if scan is not None:
                scan.finish()
                if name == _WORKBOOK_RELS:
                    workbook_targets = scan.targets
        # The reader opens the sheets, shared strings and styles where the workbook's
        # relationships point, whatever their names: each must be a part checked above.
        for kind, target in workbook_targets:
            if not kind.endswith("/vbaProject") and _part_name(target) in other_parts:
                raise _broken()


def _part_name(target: str) -> str:
    """A workbook relationship's target as a member name (as the reader resolves it)."""
    target = target.replace("\\", "/").lower().lstrip("/")
    if not target.startswith("xl/"):
        target = "xl/" + target
    return posixpath.normpath(target)


def _member_chunks(handle, member):
    """The member's uncompressed bytes, a chunk at a time, from ALL its compressed data (the
    reader decompresses everything there, whatever the header declares)."""
    handle.seek(member.header_offset)
    header = handle.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size or header[:4] != b"PK\x03\x04":
        raise _broken()
    fields = _LOCAL_HEADER.unpack(header)
    handle.seek(member.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11])
    left = member.compress_size
    decompressor = zlib.decompressobj(-15) if member.compress_type else None
    try:
        while left > 0:
            raw = handle.read(min(_CHUNK, left))
            if not raw:
                raise _broken()
            left -= len(raw)
            if decompressor is None:
                yield raw
                continue
            while raw:
                chunk = decompressor.decompress(raw, _CHUNK)
                raw = decompressor.unconsumed_tail
                if chunk:
                    yield chunk
                if decompressor.eof:
                    break
        if decompressor is not None:
            tail = decompressor.flush()
            if tail:
                yield tail
            if not decompressor.eof:
                raise _broken()
    except zlib.error as exc:
        raise _broken() from exc
