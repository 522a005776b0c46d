"""What PostgreSQL can check beyond Django's constraints.

- A habilitation's unit belongs to its establishment: a foreign key on (unit_id,
  establishment_id) to the unit's (id, establishment_id) unique constraint.
- The audit trail is append-only: a trigger refuses UPDATE and DELETE. TRUNCATE is left to the
  table's owner (test databases are flushed with it); the application's role should not own it.

SQLite cannot add these to existing tables; there the model and the services check them.
"""

from django.db import migrations

FORWARD = [
    """
    ALTER TABLE accounts_habilitation
        ADD CONSTRAINT habilitation_unit_in_establishment
        FOREIGN KEY (unit_id, establishment_id)
        REFERENCES structures_unit (id, establishment_id)
    """,
    """
    CREATE FUNCTION accounts_auditevent_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'The audit trail is append-only (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER accounts_auditevent_append_only
        BEFORE UPDATE OR DELETE ON accounts_auditevent
        FOR EACH ROW EXECUTE FUNCTION accounts_auditevent_append_only()
    """,
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS accounts_auditevent_append_only ON accounts_auditevent",
    "DROP FUNCTION IF EXISTS accounts_auditevent_append_only()",
    "ALTER TABLE accounts_habilitation DROP CONSTRAINT IF EXISTS habilitation_unit_in_establishment",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_seed_profiles"),
        ("structures", "0002_load_regions_and_departements"),
    ]

    operations = [migrations.RunPython(forward, backward)]
