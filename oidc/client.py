"""The relying party's side of OpenID Connect: discovery, the authorization request, the code
exchange, the ID token's checks and UserInfo.

Built on joserfc (JWS, JWK and JWT: signatures and the registered claims) and httpx (timeouts,
TLS client certificates); the protocol's few steps are written here, where each check can be
read, with what neither library does for a relying party:

- the token call over mutual TLS (a client certificate, RFC 8705), using the provider's
  ``mtls_endpoint_aliases`` when its discovery document names them;
- a UserInfo answer that is a signed JWT (``application/jwt``), as Pro Santé Connect may send,
  checked like the ID token;
- the provider's keys fetched again when a token names a key id they do not have (the
  provider rotated its keys), once per token.

Two errors reach the views: ``ProviderUnavailable`` (the provider did not answer, or answered
with an error: nothing the person did) and ``SignInRejected`` (an answer failed a check).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from oidc.providers import Provider

logger = logging.getLogger("viareferents.oidc")


class ProviderUnavailable(Exception):  # noqa: N818 - a state of the provider
    """The provider did not answer, or answered with an error."""


class SignInRejected(Exception):  # noqa: N818 - reads as the outcome
    """An answer of the provider failed a check; ``reason`` says which, for the logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its ``sub``, and the claims of the ID token and of
    UserInfo together (UserInfo's win, the ID token's ``sub``, ``iss`` and ``acr`` excepted)."""

    provider: str
    subject: str
    claims: dict[str, Any]


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str


def new_secret() -> str:
    """A ``state`` or ``nonce`` value: 256 random bits."""
    return secrets.token_urlsafe(32)


def new_pkce() -> Pkce:
    """PKCE with S256 (RFC 7636): the verifier stays in the session, its hash goes out."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return Pkce(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


# --- HTTP


def _ssl_context(provider: Provider) -> ssl.SSLContext:
    if provider.ca_bundle:
        context = ssl.create_default_context(cafile=provider.ca_bundle)
    else:
        context = httpx.create_ssl_context()  # certifi's authorities
    if provider.client_cert:
        context.load_cert_chain(provider.client_cert, provider.client_key or None)
    return context


def _http(provider: Provider) -> httpx.Client:
    return httpx.Client(
        verify=_ssl_context(provider),
        timeout=settings.OIDC_HTTP_TIMEOUT,
        follow_redirects=False,
        headers={"User-Agent": "viareferents"},
    )


def _get(provider: Provider, url: str, **kwargs) -> httpx.Response:
    try:
        with _http(provider) as client:
            response = client.get(url, **kwargs)
    except (httpx.HTTPError, OSError, ssl.SSLError) as error:
        logger.warning("oidc %s: GET %s failed: %s", provider.key, url, error)
        raise ProviderUnavailable(str(error)) from error
    if response.status_code != 200:
        logger.warning("oidc %s: GET %s answered %s", provider.key, url, response.status_code)
        raise ProviderUnavailable(f"HTTP {response.status_code}")
    return response


