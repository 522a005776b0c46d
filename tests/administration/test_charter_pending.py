"""Charter not accepted: the référent's list of people in their scope, and the reminders."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, CharterReminder

PENDING = reverse("administration:charter_pending")
REMIND = reverse("administration:charter_remind")


@pytest.fixture
def charter(db) -> Charter:
    return Charter.objects.create(
        version=1,
        title="Charte",
        body="Texte",
        published_at=timezone.now() - datetime.timedelta(days=1),
    )


def accepted(user, charter: Charter) -> None:
    CharterAcceptance.objects.create(user=user, charter=charter)


@pytest.fixture
def referent_in(client, establishment_referent, charter):
    """The establishment's référent, signed in, charter accepted."""
    accepted(establishment_referent, charter)
    client.force_login(establishment_referent)
    return establishment_referent


def test_not_a_referent_gets_404(client, agent, director, charter):
    for person in (agent, director):
        accepted(person, charter)
        client.force_login(person)
        assert client.get(PENDING).status_code == 404
        assert client.post(REMIND, {"people": [person.pk]}).status_code == 404


def test_lists_my_people_who_have_not_accepted(
    client, referent_in, agent, make, cardiology, other_hospital, other_referent, charter
):
    done = make.user(email="done@example.test")
    make.habilitation(done, cardiology)
    accepted(done, charter)
    elsewhere = make.user(email="elsewhere@example.test")
    make.habilitation(elsewhere, other_hospital)
    page = client.get(PENDING).content.decode()
    assert agent.email in page
    assert "done@example.test" not in page
    assert "elsewhere@example.test" not in page
    assert other_referent.email not in page
    assert referent_in.email not in page  # accepted


def test_another_establishments_referent_does_not_see_our_people(
    client, agent, other_referent, charter
):
    accepted(other_referent, charter)
    client.force_login(other_referent)
    page = client.get(PENDING).content.decode()
    assert agent.email not in page
    assert other_referent.email not in page
    # Nor can they remind them.
    response = client.post(REMIND, {"people": [agent.pk]})
    assert response.status_code == 302
    assert mail.outbox == []


def test_a_unit_referent_sees_their_unit_only(
    client, unit_referent, agent, make, geriatrics, charter
):
    other_unit_person = make.user(email="geriatrie@example.test")
    make.habilitation(other_unit_person, geriatrics)
    accepted(unit_referent, charter)
    client.force_login(unit_referent)
    page = client.get(PENDING).content.decode()
    assert agent.email in page
    assert "geriatrie@example.test" not in page


def test_no_charter_published(client, establishment_referent):
    client.force_login(establishment_referent)
    assert client.get(PENDING).status_code == 200
    assert client.post(REMIND, {"people": [establishment_referent.pk]}).status_code == 404


def test_a_reminder_is_sent_once_a_day(client, referent_in, agent, charter):
    response = client.post(REMIND, {"people": [agent.pk], "page": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{PENDING}?page=1"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [agent.email]
    assert message.alternatives
    assert message.alternatives[0][1] == "text/html"
    assert "http://testserver" + reverse("accounts:charter_accept") in message.body
    reminder = CharterReminder.objects.get()
    assert (reminder.user, reminder.charter, reminder.sent_by) == (agent, charter, referent_in)

    client.post(REMIND, {"people": [agent.pk]})
    assert len(mail.outbox) == 1
    assert CharterReminder.objects.count() == 1

    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, minutes=1)):
        client.force_login(referent_in)
        client.post(REMIND, {"people": [agent.pk]})
    assert len(mail.outbox) == 2


def test_remind_everyone_on_the_page(client, referent_in, agent, make, cardiology):
    others = [make.user() for _ in range(3)]
    for person in others:
        make.habilitation(person, cardiology)
    client.post(REMIND, {"people": [agent.pk]})
    ids = [agent.pk] + [p.pk for p in others]
    client.post(REMIND, {"people": ids})
    # The agent had one today already.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email] + [p.email for p in others])
    page = client.get(PENDING).content.decode()
    assert page.count('name="people"') == 4 + 4  # one form per row, and the page's


def test_reminding_someone_who_accepted_meanwhile_sends_nothing(
    client, referent_in, agent, charter
):
    accepted(agent, charter)
    client.post(REMIND, {"people": [agent.pk]})
    assert mail.outbox == []


def test_bad_input_is_not_a_crash(client, referent_in):
    for data in ({}, {"people": ["abc"]}, {"people": ["999999"]}):
        assert client.post(REMIND, data).status_code == 302
    assert client.get(REMIND).status_code == 405
    assert client.get(PENDING, {"page": "zzz"}).status_code == 200


def test_the_list_is_paginated_with_constant_queries(client, referent_in, make, cardiology):
    def add_people(n: int) -> None:
        for _ in range(n):
            person = make.user()
            make.habilitation(person, cardiology)

    add_people(3)
    with CaptureQueriesContext(connection) as small:
        assert client.get(PENDING).status_code == 200
    add_people(60)
    with CaptureQueriesContext(connection) as large:
        page = client.get(PENDING).content.decode()
    assert len(small) == len(large)
    assert page.count('class="button button--small button--secondary"') == 50
    assert 'rel="next"' in page
    second = client.get(PENDING, {"page": 2}).content.decode()
    assert second.count('class="button button--small button--secondary"') == 13
