"""What the session knows of the second factor.

One key, ``mfa``, holds ``{"uid": <person>, "signed_in_at": <time>, "verified_at": <time>,
"method": <how>}``. ``start`` fills it at every sign-in (``user_logged_in``): a new sign-in
is never verified, whatever the session held before. ``mark_verified`` is the only way in.

The hook for other ways of signing in (``oidc/``): a provider marked strong proves the second
factor itself. Call, right after ``django.contrib.auth.login(request, user)``::

    from mfa import session
    session.mark_verified(request, method="oidc:psc")

and the gate lets the session through without asking for a code. ``method`` is recorded in the
session and the audit trail (``mfa.verified``); ``login`` must come first, as it starts a new,
unverified state.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest

KEY = "mfa"


def _now() -> int:
    return int(time.time())


def state(request: HttpRequest) -> dict[str, Any]:
    """The session's state for the signed-in person (empty when it names someone else)."""
    value = request.session.get(KEY)
    user_id = getattr(request.user, "pk", None)
    if isinstance(value, dict) and value.get("uid") == user_id:
        return value
    return {"uid": user_id}


def _save(request: HttpRequest, value: dict[str, Any]) -> None:
    request.session[KEY] = value


def start(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """At every sign-in (``user_logged_in``): signed in now, not verified."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[KEY] = {"uid": user.pk, "signed_in_at": _now()}


def mark_verified(request: HttpRequest, method: str) -> None:
    """The session passed a second factor (``totp``, ``webauthn``, ``recovery``) or a strong
    identity provider (``oidc:<provider>``). Cycles the session key: a key seen before the
    second factor is worth nothing after it."""
    value = {**state(request), "verified_at": _now(), "method": method}
    value.pop("exempt", None)
    request.session.cycle_key()
    _save(request, value)


def is_verified(request: HttpRequest) -> bool:
    return bool(state(request).get("verified_at"))


def _within(moment: Any) -> bool:
    return isinstance(moment, int) and _now() - moment <= settings.MFA_RECENT_MINUTES * 60


def recently_verified(request: HttpRequest) -> bool:
    """The factor was given within MFA_RECENT_MINUTES: removing a factor, regenerating the
    recovery codes or adding a factor may go ahead."""
    return _within(state(request).get("verified_at"))


def recently_signed_in(request: HttpRequest) -> bool:
    """The password was typed within MFA_RECENT_MINUTES (at sign-in or confirmed since): a
    person without any factor may enrol their first one."""
    return _within(state(request).get("signed_in_at"))


def password_confirmed(request: HttpRequest) -> None:
    _save(request, {**state(request), "signed_in_at": _now()})


def exempt(request: HttpRequest) -> str | None:
    """The policy under which this session was found to need no second factor, if any."""
    return state(request).get("exempt")


def mark_exempt(request: HttpRequest, policy: str) -> None:
    _save(request, {**state(request), "exempt": policy})


def clear_exempt(request: HttpRequest) -> None:
    value = state(request)
    if value.pop("exempt", None) is not None:
        _save(request, value)


def method(request: HttpRequest) -> str:
    return str(state(request).get("method") or "")


def remember(request: HttpRequest, name: str, value: Any) -> None:
    """Data of a ceremony in progress (a TOTP secret being enrolled, a WebAuthn challenge)."""
    request.session[f"{KEY}.{name}"] = value


def recall(request: HttpRequest, name: str, *, forget: bool = False) -> Any:
    key = f"{KEY}.{name}"
    return request.session.pop(key, None) if forget else request.session.get(key)
