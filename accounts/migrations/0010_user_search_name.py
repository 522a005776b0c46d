"""People's folded "last name first name e-mail", for the accounts list's word-prefix search.

Filled for existing people here (``User.save`` keeps it afterwards). On PostgreSQL, a GIN
full-text index over it, as for establishments (structures.0003): searching a name among the
50,000 people of a teaching hospital scanned the million people with a regular expression.
"""

from django.db import migrations, models

from structures.finess import fold

INDEX = "user_search_name_fts"


def fill(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    batch = []
    for user in User.objects.only("pk", "last_name", "first_name", "email").iterator(2000):
        user.search_name = fold(f"{user.last_name} {user.first_name} {user.email}")
        batch.append(user)
        if len(batch) == 2000:
            User.objects.bulk_update(batch, ["search_name"])
            batch = []
    User.objects.bulk_update(batch, ["search_name"])


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON accounts_user "
            "USING gin (to_tsvector('simple'::regconfig, search_name))"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0009_lookup_indexes")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="search_name",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="search text"
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
