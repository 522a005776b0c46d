"""The sign-ins under way, kept in the person's session: one per ``state``, used once.

Each holds what the callback must check or send: the provider, the nonce, the PKCE verifier,
why it started (a sign-in, or linking an identity to the signed-in account) and where to go
next. It expires after ``OIDC_FLOW_MAX_SECONDS``; a few may run at once (several tabs).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "oidc_flows"
_MAX_FLOWS = 5
SIGN_IN, LINK = "sign_in", "link"


@dataclass(frozen=True)
class Flow:
    provider: str
    nonce: str
    verifier: str
    purpose: str  # SIGN_IN or LINK
    started: int
    user_id: int | None = None  # LINK: the account to link to
    next_url: str = ""


def remember(request: HttpRequest, state: str, flow: Flow) -> None:
    now = int(time.time())
    flows = {
        key: value
        for key, value in dict(request.session.get(SESSION_KEY) or {}).items()
        if isinstance(value, dict) and now - int(value.get("started", 0)) <= _max_age()
    }
    flows[state] = asdict(flow)
    # The oldest go first when too many are open.
    kept = sorted(flows.items(), key=lambda item: item[1]["started"])[-_MAX_FLOWS:]
    request.session[SESSION_KEY] = dict(kept)


def pop(request: HttpRequest, state: str) -> Flow | None:
    """The flow of ``state``, removed from the session whatever it is: None when unknown,
    used already, or expired."""
    flows = dict(request.session.get(SESSION_KEY) or {})
    value = flows.pop(state, None) if state else None
    request.session[SESSION_KEY] = flows
    if not isinstance(value, dict):
        return None
    try:
        flow = Flow(**value)
    except TypeError:
        return None
    if int(time.time()) - flow.started > _max_age():
        return None
    return flow


def _max_age() -> int:
    return settings.OIDC_FLOW_MAX_SECONDS
