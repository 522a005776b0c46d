"""Parallel wrong passwords on one account: an exact counter and a single block (PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from django.test import RequestFactory

from accounts import lockout
from accounts.models import User
from audit.models import AuditEvent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"
)


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_failures_leave_an_exact_counter_and_one_block(settings):
    settings.LOCKOUT_THRESHOLD = 5
    person = User.objects.create_user(
        email="parallel@example.test", last_name="P", first_name="P", password="right password"
    )

    def attempt(n: int) -> bool:
        try:
            request = RequestFactory().post("/", REMOTE_ADDR=f"10.1.0.{n}")
            return lockout.signin_fail(user=User.objects.get(pk=person.pk), request=request)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=20) as pool:
        blocked_now = list(pool.map(attempt, range(20)))

    person.refresh_from_db()
    assert person.failed_login_count == 20
    assert person.is_blocked
    assert blocked_now.count(True) == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_BLOCKED).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SIGNIN_FAILED).count() == 20
