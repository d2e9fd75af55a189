"""One import at a time (the register import lock), what a refused import says, and an import
that meets a second writer (one that bypassed the lock) or a file that breaks the register's
uniqueness rules: refused rows or a rolled-back import with a message, never an IntegrityError.

Both databases. Tests that run the CLI's or the web job's import commit for real (the lock is
taken outside any transaction). Two imports on two connections at once: test_import_concurrency.
"""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models.signals import post_init
from django.utils import timezone

from core.models import LockHolder
from households.importing import import_file, import_lock, writing
from households.importing.locks import REGISTER_IMPORT_LOCK, ImportBusy
from households.models import Community, GridGroup, Household, HouseholdChange, ImportBatch, Member
from households.normalize import id_check_char
from tests.factories import UserFactory

HEADERS = [
    "户编号",
    "社区",
    "网格",
    "姓名",
    "与户主关系",
    "类别",
    "出生日期",
    "身份证号",
    "国内联系人",
]
ELSEWHERE = "张晓燕（网页导入第 7 批：名册.xlsx）"


def valid_id(born: str = "19560312", serial: str = "123") -> str:
    first17 = f"330903{born}{serial}"
    return first17 + id_check_char(first17)


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": {"location": tmp_path / "private"}},
    }


@pytest.fixture
def place(db):
    community = Community.objects.create(name="东港社区")
    GridGroup.objects.create(community=community, name="第1小组")
    return community


def row(key, name, relation="儿子", born="1985-06-01", id_number="", contact=""):
    return [key, "东港社区", "第1小组", name, relation, "侨眷", born, id_number, contact]


def family(key="H1"):
    return [row(key, "王秀英", "户主", "1956-03-12"), row(key, "李明")]


def write_xlsx(path: Path, rows) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for cells in rows:
        sheet.append(cells)
    book.save(path)
    return path


# --- one import at a time ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_cli_is_refused_while_another_import_holds_the_register(place, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", family())
    with import_lock(holder=ELSEWHERE), pytest.raises(CommandError) as refused:
        call_command("import_register", str(path), stdout=io.StringIO())
    message = str(refused.value)
    assert message.startswith(f"另一个导入正在进行，由 {ELSEWHERE} 于 ")
    assert "这次没有写入任何数据，请等它完成后再导入" in message
    assert not Member.objects.exists()
    # once the other import is done, the same command imports
    call_command("import_register", str(path), stdout=io.StringIO())
    assert Member.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_dry_run_takes_no_lock(place, tmp_path):
    path = write_xlsx(tmp_path / "r.xlsx", family())
    out = io.StringIO()
    with import_lock(holder=ELSEWHERE):
        call_command("import_register", str(path), "--dry-run", stdout=out)
    assert "created 2" in out.getvalue()
    assert not Member.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_refused_web_import_goes_back_to_checked_with_the_message_on_its_page(
    place, tmp_path, client_for, eager_jobs
):
    client = client_for("staff")
    with write_xlsx(tmp_path / "r.xlsx", family()).open("rb") as handle:
        client.post("/admin/register/import/", {"file": handle})
    batch = ImportBatch.objects.get()
    client.post(
        f"/admin/register/import/{batch.pk}/mapping/",
        {f"column-{i}": field for i, field in batch.mapping.items()},
    )
    batch.refresh_from_db()
    assert batch.status == "checked", batch.error

    with import_lock(holder=ELSEWHERE):
        response = client.post(f"/admin/register/import/{batch.pk}/", follow=True)

    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == "checked"
    assert batch.error.startswith(f"另一个导入正在进行，由 {ELSEWHERE} 于 ")
    assert not Member.objects.exists()
    page = client.get(f"/admin/register/import/{batch.pk}/").content.decode()
    assert f"另一个导入正在进行，由 {ELSEWHERE}" in page
    assert "确认导入" in page  # it can be confirmed again once the other import is done
    client.post(f"/admin/register/import/{batch.pk}/")
    batch.refresh_from_db()
    assert (batch.status, batch.error) == ("done", "")
    assert Member.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_web_import_holds_the_register_under_its_uploaders_name(
    place, tmp_path, client_for, eager_jobs, staff, monkeypatch
):
    seen = []
    real = writing.plan_rows

    def plan_and_look(*args, **kwargs):
        seen.append(ImportBusy(holder=_holder(), since=timezone.now()).message if _holder() else "")
        return real(*args, **kwargs)

    monkeypatch.setattr(writing, "plan_rows", plan_and_look)
    client = client_for("staff")
    with write_xlsx(tmp_path / "名册.xlsx", family()).open("rb") as handle:
        client.post("/admin/register/import/", {"file": handle})
    batch = ImportBatch.objects.get()
    client.post(
        f"/admin/register/import/{batch.pk}/mapping/",
        {f"column-{i}": field for i, field in batch.mapping.items()},
    )
    assert seen == [""]  # the dry run holds nothing
    client.post(f"/admin/register/import/{batch.pk}/")
    assert f"由 {staff.display_name}（网页导入第 {batch.pk} 批：名册.xlsx） 于 " in seen[1]
    assert _holder() == ""  # released


