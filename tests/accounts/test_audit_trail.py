"""The audit trail is append-only, in the model and (on PostgreSQL) in the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit import trail
from audit.models import AppendOnlyError, AuditEvent


@pytest.fixture
def event(agent, establishment_referent, cardiology):
    return trail.record(
        action=AuditEvent.Action.HABILITATION_GRANTED,
        actor=establishment_referent,
        target_user=agent,
        unit=cardiology,
        after={"profile": "infirmier"},
    )


def test_record_fills_the_establishment_of_a_unit(event, hospital):
    assert event.establishment == hospital
    assert AuditEvent.objects.get().after == {"profile": "infirmier"}


def test_the_model_refuses_changes_and_deletions(event):
    event.action = AuditEvent.Action.ACCOUNT_BLOCKED
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == AuditEvent.Action.HABILITATION_GRANTED


def test_the_database_refuses_raw_updates_and_deletes(event):
    if connection.vendor != "postgresql":
        assert connection.vendor == "sqlite"  # the trigger is PostgreSQL's; the model guards SQLite
        return
    for sql in (
        "UPDATE accounts_auditevent SET action = 'x'",
        "DELETE FROM accounts_auditevent",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.count() == 1
