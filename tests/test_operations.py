"""What operators and the load balancer rely on: probes, security headers, session expiry."""

import time

import pytest
from django.db import DatabaseError
from django.urls import reverse


def test_healthz_answers_without_the_database(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_the_database_and_migrations(client, db, monkeypatch):
    assert client.get("/readyz").json() == {"status": "ok", "database": True}
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: ["pending"])
    assert client.get("/readyz").status_code == 503

    def broken(self, targets):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(MigrationExecutor, "migration_plan", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] is False


def test_probes_are_not_redirected_to_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get(reverse("accounts:sign_in")).status_code == 301


def test_behind_the_tls_proxy_only_plain_http_pages_are_redirected(client, agent, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client.force_login(agent)
    url = reverse("referents:list") + "?q=toulouse"
    response = client.get(url)
    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{url}"
    assert client.get(url, headers={"X-Forwarded-Proto": "https"}).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/mot-de-passe/oubli/",
        "/referents/",
        "/referents/liste/",
        "/administration/comptes/",
        "/healthz",
    ],
)
def test_security_headers_on_every_page_type(client, establishment_referent, settings, url):
    settings.SECURE_HSTS_SECONDS = 31536000
    client.force_login(establishment_referent)
    response = client.get(url, secure=True)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_an_idle_session_is_signed_out(client, agent, settings, monkeypatch):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(agent)
    assert client.get(reverse("referents:mine")).status_code == 200
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 29 * 60)
    assert client.get(reverse("referents:mine")).status_code == 200  # activity renews it
    monkeypatch.setattr(time, "time", lambda: now + 58 * 60)
    assert client.get(reverse("referents:mine")).status_code == 200
    monkeypatch.setattr(time, "time", lambda: now + 89 * 60)
    response = client.get(reverse("referents:mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))


def test_a_password_change_ends_the_other_sessions(client, agent):
    from django.test import Client

    other = Client()
    other.force_login(agent)
    agent.set_password("un tout nouveau mot de passe")
    agent.save()
    assert other.get(reverse("referents:mine")).status_code == 302
