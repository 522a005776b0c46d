"""The second step of signing in, enrolment, my factors, and the référent's reset.

Before the second factor only the sign-in step's views answer (``mfa.middleware``). Enrolling
never verifies a session: the first factor may be enrolled only right after the password
(``MFA_RECENT_MINUTES``, or after typing it again), and the session then gives the new factor
once, like any sign-in. Adding another factor, removing one or regenerating the recovery codes
needs the factor given within ``MFA_RECENT_MINUTES`` (recent authentication).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from accounts import lockout
from accounts.access import SignedInRequest, referent_scope
from accounts.services import holds_authority_over, is_platform_account
from accounts.views import too_many_attempts
from audit import trail
from mfa import passkeys, policy, services, session, totp
from mfa.forms import (
    CodeForm,
    PasskeyEnrolForm,
    PasskeyForm,
    PasswordConfirmForm,
    TotpEnrolForm,
)
from mfa.models import Factor, RecoveryCode

TOTP_SECRET = "totp-secret"  # noqa: S105 - a session key's name
NEW_CODES = "new-codes"
JUST_ENROLLED = "just-enrolled"


def _next_url(request: HttpRequest) -> str:
    """The page first asked, if it is one of ours (a path)."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def _with_next(name: str, next_url: str, **kwargs) -> str:
    url = reverse(name, kwargs=kwargs or None)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _after_sign_in(next_url: str) -> str:
    return next_url or reverse(settings.LOGIN_REDIRECT_URL)


