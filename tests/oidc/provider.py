"""A real OpenID Connect provider on the loopback interface, shaped like Pro Santé Connect.

It runs in a thread of the test process and answers real HTTP: a discovery document, its
signing keys (JWKS), an authorization endpoint, a token endpoint and UserInfo. It checks what
a provider checks (the client's secret, the redirect URI, the PKCE S256 verifier, a code used
once and soon) and signs its ID tokens with an RSA key using ``cryptography`` directly, not the
library the application verifies them with. Each test shapes the next answer (the person's
claims, ``acr``, audience, expiry, a tampered token, a signed UserInfo, new keys, an error).

django-oauth-toolkit was the other candidate: in the same process it would share the
application's session cookie and user table (signing in at the provider would sign in to the
application), so it would need a second Django project; this provider is smaller than that.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CLIENT_ID = "viareferents-test"
CLIENT_SECRET = "a-client-secret-for-tests"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


@dataclass
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, str]:
        numbers = self.private.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": "RS256",
            "n": _int_b64(numbers.n),
            "e": _int_b64(numbers.e),
        }

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": typ}
        signing_input = (
            b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        )
        signature = self.private.sign(
            signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        return signing_input + "." + b64url(signature)


def psc_person(
    *,
    sub: str = "f:550e8400:psc-sub-0001",
    rpps: str = "10101010101",
    finess_sites: tuple[str, ...] = (),
    finess_legal: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The claims of a professional as Pro Santé Connect gives them (public test fixtures)."""
    activities = [
        {
            "codeModeExercice": "S",
            "numeroFinessSite": site,
            "numeroFinessetablissementJuridique": legal,
            "raisonSocialeSite": f"SITE {site or legal}",
        }
        for site, legal in zip(
            finess_sites or ("",) * len(finess_legal),
            finess_legal or ("",) * len(finess_sites),
            strict=True,
        )
    ]
    return {
        "sub": sub,
        "SubjectNameID": f"8{rpps}",
        "preferred_username": f"8{rpps}",
        "given_name": "LÉA",
        "family_name": "MARTIN",
        "SubjectRefPro": {
            "codeCivilite": "MME",
            "exercices": [{"codeProfession": "60", "activities": activities}],
        },
    }


@dataclass
class Pending:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    challenge: str
    method: str
    issued: float
    used: bool = False


