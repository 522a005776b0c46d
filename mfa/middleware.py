"""The second-factor gate: after the password, nothing but the second factor.

Placed after ``accounts.middleware.AccountChecksMiddleware`` (which signs out blocked and idle
people first; its charter gate lets the sign-in step's pages through, so the factor comes
before the charter). For a signed-in session that has not passed a second factor, only these
answer: signing out, the sign-in step's pages (verification, enrolment, password confirmation,
recovery codes), public pages, static files and the language switch. Anything else, the Django
admin included, is sent to the verification page (the person holds a factor) or to enrolment
(the person must hold one, ``mfa.policy``).

The session's state (``mfa.session``) is read without a query. Only a session found to need no
factor (under ``administrators``, a person with no factor and no administrative right) asks the
database again, on the administration pages, where the scope is computed anyway: a right
granted during the session counts at once.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from mfa import policy, session

# The sign-in step: what a session may open before its second factor.
SIGN_IN_STEP_VIEWS = frozenset(
    {
        "mfa:verify",
        "mfa:enrol",
        "mfa:enrol_totp",
        "mfa:enrol_passkey",
        "mfa:confirm_password",
        "mfa:recovery_codes",
        "accounts:sign_out",
        "set_language",
    }
)
# Where a session found exempt is checked again.
ADMINISTRATION_NAMESPACES = frozenset({"administration", "reviews", "admin", "mfa"})


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""


def _namespace(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.namespaces[0] if match is not None and match.namespaces else ""


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if policy.is_off() or not request.user.is_authenticated:
            return None
        if request.path.startswith(settings.STATIC_URL) or session.is_verified(request):
            return None
        if _view_name(request) in SIGN_IN_STEP_VIEWS:
            return None
        if not getattr(view_func, "login_required", True):
            return None  # public pages: anyone may open them anyway
        current = policy.current()
        if session.exempt(request) == current and _namespace(request) not in (
            ADMINISTRATION_NAMESPACES
        ):
            return None
        user = request.user
        if policy.has_factor(user):
            return self._send_to(request, "mfa:verify")
        if policy.must_have_factor(user, request):
            return self._send_to(request, "mfa:enrol")
        if session.exempt(request) != current:
            session.mark_exempt(request, current)
        return None

    def _send_to(self, request: HttpRequest, name: str) -> HttpResponse:
        url = reverse(name)
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
