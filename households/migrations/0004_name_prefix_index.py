"""Prefix indexes on member names and on the names reversed (PostgreSQL only), for one- and two-character searches such
as a surname, which trigram indexes cannot answer."""

from django.db import migrations


def run(statement):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("households", "0003_search_indexes")]

    operations = [
        migrations.RunPython(
            run(
                "CREATE INDEX IF NOT EXISTS member_name_like ON households_member "
                "(name text_pattern_ops); "
                "CREATE INDEX IF NOT EXISTS member_name_reverse_like ON households_member "
                "(reverse(name) text_pattern_ops)"
            ),
            run("DROP INDEX IF EXISTS member_name_like; DROP INDEX IF EXISTS member_name_reverse_like"),
        )
    ]
