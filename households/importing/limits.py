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

import re
import struct
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from .base import ImportFileError

MB = 1024 * 1024
MAX_MEMBERS = 1000
# Below this size a member's compression ratio does not matter.
RATIO_FLOOR = MB
_CHUNK = MB
_MAX_TAG = 64 * 1024  # a start tag longer than this is not a spreadsheet's
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c|si|dimension)(?=[\s/>])([^>]*)>")
_R = re.compile(rb"""\sr\s*=\s*["']([^"']*)["']""")
_REF = re.compile(rb"\$?([A-Za-z]{1,7})\$?(\d{1,9})")
_DIMENSION_REF = re.compile(rb"""\sref\s*=\s*["']([^"']*)["']""")
# The fast path: tags as spreadsheet programs write them, position first.
_CELL_REF = re.compile(rb'<c r="([A-Z]{1,3})([1-9]\d{0,6})"')
_ROW_REF = re.compile(rb'<row r="([1-9]\d{0,6})"')
# A prefixed tag (<x:c …>) sends the chunk to the walk. Spreadsheet XML rarely holds a colon
# elsewhere, so this search is quick.
_PREFIXED = re.compile(rb":(?:c|row|si)[\s/>]")


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


def _column_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + byte - 64
    return number


def _position(ref: bytes) -> tuple[int, int]:
    """``b"XFD1048576"`` → (1048576, 16384); raises ImportFileError for a malformed one."""
    match = _REF.fullmatch(ref.strip())
    if not match:
        raise ImportFileError(_("文件格式不对：格子位置“%(ref)s”看不懂。") % {"ref": ref[:20]})
    return int(match.group(2)), _column_number(match.group(1))


def _broken() -> ImportFileError:
    return ImportFileError(
        _("文件打不开：不是有效的 .xlsx 文件。请在 Excel 或 WPS 里另存为 .xlsx 后再导入。")
    )


def _bomb() -> ImportFileError:
    return ImportFileError(
        _("文件的内容解压后大得异常（可能是损坏或恶意的文件），没有导入。请在 Excel 里另存后再试。")
    )


class _SheetScan:
    """Follows the reader through one XML part: where each row and cell lands, and how many
    shared strings there are. Fed in chunks; a tag split between chunks is carried over."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.row = 0  # the current row (1-based; 0 before the first)
        self.column = 0  # the last cell's column in the current row
        self.max_row = 0
        self.max_column = 0
        self.strings = 0
        self.carry = b""

    def feed(self, data: bytes, final: bool = False) -> None:
        data = self.carry + data
        end = len(data)
        if not final:
            opening = data.rfind(b"<")
            if opening != -1 and data.find(b">", opening) == -1:
                end = opening
        self.carry = data[end:]
        if len(self.carry) > _MAX_TAG:
            raise _broken()
        if not self._feed_explicit(data, end):
            self._feed_tags(data, end)

    def _feed_explicit(self, data: bytes, end: int) -> bool:
        """The common case, fast: every row and cell tag states its position (``r="B7"``, as
        Excel, WPS, LibreOffice and openpyxl write them), so their order does not matter and
        the extent is the largest row and column named. False when the chunk needs the
        tag-by-tag walk (a tag without ``r``, a namespace prefix, an unusual reference)."""
        count = data.count
        # "<c" and "<row" also start a few other tags (<col>, <rowBreaks>): then the counts
        # differ and the chunk takes the walk, which is exact.
        cells = _CELL_REF.findall(data, 0, end)
        if len(cells) != count(b"<c", 0, end):
            return False
        rows = _ROW_REF.findall(data, 0, end)
        if len(rows) != count(b"<row", 0, end):
            return False
        if _PREFIXED.search(data, 0, end) or data.find(b"<dimension", 0, end) != -1:
            return False
        self.strings += count(b"<si", 0, end)
        if self.strings > self.limits.max_cells:
            raise _too_many_strings()
        if rows:
            self.max_row = max(self.max_row, max(map(int, set(rows))))
            self.row = int(rows[-1])
            self.column = 0
        if cells:
            self.max_row = max(self.max_row, max(map(int, {cell[1] for cell in cells})))
            self.max_column = max(
                self.max_column, max(map(_column_number, {cell[0] for cell in cells}))
            )
            if data.rfind(b"<c", 0, end) > data.rfind(b"<row", 0, end):
                self.column = _column_number(cells[-1][0])
                self.row = int(cells[-1][1])
        check_extent(self.max_row, self.max_column, self.limits)
        return True

    def _feed_tags(self, data: bytes, end: int) -> None:
        """Tag by tag, placing each cell as the reader does: at its ``r`` when it has one,
        else right of the previous cell (a row without ``r`` follows the previous row)."""
        for name, attributes in _TAG.findall(data, 0, end):
            if name == b"c":
                match = _R.search(attributes)
                if match:
                    row, self.column = _position(match.group(1))
                else:
                    row, self.column = self.row, self.column + 1
                if row > self.max_row:
                    self.max_row = row
                if self.column > self.max_column:
                    self.max_column = self.column
                    check_extent(self.max_row, self.max_column, self.limits)
            elif name == b"row":
                match = _R.search(attributes)
                self.row = int(match.group(1)) if match and match.group(1).isdigit() else (
                    self.row + 1
                )  # fmt: skip
                self.column = 0
                if self.row > self.max_row:
                    self.max_row = self.row
                    if self.max_row > self.limits.max_rows or (
                        self.max_row * self.max_column > self.limits.max_cells
                    ):
                        check_extent(self.max_row, self.max_column, self.limits)
            elif name == b"si":
                self.strings += 1
                if self.strings > self.limits.max_cells:
                    raise _too_many_strings()
            else:  # dimension: what the sheet says about itself, before any cell
                match = _DIMENSION_REF.search(attributes)
                if match:
                    last = match.group(1).split(b":")[-1]
                    rows, columns = _position(last)
                    check_extent(rows, columns, self.limits)

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
            scan = _SheetScan(limits)
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
                scan.feed(chunk)
            if size != member.file_size:
                raise _broken()
            scan.finish()


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
