"""Changing a person's login address: a link to the new address, the change when it is followed.

The link is signed, expires, works once, dies when a newer one is sent or when the référent who
asked no longer may change the account, and works without signing in.
"""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail, signing
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import people
from accounts.models import User
from audit.models import AuditEvent
from tests.accounts.test_account_authority import attach

NEW = "lea.martin@nouveau.example.test"


def url(user: User) -> str:
    return reverse("administration:person_email", args=[user.pk])


def confirm_url(token: str) -> str:
    return reverse("accounts:email_confirm", args=[token])


def ask(client, referent, person, email=NEW, capture=None):
    client.force_login(referent)
    if capture is None:
        return client.post(url(person), {"email": email})
    with capture(execute=True):
        return client.post(url(person), {"email": email})


def link_in(message) -> str:
    found = re.search(r"http://testserver(/adresse/confirmer/[^/\s]+/)", message.body)
    assert found, message.body
    return found[1]


@pytest.fixture
def requested(client, establishment_referent, agent, django_capture_on_commit_callbacks):
    """A change of the agent's address asked by the establishment's référent: the link."""
    response = ask(
        client, establishment_referent, agent, capture=django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == [NEW]
    mail.outbox.clear()
    client.logout()
    return link_in(message)


def test_asking_sends_a_link_to_the_new_address_and_changes_nothing_yet(
    client, establishment_referent, agent, django_capture_on_commit_callbacks
):
    response = ask(
        client,
        establishment_referent,
        agent,
        "Lea.Martin@Nouveau.Example.Test",
        capture=django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.email == "agent@example.test"
    (message,) = mail.outbox
    assert message.to == [NEW]
    assert establishment_referent.email in message.body
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGE_REQUESTED)
    assert event.actor == establishment_referent
    assert event.target_user == agent
    assert (event.before, event.after) == ({"email": "agent@example.test"}, {"email": NEW})
    page = client.get(reverse("administration:person", args=[agent.pk]))
    assert NEW.encode() in page.content  # "waiting for its confirmation"


def test_following_the_link_without_signing_in_changes_the_address(
    requested, agent, establishment_referent, django_capture_on_commit_callbacks
):
    anonymous = Client()
    page = anonymous.get(requested)
    assert page.status_code == 200
    assert page.context["change"].new_email == NEW
    agent.refresh_from_db()
    assert agent.email == "agent@example.test"  # a GET changes nothing (mail filters open links)
    with django_capture_on_commit_callbacks(execute=True):
        response = anonymous.post(requested)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign_in")
    agent.refresh_from_db()
    assert agent.email == NEW
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGED)
    assert event.actor == agent
    assert (event.before, event.after) == ({"email": "agent@example.test"}, {"email": NEW})
    # The old address is told, with the new one and who asked.
    (notice,) = mail.outbox
    assert notice.to == ["agent@example.test"]
    assert NEW in notice.body
    assert establishment_referent.email in notice.body


def test_the_person_signs_in_with_the_new_address(requested, agent):
    agent.set_password("a-long-password-2026")
    agent.save()
    Client().post(requested)
    client = Client()
    assert not client.login(username="agent@example.test", password="a-long-password-2026")
    assert client.login(username=NEW, password="a-long-password-2026")


def test_a_signed_in_person_goes_back_to_their_account(requested, agent):
    client = Client()
    client.force_login(agent)
    response = client.post(requested)
    assert response["Location"] == reverse("accounts:my_account")


def test_the_link_works_once(requested, agent):
    assert Client().post(requested).status_code == 302
    again = Client().post(requested)
    assert again.status_code == 200
    assert again.context["error"] == str(people.LINK_USED)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGED).count() == 1


