"""Time-based one-time passwords (RFC 6238 over RFC 4226): 30-second steps, 6 digits, SHA-1.

Written here rather than taken from pyotp: it is twenty lines of ``hmac``, checked against the
RFC's own test vectors (tests/mfa/test_totp.py), and the replay rule needs the time step a code
matched, which pyotp's ``verify`` does not return. SHA-1 is what every authenticator app
supports; an HMAC's strength does not rest on SHA-1's collision resistance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote, urlencode

import segno

STEP_SECONDS = 30
DIGITS = 6
# A code of the step before or after the current one is accepted too (clocks drift).
DRIFT_STEPS = 1


def new_secret() -> str:
    """160 random bits in base32 without padding, as authenticator apps expect."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii").rstrip("=")


def _key(secret: str) -> bytes:
    secret = "".join(secret.split()).upper()
    return base64.b32decode(secret + "=" * (-len(secret) % 8))


def hotp(key: bytes, counter: int, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    """RFC 4226: the HMAC of the counter, dynamically truncated to ``digits`` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def time_step(at: float | None = None) -> int:
    return int((time.time() if at is None else at) // STEP_SECONDS)


def code_at(secret: str, at: float | None = None) -> str:
    """The code an app shows at ``at`` (now by default)."""
    return hotp(_key(secret), time_step(at))


def matching_step(secret: str, code: str, *, after_step: int | None, at: float | None = None):
    """The time step ``code`` belongs to, within the drift and later than ``after_step`` (the
    last step accepted: a code is accepted once), or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    key = _key(secret)
    current = time_step(at)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Every step is computed and compared in constant time: the answer's timing does not
        # tell which step matched.
        if hmac.compare_digest(hotp(key, step), code) and (after_step is None or step > after_step):
            found = step
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The ``otpauth://`` address the QR code holds (Google Authenticator's key URI format)."""
    label = quote(f"{issuer}:{account}", safe="@:")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def qr_code_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` address for an ``<img>`` (the CSP allows
    ``img-src data:``; no script, no second request)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def grouped(secret: str) -> str:
    """The secret in groups of four, for those who type it instead of scanning."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
