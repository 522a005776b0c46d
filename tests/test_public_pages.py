"""Signing in is the default (``LoginRequiredMiddleware``): only these pages are public.

A view made public by mistake fails here; so does a public page that stops being one.
"""

from __future__ import annotations

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

PUBLIC = {
    "home",  # redirects to "Mes référents", which asks to sign in
    "healthz",
    "readyz",
    "set_language",
    "accounts:sign_in",
    "accounts:blocked_help",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "oidc:sign_in",  # "Sign in with Pro Santé Connect": off to the provider
    "oidc:callback",  # the provider sends the person back here
    # The link sent to a new login address: followed from the mailbox, signed in or not.
    "accounts:email_confirm",
}


def views() -> dict[str, object]:
    found: dict[str, object] = {}

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found[name] = pattern.callback

    walk(get_resolver().url_patterns, None)
    return found


def test_only_the_documented_pages_are_public():
    public = {name for name, view in views().items() if not getattr(view, "login_required", True)}
    assert public == PUBLIC


def test_an_anonymous_visitor_is_sent_to_sign_in(db):
    response = Client().get(reverse("accounts:my_account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))
    assert Client().get(reverse("accounts:sign_in")).status_code == 200
