"""One register import at a time, and what an import says when it meets another writer.

Two imports of the same file at the same moment would each compare the file with the register
as it was before either wrote, and each add the same new people and households. So every
import that writes (the web import's job and ``manage.py import_register``) runs its comparison
and its writes inside ``import_lock``: a second one is refused at once with ``ImportBusy``,
which names who is importing and since when.

The lock is the first line. The second is in the database: the member's natural key
(``member_natural_key``) and the household key are unique, so a writer that bypasses the lock
cannot create the same person or household twice. When that happens the import rolls back and
raises ``RegisterChanged`` (never a bare IntegrityError).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime

from django.db import OperationalError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.locking import NamedLockBusy, is_busy_error, named_lock
from core.models import LockHolder

from .base import ImportFileError

#: The one register: one import at a time across every web worker, Celery worker and shell.
REGISTER_IMPORT_LOCK = "households.register_import"


class ImportBusy(Exception):
    """Another import holds the register; nothing was read from the register or written.
    ``message`` is for people; ``holder`` is the lock holder's description ("" if unknown)."""

    def __init__(self, *, holder: str = "", since: datetime | None = None):
        self.holder, self.since = holder, since
        if holder and since:
            self.message = _(
                "另一个导入正在进行，由 %(holder)s 于 %(since)s 开始。"
                "这次没有写入任何数据，请等它完成后再导入。"
            ) % {"holder": holder, "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M")}
        else:
            self.message = _(
                "另一个导入正在进行（刚刚开始）。这次没有写入任何数据，请等它完成后再导入。"
            )
        super().__init__(self.message)


class RegisterChanged(ImportFileError):
    """Someone wrote the same people or households while this import was writing (a writer
    that did not take ``import_lock``). The import was rolled back; nothing was written."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message or _("名册在导入期间被别人修改了，这次没有写入任何数据，请重新导入。")
        )


#: named_lock takes the lock a moment before it writes its holder down: a refusal in that
#: moment waits this long for the name, so that the message can say who is importing.
HOLDER_WAIT = 1.0


def _holder_written_down() -> tuple[str, datetime | None]:
    deadline = time.monotonic() + HOLDER_WAIT
    while True:
        row = LockHolder.objects.filter(name=REGISTER_IMPORT_LOCK, pid__isnull=False).first()
        if row is not None or time.monotonic() > deadline:
            return (row.holder, row.since) if row else ("", None)
        time.sleep(0.05)


@contextlib.contextmanager
def import_lock(*, holder: str) -> Iterator[None]:
    """Hold the register import lock for the ``with`` block, or raise ``ImportBusy`` at once.
    ``holder`` tells others who is importing ("张晓燕（网页导入第 12 批：名册.xlsx）").
    Must be entered outside any transaction (``core.locking.named_lock``)."""
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(named_lock(REGISTER_IMPORT_LOCK, holder=holder))
        except NamedLockBusy as exc:
            holder, since = exc.holder, exc.since
            if not holder:
                holder, since = _holder_written_down()
            raise ImportBusy(holder=holder, since=since) from exc
        except OperationalError as exc:
            # SQLite: claiming the lock row needs the write lock, which the running import's
            # transaction holds; the wait ends in "database is locked". Its holder row was
            # committed before that transaction began, so it can still be read.
            if not is_busy_error(exc):
                raise
            row = LockHolder.objects.filter(name=REGISTER_IMPORT_LOCK, pid__isnull=False).first()
            raise ImportBusy(
                holder=row.holder if row else "", since=row.since if row else None
            ) from exc
        yield