def _holder() -> str:
    row = LockHolder.objects.filter(name=REGISTER_IMPORT_LOCK, pid__isnull=False).first()
    return row.holder if row else ""


# --- a second writer that bypassed the lock ----------------------------------------------------


def _someone_else_adds(name: str, born: str, monkeypatch):
    """Once the import has compared the file with the register, another writer adds the same
    person (in the import's own transaction: what matters is that the rows appear after the
    comparison)."""
    real = writing.plan_rows

    def plan_then_someone_writes(*args, **kwargs):
        plan = real(*args, **kwargs)
        household = Household.objects.filter(key="H1").first() or Household.objects.create(
            key="H1", community=Community.objects.get()
        )
        Member.objects.create(household=household, name=name, birth_date=born, category="relative")
        return plan

    monkeypatch.setattr(writing, "plan_rows", plan_then_someone_writes)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("existing", [False, True], ids=["new household", "known household"])
def test_the_cli_rolls_back_and_says_the_register_changed(place, tmp_path, monkeypatch, existing):
    if existing:
        call_command(
            "import_register",
            str(write_xlsx(tmp_path / "a.xlsx", family()[:1])),
            stdout=io.StringIO(),
        )
    before = (Household.objects.count(), Member.objects.count(), HouseholdChange.objects.count())
    _someone_else_adds("李明", "1985-06-01", monkeypatch)
    with pytest.raises(CommandError, match=r"名册在导入期间被别人修改了.*请重新导入"):
        call_command(
            "import_register", str(write_xlsx(tmp_path / "b.xlsx", family())), stdout=io.StringIO()
        )
    after = (Household.objects.count(), Member.objects.count(), HouseholdChange.objects.count())
    assert after == before  # rolled back, the other writer's row included


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_web_import_fails_with_the_message_when_the_register_changed(
    place, tmp_path, client_for, eager_jobs, monkeypatch
):
    client = client_for("staff")
    with write_xlsx(tmp_path / "r.xlsx", family()).open("rb") as handle:
        client.post("/admin/register/import/", {"file": handle})
    batch = ImportBatch.objects.get()
    client.post(
        f"/admin/register/import/{batch.pk}/mapping/",
        {f"column-{i}": field for i, field in batch.mapping.items()},
    )
    _someone_else_adds("李明", "1985-06-01", monkeypatch)
    response = client.post(f"/admin/register/import/{batch.pk}/", follow=True)
    assert response.status_code == 200
    batch.refresh_from_db()
    assert batch.status == "failed"
    assert "名册在导入期间被别人修改了" in batch.error
    assert not Member.objects.exists()
    assert (
        "名册在导入期间被别人修改了"
        in client.get(f"/admin/register/import/{batch.pk}/").content.decode()
    )


# --- rows that would break the register's uniqueness rules are refused, with a reason ---------


@pytest.mark.django_db
def test_the_same_person_twice_in_a_file_with_two_id_numbers_is_refused(place, tmp_path):
    rows = [
        row("H1", "王秀英", "户主", "1956-03-12", valid_id("19560312", "123")),
        row("H1", "王秀英", "户主", "1956-03-12", valid_id("19560312", "456")),
    ]
    _t, outcome = import_file(write_xlsx(tmp_path / "r.xlsx", rows), write=True, actor=None)
    assert [(r.row, r.column) for r in outcome.rejected] == [(3, "姓名")]
    assert "与第 2 行是同一户里姓名和出生日期都相同的人" in outcome.rejected[0].reason
    assert outcome.rejected[0].cells[3] == "王秀英"  # kept for the download of refused rows
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_an_id_number_registered_in_another_household_is_refused(place, tmp_path):
    number = valid_id()
    import_file(
        write_xlsx(tmp_path / "a.xlsx", [row("H1", "王秀英", "户主", "1956-03-12", number)]),
        write=True,
        actor=None,
    )
    rows = [
        row("H2", "王秀英", "户主", "1956-03-12", number),
        row("H3", "陈伯", "户主", "", number),
    ]
    _t, outcome = import_file(write_xlsx(tmp_path / "b.xlsx", rows), write=True, actor=None)
    assert [r.row for r in outcome.rejected] == [2, 3]
    assert all(r.column == "身份证号" for r in outcome.rejected)
    assert "已经登记在另一户（户编号 H1）的“王秀英”名下" in outcome.rejected[0].reason
    assert not Household.objects.filter(key__in=["H2", "H3"]).exists()  # no empty households


