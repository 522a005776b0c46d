"""Blocked people are told what to do, and the pages that e-mail an address tell nothing.

- With the right password, a blocked account is told it is blocked and shown its référents'
  contacts; a wrong password keeps the neutral message (test_lockout.py, test_sign_in.py).
- A password reset of a blocked account says it stays blocked until a référent unblocks it.
- Password reset and "compte bloqué ?" send their e-mail after the response, so that an existing
  account's answer does the same work as an unknown address's; both are rate-limited.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.handlers.base import BaseHandler
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from audit.models import AuditEvent

PASSWORD = "correct horse battery staple"


@pytest.fixture
def blocked(make, cardiology, unit_referent) -> User:
    person = make.user(
        email="bloquee@example.test",
        password=PASSWORD,
        blocked_at=timezone.now(),
        blocked_reason="5 échecs",
    )
    make.habilitation(person, cardiology)
    return person


def test_the_right_password_tells_a_blocked_person_whom_to_ask(client, blocked, unit_referent):
    response = client.post(
        reverse("accounts:sign_in"), {"username": blocked.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "bloqué" in page
    assert f"mailto:{unit_referent.email}" in page
    assert "Cardiologie" in page
    refused = AuditEvent.objects.filter(action=AuditEvent.Action.SIGNIN_FAILED).get()
    assert refused.after == {"account_exists": True, "blocked": True}
    blocked.refresh_from_db()
    assert blocked.failed_login_count == 0  # the right password is not a failure


def test_a_wrong_password_shows_no_contact(client, blocked, unit_referent):
    response = client.post(
        reverse("accounts:sign_in"), {"username": blocked.email, "password": "wrong"}
    )
    page = response.content.decode()
    assert unit_referent.email not in page
    assert "blocked" not in response.context


def test_a_blocked_person_without_any_right_gets_the_support_desk(client, make):
    person = make.user(
        email="seule@example.test",
        password=PASSWORD,
        blocked_at=timezone.now(),
        blocked_reason="x",
    )
    response = client.post(
        reverse("accounts:sign_in"), {"username": person.email, "password": PASSWORD}
    )
    assert response.context["blocked"]["fallback_support"] is not None
    assert response.context["blocked"]["fallback_support"].email in response.content.decode()


def test_a_password_reset_of_a_blocked_account_says_it_stays_blocked(
    client, blocked, django_capture_on_commit_callbacks
):
    client.post(reverse("accounts:password_reset"), {"email": blocked.email})
    (message,) = mail.outbox
    assert "bloqué" in message.body
    url = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(blocked.pk)),
            "token": default_token_generator.make_token(blocked),
        },
    )
    form_page = client.get(url, follow=True)
    assert "bloqué" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "un-nouveau-mot-2026", "new_password2": "un-nouveau-mot-2026"},
        follow=True,
    )
    assert "reste bloqué" in done.content.decode()
    blocked.refresh_from_db()
    assert blocked.is_blocked


def test_a_password_reset_of_an_unblocked_account_says_nothing_of_it(client, make):
    person = make.user(email="libre@example.test", password=PASSWORD)
    client.post(reverse("accounts:password_reset"), {"email": person.email})
    (message,) = mail.outbox
    assert "bloqué" not in message.body


# --- The same work while the client waits


def _close(response) -> None:
    """What the server does once the answer is written (keeping the test's connection, as
    Django's test client does)."""
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def _answer_without_closing(path: str, data: dict):
    """Run a request through every middleware, as the WSGI server does, and hand back the
    response before the server closes it (what the client sees as "the answer")."""
    handler = BaseHandler()
    handler.load_middleware()
    request = RequestFactory().post(path, data, REMOTE_ADDR="10.1.1.1")
    request._dont_enforce_csrf_checks = True
    with CaptureQueriesContext(connection) as queries:
        response = handler.get_response(request)
    return response, len(queries)


@pytest.mark.parametrize("url_name", ["accounts:password_reset", "accounts:blocked_help"])
def test_the_email_is_sent_after_the_answer_and_both_answers_do_the_same_work(
    url_name, make, cardiology, unit_referent
):
    person = make.user(email="existe@example.test", password=PASSWORD)
    make.habilitation(person, cardiology)
    path = reverse(url_name)

    known, known_queries = _answer_without_closing(path, {"email": person.email})
    assert known.status_code == 302
    assert mail.outbox == []  # nothing sent while the client waits
    _close(known)  # the server has written the answer
    assert [m.to for m in mail.outbox] == [[person.email]]

    unknown, unknown_queries = _answer_without_closing(path, {"email": "nobody@example.test"})
    assert unknown.status_code == 302
    assert unknown["Location"] == known["Location"]
    _close(unknown)
    assert len(mail.outbox) == 1
    assert known_queries == unknown_queries


@pytest.mark.parametrize("url_name", ["accounts:password_reset", "accounts:blocked_help"])
def test_a_failing_relay_after_the_answer_is_logged_not_raised(url_name, make, settings, caplog):
    settings.EMAIL_BACKEND = "tests.accounts.test_blocked_people.BrokenBackend"
    person = make.user(email="existe@example.test", password=PASSWORD)
    response, _queries = _answer_without_closing(reverse(url_name), {"email": person.email})
    _close(response)
    assert "relay down" in caplog.text
    assert any(record.levelname == "ERROR" for record in caplog.records)


class BrokenBackend:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("relay down")


# --- Rate limits


def test_password_reset_is_limited_per_address(client, make, settings):
    settings.PASSWORD_RESET_MAX_PER_ADDRESS = 3
    person = make.user(email="cible@example.test", password=PASSWORD)
    for n in range(15):
        response = client.post(
            reverse("accounts:password_reset"), {"email": person.email}, REMOTE_ADDR=f"10.2.0.{n}"
        )
        # The same answer as when an e-mail goes: nothing tells the limit was reached.
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 3


def test_password_reset_is_limited_per_client_address(client, make, settings):
    settings.PASSWORD_RESET_MAX_PER_IP = 5
    codes = [
        client.post(
            reverse("accounts:password_reset"),
            {"email": f"p{n}@example.test"},
            REMOTE_ADDR="10.3.0.1",
        ).status_code
        for n in range(8)
    ]
    assert codes == [302] * 5 + [429] * 3
    other = client.post(
        reverse("accounts:password_reset"), {"email": "p9@example.test"}, REMOTE_ADDR="10.3.0.2"
    )
    assert other.status_code == 302