def _json(provider: Provider, response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError as error:
        logger.warning("oidc %s: %s is not JSON", provider.key, response.url)
        raise ProviderUnavailable("not JSON") from error
    if not isinstance(value, dict):
        raise ProviderUnavailable("not a JSON object")
    return value


# --- Discovery and keys (cached: they change rarely, and every sign-in needs them)


def _cache_key(provider: Provider, what: str) -> str:
    digest = hashlib.sha256(provider.discovery_url.encode()).hexdigest()[:16]
    return f"oidc:{what}:{provider.key}:{digest}"


def metadata(provider: Provider) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0), cached."""
    key = _cache_key(provider, "discovery")
    document = cache.get(key)
    if document is None:
        document = _json(provider, _get(provider, provider.discovery_url))
        for needed in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(needed), str):
                logger.warning("oidc %s: the discovery document has no %s", provider.key, needed)
                raise ProviderUnavailable(f"discovery without {needed}")
        cache.set(key, document, settings.OIDC_DISCOVERY_CACHE_SECONDS)
    return document


def _keys(provider: Provider, *, refresh: bool = False) -> KeySet:
    key = _cache_key(provider, "jwks")
    jwks = None if refresh else cache.get(key)
    if jwks is None:
        jwks = _json(provider, _get(provider, metadata(provider)["jwks_uri"]))
        cache.set(key, jwks, settings.OIDC_DISCOVERY_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        logger.warning("oidc %s: unreadable JWKS: %s", provider.key, error)
        raise ProviderUnavailable("unreadable JWKS") from error


def _decode(provider: Provider, value: str) -> jwt.Token:
    """Check a JWS's signature with the provider's keys, fetched again once for a new kid."""
    try:
        try:
            return jwt.decode(value, _keys(provider), algorithms=list(provider.algorithms))
        except InvalidKeyIdError:
            return jwt.decode(
                value, _keys(provider, refresh=True), algorithms=list(provider.algorithms)
            )
    except JoseError as error:
        raise SignInRejected(f"signature: {error.error}") from error
    except (ValueError, TypeError) as error:
        raise SignInRejected("signature: malformed token") from error


# --- The authorization request


def authorization_url(
    provider: Provider, *, redirect_uri: str, state: str, nonce: str, pkce: Pkce
) -> str:
    endpoint = metadata(provider)["authorization_endpoint"]
    params = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope,
        "state": state,
        "nonce": nonce,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    if provider.acr_values:
        params["acr_values"] = provider.acr_values
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(params)}"


# --- The code exchange


def _token_endpoint(provider: Provider, document: dict[str, Any]) -> str:
    aliases = document.get("mtls_endpoint_aliases")
    if provider.client_cert and isinstance(aliases, dict):
        alias = aliases.get("token_endpoint")
        if isinstance(alias, str):
            return alias
    return document["token_endpoint"]


def exchange_code(
    provider: Provider, *, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    """The tokens for ``code``, the client authenticated as the provider's settings say."""
    document = metadata(provider)
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    extra: dict[str, Any] = {}
    if provider.token_auth == "client_secret_basic":  # noqa: S105 - a method's name
        extra["auth"] = httpx.BasicAuth(provider.client_id, provider.client_secret)
    elif provider.token_auth == "client_secret_post":  # noqa: S105 - a method's name
        data |= {"client_id": provider.client_id, "client_secret": provider.client_secret}
    else:  # tls_client_auth: the certificate authenticates; the id says which client
        data["client_id"] = provider.client_id
    url = _token_endpoint(provider, document)
    try:
        with _http(provider) as client:
            response = client.post(url, data=data, headers={"Accept": "application/json"}, **extra)
    except (httpx.HTTPError, OSError, ssl.SSLError) as error:
        logger.warning("oidc %s: the token call failed: %s", provider.key, error)
        raise ProviderUnavailable(str(error)) from error
    if response.status_code != 200:
        # 400 invalid_grant (a code used twice, or too late), 401 (our credentials)...
        try:
            error_code = str(response.json().get("error", ""))[:100]
        except ValueError:
            error_code = ""
        logger.warning(
            "oidc %s: the token endpoint answered %s %s",
            provider.key,
            response.status_code,
            error_code,
        )
        raise ProviderUnavailable(f"token endpoint {response.status_code} {error_code}")
    tokens = _json(provider, response)
    if not isinstance(tokens.get("id_token"), str):
        raise SignInRejected("token: no id_token")
    if str(tokens.get("token_type", "")).lower() != "bearer":
        raise SignInRejected("token: not a bearer token")
    return tokens


# --- The ID token


def _claims_registry(provider: Provider, issuer: str) -> jwt.JWTClaimsRegistry:
    return jwt.JWTClaimsRegistry(
        leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": provider.client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
    )


def verify_id_token(provider: Provider, id_token: str, *, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times, nonce and ``acr``
    are checked (OpenID Connect Core 1.0, 3.1.3.7)."""
    token = _decode(provider, id_token)
    claims = dict(token.claims)
    try:
        _claims_registry(provider, metadata(provider)["issuer"]).validate(claims)
    except JoseError as error:
        raise SignInRejected(f"id_token: {error.error} {error.description}") from error
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != provider.client_id:
        raise SignInRejected("id_token: azp is not this client")
    if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(
        claims["nonce"], nonce
    ):
        raise SignInRejected("id_token: nonce")
    if provider.checks_acr and claims.get("acr") not in provider.accepted_acr:
        raise SignInRejected(f"id_token: acr {str(claims.get('acr'))[:40]!r} not accepted")
    return claims


# --- UserInfo


def userinfo(provider: Provider, access_token: str, *, subject: str) -> dict[str, Any]:
    """The UserInfo claims, from a JSON answer or a signed JWT; {} when the provider has no
    UserInfo endpoint. Its ``sub`` must be the ID token's."""
    document = metadata(provider)
    endpoint = document.get("userinfo_endpoint")
    if not isinstance(endpoint, str):
        return {}
    response = _get(provider, endpoint, headers={"Authorization": f"Bearer {access_token}"})
    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/jwt":
        claims = dict(_decode(provider, response.text.strip()).claims)
        # A signed UserInfo should name its issuer and audience: when it does, they must be ours.
        if "iss" in claims and claims["iss"] != document["issuer"]:
            raise SignInRejected("userinfo: issuer")
        if "aud" in claims:
            audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
            if provider.client_id not in audiences:
                raise SignInRejected("userinfo: audience")
    else:
        claims = _json(provider, response)
    if claims.get("sub") != subject:
        raise SignInRejected("userinfo: another sub")
    return claims


def authenticate(
    provider: Provider, *, code: str, redirect_uri: str, verifier: str, nonce: str
) -> Identity:
    """The whole answer to a callback: exchange the code, check the ID token, read UserInfo."""
    tokens = exchange_code(provider, code=code, redirect_uri=redirect_uri, verifier=verifier)
    id_claims = verify_id_token(provider, tokens["id_token"], nonce=nonce)
    subject = id_claims["sub"]
    extra: dict[str, Any] = {}
    access_token = tokens.get("access_token")
    if isinstance(access_token, str) and access_token:
        extra = userinfo(provider, access_token, subject=subject)
    claims = {**id_claims, **extra}
    for kept in ("sub", "iss", "acr", "aud", "nonce"):
        if kept in id_claims:
            claims[kept] = id_claims[kept]
    return Identity(provider=provider.key, subject=subject, claims=claims)
