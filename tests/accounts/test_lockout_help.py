""" "Account blocked?": the référents' contacts e-mailed to the account's own address only."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

URL = reverse("accounts:blocked_help")


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.BLOCKED_HELP_MAX_PER_ADDRESS = 3
    settings.BLOCKED_HELP_MAX_PER_IP = 20


@pytest.fixture
def blocked_agent(agent):
    agent.blocked_at = timezone.now()
    agent.blocked_reason = "5 failed sign-ins"
    agent.save()
    return agent


def ask(client, email: str, ip: str = "10.0.0.1"):
    return client.post(URL, {"email": email}, REMOTE_ADDR=ip)


def test_the_sign_in_page_links_to_it(client):
    assert URL in client.get(reverse("accounts:sign_in")).content.decode()


def test_the_page_opens_without_signing_in(client):
    assert client.get(URL).status_code == 200


def test_the_email_goes_only_to_the_accounts_address_with_its_referents(
    client, blocked_agent, unit_referent, establishment_referent, other_referent, make, geriatrics
):
    geriatrics_referent = make.referent(geriatrics, email="ref.geriatrie@example.test")
    response = ask(client, "AGENT@example.test ")
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [blocked_agent.email]
    assert message.cc == []
    assert message.bcc == []
    html = message.alternatives[0][0]
    for body in (message.body, html):
        # Cardiology has its own référent: they serve it, not the establishment's.
        assert unit_referent.email in body
        assert "Cardiologie" in body
        assert establishment_referent.email not in body
        assert other_referent.email not in body
        assert geriatrics_referent.email not in body


def test_an_account_that_is_not_blocked_gets_it_too(client, agent, establishment_referent):
    ask(client, agent.email)
    assert len(mail.outbox) == 1
    # No unit référent: the establishment's référents serve cardiology.
    assert establishment_referent.email in mail.outbox[0].body


def test_without_referent_the_email_gives_the_directors_and_the_support_desk(
    client, blocked_agent, director, hospital
):
    from accounts.selectors import SupportDesk

    ask(client, blocked_agent.email)
    body = mail.outbox[0].body
    assert director.email in body
    assert SupportDesk.for_region(hospital.departement.region).email in body


def test_someone_without_any_active_right_gets_the_support_desk(client, make, settings):
    person = make.user(email="seul@example.test")
    ask(client, person.email)
    assert mail.outbox[0].to == [person.email]
    assert settings.SUPPORT_EMAIL in mail.outbox[0].body


def test_an_unknown_address_gets_the_same_answer_and_nothing_is_sent(client, agent):
    other_browser = Client()
    known = ask(client, agent.email)
    unknown = ask(other_browser, "nobody@example.test", ip="10.0.0.2")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    known_page = client.get(known["Location"]).content.decode()
    unknown_page = other_browser.get(unknown["Location"]).content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [agent.email]
    assert _message(known_page) == _message(unknown_page)
    assert "message--success" in _message(known_page)


def _message(page: str) -> str:
    return re.search(r'<div class="messages".*?</div>', page, re.S)[0]


def test_at_most_three_emails_per_address_per_hour(client, agent):
    for n in range(5):
        assert ask(client, agent.email, ip=f"10.0.0.{n + 1}").status_code == 302
    assert len(mail.outbox) == 3


def test_one_client_address_cannot_send_many(client, make, settings):
    settings.BLOCKED_HELP_MAX_PER_IP = 4
    people = [make.user() for _ in range(6)]
    statuses = [ask(client, p.email, ip="10.0.0.7").status_code for p in people]
    assert statuses == [302] * 4 + [429] * 2
    assert len(mail.outbox) == 4
    # Another client address still may.
    assert ask(client, people[5].email, ip="10.0.0.8").status_code == 302


def test_bad_input_is_a_form_error_not_a_crash(client):
    response = client.post(URL, {"email": "not an address"})
    assert response.status_code == 200
    assert mail.outbox == []


def test_nothing_typed_is_stored_in_clear(client, db):
    from accounts.models import RateLimitHit

    ask(client, "someone.typed.this@example.test")
    assert RateLimitHit.objects.exists()
    assert not RateLimitHit.objects.filter(key__contains="someone").exists()
