"""PostgreSQL: a full-text index over the folded ``search_text`` of establishments.

``search_text`` is already accent- and case-folded at write time (``structures.finess.fold``),
so the 'simple' configuration (no stemming, no stop words) splits it into the same words; a
prefix query ("hop:* & saint:* & j:*") then answers from the GIN index instead of a scan of
every establishment. SQLite keeps the LIKE fallback of ``structures.selectors``.
"""

from django.db import migrations

INDEX = "establishment_search_fts"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON structures_establishment "
            "USING gin (to_tsvector('simple'::regconfig, search_text))"
        )


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("structures", "0002_load_regions_and_departements")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