def _signed_out_blocked(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.error(
        request,
        _(
            "Too many wrong codes: your account is blocked and you are signed out. A referent "
            "of your structures can unblock it."
        ),
    )
    return redirect("accounts:sign_in")


def _recent_or_verify(request: HttpRequest) -> HttpResponse | None:
    """None when the factor was given recently; else the verification page, back here."""
    if session.recently_verified(request):
        return None
    if session.is_verified(request):
        messages.info(request, _("For your security, give your second factor again."))
    return redirect(_with_next("mfa:verify", request.get_full_path()))


# --- The second step


def verify(request: SignedInRequest) -> HttpResponse:
    """Give my second factor: at sign-in, or again before a sensitive change."""
    user = request.user
    next_url = _next_url(request)
    factors = list(Factor.objects.filter(user=user))
    if not factors:
        if policy.must_have_factor(user, request):
            return redirect(_with_next("mfa:enrol", next_url))
        return redirect(_after_sign_in(next_url))
    code_form = CodeForm()
    passkey_form = PasskeyForm()
    form: CodeForm | PasskeyForm
    if request.method == "POST":
        if lockout.ip_is_throttled(trail.client_ip(request)):
            return too_many_attempts(request)
        if "credential" in request.POST:
            passkey_form = PasskeyForm(request.POST)
            outcome = (
                services.passkey_check(
                    user=user, credential=passkey_form.cleaned_data["credential"], request=request
                )
                if passkey_form.is_valid()
                else None
            )
            form = passkey_form
        else:
            code_form = CodeForm(request.POST)
            outcome = (
                services.code_check(user=user, code=code_form.cleaned_data["code"], request=request)
                if code_form.is_valid()
                else None
            )
            form = code_form
        if outcome is not None and outcome.verified:
            session.mark_verified(request, outcome.method)
            session.recall(request, JUST_ENROLLED, forget=True)
            if outcome.codes_left is not None:
                messages.warning(
                    request,
                    _(
                        "You used a recovery code: %(count)d left. Add a factor or generate new "
                        "codes in My account."
                    )
                    % {"count": outcome.codes_left},
                )
            return redirect(_after_sign_in(next_url))
        if outcome is not None and outcome.blocked:
            return _signed_out_blocked(request)
        if outcome is not None:
            form.add_error(
                "code" if form is code_form else None, ValidationError(services.WRONG_CODE)
            )
    has_passkey = any(f.kind == Factor.Kind.WEBAUTHN for f in factors)
    return render(
        request,
        "mfa/verify.html",
        {
            "code_form": code_form,
            "passkey_form": passkey_form,
            "has_totp": any(f.kind == Factor.Kind.TOTP for f in factors),
            "passkey_options": passkeys.authentication_options(request, user)
            if has_passkey
            else "",
            "next": next_url,
            "again": session.is_verified(request),
            "just_enrolled": session.recall(request, JUST_ENROLLED),
        },
    )


# --- Enrolment


def _may_enrol(request: SignedInRequest) -> HttpResponse | None:
    """None when this session may add a factor now; else where to go first."""
    if Factor.objects.filter(user=request.user).exists():
        if not session.is_verified(request):
            return redirect(_with_next("mfa:verify", _next_url(request)))
        return _recent_or_verify(request)
    if session.recently_signed_in(request) or session.recently_verified(request):
        return None
    return redirect(_with_next("mfa:confirm_password", request.get_full_path()))


def enrol(request: SignedInRequest) -> HttpResponse:
    """Choose the kind of second factor to add."""
    refused = _may_enrol(request)
    if refused is not None:
        return refused
    return render(
        request,
        "mfa/enrol.html",
        {
            "next": _next_url(request),
            "required": not session.is_verified(request),
            "first": not Factor.objects.filter(user=request.user).exists(),
        },
    )


def _enrolled(request: SignedInRequest, factor: Factor, next_url: str) -> HttpResponse:
    """After a factor is added: the recovery codes once, when the person has none; then, in
    the sign-in step, the verification with the new factor (enrolling is not verifying)."""
    session.clear_exempt(request)
    if not RecoveryCode.objects.filter(user=request.user, used_at=None).exists():
        codes = services.recovery_codes_generate(user=request.user, request=request)
        session.remember(request, NEW_CODES, codes)
    if not session.is_verified(request):
        session.remember(request, JUST_ENROLLED, factor.kind)
    messages.success(request, _("“%(name)s” is added to your account.") % {"name": factor.name})
    if session.recall(request, NEW_CODES):
        return redirect(_with_next("mfa:recovery_codes", next_url))
    if not session.is_verified(request):
        return redirect(_with_next("mfa:verify", next_url))
    return redirect(next_url or "accounts:my_account")


def enrol_totp(request: SignedInRequest) -> HttpResponse:
    """Add an authenticator app: scan the QR code (or type the secret), then type a code."""
    refused = _may_enrol(request)
    if refused is not None:
        return refused
    next_url = _next_url(request)
    secret = session.recall(request, TOTP_SECRET)
    if request.method == "POST" and secret:
        form = TotpEnrolForm(request.POST)
        if form.is_valid():
            try:
                factor = services.totp_enrol(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    secret=secret,
                    code=form.cleaned_data["code"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                session.recall(request, TOTP_SECRET, forget=True)
                return _enrolled(request, factor, next_url)
    else:
        # A new secret for each visit; kept while the form is corrected.
        secret = totp.new_secret()
        session.remember(request, TOTP_SECRET, secret)
        form = TotpEnrolForm(initial={"name": _("Authenticator app")})
    uri = totp.provisioning_uri(secret, account=request.user.email, issuer=settings.MFA_TOTP_ISSUER)
    return render(
        request,
        "mfa/enrol_totp.html",
        {
            "form": form,
            "qr_code": totp.qr_code_data_uri(uri),
            "secret": totp.grouped(secret),
            "next": next_url,
        },
    )


def enrol_passkey(request: SignedInRequest) -> HttpResponse:
    """Add a passkey or a security key (needs JavaScript: the browser's WebAuthn API)."""
    refused = _may_enrol(request)
    if refused is not None:
        return refused
    next_url = _next_url(request)
    if request.method == "POST":
        form = PasskeyEnrolForm(request.POST)
        if form.is_valid():
            try:
                factor = services.passkey_enrol(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    credential=form.cleaned_data["credential"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return _enrolled(request, factor, next_url)
    else:
        form = PasskeyEnrolForm(initial={"name": _("Passkey")})
    return render(
        request,
        "mfa/enrol_passkey.html",
        {
            "form": form,
            "options": passkeys.registration_options(request, request.user),
            "next": next_url,
        },
    )


def confirm_password(request: SignedInRequest) -> HttpResponse:
    """My password again, before enrolling a first factor long after signing in."""
    next_url = _next_url(request)
    if request.method == "POST":
        if lockout.ip_is_throttled(trail.client_ip(request)):
            return too_many_attempts(request)
        form = PasswordConfirmForm(request.POST, user=request.user, request=request)
        if form.is_valid():
            session.password_confirmed(request)
            return redirect(next_url or "mfa:enrol")
        if request.user.is_blocked:
            logout(request)
            messages.error(
                request,
                _(
                    "Too many wrong passwords: your account is blocked and you are signed out. "
                    "A referent of your structures can unblock it."
                ),
            )
            return redirect("accounts:sign_in")
    else:
        form = PasswordConfirmForm(user=request.user, request=request)
    return render(request, "mfa/confirm_password.html", {"form": form, "next": next_url})


# --- Recovery codes and removal (Mon compte)


def recovery_codes(request: SignedInRequest) -> HttpResponse:
    """The new recovery codes, shown once; POST makes ten new ones (recent authentication)."""
    next_url = _next_url(request)
    if request.method == "POST":
        if not Factor.objects.filter(user=request.user).exists():
            return redirect("accounts:my_account")
        refused = _recent_or_verify(request)
        if refused is not None:
            return refused
        codes = services.recovery_codes_generate(user=request.user, request=request)
        session.remember(request, NEW_CODES, codes)
        return redirect(_with_next("mfa:recovery_codes", next_url))
    codes = session.recall(request, NEW_CODES, forget=True)
    return render(
        request,
        "mfa/recovery_codes.html",
        {
            "codes": codes,
            "unused": RecoveryCode.objects.filter(user=request.user, used_at=None).count(),
            "has_factor": Factor.objects.filter(user=request.user).exists(),
            "continue_url": (
                _after_sign_in(next_url)
                if session.is_verified(request)
                else _with_next("mfa:verify", next_url)
            ),
            "in_sign_in": not session.is_verified(request),
        },
    )


def factor_remove(request: SignedInRequest, pk: int) -> HttpResponse:
    """Remove one of my factors (a GET shows the confirmation); recent authentication."""
    factor = get_object_or_404(Factor, pk=pk, user=request.user)
    refused = _recent_or_verify(request)
    if refused is not None:
        return refused
    if request.method == "POST":
        try:
            services.factor_remove(user=request.user, factor=factor, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("“%(name)s” is removed from your account.") % {"name": factor.name}
            )
        return redirect("accounts:my_account")
    last = not Factor.objects.filter(user=request.user).exclude(pk=factor.pk).exists()
    return render(
        request,
        "mfa/factor_remove.html",
        {
            "factor": factor,
            "last": last,
            "refused": last and policy.must_have_factor(request.user, request),
        },
    )


# --- The référent's reset (lost phone)


def person_reset(request: SignedInRequest, pk: int) -> HttpResponse:
    """Reset a person's second factor from their page (a GET shows the confirmation)."""
    scope = referent_scope(request)
    person = get_object_or_404(scope.people(), pk=pk)
    if request.method == "POST":
        try:
            services.factors_reset(actor=request.user, user=person, request=request, scope=scope)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "%(name)s’s second factor is reset: they were signed out and told by "
                    "e-mail, and will add a new one at their next sign-in."
                )
                % {"name": person.full_name},
            )
        return redirect("administration:person", pk=person.pk)
    factors = Factor.objects.filter(user=person)
    return render(
        request,
        "mfa/person_reset.html",
        {
            "person": person,
            "factors": factors,
            "unused_codes": RecoveryCode.objects.filter(user=person, used_at=None).count(),
            "is_self": person.pk == request.user.pk,
            "platform_account": is_platform_account(person) and not scope.is_platform_admin,
            "authority": holds_authority_over(actor=request.user, user=person, scope=scope),
        },
    )
