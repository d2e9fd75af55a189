"""Search indexes for a register of a million people, on PostgreSQL only.

Name and phone search use ``LIKE '%…%'``: a trigram GIN index (pg_trgm) answers those without
reading every row. Pinyin and initials use ``LIKE '…%'``: a btree with text_pattern_ops does.
SQLite (development) has neither and does not need them. Creating the extension needs a
database superuser once; see README, "Production deployment".
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS member_name_trgm ON households_member USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_mobile_trgm ON households_member USING gin (mobile gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS member_initials_like ON households_member (name_initials text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS member_pinyin_like ON households_member (name_pinyin text_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS household_address_trgm ON households_household USING gin (address gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS member_name_trgm",
    "DROP INDEX IF EXISTS member_mobile_trgm",
    "DROP INDEX IF EXISTS member_initials_like",
    "DROP INDEX IF EXISTS member_pinyin_like",
    "DROP INDEX IF EXISTS household_address_trgm",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("households", "0002_import_batch")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]
