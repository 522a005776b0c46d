"""Server errors: 503 "try again shortly" while the database is down, the French 500 page else."""

from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client
from django.urls import reverse

import core.views


@pytest.fixture
def browser(settings) -> Client:
    """A client that gets the error pages instead of the exceptions, with DEBUG off."""
    settings.DEBUG = False
    return Client(raise_request_exception=False)


@contextmanager
def database_down(error: type[Exception] = OperationalError) -> Iterator[None]:
    """Every query fails as with an unreachable server (restored before the test's rollback)."""
    refused = error('connection to server at "db" (10.0.0.5), port 5432 failed: timeout')
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=refused):
        yield


def assert_no_stack_trace(body: str) -> None:
    assert "Traceback" not in body
    assert "ensure_connection" not in body
    assert "10.0.0.5" not in body


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_a_signed_in_page_answers_503_when_the_session_cannot_be_read(browser, agent, error):
    browser.force_login(agent)
    with database_down(error):
        response = browser.get(reverse("referents:mine"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "text/html; charset=utf-8"
    body = response.content.decode()
    assert '<html lang="fr">' in body
    assert "Service momentanément indisponible" in body
    assert "Réessayez dans quelques minutes" in body
    assert response["X-Request-ID"] in body  # the reference to give the support desk
    assert_no_stack_trace(body)


def test_a_view_whose_query_fails_answers_503(browser, db):
    with database_down():
        response = browser.post(
            reverse("accounts:sign_in"), {"username": "someone@example.test", "password": "x"}
        )
    assert response.status_code == 503
    assert "Service momentanément indisponible" in response.content.decode()


def test_the_503_page_is_in_english_for_english_speakers(browser, agent):
    browser.force_login(agent)
    browser.cookies["django_language"] = "en"
    with database_down():
        response = browser.get(reverse("referents:mine"))
    assert response.status_code == 503
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert "Service temporarily unavailable" in body


def test_another_error_gives_the_french_500_page(browser, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(core.views, "JsonResponse", broken)
    response = browser.get("/healthz")
    assert response.status_code == 500
    assert "Retry-After" not in response
    body = response.content.decode()
    assert "Une erreur est survenue" in body
    assert "Server Error (500)" not in body
    assert "secret detail" not in body
    assert response["X-Request-ID"] in body
    assert_no_stack_trace(body)


def test_readyz_still_answers_503_json_when_the_database_is_down(client, db):
    with database_down():
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": False}
