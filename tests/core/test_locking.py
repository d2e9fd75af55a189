"""core.locking: the row lock with a timeout, and named locks for long jobs."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from core.locking import LockBusy, NamedLockBusy, lock_row, named_lock
from core.models import LockHolder
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lock_row_refuses_to_run_outside_a_transaction():
    from accounts.models import User

    user = UserFactory()

    with pytest.raises(RuntimeError, match=r"transaction\.atomic"):
        lock_row(User.objects.all(), pk=user.pk)


def test_lock_row_returns_the_row_inside_a_transaction():
    from accounts.models import User

    user = UserFactory()
    with transaction.atomic():
        assert lock_row(User.objects.all(), pk=user.pk) == user


def test_lock_busy_says_busy_in_chinese():
    assert LockBusy().message == "系统繁忙，请稍后再试。"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_named_lock_refuses_a_second_holder_and_names_the_first():
    with named_lock("register-import", holder="张晓燕（第 3 批）"):
        with pytest.raises(NamedLockBusy) as busy, named_lock("register-import", holder="李四"):
            pass  # pragma: no cover
        assert "张晓燕（第 3 批）" in busy.value.message
        assert busy.value.since is not None
    # released: the next one gets it
    with named_lock("register-import", holder="李四"):
        assert LockHolder.objects.get(name="register-import").holder == "李四"
    assert LockHolder.objects.get(name="register-import").pid is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_named_lock_is_released_when_the_block_raises():
    with pytest.raises(ZeroDivisionError), named_lock("x", holder="a"):
        raise ZeroDivisionError
    with named_lock("x", holder="b"):
        pass


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_named_lock_must_be_taken_outside_a_transaction():
    with transaction.atomic(), pytest.raises(RuntimeError), named_lock("x", holder="a"):
        pass  # pragma: no cover


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dead_holder_does_not_keep_a_named_lock():
    """SQLite: the row of a process that died is stale. PostgreSQL: the advisory lock died with
    the connection, whatever the row says."""
    LockHolder.objects.create(name="x", holder="崩溃的进程", pid=2**22 + 12345, host=_host())
    with named_lock("x", holder="新的"):
        assert LockHolder.objects.get(name="x").holder == "新的"


def _host():
    import socket

    return socket.gethostname()[:100]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_lock_row_gives_up_after_the_timeout_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (DATABASE_URL)")
    from accounts.models import User

    user = UserFactory()
    holding, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                lock_row(User.objects.all(), pk=user.pk)
                holding.set()
                release.wait(10)
        finally:
            from django.db import connection as own

            own.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(10)
        with pytest.raises(LockBusy), transaction.atomic():
            lock_row(User.objects.all(), timeout=0.2, pk=user.pk)
    finally:
        release.set()
        thread.join()
    with transaction.atomic():  # and then it is free
        assert lock_row(User.objects.all(), pk=user.pk) == user


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_named_lock_across_connections_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("advisory locks need PostgreSQL (DATABASE_URL)")
    entered, refused = threading.Event(), []

    def other():
        try:
            entered.wait(10)
            try:
                with named_lock("register-import", holder="李四"):
                    pass
            except NamedLockBusy as exc:
                refused.append(exc.message)
        finally:
            from django.db import connection as own

            own.close()

    thread = threading.Thread(target=other)
    thread.start()
    with named_lock("register-import", holder="张晓燕"):
        entered.set()
        thread.join(10)
    assert refused and "张晓燕" in refused[0]
