"""The local provider, configured as the application's "psc", and the flow through it."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from django.test import Client
from django.urls import reverse

from tests.oidc.provider import Provider


@pytest.fixture
def psc(db, settings) -> Iterator[Provider]:
    provider = Provider().start()
    settings.OIDC_PROVIDERS = {"psc": provider.settings()}
    yield provider
    provider.stop()


def through_provider(client: Client, start_url: str) -> tuple[str, object]:
    """Follow a start URL to the provider (real HTTP) and back: the callback's path and the
    application's answer to it."""
    start = client.get(start_url)
    assert start.status_code == 302, start
    at_provider = httpx.get(start["Location"], follow_redirects=False)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    callback = f"{back.path}?{back.query}"
    return callback, client.get(callback)


def psc_sign_in(client: Client, next_url: str = ""):
    start = reverse("oidc:sign_in", args=["psc"]) + (f"?next={next_url}" if next_url else "")
    return through_provider(client, start)[1]
