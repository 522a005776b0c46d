"""Sign-in lockout: blocking at the threshold, reset, audit, neutral answers, per-address limit."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent

SIGN_IN = reverse("accounts:sign_in")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def person(make, cardiology) -> User:
    user = make.user(email="lea.martin@example.test", password=PASSWORD)
    make.habilitation(user, cardiology)
    return user


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.LOCKOUT_THRESHOLD = 5
    settings.SIGNIN_IP_MAX_FAILURES = 50
    settings.SIGNIN_IP_WINDOW_MINUTES = 15


def sign_in(client: Client, email: str, password: str, ip: str = "10.0.0.1"):
    return client.post(SIGN_IN, {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail(client: Client, email: str, times: int, ip: str = "10.0.0.1") -> None:
    for _ in range(times):
        assert sign_in(client, email, "wrong password", ip).status_code == 200


def test_blocked_at_exactly_the_threshold(client, person):
    fail(client, person.email, 4)
    person.refresh_from_db()
    assert person.failed_login_count == 4
    assert not person.is_blocked
    fail(client, person.email, 1)
    person.refresh_from_db()
    assert person.failed_login_count == 5
    assert person.is_blocked
    assert person.blocked_reason
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_BLOCKED).count() == 1


def test_further_failures_keep_counting_but_block_once(client, person):
    fail(client, person.email, 7)
    person.refresh_from_db()
    assert person.failed_login_count == 7
    blocks = AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_BLOCKED)
    assert blocks.count() == 1
    assert blocks.get().target_user == person


def test_a_successful_sign_in_resets_the_counter(client, person):
    fail(client, person.email, 4)
    assert sign_in(client, person.email, PASSWORD).status_code == 302
    person.refresh_from_db()
    assert person.failed_login_count == 0
    client.post(reverse("accounts:sign_out"))
    fail(client, person.email, 4)
    person.refresh_from_db()
    assert not person.is_blocked


def test_blocked_cannot_sign_in_even_with_the_right_password(client, person):
    fail(client, person.email, 5)
    response = sign_in(client, person.email, PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("referents:mine")).status_code == 302


def test_blocking_ends_the_open_sessions(client, person):
    elsewhere = Client()
    elsewhere.force_login(person)
    assert elsewhere.get(reverse("accounts:my_account")).status_code == 200
    fail(client, person.email, 5)
    assert elsewhere.get(reverse("accounts:my_account")).status_code == 302


def test_each_attempt_is_audited_without_what_was_typed(client, person):
    fail(client, person.email, 1)
    sign_in(client, "nobody@example.test", "secret typed in the wrong field", ip="10.0.0.2")
    sign_in(client, person.email, PASSWORD, ip="10.0.0.3")

    failed = AuditEvent.objects.filter(action=AuditEvent.Action.SIGNIN_FAILED).order_by("id")
    known, unknown = list(failed)
    assert known.target_user == person
    assert known.after == {"account_exists": True}
    assert known.ip_address == "10.0.0.1"
    assert unknown.target_user is None
    assert unknown.after == {"account_exists": False}
    assert unknown.ip_address == "10.0.0.2"
    success = AuditEvent.objects.get(action=AuditEvent.Action.SIGNIN_SUCCEEDED)
    assert success.target_user == person
    # The person signed in; whoever typed the wrong password is not known.
    assert success.actor == person
    assert known.actor is None
    assert success.ip_address == "10.0.0.3"
    stored = repr([(e.before, e.after) for e in AuditEvent.objects.all()])
    assert "wrong password" not in stored
    assert "secret typed" not in stored
    assert "nobody@example.test" not in stored


def _error_block(response) -> str:
    return re.search(r'<div class="form-errors".*?</div>', response.content.decode(), re.S)[0]


def test_the_same_neutral_message_whatever_the_account(client, person, make):
    make.user(email="inactive@example.test", password=PASSWORD, is_active=False)
    make.user(
        email="blocked@example.test",
        password=PASSWORD,
        blocked_at=timezone.now(),
        blocked_reason="5 failed sign-ins",
    )
    messages = {
        _error_block(sign_in(client, email, password))
        for email, password in [
            (person.email, "wrong password"),
            ("nobody@example.test", PASSWORD),
            # With the right password a blocked account is told so (test_blocked_people.py).
            ("blocked@example.test", "wrong password"),
            ("inactive@example.test", PASSWORD),
        ]
    }
    assert len(messages) == 1


class CountingHasher(MD5PasswordHasher):
    """MD5 (fast, as in the other tests) that counts how often it hashes."""

    calls = 0

    def encode(self, password, salt):
        type(self).calls += 1
        return super().encode(password, salt)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("lea.martin@example.test", "wrong password"),  # exists, wrong password
        ("nobody@example.test", PASSWORD),  # no account
        ("blocked@example.test", PASSWORD),  # blocked, right password
        ("inactive@example.test", PASSWORD),  # inactive, right password
        ("nopassword@example.test", PASSWORD),  # account not activated yet: no password
        ("lea.martin@example.test", PASSWORD),  # success, for comparison
    ],
)
def test_the_password_hasher_runs_once_in_every_case(
    client, person, make, settings, email, password
):
    # Timing must not tell whether an address has an account, or a blocked one.
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    make.user(email="inactive@example.test", password=PASSWORD, is_active=False)
    make.user(
        email="blocked@example.test",
        password=PASSWORD,
        blocked_at=timezone.now(),
        blocked_reason="5 failed sign-ins",
    )
    make.user(email="nopassword@example.test")
    CountingHasher.calls = 0
    sign_in(client, email, password)
    assert CountingHasher.calls == 1


# --- Per client address


def test_too_many_failures_from_one_address_refuse_it_for_a_while(client, person, settings):
    settings.SIGNIN_IP_MAX_FAILURES = 6
    for n in range(6):
        # Different (unknown) accounts: the per-account counter never reaches anything.
        sign_in(client, f"nobody{n}@example.test", "guess", ip="10.0.0.9")
    response = sign_in(client, person.email, PASSWORD, ip="10.0.0.9")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address (another hospital) is not affected.
    assert sign_in(Client(), person.email, PASSWORD, ip="10.0.0.10").status_code == 302


def test_refused_attempts_do_not_count_against_the_account(client, person, settings):
    settings.SIGNIN_IP_MAX_FAILURES = 3
    fail(client, "nobody@example.test", 3, ip="10.0.0.9")
    for _ in range(10):
        assert sign_in(client, person.email, "wrong", ip="10.0.0.9").status_code == 429
    person.refresh_from_db()
    assert person.failed_login_count == 0
    assert not person.is_blocked


def test_failures_older_than_the_window_do_not_count(client, person, settings):

    settings.SIGNIN_IP_MAX_FAILURES = 3
    with time_machine.travel(timezone.now() - datetime.timedelta(minutes=20)):
        fail(client, "nobody@example.test", 3, ip="10.0.0.9")
    assert sign_in(client, person.email, PASSWORD, ip="10.0.0.9").status_code == 302


def test_the_administration_site_sign_in_counts_too(client, platform_admin):
    platform_admin.set_password(PASSWORD)
    platform_admin.save()
    for _ in range(5):
        client.post(
            reverse("admin:login"),
            {"username": platform_admin.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.1",
        )
    platform_admin.refresh_from_db()
    assert platform_admin.is_blocked
