"""The OpenID Connect providers people may sign in with, read from ``settings.OIDC_PROVIDERS``.

``OIDC_PROVIDERS`` maps a key (the provider's part of the URLs: ``psc``, ``keycloak-occitanie``)
to its settings; ``viareferents/settings.py`` fills it from the ``OIDC_PROVIDERS`` JSON variable
and from the ``PSC_*`` variables (README). Nothing about a provider is written in the code:
its endpoints come from its discovery document (``oidc.client``).

Keys of one provider's settings:

- ``label``: the name shown on the button ("Pro Santé Connect").
- ``discovery_url``: the provider's ``.well-known/openid-configuration`` (required).
- ``client_id`` (required), and how the client authenticates at the token endpoint,
  ``token_auth``: ``client_secret_basic`` (default), ``client_secret_post`` (both with
  ``client_secret``) or ``tls_client_auth`` (mutual TLS with ``client_cert`` and
  ``client_key``, PEM files). A client certificate, when given, is presented whatever the
  method (the "Espace de Confiance" asks for it with a secret too).
- ``ca_bundle``: a PEM file of the authorities to trust for this provider (a private PKI);
  the system's otherwise.
- ``scope`` (default ``openid``), ``acr_values`` (asked for, space-separated) and
  ``accepted_acr`` (the ``acr`` values an ID token may carry; default: those asked for). When
  either is set, an ID token whose ``acr`` is missing or not accepted is refused.
- ``strong``: the provider's sign-in counts as strong authentication: no second factor is
  asked after it (``mfa.session.mark_verified``).
- ``national_id_claims``: the claims, in order, that carry the person's RPPS or ADELI number
  (Pro Santé Connect: ``SubjectNameID``, ``preferred_username``): the first sign-in whose
  number a référent recorded on an account links the identity to it.
- ``algorithms``: the signature algorithms accepted for the ID token and a signed UserInfo
  (default RS256, PS256, ES256; never ``none``, never a shared-secret HMAC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404

TOKEN_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "tls_client_auth")
DEFAULT_ALGORITHMS = ("RS256", "PS256", "ES256")
_KEY = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


@dataclass(frozen=True)
class Provider:
    key: str
    label: str
    discovery_url: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    token_auth: str = "client_secret_basic"  # noqa: S105 - a method's name
    client_cert: str = ""
    client_key: str = ""
    ca_bundle: str = ""
    scope: str = "openid"
    acr_values: str = ""
    accepted_acr: tuple[str, ...] = ()
    strong: bool = False
    national_id_claims: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = DEFAULT_ALGORITHMS

    @property
    def checks_acr(self) -> bool:
        return bool(self.accepted_acr)


def _provider(key: str, raw: Any) -> Provider:
    if not _KEY.fullmatch(key):
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS: the key {key!r} must be lower-case letters, digits and dashes."
        )
    if not isinstance(raw, dict):
        raise ImproperlyConfigured(f"OIDC_PROVIDERS[{key!r}] must be a mapping.")
    unknown = set(raw) - {f for f in Provider.__dataclass_fields__ if f != "key"}
    if unknown:
        raise ImproperlyConfigured(f"OIDC_PROVIDERS[{key!r}]: unknown settings {sorted(unknown)}.")
    for required in ("discovery_url", "client_id"):
        if not raw.get(required):
            raise ImproperlyConfigured(f"OIDC_PROVIDERS[{key!r}] needs {required}.")
    token_auth = raw.get("token_auth") or "client_secret_basic"
    if token_auth not in TOKEN_AUTH_METHODS:
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS[{key!r}]: token_auth must be one of {', '.join(TOKEN_AUTH_METHODS)}."
        )
    uses_tls = token_auth == TOKEN_AUTH_METHODS[2]
    if uses_tls and not (raw.get("client_cert") and raw.get("client_key")):
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS[{key!r}]: tls_client_auth needs client_cert and client_key."
        )
    if not uses_tls and not raw.get("client_secret"):
        raise ImproperlyConfigured(f"OIDC_PROVIDERS[{key!r}]: {token_auth} needs client_secret.")
    acr_values = " ".join(str(raw.get("acr_values") or "").split())
    accepted = raw.get("accepted_acr")
    accepted_acr = tuple(accepted) if accepted else tuple(acr_values.split())
    algorithms = tuple(raw.get("algorithms") or DEFAULT_ALGORITHMS)
    if any(a == "none" or a.startswith("HS") for a in algorithms):
        raise ImproperlyConfigured(
            f"OIDC_PROVIDERS[{key!r}]: only public-key signatures are accepted (no none, no HS*)."
        )
    return Provider(
        key=key,
        label=str(raw.get("label") or key),
        discovery_url=str(raw["discovery_url"]),
        client_id=str(raw["client_id"]),
        client_secret=str(raw.get("client_secret") or ""),
        token_auth=token_auth,
        client_cert=str(raw.get("client_cert") or ""),
        client_key=str(raw.get("client_key") or ""),
        ca_bundle=str(raw.get("ca_bundle") or ""),
        scope=" ".join(str(raw.get("scope") or "openid").split()),
        acr_values=acr_values,
        accepted_acr=accepted_acr,
        strong=bool(raw.get("strong", False)),
        national_id_claims=tuple(raw.get("national_id_claims") or ()),
        algorithms=algorithms,
    )


def configured() -> list[Provider]:
    """Every provider of the settings, in their order (the sign-in page's buttons)."""
    raw = getattr(settings, "OIDC_PROVIDERS", None) or {}
    if not isinstance(raw, dict):
        raise ImproperlyConfigured("OIDC_PROVIDERS must be a mapping of keys to settings.")
    return [_provider(key, value) for key, value in raw.items()]


def get(key: str) -> Provider | None:
    return next((p for p in configured() if p.key == key), None)


def get_or_404(key: str) -> Provider:
    provider = get(key)
    if provider is None:
        raise Http404
    return provider


def check_providers(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """A wrong provider setting stops the server at start, not at someone's sign-in."""
    try:
        configured()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="oidc.E001")]
    return []
