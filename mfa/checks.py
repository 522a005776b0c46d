"""``manage.py check``: a valid MFA_REQUIRED, and a warning for ``none`` in production."""

from __future__ import annotations

from django.conf import settings
from django.core import checks


def _policy(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from mfa.policy import POLICIES

    if settings.MFA_REQUIRED not in POLICIES:
        return [checks.Error(f"MFA_REQUIRED must be one of {', '.join(POLICIES)}.", id="mfa.E001")]
    return []


def _deploy(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if settings.MFA_REQUIRED == "none":
        return [
            checks.Warning(
                "MFA_REQUIRED is 'none': nobody is asked for a second factor, which the "
                "health sector's identification rules (RIE) no longer allow.",
                hint="Set MFA_REQUIRED=everyone (or administrators).",
                id="mfa.W001",
            )
        ]
    return []


def register() -> None:
    checks.register(_policy)
    checks.register(_deploy, checks.Tags.security, deploy=True)
