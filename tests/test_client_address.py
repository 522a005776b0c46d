"""Behind nginx, sign-in limits and the audit trail see the client's address, not nginx's."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]


def failed_sign_in(client, **headers) -> AuditEvent:
    client.post(
        "/connexion/",
        {"username": "nobody@example.test", "password": "wrong password 123"},
        **headers,
    )
    return AuditEvent.objects.filter(action=AuditEvent.Action.SIGNIN_FAILED).latest("pk")


def test_the_trusted_proxys_real_ip_is_the_client(db, client, behind_proxy):
    event = failed_sign_in(client, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert event.ip_address == "203.0.113.7"


def test_a_client_cannot_forge_it(db, client, behind_proxy):
    event = failed_sign_in(client, REMOTE_ADDR="198.51.100.9", HTTP_X_REAL_IP="203.0.113.7")
    assert event.ip_address == "198.51.100.9"


@pytest.mark.parametrize("header", ["", "not an address", "203.0.113.7, 10.0.0.1"])
def test_a_missing_or_bad_header_keeps_the_peer(db, client, behind_proxy, header):
    event = failed_sign_in(client, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP=header)
    assert event.ip_address == "127.0.0.1"


def test_without_trusted_proxies_the_header_is_ignored(db, client, settings):
    settings.TRUSTED_PROXIES = []
    event = failed_sign_in(client, REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    assert event.ip_address == "127.0.0.1"