def test_the_link_expires(requested, agent, settings):
    token = requested.split("/")[-2]
    later = timezone.now() + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: later.timestamp())
        response = Client().post(confirm_url(token))
    assert response.status_code == 200
    assert response.context["error"] == str(people.LINK_EXPIRED)
    agent.refresh_from_db()
    assert agent.email == "agent@example.test"


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: token.split(":")[0],
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_is_refused(requested, agent, alter):
    token = requested.split("/")[-2]
    response = Client().post(confirm_url(alter(token)))
    assert response.status_code == 200
    assert response.context["error"] == str(people.LINK_INVALID)
    agent.refresh_from_db()
    assert agent.email == "agent@example.test"


def test_a_link_signed_for_something_else_is_refused(agent):
    """The same payload signed with another salt (another feature's link) is no change link."""
    token = signing.dumps({"user": agent.pk, "email": agent.email, "new": NEW, "event": 1})
    assert Client().post(confirm_url(token)).context["error"] == str(people.LINK_INVALID)


def test_a_newer_request_voids_the_older_link(
    requested, client, establishment_referent, agent, django_capture_on_commit_callbacks
):
    ask(
        client,
        establishment_referent,
        agent,
        "autre@example.test",
        django_capture_on_commit_callbacks,
    )
    newer = link_in(mail.outbox[-1])
    assert Client().post(requested).context["error"] == str(people.LINK_USED)
    assert Client().post(newer).status_code == 302
    agent.refresh_from_db()
    assert agent.email == "autre@example.test"


def test_an_address_taken_meanwhile_is_refused_naming_nobody(requested, make, agent):
    make.user(email=NEW, last_name="Secret")
    response = Client().post(requested)
    assert response.context["error"] == str(people.LINK_ADDRESS_TAKEN)
    assert b"Secret" not in response.content
    agent.refresh_from_db()
    assert agent.email == "agent@example.test"


def test_the_request_dies_with_the_referent_s_right(requested, establishment_referent, agent):
    establishment_referent.habilitations.update(ended_at=timezone.now(), end_reason="parti")
    assert Client().post(requested).context["error"] == str(people.LINK_USED)
    agent.refresh_from_db()
    assert agent.email == "agent@example.test"


def test_an_address_of_another_account_is_refused_without_saying_whose(
    client, establishment_referent, agent, make, other_hospital
):
    make.user(email="pris@example.test", last_name="Secret")
    response = ask(client, establishment_referent, agent, "PRIS@example.test")
    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [str(people.EMAIL_TAKEN_MESSAGE)]
    assert b"Secret" not in response.content
    assert not mail.outbox
    assert not AuditEvent.objects.exists()


def test_the_same_address_is_refused(client, establishment_referent, agent):
    response = ask(client, establishment_referent, agent, agent.email)
    assert "email" in response.context["form"].errors


@pytest.mark.parametrize("who", ["other_referent", "director", "agent"])
def test_out_of_scope_is_404(client, request, make, hospital, who):
    person = make.user()
    make.habilitation(person, hospital)
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(person)).status_code == 404
    assert client.post(url(person), {"email": NEW}).status_code == 404
    assert not mail.outbox


def test_own_platform_and_without_authority_are_refused(
    client, establishment_referent, make, hospital
):
    support = make.user(email="support@example.test", is_staff=True)
    make.habilitation(support, hospital)
    elsewhere = make.user(email="ailleurs@example.test")
    attached, _right = attach(establishment_referent, elsewhere.email, hospital)
    for person in (establishment_referent, support, attached):
        response = ask(client, establishment_referent, person)
        assert response.status_code == 200
        assert response.context["refusal"]
        with pytest.raises(ValidationError):
            people.account_email_change_request(
                actor=establishment_referent, user=person, email=NEW
            )
    assert not mail.outbox
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGE_REQUESTED
    ).exists()


def test_the_link_is_in_the_person_s_language(
    client, establishment_referent, agent, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=agent.pk).update(language="en")
    ask(client, establishment_referent, agent, capture=django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.subject == "ViaRéférents: confirm your new e-mail address"
    assert "Hello Léa MARTIN," in message.body
