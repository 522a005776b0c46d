"""Signing in with an e-mail address, signing out, and the password reset e-mail."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

SIGN_IN = reverse("accounts:sign_in")
PASSWORD = "correct horse battery staple"


@pytest.fixture
def person(make, cardiology):
    user = make.user(email="lea.martin@example.test", password=PASSWORD)
    make.habilitation(user, cardiology)
    return user


def test_sign_in_with_any_case_of_the_address_lands_on_mes_referents(client, person):
    response = client.post(SIGN_IN, {"username": "Lea.MARTIN@example.test", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("referents:mine")
    assert client.get(reverse("referents:mine")).status_code == 200


def failure_message(client, email, password):
    response = client.post(SIGN_IN, {"username": email, "password": password})
    assert response.status_code == 200
    return re.search(r'<div class="form-errors".*?</div>', response.content.decode(), re.S)[0]


def test_the_same_neutral_message_for_unknown_wrong_and_blocked(client, person, make):
    make.user(
        email="bloque@example.test",
        password=PASSWORD,
        blocked_at=timezone.now(),
        blocked_reason="5 échecs",
    )
    wrong = failure_message(client, person.email, "not the password")
    unknown = failure_message(client, "nobody@example.test", PASSWORD)
    # A wrong password on a blocked account: nothing tells it is blocked (with the right
    # password it is told so, see test_blocked_people.py).
    blocked = failure_message(client, "bloque@example.test", "not the password")
    assert wrong == unknown == blocked


def test_sign_out_is_a_post(client, person):
    client.force_login(person)
    assert client.get(reverse("accounts:sign_out")).status_code == 405
    response = client.post(reverse("accounts:sign_out"))
    assert response.status_code == 302
    assert client.get(reverse("referents:mine")).status_code == 302


def test_password_reset_sends_a_link_that_sets_the_password(client, person):
    response = client.post(reverse("accounts:password_reset"), {"email": "LEA.martin@example.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [person.email]
    assert message.alternatives  # text and HTML
    link = re.search(r"http://testserver(/mot-de-passe/nouveau/\S+/)", message.body)[1]
    form_url = client.get(link)["Location"]  # Django swaps the token for a session marker
    new_password = "un mot de passe tout neuf"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(new_password)
    # Single use: the link no longer works.
    assert "invalid" in client.get(link, follow=True).content.decode().lower() or (
        "invalide" in client.get(link, follow=True).content.decode().lower()
    )


def test_password_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, person):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert mail.outbox == []


def test_ending_sessions_signs_the_person_out_everywhere(client, person):
    from django.test import Client

    other_browser = Client()
    client.force_login(person)
    other_browser.force_login(person)
    assert client.get(reverse("referents:mine")).status_code == 200
    person.end_sessions()
    assert client.get(reverse("referents:mine")).status_code == 302
    assert other_browser.get(reverse("referents:mine")).status_code == 302
    client.force_login(person)  # signing in again works
    assert client.get(reverse("referents:mine")).status_code == 200
