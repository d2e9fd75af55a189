"""Locks, the one way the portal makes scarce things safe (seats, slots, receipt numbers, imports).

Two kinds, both from pretix's protocol (lock every scarce thing you make less available, once per
transaction, late, then check, then write):

``lock_row(queryset, pk=…)``
    ``SELECT … FOR UPDATE`` of one row, with a **lock timeout** (3 s by default): a writer that
    cannot get the row in time gets ``LockBusy`` ("系统繁忙，请稍后再试") instead of queueing
    behind a stuck transaction, and its transaction rolls back, so nothing is written. It must
    run inside ``transaction.atomic`` (a row lock outside a transaction ends at once and protects
    nothing), and refuses to run otherwise. On PostgreSQL the timeout is ``lock_timeout`` for the
    rest of the transaction. On SQLite every transaction is IMMEDIATE (see the settings): the
    whole database is locked from ``BEGIN``, so the row is already ours; the wait happens at
    ``BEGIN`` and is bounded by the connection's ``timeout`` (``SQLITE_BUSY_TIMEOUT``).
    ``is_busy_error`` tells such an error apart from a broken database.

``named_lock(name, holder=…)``
    A lock on a name, held for as long as a long job runs (one register import at a time), and
    gone when the process dies. ``NamedLockBusy`` names who holds it and since when. PostgreSQL:
    a session advisory lock (released by the server when the connection drops); SQLite (one
    machine): a row whose holder's process must still be alive.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
from collections.abc import Iterator
from typing import TypeVar

from django.db import DatabaseError, OperationalError, connections, router, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import LockHolder

logger = logging.getLogger(__name__)

M = TypeVar("M", bound=Model)

#: How long a writer waits for a row before giving up (pretix waits 3 s too).
DEFAULT_LOCK_TIMEOUT = 3.0

#: PostgreSQL's SQLSTATE for "lock_not_available" (lock_timeout, NOWAIT).
_PG_LOCK_NOT_AVAILABLE = "55P03"


class LockBusy(Exception):
    """The row (or the database) stayed locked beyond the timeout. ``message`` is for people."""

    def __init__(self, message: str | None = None):
        self.message = message or _("系统繁忙，请稍后再试。")
        super().__init__(self.message)


def is_busy_error(exc: BaseException) -> bool:
    """Whether a database error means "locked by someone else, try again" rather than "broken":
    PostgreSQL's lock_not_available, SQLite's "database is locked"."""
    if isinstance(exc, LockBusy):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) == _PG_LOCK_NOT_AVAILABLE:
        return True
    return "database is locked" in str(exc) or "database table is locked" in str(exc)


def lock_row(
    queryset: QuerySet[M],
    *,
    timeout: float = DEFAULT_LOCK_TIMEOUT,
    of: tuple[str, ...] = ("self",),
    **lookup,
) -> M:
    """Lock and return the one row of ``queryset`` matching ``lookup``, waiting at most
    ``timeout`` seconds. Raises ``LockBusy`` past the timeout, ``DoesNotExist`` when there is
    no such row, and ``RuntimeError`` outside ``transaction.atomic``.

    ``of`` names the tables to lock when the query joins others (``select_related``): only the
    row itself by default, so that joined rows (a page's Wagtail row) are not held up.
    """
    alias = queryset.db
    connection = connections[alias]
    if not connection.in_atomic_block:
        raise RuntimeError(
            "lock_row() must run inside transaction.atomic(): a row lock taken outside a "
            "transaction is released at once."
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('lock_timeout', %s, true)", [f"{int(timeout * 1000)}ms"]
            )
    locked = queryset.select_for_update(of=of) if connection.vendor == "postgresql" else queryset
    try:
        return locked.get(**lookup)
    except OperationalError as exc:
        if is_busy_error(exc):
            logger.warning("lock on %s %s busy for %.1fs", queryset.model.__name__, lookup, timeout)
            raise LockBusy() from exc
        raise


# -- named locks ------------------------------------------------------------------------------


class NamedLockBusy(LockBusy):
    """Someone else holds the named lock; ``holder`` and ``since`` say who and since when."""

    def __init__(self, *, name: str, holder: str, since):
        self.name, self.holder, self.since = name, holder, since
        if holder and since:
            message = _("另一项操作正在进行（%(holder)s，%(since)s 开始），请等它完成后再试。") % {
                "holder": holder,
                "since": timezone.localtime(since).strftime("%Y-%m-%d %H:%M"),
            }
        else:
            message = _("另一项操作正在进行，请等它完成后再试。")
        super().__init__(message)


def _advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _host() -> str:
    return socket.gethostname()[:100]


def _process_alive(pid: int | None, host: str) -> bool:
    if not pid or host != _host():
        # Another machine: SQLite is a one-machine database, so this cannot happen in practice;
        # believe the row.
        return bool(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def named_lock(name: str, *, holder: str, using: str | None = None) -> Iterator[None]:
    """Hold the lock called ``name`` for the ``with`` block, or raise ``NamedLockBusy`` at once.

    ``holder`` is how others are told who holds it ("张晓燕", "导入名册 第 12 批"). Call outside
    any transaction: the holder is recorded in its own short transaction so that others can
    read it while the block runs (the block may be one long transaction).
    """
    using = using or router.db_for_write(LockHolder)
    connection = connections[using]
    if connection.in_atomic_block:
        raise RuntimeError("named_lock() must be taken outside a transaction.")
    if connection.vendor == "postgresql":
        # Advisory locks are re-entrant within one connection (one thread): refuse that too.
        held = connection.__dict__.setdefault("_qiaoxin_named_locks", set())
        if name in held or not _pg_acquire(connection, name):
            raise _busy(name, using)
        held.add(name)
        try:
            _record_holder(name, holder, using)
            yield
        finally:
            held.discard(name)
            _release_record(name, using)
            _pg_release(connection, name)
        return
    # SQLite: the row is the lock (IMMEDIATE transactions serialise the check and the claim).
    with transaction.atomic(using=using):
        row = LockHolder.objects.using(using).filter(name=name).first()
        if row is not None and row.pid and _process_alive(row.pid, row.host):
            raise _busy(name, using, row=row)
        LockHolder.objects.using(using).update_or_create(
            name=name,
            defaults=_holder_fields(holder),
        )
    try:
        yield
    finally:
        _release_record(name, using)


def _holder_fields(holder: str) -> dict:
    return {"holder": holder[:200], "since": timezone.now(), "pid": os.getpid(), "host": _host()}


def _pg_acquire(connection, name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_advisory_key(name)])
        return bool(cursor.fetchone()[0])


def _pg_release(connection, name: str) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_advisory_key(name)])
    except DatabaseError:  # the connection is gone, and the lock with it
        logger.warning("named lock %s: connection lost before unlocking", name)


def _record_holder(name: str, holder: str, using: str) -> None:
    with transaction.atomic(using=using):
        LockHolder.objects.using(using).update_or_create(
            name=name,
            defaults=_holder_fields(holder),
        )


def _release_record(name: str, using: str) -> None:
    try:
        LockHolder.objects.using(using).filter(name=name, pid=os.getpid(), host=_host()).update(
            holder="", pid=None
        )
    except DatabaseError:
        logger.warning("named lock %s: could not clear its holder", name)


def _busy(name: str, using: str, row=None) -> NamedLockBusy:
    if row is None:
        row = LockHolder.objects.using(using).filter(name=name).first()
    if row is None or not row.pid:
        # Taken an instant ago, before its holder was written down.
        return NamedLockBusy(name=name, holder="", since=None)
    return NamedLockBusy(name=name, holder=row.holder, since=row.since)
