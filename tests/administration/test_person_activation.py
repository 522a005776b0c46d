"""Send the activation link again to an account never activated (no password chosen yet)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import RateLimitHit, User
from audit.models import AuditEvent


def url(user: User) -> str:
    return reverse("administration:person_activation_resend", args=[user.pk])


def test_the_link_is_sent_again_and_audited(
    client, establishment_referent, agent, django_capture_on_commit_callbacks
):
    assert not agent.has_usable_password()
    client.force_login(establishment_referent)
    page = client.get(reverse("administration:person", args=[agent.pk]))
    assert url(agent).encode() in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(agent))
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:person", args=[agent.pk])
    (message,) = mail.outbox
    assert message.to == [agent.email]
    assert "http://testserver/mot-de-passe/nouveau/" in message.body
    assert establishment_referent.email in message.body
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_ACTIVATION_RESENT)
    assert (event.actor, event.target_user) == (establishment_referent, agent)
    assert event.after == {"email": agent.email}


def test_the_link_lets_the_person_choose_a_password(
    client, establishment_referent, agent, django_capture_on_commit_callbacks
):
    client.force_login(establishment_referent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(agent))
    link = mail.outbox[0].body.split("http://testserver")[1].split()[0]
    client.logout()
    form = client.get(link, follow=True)
    assert form.context["validlink"]
    client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "nouveau-mot-2026-x", "new_password2": "nouveau-mot-2026-x"},
    )
    agent.refresh_from_db()
    assert agent.has_usable_password()


def test_sending_is_limited_per_address(
    client, establishment_referent, agent, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_MAX_PER_ADDRESS = 2
    client.force_login(establishment_referent)
    with django_capture_on_commit_callbacks(execute=True):
        for _attempt in range(2):
            client.post(url(agent))
        refused = client.post(url(agent), follow=True)
    assert len(mail.outbox) == 2
    assert [m.level_tag for m in refused.context["messages"]] == ["success", "success", "error"]
    assert (
        AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_ACTIVATION_RESENT).count() == 2
    )
    # The "forgot your password?" page shares the budget of this address.
    assert RateLimitHit.objects.count() == 2
    response = client.post(reverse("accounts:password_reset"), {"email": agent.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 2


def test_an_activated_account_is_refused(client, establishment_referent, agent):
    agent.set_password("a-long-password-2026")
    agent.save()
    client.force_login(establishment_referent)
    page = client.get(reverse("administration:person", args=[agent.pk]))
    assert url(agent).encode() not in page.content
    response = client.post(url(agent), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert not mail.outbox
    assert not AuditEvent.objects.exists()


def test_a_deactivated_account_is_refused(client, establishment_referent, agent):
    User.objects.filter(pk=agent.pk).update(is_active=False)
    client.force_login(establishment_referent)
    client.post(url(agent))
    assert not mail.outbox


@pytest.mark.parametrize("who", ["other_referent", "director", "agent"])
def test_out_of_scope_is_404(client, request, make, hospital, who):
    person = make.user()
    make.habilitation(person, hospital)
    client.force_login(request.getfixturevalue(who))
    assert client.post(url(person)).status_code == 404
    assert not mail.outbox


def test_a_get_changes_nothing(client, establishment_referent, agent):
    client.force_login(establishment_referent)
    assert client.get(url(agent)).status_code == 405
    assert not mail.outbox


def test_platform_accounts_are_refused(client, establishment_referent, make, hospital):
    support = make.user(email="support@example.test", is_staff=True)
    make.habilitation(support, hospital)
    client.force_login(establishment_referent)
    client.post(url(support))
    assert not mail.outbox
