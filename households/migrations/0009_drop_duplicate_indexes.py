"""Indexes declared twice, dropped: they cost every import (each index is written for every
new person) and no query needs them.

Django's ``db_index`` on a CharField makes two indexes on PostgreSQL, a plain one and a
``varchar_pattern_ops`` one for LIKE; migrations 0003/0004 had already made the LIKE and trigram
indexes the searches use. And a foreign key's own index is not needed where a composite index
begins with that column. So (PostgreSQL names as Django made them):

- member.name: its LIKE index (0004's member_name_like does the same); the plain one is kept,
  renamed member_name_idx (sorting and equality);
- member.name_initials: both (0003's member_initials_like answers "zwm…");
- member.mobile, member.country, household.householder_name: their LIKE indexes (no query
  looks for a number's, a country's or a householder's beginning); the plain ones are kept,
  renamed member_mobile_idx, member_country_idx, household_householder_idx (equality, sorting);
- member.household: member_household_idx (household, relation) and member_natural_key
  (household, name, birth date) begin with it;
- household.community, household.grid_group: household_community_idx (community, status, id)
  and household_group_idx (grid_group, status) begin with them.

Django's own AlterField would also drop 0003/0004's text_pattern_ops indexes on the same columns
(it drops every btree index on the column), so the database side is written out here. On SQLite
only the plain indexes exist; the kept ones are recreated under their new names.
"""

from django.conf import settings
from django.db import migrations, models

import django.db.models.deletion

MEMBER, HOUSEHOLD = "households_member", "households_household"
# (table, column, kept as): the column's own index is dropped, or kept under a new name
CHANGES = [
    (HOUSEHOLD, "community_id", None),
    (HOUSEHOLD, "grid_group_id", None),
    (HOUSEHOLD, "householder_name", "household_householder_idx"),
    (MEMBER, "household_id", None),
    (MEMBER, "name", "member_name_idx"),
    (MEMBER, "name_initials", None),
    (MEMBER, "mobile", "member_mobile_idx"),
    (MEMBER, "country", "member_country_idx"),
]
# CharFields that had db_index: on PostgreSQL each also had a varchar_pattern_ops index
WITH_LIKE = {"householder_name", "name", "name_initials", "mobile", "country"}


def _exists(schema_editor, name: str) -> bool:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [schema_editor.quote_name(name)])
        return cursor.fetchone()[0]


def drop_duplicates(apps, schema_editor):
    q, pg = schema_editor.quote_name, schema_editor.connection.vendor == "postgresql"
    for table, column, kept_as in CHANGES:
        auto = schema_editor._create_index_name(table, [column])
        if pg and column in WITH_LIKE:
            like = schema_editor._create_index_name(table, [column], suffix="_like")
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(like)}")
        if kept_as is None:
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(auto)}")
            continue
        if pg and _exists(schema_editor, auto) and not _exists(schema_editor, kept_as):
            schema_editor.execute(f"ALTER INDEX {q(auto)} RENAME TO {q(kept_as)}")
        else:
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(auto)}")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {q(kept_as)} ON {q(table)} ({q(column)})"
        )


def restore(apps, schema_editor):
    q, pg = schema_editor.quote_name, schema_editor.connection.vendor == "postgresql"
    for table, column, kept_as in CHANGES:
        auto = schema_editor._create_index_name(table, [column])
        if kept_as is not None and pg and _exists(schema_editor, kept_as):
            schema_editor.execute(f"ALTER INDEX {q(kept_as)} RENAME TO {q(auto)}")
        elif kept_as is not None:
            schema_editor.execute(f"DROP INDEX IF EXISTS {q(kept_as)}")
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {q(auto)} ON {q(table)} ({q(column)})")
        if pg and column in WITH_LIKE:
            like = schema_editor._create_index_name(table, [column], suffix="_like")
            schema_editor.execute(
                f"CREATE INDEX IF NOT EXISTS {q(like)} ON {q(table)} ({q(column)} varchar_pattern_ops)"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0008_member_natural_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_duplicates, restore)],
            state_operations=[
                migrations.AlterField(
                    model_name="household",
                    name="community",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="households",
                        to="households.community",
                        verbose_name="社区",
                    ),
                ),
                migrations.AlterField(
                    model_name="household",
                    name="grid_group",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="households",
                        to="households.gridgroup",
                        verbose_name="侨眷小组",
                    ),
                ),
                migrations.AlterField(
                    model_name="household",
                    name="householder_name",
                    field=models.CharField(blank=True, max_length=40, verbose_name="户主姓名"),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="country",
                    field=models.CharField(
                        blank=True,
                        help_text="ISO 3166 两位代码；香港、澳门、台湾按地区记录。",
                        max_length=2,
                        verbose_name="侨居国家（地区）",
                    ),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="household",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="members",
                        to="households.household",
                        verbose_name="侨户",
                    ),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="mobile",
                    field=models.CharField(blank=True, max_length=20, verbose_name="手机号码"),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="name",
                    field=models.CharField(max_length=40, verbose_name="姓名"),
                ),
                migrations.AlterField(
                    model_name="member",
                    name="name_initials",
                    field=models.CharField(
                        blank=True, editable=False, max_length=40, verbose_name="拼音首字母"
                    ),
                ),
                migrations.AddIndex(
                    model_name="household",
                    index=models.Index(
                        fields=["householder_name"], name="household_householder_idx"
                    ),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["name"], name="member_name_idx"),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["mobile"], name="member_mobile_idx"),
                ),
                migrations.AddIndex(
                    model_name="member",
                    index=models.Index(fields=["country"], name="member_country_idx"),
                ),
            ],
        )
    ]