@pytest.mark.django_db
def test_one_id_number_on_two_new_rows_is_refused_on_the_second(place, tmp_path):
    number = valid_id()
    rows = [
        row("H1", "王秀英", "户主", "1956-03-12", number),
        row("H2", "王秀", "户主", "", number),
    ]
    _t, outcome = import_file(write_xlsx(tmp_path / "r.xlsx", rows), write=True, actor=None)
    assert [r.row for r in outcome.rejected] == [3]
    assert "与第 2 行的身份证号相同" in outcome.rejected[0].reason
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_a_correction_that_would_make_two_people_one_is_refused(place, tmp_path):
    number = valid_id()
    first = [
        row("H1", "王秀英", "户主", "1956-03-12", number),
        row("H1", "李明", born="1985-06-01"),
    ]
    import_file(write_xlsx(tmp_path / "a.xlsx", first), write=True, actor=None)
    # found by her ID number, renamed and re-dated as the son already registered
    fix = [row("H1", "李明", "户主", "1985-06-01", number)]
    _t, outcome = import_file(write_xlsx(tmp_path / "b.xlsx", fix), write=True, actor=None)
    assert [r.row for r in outcome.rejected] == [2]
    assert "这一户已经登记了“李明”（出生日期：1985-06-01）" in outcome.rejected[0].reason
    assert sorted(Member.objects.values_list("name", flat=True)) == ["李明", "王秀英"]


# --- what the writes work out from the rows ---------------------------------------------------


@pytest.mark.django_db
def test_householder_names_and_home_contacts_come_from_the_rows(place, tmp_path):
    rows = [
        row("H1", "李明"),  # no householder row yet: the first person names the household
        row("H2", "陈伯", "户主", "1940-01-01"),
        row("H2", "陈小梅", "女儿", "1975-01-01", contact="陈伯"),
    ]
    import_file(write_xlsx(tmp_path / "a.xlsx", rows), write=True, actor=None)
    assert dict(Household.objects.values_list("key", "householder_name")) == {
        "H1": "李明",
        "H2": "陈伯",
    }
    daughter = Member.objects.get(name="陈小梅")
    assert daughter.home_contact == Member.objects.get(name="陈伯")

    # later: H1's householder is added, the son names her as his contact at home
    more = [row("H1", "王秀英", "户主", "1956-03-12"), row("H1", "李明", contact="王秀英")]
    _t, outcome = import_file(write_xlsx(tmp_path / "b.xlsx", more), write=True, actor=None)
    assert outcome.summary()["members"] == {"created": 1, "updated": 0, "unchanged": 1}
    assert Household.objects.get(key="H1").householder_name == "王秀英"
    assert Member.objects.get(name="李明").home_contact.name == "王秀英"
    assert Household.objects.get(key="H2").householder_name == "陈伯"


@pytest.mark.django_db
def test_each_household_created_or_changed_gets_its_history_row(place, tmp_path):
    # written with COPY on PostgreSQL, bulk_create elsewhere: the same rows
    staff = UserFactory(is_staff=True)
    import_file(write_xlsx(tmp_path / "a.xlsx", family("H1") + family("H2")), write=True,
                actor=staff)  # fmt: skip
    moved = family("H2")
    moved[0][2] = moved[1][2] = "第2小组"
    GridGroup.objects.create(community=place, name="第2小组")
    import_file(write_xlsx(tmp_path / "b.xlsx", moved), write=True, actor=None)
    history = HouseholdChange.objects.order_by("pk")
    assert [(c.household.key, c.kind, c.actor, c.detail) for c in history] == [
        ("H1", "created", staff, {"source": "a.xlsx"}),
        ("H2", "created", staff, {"source": "a.xlsx"}),
        ("H2", "imported", None, {"source": "b.xlsx"}),
    ]
    assert all(c.at is not None for c in history)


