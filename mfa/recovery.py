"""One-time recovery codes: ten at a time, shown once, stored as salted SHA-256.

A code is 10 characters of a 32-letter alphabet without look-alikes (50 random bits), shown as
``ABCDE-FGHJK``. With that much randomness a slow password hasher adds nothing but a second
per check of ten codes; a salt of its own per code keeps two equal codes from sharing a hash.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COUNT = 10
LENGTH = 10
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize(code: str) -> str:
    """What the person typed, as hashed: capitals, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch.isascii() and ch.isalnum())


def make_hash(code: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}${normalize(code)}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def matches(code: str, stored: str) -> bool:
    try:
        algorithm, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algorithm != "sha256":
        return False
    candidate = hashlib.sha256(f"{salt}${normalize(code)}".encode()).hexdigest()
    return hmac.compare_digest(candidate, digest)


def looks_like_recovery_code(code: str) -> bool:
    return len(normalize(code)) == LENGTH
