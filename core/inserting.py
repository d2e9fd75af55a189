"""A new row and the rows that refer to it, inserted in one statement.

Each statement a transaction sends while it holds a row lock keeps everyone queueing for that
row waiting one more round trip to the database. ``insert_together(row, then=[…])`` inserts
``row`` and, after it, rows that hold its new id (a log row, a notice), as
``save(force_insert=True)`` would one by one: on PostgreSQL in one statement (each insert a
data-modifying ``WITH`` part; the later ones read the new id from the first one's
``RETURNING``), elsewhere one after the other.

The SQL of each insert is Django's own (``InsertQuery``, as ``Model.save`` builds it), so field
defaults, ``auto_now_add`` and value conversion are those of ``save``. Unlike ``save`` it sends
no ``pre_save``/``post_save`` signals: use it for rows nothing listens to.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Model
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery


def insert_together(
    row: Model, *, then: Sequence[tuple[Model, str]] = (), using: str | None = None
) -> None:
    """Insert ``row``, then each ``(other, field)`` of ``then`` with ``other.<field>`` set to
    ``row``'s new primary key, in the caller's transaction. Sets every primary key (and those
    fields). Raises what the insert raises (``IntegrityError``); on PostgreSQL nothing of the
    statement is then written."""
    using = using or router.db_for_write(type(row), instance=row)
    connection = connections[using]
    rows = [row, *(other for other, _field in then)]
    if connection.vendor != "postgresql":
        row.pk = _execute(connection, *_insert_sql(row, connection))
        for other, field in then:
            setattr(other, _attname(other, field), row.pk)
            other.pk = _execute(connection, *_insert_sql(other, connection))
        _saved(rows, using)
        return
    qn = connection.ops.quote_name
    first_pk = RawSQL(f"(SELECT {qn(row._meta.pk.column)} FROM {qn('inserted_0')})", ())
    for other, field in then:
        setattr(other, _attname(other, field), first_pk)
    try:
        parts, params = [], []
        for number, each in enumerate(rows):
            sql, each_params = _insert_sql(each, connection)
            parts.append(f"{qn(f'inserted_{number}')} AS ({sql})")
            params.extend(each_params)
        pks = ", ".join(
            f"(SELECT {qn(each._meta.pk.column)} FROM {qn(f'inserted_{number}')})"
            for number, each in enumerate(rows)
        )
        pk_values = _execute_row(connection, f"WITH {', '.join(parts)} SELECT {pks}", params)
    finally:
        for other, field in then:  # the new id, or nothing when the insert failed
            setattr(other, _attname(other, field), None)
    for each, pk in zip(rows, pk_values, strict=True):
        each.pk = pk
    for other, field in then:
        setattr(other, _attname(other, field), row.pk)
    _saved(rows, using)


def _attname(row: Model, field: str) -> str:
    return row._meta.get_field(field).attname


def _insert_sql(row: Model, connection) -> tuple[str, tuple]:
    """``INSERT … RETURNING pk`` of ``row``, as ``Model.save(force_insert=True)`` builds it."""
    meta = row._meta
    fields = meta.local_concrete_fields
    if row.pk is None:
        fields = [field for field in fields if field is not meta.auto_field]
    query = InsertQuery(type(row))
    query.insert_values(fields, [row])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    return sql, params


def _execute(connection, sql: str, params) -> object:
    return _execute_row(connection, sql, params)[0]


def _execute_row(connection, sql: str, params) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _saved(rows: list[Model], using: str) -> None:
    for each in rows:
        each._state.adding = False
        each._state.db = using