class Provider:
    """The provider's state, and what the next sign-in will look like (set by each test)."""

    def __init__(self) -> None:
        self.keys = [SigningKey("key-1")]
        self.person: dict[str, Any] = psc_person()
        self.acr: str | None = "eidas1"
        self.audience: str | list[str] | None = None  # None: the client's id
        self.issuer_override: str | None = None
        self.expires_in = 300
        self.tamper = False
        self.userinfo_as_jwt = False
        self.token_error_status: int | None = None
        self.token_auth = "client_secret_basic"
        self.interactive = False  # the browser test: a page with a button
        self.codes: dict[str, Pending] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, Any]] = []
        self.authorize_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.mtls_server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # --- running

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def issuer(self) -> str:
        return self.url

    def start(self) -> Provider:
        self._serve(self.server)
        return self

    def _serve(self, server: ThreadingHTTPServer) -> None:
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        for server in (self.server, self.mtls_server):
            if server is not None:
                server.shutdown()
                server.server_close()

    def serve_mtls(self, *, certfile: str, keyfile: str, client_ca: str) -> str:
        """A second listener for the token endpoint over TLS, asking for a client certificate
        (RFC 8705's ``mtls_endpoint_aliases``); its URL."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certfile, keyfile)
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self.mtls_server = server
        self._serve(server)
        return f"https://127.0.0.1:{server.server_address[1]}"

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """The application's OIDC_PROVIDERS entry for this provider."""
        return {
            "label": "Pro Santé Connect",
            "discovery_url": f"{self.url}/.well-known/openid-configuration",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "token_auth": self.token_auth,
            "scope": "openid scope_all",
            "acr_values": "eidas1",
            "strong": True,
            "national_id_claims": ["SubjectNameID", "preferred_username"],
            **overrides,
        }

    def rotate_keys(self) -> None:
        """A new signing key; the old one is no longer published."""
        self.keys = [SigningKey(f"key-{len(self.keys) + 1}-{secrets.token_hex(2)}")]

    # --- the documents

    def discovery(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": ["eidas1"],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "tls_client_auth",
            ],
        }
        if self.mtls_server is not None:
            port = self.mtls_server.server_address[1]
            document["mtls_endpoint_aliases"] = {
                "token_endpoint": f"https://127.0.0.1:{port}/token"
            }
        return document

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.jwk() for key in self.keys]}

    # --- the endpoints

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        self.authorize_requests.append(query)
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}, b"unknown client"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {}, b"PKCE S256 required"
        if self.interactive and query.get("confirmed") != "1":
            action = "/authorize?" + urlencode({**query, "confirmed": "1"})
            page = (
                '<!doctype html><html lang="fr"><head><title>Pro Santé Connect (test)</title>'
                "</head><body><main><h1>Pro Santé Connect (test)</h1>"
                f'<p><a id="confirm" href="{action}">Valider avec ma e-CPS</a></p>'
                "</main></body></html>"
            )
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        code = secrets.token_urlsafe(24)
        self.codes[code] = Pending(
            client_id=query["client_id"],
            redirect_uri=query.get("redirect_uri", ""),
            state=query.get("state", ""),
            nonce=query.get("nonce", ""),
            challenge=query["code_challenge"],
            method=query["code_challenge_method"],
            issued=time.time(),
        )
        target = query.get("redirect_uri", "")
        separator = "&" if "?" in target else "?"
        location = target + separator + urlencode({"code": code, "state": query.get("state", "")})
        return 302, {"Location": location}, b""

    def _client_authenticated(self, headers, form: dict[str, str]) -> bool:
        basic = headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            return client_id == CLIENT_ID and secret == CLIENT_SECRET
        if "client_secret" in form:
            return form.get("client_id") == CLIENT_ID and form["client_secret"] == CLIENT_SECRET
        # tls_client_auth: the TLS layer checked the certificate (the mTLS listener).
        return form.get("client_id") == CLIENT_ID and getattr(headers, "client_cert", False)

    def token(self, headers, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.token_requests.append(
            {"form": dict(form), "basic": headers.get("Authorization", "").startswith("Basic ")}
        )
        if self.token_error_status is not None:
            return self.token_error_status, {"error": "server_error"}
        if not self._client_authenticated(headers, form):
            return 401, {"error": "invalid_client"}
        pending = self.codes.get(form.get("code", ""))
        if pending is None or pending.used or time.time() - pending.issued > 60:
            return 400, {"error": "invalid_grant"}
        pending.used = True
        if form.get("redirect_uri") != pending.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        if b64url(hashlib.sha256(verifier.encode()).digest()) != pending.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer_override or self.issuer,
            "sub": self.person["sub"],
            "aud": self.audience if self.audience is not None else CLIENT_ID,
            "exp": now + self.expires_in,
            "iat": now - (300 if self.expires_in < 0 else 0),
            "nonce": pending.nonce,
            "auth_time": now,
        }
        if self.acr is not None:
            claims["acr"] = self.acr
        id_token = self.keys[0].sign(claims)
        if self.tamper:
            header, _payload, signature = id_token.split(".")
            forged = {**claims, "sub": "someone-else"}
            id_token = ".".join([header, b64url(json.dumps(forged).encode()), signature])
        access_token = secrets.token_urlsafe(24)
        self.tokens[access_token] = dict(self.person)
        return 200, {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 120,
            "id_token": id_token,
        }

    def userinfo(self, headers) -> tuple[int, dict[str, str], bytes]:
        bearer = headers.get("Authorization", "")
        person = self.tokens.get(bearer[7:]) if bearer.startswith("Bearer ") else None
        if person is None:
            return 401, {"WWW-Authenticate": "Bearer"}, b""
        if self.userinfo_as_jwt:
            body = self.keys[0].sign({**person, "iss": self.issuer, "aud": CLIENT_ID})
            return 200, {"Content-Type": "application/jwt"}, body.encode()
        return 200, {"Content-Type": "application/json"}, json.dumps(person).encode()


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args) -> None:  # quiet
            return

        def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, value: Any) -> None:
            self._send(status, {"Content-Type": "application/json"}, json.dumps(value).encode())

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/.well-known/openid-configuration":
                self._json(200, provider.discovery())
            elif parts.path == "/jwks":
                self._json(200, provider.jwks())
            elif parts.path == "/authorize":
                self._send(*provider.authorize(query))
            elif parts.path == "/userinfo":
                self._send(*provider.userinfo(self.headers))
            else:
                self._send(404, {}, b"")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if urlsplit(self.path).path != "/token":
                self._send(404, {}, b"")
                return
            headers = self.headers
            # The mTLS listener's socket carries the verified client certificate.
            headers.client_cert = bool(  # type: ignore[attr-defined]
                isinstance(self.connection, ssl.SSLSocket) and self.connection.getpeercert()
            )
            self._json(*provider.token(headers, form))

    return Handler
