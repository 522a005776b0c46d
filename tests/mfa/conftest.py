"""Second-factor tests: people with a password, TOTP factors with a known secret."""

from __future__ import annotations

import pytest
from django.test import Client

from mfa import totp
from mfa.models import Factor

PASSWORD = "a-long-enough-password-2026"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def sign_in(client: Client, email: str, password: str = PASSWORD, ip: str = "10.0.0.1"):
    return client.post("/connexion/", {"username": email, "password": password}, REMOTE_ADDR=ip)


def give_code(client: Client, code: str, next_url: str = "", ip: str = "10.0.0.1"):
    return client.post("/second-facteur/", {"code": code, "next": next_url}, REMOTE_ADDR=ip)


def add_totp(user, name: str = "Téléphone", secret: str = SECRET) -> Factor:
    return Factor.objects.create(user=user, kind=Factor.Kind.TOTP, name=name, totp_secret=secret)


def code_now(secret: str = SECRET, offset_steps: int = 0) -> str:
    import time

    return totp.code_at(secret, time.time() + offset_steps * totp.STEP_SECONDS)


@pytest.fixture
def required(settings):
    settings.MFA_REQUIRED = "administrators"
    settings.LOCKOUT_THRESHOLD = 5


@pytest.fixture
def everyone(settings):
    settings.MFA_REQUIRED = "everyone"
    settings.LOCKOUT_THRESHOLD = 5


@pytest.fixture
def referent(make, hospital):
    user = make.referent(hospital, email="ref@example.test", last_name="Durand")
    user.set_password(PASSWORD)
    user.save()
    return user