@pytest.mark.django_db
def test_new_people_are_built_the_ordinary_way_when_something_listens(place, tmp_path):
    # New people skip Model.__init__ only while nothing listens to its signals: a receiver
    # connected to post_init sees every one of them, and the rows written are the same.
    seen = []

    def listen(sender, instance, **kwargs):
        seen.append(instance.name)

    def written():
        return list(Member.objects.order_by("pk").values_list(
            "name", "name_pinyin", "name_initials", "relation", "category", "birth_date",
            "lives_abroad", "household__key", "household__householder_name"))  # fmt: skip

    rows = [*family("H1"), row("H1", "陈小梅", "女儿", "1975-01-01", contact="王秀英")]
    import_file(write_xlsx(tmp_path / "a.xlsx", rows), write=True, actor=None)
    quick = written()
    Member.objects.all().delete()
    HouseholdChange.objects.all().delete()
    Household.objects.all().delete()
    post_init.connect(listen, sender=Member)
    try:
        import_file(write_xlsx(tmp_path / "a.xlsx", rows), write=True, actor=None)
    finally:
        post_init.disconnect(listen, sender=Member)
    assert seen[:3] == ["王秀英", "李明", "陈小梅"]
    assert written() == quick
    assert Member.objects.get(name="陈小梅").home_contact.name == "王秀英"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor == "postgresql", reason="PostgreSQL writes with COPY")
def test_without_ids_from_bulk_create_they_are_read_back(place, tmp_path, monkeypatch):
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    rows = [row("H1", "陈伯", "户主", ""), row("H1", "陈小梅", "女儿", "", contact="陈伯")]
    _t, outcome = import_file(write_xlsx(tmp_path / "a.xlsx", rows), write=True, actor=None)
    assert not outcome.rejected
    daughter = Member.objects.get(name="陈小梅")
    assert daughter.home_contact == Member.objects.get(name="陈伯")
    assert HouseholdChange.objects.get().household == Household.objects.get(key="H1")


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="ids reserved for COPY")
def test_ids_taken_from_the_sequence_in_pieces_are_used_as_taken(place, tmp_path):
    # as when another writer takes numbers while the import reserves its own
    with connection.cursor() as cursor:
        cursor.execute("ALTER SEQUENCE households_member_id_seq INCREMENT BY 3")
    rows = [row("H1", "陈伯", "户主", ""), row("H1", "陈小梅", "女儿", "", contact="陈伯")]
    rows += [row("H1", f"陈{n}", "孙子", f"2001-01-{n + 1:02d}") for n in range(5)]
    _t, outcome = import_file(write_xlsx(tmp_path / "a.xlsx", rows), write=True, actor=None)
    assert not outcome.rejected
    ids = list(Member.objects.order_by("pk").values_list("pk", flat=True))
    assert len(ids) == 7 and {b - a for a, b in itertools.pairwise(ids)} == {3}
    assert Member.objects.get(name="陈小梅").home_contact == Member.objects.get(name="陈伯")
    assert Household.objects.get().householder_name == "陈伯"


@pytest.mark.django_db
def test_a_cell_repeated_on_many_rows_is_read_once_and_refused_on_each(place, tmp_path):
    rows = [row("H1", "王秀英", "户主", "1956-03-12"), row("H1", "李明"), row("H1", "李华")]
    for cells in rows:
        cells[1] = "西山村"  # the same unknown community on each row
    rows[1][5] = rows[2][5] = "侨胞"  # and an unknown category on two
    _t, outcome = import_file(write_xlsx(tmp_path / "r.xlsx", rows), write=False, actor=None)
    refused = [(r.row, r.column, r.reason) for r in outcome.rejected]
    assert [(number, column) for number, column, _reason in refused] == [
        (2, "社区"),
        (3, "类别"),
        (3, "社区"),
        (4, "类别"),
        (4, "社区"),
    ]
    assert all("西山村" in reason for _n, column, reason in refused if column == "社区")
    assert [reason for _n, column, reason in refused if column == "类别"] == [
        "无法识别的类别“侨胞”，请写以下之一：归侨、侨眷、华侨、外籍华人、港澳同胞、留学人员"
    ] * 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_claim_that_waited_out_the_database_lock_still_names_the_holder(monkeypatch):
    # SQLite: the running import's transaction holds the database, so claiming the lock row
    # ends in "database is locked"; its holder row, committed before, says who it is
    from django.db import OperationalError

    from households.importing import locks

    LockHolder.objects.create(
        name=REGISTER_IMPORT_LOCK, holder=ELSEWHERE, since=timezone.now(), pid=1, host="x"
    )

    def locked(name, *, holder):
        raise OperationalError("database is locked")

    monkeypatch.setattr(locks, "named_lock", locked)
    with pytest.raises(ImportBusy) as refused, import_lock(holder="我"):
        pass
    assert refused.value.message.startswith(f"另一个导入正在进行，由 {ELSEWHERE} 于 ")
