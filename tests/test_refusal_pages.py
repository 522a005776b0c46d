"""With DEBUG off, refused requests get the product's own page, in the person's language, with
the layout and a way back: 400, 403, 404, 405 and a stale form (CSRF)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse


@pytest.fixture(autouse=True)
def _production(settings):
    settings.DEBUG = False


def page(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    ("language", "title"), [("fr", "Page introuvable"), ("en", "Page not found")]
)
def test_404_in_the_persons_language(client, agent, settings, language, title):
    client.force_login(agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/administration/comptes/999999/")
    assert response.status_code == 404
    assert title in page(response)
    assert reverse("referents:mine") in page(response)
    assert 'class="site-header' in page(response)


def test_404_for_someone_not_signed_in(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "Page introuvable" in page(response)


def test_405_has_a_page(client, agent):
    client.force_login(agent)
    response = client.get(reverse("accounts:sign_out"))
    assert response.status_code == 405
    assert "Action impossible" in page(response)
    assert "POST" in response["Allow"]


def test_a_stale_form_says_it_expired(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(reverse("accounts:sign_out"))
    assert response.status_code == 403
    assert "Ce formulaire a expiré" in page(response)
    assert "CSRF" not in page(response)


def test_400_has_a_page(client, agent):
    client.force_login(agent)
    response = client.get("/referents/", HTTP_HOST="bad host with spaces")
    assert response.status_code == 400
    assert "Requête incorrecte" in page(response)
