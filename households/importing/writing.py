"""Writing a planned import (``planning.plan_rows``) in bulk, in one transaction.

On PostgreSQL the new households and people go in with COPY (their ids reserved from the
sequences first, so that rows can point at each other before they exist); elsewhere with
``bulk_create``. The householder's name and the home contacts are worked out from the plan,
not read back from the register.

The plan obeys every unique rule of the register as it was read, so a database error while
writing means that someone else wrote the same rows meanwhile (a writer that did not take
``import_lock``): the import is rolled back and raises ``RegisterChanged``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from operator import attrgetter
from pathlib import Path
from typing import Any

from django.db import IntegrityError, OperationalError, connections, router, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import User

from ..models import AccessLog, Household, HouseholdChange, Member
from ..services import access_log_record, register_changed
from .base import (
    CHUNK,
    HOUSEHOLD_FIELDS,
    MEMBER_FIELDS,
    ImportFileError,
    Outcome,
    Row,
    Table,
    cycles_unchecked,
)
from .checking import check_rows
from .limits import Limits
from .locks import RegisterChanged, import_lock
from .planning import Plan, plan_rows
from .reading import auto_mapping, mapping_problems, read_table

logger = logging.getLogger(__name__)

# PostgreSQL: two transactions writing the same rows at once (deadlock, serialization failure).
_CONCURRENT_SQLSTATES = {"40P01", "40001"}


def _reserve_ids(connection, model: type[Model], objects: list[Model]) -> None:
    """PostgreSQL: give ``objects`` ids from their table's sequence, as an insert would."""
    if not objects:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # the sequence's name first: evaluated per row, its lookup costs ten times the nextval
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, model._meta.pk.column])
        (sequence,) = cursor.fetchone()
        # Usually one unbroken block: then only its ends travel back. Numbers another writer
        # took meanwhile break it: then the list of ours does.
        cursor.execute(
            "WITH taken AS (SELECT nextval(%s::regclass) AS id FROM generate_series(1, %s)) "
            "SELECT min(id), max(id), CASE WHEN max(id) - min(id) + 1 = count(*) THEN NULL "
            "ELSE array_agg(id ORDER BY id) END FROM taken",
            [sequence, len(objects)],
        )
        low, high, scattered = cursor.fetchone()
    ids = scattered if scattered is not None else range(low, high + 1)
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk


# Fields whose Python value is what PostgreSQL's COPY takes as it is.
_PLAIN_FIELDS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "ForeignKey",
    "IntegerField",
    "OneToOneField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def _copy(connection, model: type[Model], objects: list[Model]) -> None:
    """PostgreSQL: insert ``objects`` (ids already set) with one COPY, as bulk_create would
    (timestamps filled in, instances marked as saved)."""
    if not objects:
        return
    now = timezone.now()
    fields = model._meta.concrete_fields
    getters: list[Callable[[Any], Any]] = []
    for f in fields:
        stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        if stamped:
            for obj in objects:
                setattr(obj, f.attname, now)
        if stamped or f.get_internal_type() in _PLAIN_FIELDS:
            getters.append(attrgetter(f.attname))
        else:
            getters.append(lambda obj, f=f: f.get_db_prep_save(f.pre_save(obj, True), connection))
    if len(getters) > 1 and all(isinstance(get, attrgetter) for get in getters):
        # every value as it is (people, households): one getter for the whole row, in C
        row_of: Callable[[Any], Any] = attrgetter(*(f.attname for f in fields))
    else:
        row_of = lambda obj: [get(obj) for get in getters]  # noqa: E731
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {table} ({columns}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for obj in objects:
            copy.write_row(row_of(obj))
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias


def _read_back_ids(households: list[Household], members: list[Member]) -> None:
    """SQLite before 3.35 returns no ids from bulk_create: read them back by unique keys (the
    household key; the member's natural key within the household)."""
    if any(h.pk is None for h in households):
        ids = dict(
            Household.objects.filter(key__in=[h.key for h in households]).values_list("key", "pk")
        )
        for household in households:
            household.pk = ids[household.key]
    if any(m.pk is None for m in members):
        ids = {
            (household_id, name, born): pk
            for pk, household_id, name, born in Member.objects.filter(
                household_id__in={m.household_id for m in members}
            ).values_list("pk", "household_id", "name", "birth_date")
        }
        for member in members:
            member.pk = ids[(member.household_id, member.name, member.birth_date)]


def _home_contacts(plan: Plan) -> list[Member]:
    """Point each row's person at the home contact the row names (the first person of that
    name in the household). Returns the people whose contact changed."""
    changed = []
    for row, member in plan.row_members:
        contact = row.values.get("home_contact")
        if not contact:
            continue
        target = next((m for m in plan.people[row.household_key] if m.name == contact), None)
        if target is not None and target is not member and member.home_contact_id != target.pk:
            member.home_contact_id = target.pk
            changed.append(member)
    return changed


def _write(plan: Plan, *, actor: User | None, source: str, outcome: Outcome) -> None:
    connection = connections[router.db_for_write(Member)]
    copy = connection.vendor == "postgresql"
    if copy:
        _reserve_ids(connection, Household, plan.new_households)
        _reserve_ids(connection, Member, plan.to_create)
    else:
        Household.objects.bulk_create(plan.new_households, batch_size=CHUNK)
        _read_back_ids(plan.new_households, [])
    for key, member in zip(plan.created_in, plan.to_create, strict=True):
        member.household_id = plan.households[key].pk
    if not copy:
        Member.objects.bulk_create(plan.to_create, batch_size=CHUNK)
        _read_back_ids([], plan.to_create)
    contacts = _home_contacts(plan)
    if copy:
        _copy(connection, Household, plan.new_households)
        _copy(connection, Member, plan.to_create)
        created = {id(m) for m in plan.to_create}
        contacts = [m for m in contacts if id(m) not in created]  # the COPY wrote theirs
    Member.objects.bulk_update(
        plan.to_update, [*MEMBER_FIELDS.values(), "name_pinyin", "name_initials"], batch_size=CHUNK
    )
    Member.objects.bulk_update(contacts, ["home_contact"], batch_size=CHUNK)
    Household.objects.bulk_update(
        plan.changed_households,
        ["community", "grid_group", *HOUSEHOLD_FIELDS, "householder_name"],
        batch_size=CHUNK,
    )
    Household.objects.bulk_update(plan.renamed_households, ["householder_name"], batch_size=CHUNK)
    changes = [(h, HouseholdChange.Kind.CREATED) for h in plan.new_households] + [
        (h, HouseholdChange.Kind.IMPORTED) for h in plan.changed_households
    ]
    history = [
        HouseholdChange(household=h, kind=kind, actor=actor, detail={"source": source})
        for h, kind in changes
    ]
    if copy:
        _reserve_ids(connection, HouseholdChange, history)
        _copy(connection, HouseholdChange, history)
    else:
        HouseholdChange.objects.bulk_create(history, batch_size=CHUNK)
    transaction.on_commit(register_changed)
    access_log_record(
        user=actor,
        action=AccessLog.Action.IMPORT,
        object_type="household",
        filters={"file": source},
        row_count=outcome.rows,
    )


def _concurrent_write(exc: Exception) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    return getattr(exc.__cause__, "sqlstate", None) in _CONCURRENT_SQLSTATES


@cycles_unchecked()
def run_import(
    rows: list[Row],
    outcome: Outcome,
    *,
    write: bool,
    actor: User | None,
    source: str = "",
    cells: dict[int, list] | None = None,
) -> Outcome:
    """Compare the checked rows with the register and count what would change; with
    ``write=True`` make the changes in one transaction (bulk statements).

    A writer calls this while holding ``import_lock`` (the CLI and the web import's job do):
    without it, a second writer's rows are still kept out by the database's unique rules, and
    this import then rolls back and raises ``RegisterChanged``. ``cells``: each row's original
    cells by row number, kept with the rows this step refuses."""
    try:
        with transaction.atomic():
            plan = plan_rows(rows, outcome, cells or {})
            if write:
                _write(plan, actor=actor, source=source, outcome=outcome)
    except (IntegrityError, OperationalError) as exc:
        if not _concurrent_write(exc):
            raise
        # The plan obeys every unique rule of the register as it was read, so the rows were
        # written by someone else meanwhile. Logged in full: it would also show a planning bug.
        logger.warning("import of %s rolled back: the register changed meanwhile", source,
                       exc_info=True)  # fmt: skip
        raise RegisterChanged() from exc
    return outcome


def import_file(
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    write: bool,
    actor: User | None,
    header_row: int | None = None,
    progress: Callable[[int], None] | None = None,
    limits: Limits | None = None,
    lock_holder: str | None = None,
) -> tuple[Table, Outcome]:
    """Read (within ``limits``, the settings by default), check and (with ``write``) import one
    file. Used by the CLI and the benchmarks; ``lock_holder`` as for ``import_table``."""
    table = read_table(path, header_row, limits=limits)
    outcome = import_table(
        table,
        mapping=mapping,
        write=write,
        actor=actor,
        source=path.name,
        progress=progress,
        lock_holder=lock_holder,
    )
    return table, outcome


def import_table(
    table: Table,
    *,
    mapping: dict[str, str] | None = None,
    write: bool,
    actor: User | None,
    source: str,
    progress: Callable[[int], None] | None = None,
    lock_holder: str | None = None,
) -> Outcome:
    """Check and (with ``write``) import a table already read. With ``lock_holder`` the
    comparison and the writes run inside ``import_lock`` (raises ``ImportBusy`` when another
    import holds it); the dry run never takes it (see ``run_locked``)."""
    mapping = mapping or auto_mapping(table.headers)
    problems = mapping_problems(mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    rows, outcome = check_rows(table, mapping, progress=progress)
    cells = dict(table.rows)
    if write and lock_holder is not None:
        run_locked(rows, outcome, actor=actor, source=source, holder=lock_holder, cells=cells)
    else:
        run_import(rows, outcome, write=write, actor=actor, source=source, cells=cells)
    outcome.rejected.sort(key=lambda r: r.row)
    return outcome


def run_locked(
    rows: list[Row],
    outcome: Outcome,
    *,
    actor: User | None,
    source: str,
    holder: str,
    cells: dict[int, list] | None = None,
) -> Outcome:
    """The import (``run_import`` with ``write=True``) inside the register import lock. Raises
    ``ImportBusy`` at once, having read and written nothing, when another import holds it.

    Only the comparison and the writes need the lock: reading and checking the file touch
    nothing another import changes. The dry run takes no lock at all: it writes nothing, and
    its counts are a preview that the import works out again, under the lock, when it runs."""
    with import_lock(holder=holder):
        return run_import(rows, outcome, write=True, actor=actor, source=source, cells=cells)
