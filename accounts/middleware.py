"""Checks made on every request for signed-in people: still allowed in, charter accepted."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.charter import charter_to_accept

# Pages a person who has not accepted the current charter may still open.
CHARTER_EXEMPT_VIEWS = frozenset(
    {
        "accounts:charter_accept",
        "accounts:sign_in",
        "accounts:sign_out",
        "accounts:password_reset",
        "accounts:password_reset_done",
        "accounts:password_reset_confirm",
        "accounts:password_reset_complete",
        "accounts:email_confirm",
        "set_language",
        # The second factor comes before the charter (mfa's gate, the next middleware): its
        # sign-in step, named here by string since accounts sits below mfa.
        "mfa:verify",
        "mfa:enrol",
        "mfa:enrol_totp",
        "mfa:enrol_passkey",
        "mfa:confirm_password",
        "mfa:recovery_codes",
    }
)


# The last-activity time is written at most once a minute, not on every request.
_ACTIVITY_RESOLUTION = 60


def _idle_for_too_long(request: HttpRequest) -> bool:
    """True when the session saw no request for SESSION_IDLE_TIMEOUT seconds."""
    now = int(time.time())
    last_seen = request.session.get("last_seen")
    if isinstance(last_seen, int) and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
        return True
    if not isinstance(last_seen, int) or now - last_seen >= _ACTIVITY_RESOLUTION:
        request.session["last_seen"] = now
    return False


def remember_activity_at_sign_in(sender, request, user, **kwargs) -> None:
    """Start the idle clock when the session is created, and remember the language the person
    signs in with: their e-mails are written in it (connected in AccountsConfig.ready)."""
    if request is None:
        return
    if hasattr(request, "session"):
        request.session["last_seen"] = int(time.time())
    language = getattr(request, "LANGUAGE_CODE", "")
    if language in dict(settings.LANGUAGES) and user.language != language:
        type(user).objects.filter(pk=user.pk).update(language=language)
        user.language = language


class AccountChecksMiddleware:
    """Sign out people who may no longer use the platform; keep the others at the charter.

    Goes after AuthenticationMiddleware and MessageMiddleware. The rights check reads
    ``request.user``, which the page loads anyway: no extra query. The charter check reads
    the current version and the person's acceptance, which the authentication backend loads
    in the same query as the person (``selectors.signed_in_person``): nothing is cached, so a newly
    published version applies at the very next request on every server.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if request.path.startswith(settings.STATIC_URL):
            return None
        user = request.user
        if not user.is_authenticated:
            if SESSION_KEY in request.session:
                # The session names someone the backend no longer lets in (blocked or made
                # inactive since): end it rather than leave it lying around.
                return self._sign_out(request)
            return None
        if not user.is_active or user.is_blocked or _idle_for_too_long(request):
            return self._sign_out(request)
        return self._charter_gate(request)

    def _sign_out(self, request: HttpRequest) -> HttpResponse | None:
        logout(request)
        messages.info(
            request,
            _("You have been signed out. Sign in again, or ask your referent for help."),
        )
        if _view_name(request) == "accounts:sign_in":
            return None
        return redirect(settings.LOGIN_URL)

    def _charter_gate(self, request: HttpRequest) -> HttpResponse | None:
        view_name = _view_name(request)
        if view_name in CHARTER_EXEMPT_VIEWS:
            return None
        if request.user.is_staff and view_name.startswith("admin:"):
            return None
        if charter_to_accept(request.user) is None:  # type: ignore[arg-type]  # signed in here
            return None
        url = reverse("accounts:charter_accept")
        if request.method in ("GET", "HEAD"):
            # Back to the page asked once accepted (a POST cannot be replayed: no "next").
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match is not None else ""
