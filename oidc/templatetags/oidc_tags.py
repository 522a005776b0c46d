"""The provider buttons of the sign-in page and the identities of Mon compte.

Template tags, so that the accounts app's pages show them without importing this app (it sits
above accounts, docs/architecture.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django import template
from django.urls import reverse

from accounts.models import User
from oidc import providers
from oidc.models import LinkedIdentity

register = template.Library()


@dataclass(frozen=True)
class Button:
    label: str
    url: str


@register.simple_tag
def oidc_sign_in_buttons(next_url: str = "") -> list[Button]:
    """One "Sign in with …" per configured provider; none when no provider is configured."""
    query = "?" + urlencode({"next": next_url}) if next_url else ""
    return [
        Button(provider.label, reverse("oidc:sign_in", args=[provider.key]) + query)
        for provider in providers.configured()
    ]


@dataclass(frozen=True)
class IdentityRow:
    label: str
    key: str
    identity: LinkedIdentity | None
    link_url: str  # "" for a provider no longer configured


@register.simple_tag
def oidc_identities(user: User) -> list[IdentityRow]:
    """Each configured provider with the person's linked identity (or None), then identities
    of providers no longer configured (they can still be unlinked). Nothing, and no query,
    when no provider is configured."""
    configured = providers.configured()
    if not configured:
        return []
    linked = {identity.provider: identity for identity in LinkedIdentity.objects.filter(user=user)}
    rows = [
        IdentityRow(
            provider.label,
            provider.key,
            linked.pop(provider.key, None),
            reverse("oidc:link", args=[provider.key]),
        )
        for provider in configured
    ]
    rows += [IdentityRow(key, key, identity, "") for key, identity in sorted(linked.items())]
    return rows
