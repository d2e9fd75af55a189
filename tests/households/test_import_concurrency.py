"""Two ``import_register`` runs of the same file at the same moment (PostgreSQL, real threads,
each on its own connection, released together by a barrier).

With the register import lock exactly one writes; the other is refused at once, naming who
holds the register, and the counts are exact. The first negative control turns the lock off
and holds both runs between comparing and writing: the database's unique rules
(member_natural_key, the household key) still keep the same people and households out, and the
second run fails with the message, not with an IntegrityError. The second negative control
also drops member_natural_key: then the same test sees the duplicates the old imports made
(640 people instead of 620), which shows that it can see them.
"""

from __future__ import annotations

import contextlib
import io
import threading
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from households.importing import import_file, locks, writing
from households.models import Community, GridGroup, Household, HouseholdChange, Member

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="two connections at once need PostgreSQL"
    ),
]

HOUSEHOLDS = 20
PEOPLE = 30  # per household, already registered; the file adds one more to each
HEADERS = ["户编号", "社区", "网格", "姓名", "与户主关系", "类别", "出生日期"]


def _rows(people: int, *, extra: bool) -> list[list]:
    rows = []
    for h in range(HOUSEHOLDS):
        for p in range(people):
            relation = "户主" if p == 0 else "子女"
            rows.append([f"C{h:03d}", "东港社区", "第1小组", f"成员{h}-{p}", relation, "侨眷",
                         f"19{40 + p}-0{1 + h % 9}-1{p % 10}"])  # fmt: skip
        if extra:
            rows.append([f"C{h:03d}", "东港社区", "第1小组", f"新人{h}", "孙子", "侨眷", ""])
    return rows


def _xlsx(path: Path, rows) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.fixture
def place():
    community = Community.objects.create(name="东港社区")
    GridGroup.objects.create(community=community, name="第1小组")


@pytest.fixture
def registered(place, tmp_path):
    """600 people in 20 households, and a file of them with one new person in each."""
    import_file(_xlsx(tmp_path / "before.xlsx", _rows(PEOPLE, extra=False)), write=True, actor=None)
    assert Member.objects.count() == HOUSEHOLDS * PEOPLE
    return _xlsx(tmp_path / "register.xlsx", _rows(PEOPLE, extra=True))


@pytest.fixture
def new_households(place, tmp_path):
    """An empty register, and a file of 20 new households of ten people."""
    return _xlsx(tmp_path / "register.xlsx", _rows(10, extra=False))


def import_twice_at_once(path: Path) -> list[str]:
    """Run ``import_register path`` in two threads released together. Returns "ok" or the
    refusal's message for each; anything but a CommandError fails the test."""
    start = threading.Barrier(2, timeout=30)
    results: list[str] = []
    unexpected: list[BaseException] = []

    def one():
        try:
            start.wait()
            call_command("import_register", str(path), stdout=io.StringIO())
            results.append("ok")
        except CommandError as exc:
            results.append(str(exc))
            refused.set()
        except BaseException as exc:  # an IntegrityError would land here
            unexpected.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert not unexpected, unexpected
    assert len(results) == 2
    return sorted(results, key=lambda r: r != "ok")


refused = threading.Event()


@pytest.fixture(autouse=True)
def _fresh_event():
    refused.clear()


def _hold_after_planning(monkeypatch, wait):
    """Each run waits (``wait()``) between comparing the file with the register and writing,
    still inside its transaction, as a slow server would."""
    real = writing.plan_rows

    def plan_then_wait(*args, **kwargs):
        plan = real(*args, **kwargs)
        wait()
        return plan

    monkeypatch.setattr(writing, "plan_rows", plan_then_wait)


def _lock_off(monkeypatch):
    monkeypatch.setattr(locks, "named_lock", lambda name, *, holder: contextlib.nullcontext())


@pytest.mark.parametrize("scenario", ["registered", "new_households"])
def test_two_imports_at_once_one_writes_the_other_is_told_who_imports(
    request, scenario, monkeypatch
):
    path = request.getfixturevalue(scenario)
    # the run holding the lock waits until the other has been refused: they overlap for sure
    _hold_after_planning(monkeypatch, lambda: refused.wait(timeout=30))

    results = import_twice_at_once(path)

    assert results[0] == "ok"
    assert results[1].startswith("另一个导入正在进行，由 命令行导入（")
    assert f"：{path.name}） 于 " in results[1]
    assert Household.objects.count() == HOUSEHOLDS
    expected = HOUSEHOLDS * (PEOPLE + 1) if scenario == "registered" else HOUSEHOLDS * 10
    assert Member.objects.count() == expected
    created = HouseholdChange.objects.filter(kind="created").count()
    assert created == HOUSEHOLDS


@pytest.mark.parametrize("scenario", ["registered", "new_households"])
def test_negative_control_without_the_lock_the_database_still_keeps_one_of_each(
    request, scenario, monkeypatch
):
    path = request.getfixturevalue(scenario)
    _lock_off(monkeypatch)
    planned = threading.Barrier(2, timeout=30)
    _hold_after_planning(monkeypatch, planned.wait)  # both compare before either writes

    results = import_twice_at_once(path)

    assert results[0] == "ok"
    assert results[1] == "名册在导入期间被别人修改了，这次没有写入任何数据，请重新导入。"
    assert Household.objects.count() == HOUSEHOLDS
    expected = HOUSEHOLDS * (PEOPLE + 1) if scenario == "registered" else HOUSEHOLDS * 10
    assert Member.objects.count() == expected
    # a third run, after both (and with the lock), finds everyone and changes nothing
    monkeypatch.undo()
    out = io.StringIO()
    call_command("import_register", str(path), stdout=out)
    assert f"members were: created 0, updated 0, unchanged {expected}" in out.getvalue()


@pytest.fixture
def without_natural_key():
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX member_natural_key")
    yield
    Member.objects.all().delete()
    constraint = next(c for c in Member._meta.constraints if c.name == "member_natural_key")
    with connection.schema_editor() as editor:
        editor.add_constraint(Member, constraint)


def test_negative_control_without_lock_and_constraint_the_test_sees_duplicates(
    registered, without_natural_key, monkeypatch
):
    _lock_off(monkeypatch)
    planned = threading.Barrier(2, timeout=30)
    _hold_after_planning(monkeypatch, planned.wait)

    results = import_twice_at_once(registered)

    assert results == ["ok", "ok"]
    assert Member.objects.count() == HOUSEHOLDS * (PEOPLE + 2), "the old imports' duplicates"
