"""python manage.py import_register PATH [--dry-run] [--mapping FILE] [--rejected OUT.xlsx]
[--max-mb N]

Imports a register file as the web import does, without Celery. Prints what was (or, with
--dry-run, would be) created, updated, unchanged and rejected; exits 0 only when no row was
rejected. Rejected rows are listed and written to an .xlsx next to the file.

Like the web import, it holds the register import lock while it compares and writes: when
another import (web or command line) is running it says who started it and when, writes
nothing and exits 1. The dry run takes no lock (it writes nothing).

The file passes the same checks as an upload (sheet extent, shared strings, compression,
rows, columns and cells: households/importing/limits.py) and is read once. The upload size
limit (IMPORT_MAX_UPLOAD_MB) is the web's: here the file is already on the server, and a
register of a million people is larger; --max-mb sets a limit of its own.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from households.importing import (
    ImportFileError,
    Limits,
    import_table,
    mapping_from_names,
    read_table,
    rejected_workbook,
)
from households.importing.limits import MB
from households.importing.locks import ImportBusy


class Command(BaseCommand):
    help = "Import the household register from an .xlsx or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument(
            "--mapping",
            type=Path,
            help='JSON file {"column header": "field"}; fields as in the import template',
        )
        parser.add_argument("--rejected", type=Path, help="where to write the rejected rows")
        parser.add_argument(
            "--max-mb", type=int, help="refuse files larger than this (default: no size limit)"
        )

    def handle(
        self,
        *args,
        path: Path,
        dry_run: bool,
        mapping: Path | None,
        rejected,
        max_mb: int | None,
        **options,
    ):
        if not path.exists():
            raise CommandError(f"文件不存在：{path}")
        limits = Limits.from_settings(max_bytes=max_mb * MB if max_mb else None)
        try:
            columns = None
            by_name = json.loads(mapping.read_text(encoding="utf-8")) if mapping else None
            table = read_table(path, limits=limits)
            if by_name is not None:
                columns = mapping_from_names(table.headers, by_name)
            outcome = import_table(
                table,
                mapping=columns,
                write=not dry_run,
                actor=None,
                source=path.name,
                lock_holder=None if dry_run else _lock_holder(path),
            )
        except ImportBusy as exc:
            raise CommandError(exc.message) from exc
        except (ImportFileError, json.JSONDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        summary = outcome.summary()
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{path.name}: {summary['rows']} rows, {summary['empty_rows']} empty rows skipped"
        )
        for what in ("members", "households"):
            counts = summary[what]
            self.stdout.write(
                f"  {what} {verb}: created {counts['created']}, updated {counts['updated']}, "
                f"unchanged {counts['unchanged']}"
            )
        self.stdout.write(f"  rejected rows: {summary['rejected_rows']}")
        if outcome.rejected:
            for item in outcome.rejected[:50]:
                self.stdout.write(f"    row {item.row} [{item.column}]: {item.reason}")
            if len(outcome.rejected) > 50:
                self.stdout.write(f"    … and {len(outcome.rejected) - 50} more")
            out = rejected or path.with_name(f"{path.stem}.rejected.xlsx")
            out.write_bytes(
                rejected_workbook(table.headers, [r.as_dict() for r in outcome.rejected])
            )
            self.stdout.write(f"  rejected rows written to {out}")
            sys.exit(1)


def _lock_holder(path: Path) -> str:
    """How this run tells others that it holds the register: who, where, which file."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return _("命令行导入（%(user)s@%(host)s：%(file)s）") % {
        "user": user,
        "host": socket.gethostname(),
        "file": path.name,
    }
