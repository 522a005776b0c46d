"""Débloquer a blocked account from the person page."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent


@pytest.fixture
def blocked(agent):
    agent.blocked_at = timezone.now()
    agent.blocked_reason = "5 échecs de connexion"
    agent.failed_login_count = 5
    agent.save()
    return agent


def unblock_url(user) -> str:
    return reverse("administration:person_unblock", args=[user.pk])


@pytest.mark.parametrize("who", ["establishment_referent", "unit_referent", "platform_admin"])
def test_unblock(client, request, blocked, who, django_capture_on_commit_callbacks):
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(unblock_url(blocked))
    assert response.status_code == 302
    blocked.refresh_from_db()
    assert not blocked.is_blocked
    assert blocked.failed_login_count == 0
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_UNBLOCKED)
    assert event.actor == actor
    assert event.ip_address == "127.0.0.1"
    assert mail.outbox[0].to == [blocked.email]
    assert "http://testserver/mot-de-passe/nouveau/" in mail.outbox[0].body


def test_unblocked_person_can_sign_in_again(client, establishment_referent, blocked):
    blocked.set_password("a-long-password-2026")
    blocked.save()
    assert not client.login(username=blocked.email, password="a-long-password-2026")
    client.force_login(establishment_referent)
    client.post(unblock_url(blocked))
    client.logout()
    assert client.login(username=blocked.email, password="a-long-password-2026")


@pytest.mark.parametrize("who", ["other_referent", "director", "agent"])
def test_out_of_scope_is_404(client, request, blocked, make, who):
    actor = request.getfixturevalue(who)
    if actor == blocked:
        actor = make.user()
    client.force_login(actor)
    assert client.post(unblock_url(blocked)).status_code == 404
    blocked.refresh_from_db()
    assert blocked.is_blocked


def test_not_blocked_says_so(client, establishment_referent, agent):
    client.force_login(establishment_referent)
    response = client.post(unblock_url(agent), follow=True)
    assert response.status_code == 200
    assert not AuditEvent.objects.exists()
