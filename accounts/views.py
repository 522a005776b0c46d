"""Signing in and out, password reset, "Mon compte", and accepting the usage charter."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import lockout, people, reminders
from accounts.access import SignedInRequest
from accounts.charter import charter_accept
from accounts.forms import (
    AccountPasswordResetForm,
    AccountSetPasswordForm,
    BlockedHelpForm,
    CharterAcceptForm,
    DigestPreferenceForm,
    PasswordChangeForm,
    ReminderPreferenceForm,
    SignInForm,
)
from accounts.models import Charter, CharterAcceptance, Habilitation, User
from accounts.passwords import password_change
from accounts.selectors import SupportDesk
from audit import trail
from audit.models import AuditEvent


class SignInView(auth_views.LoginView):
    """Sign-in; the lockout rules run in the backend (``accounts.lockout``)."""

    form_class = SignInForm
    template_name = "accounts/sign_in.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if lockout.ip_is_throttled(trail.client_ip(request)):
            return too_many_attempts(request)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        blocked = context["form"].blocked_account
        if blocked is not None:
            lookups = lockout.referent_lookups(blocked)
            context["blocked"] = {
                "lookups": lookups,
                "fallback_support": None if lookups else SupportDesk.for_region(None),
            }
        return context


def too_many_attempts(request: HttpRequest) -> HttpResponse:
    """The same neutral answer for every throttled client, whatever was typed."""
    return render(request, "accounts/too_many_attempts.html", {}, status=429)


@login_not_required
def blocked_help(request: HttpRequest) -> HttpResponse:
    """ "Account blocked?": e-mail my référents' contacts to my own address.

    Open without signing in (the person cannot). The answer is the same whether or not the
    address has an account.
    """
    if request.method == "POST":
        form = BlockedHelpForm(request.POST)
        if form.is_valid():
            outcome = lockout.referent_contacts_send(
                email=form.cleaned_data["email"], request=request
            )
            if not outcome.accepted:
                return too_many_attempts(request)
            messages.success(
                request,
                _(
                    "If an account exists for this address, an e-mail with the contacts of "
                    "its referents has just been sent to it."
                ),
            )
            return redirect("accounts:blocked_help")
    else:
        form = BlockedHelpForm()
    return render(request, "accounts/blocked_help.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """The same answer whether or not the address has an account: the e-mail goes after the
    response (``AccountPasswordResetForm``), and requests are limited per client address and
    per e-mail address (``PASSWORD_RESET_MAX_PER_*``)."""

    form_class = AccountPasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    html_email_template_name = "accounts/email/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: AccountPasswordResetForm) -> HttpResponse:
        outcome = lockout.mail_request_count(
            kind="reset", email=form.cleaned_data["email"], request=self.request
        )
        if not outcome.accepted:
            return too_many_attempts(self.request)
        if not outcome.send:
            return redirect(self.success_url)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = AccountSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            trail.record(
                action=AuditEvent.Action.PASSWORD_SET,
                actor=self.user,
                target_user=self.user,
                after={"password": "…"},
                request=self.request,
            )
        if self.user.is_blocked:
            # A new password does not unblock: only a référent does.
            messages.warning(
                self.request,
                _(
                    "Your password is changed, but your account stays blocked until a referent "
                    "of your structures unblocks it."
                ),
            )
        return response


@login_not_required
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link a référent's change of login address sends to the new address.

    Open without signing in. Following the link shows a button: the change is a POST, since
    mail filters open the links of the messages they scan.
    """
    try:
        change = people.email_change_from_token(token)
    except ValidationError as error:
        return render(request, "accounts/email_confirm.html", {"error": error.messages[0]})
    if request.method == "POST":
        try:
            user = people.account_email_change_confirm(token=token, request=request)
        except ValidationError as error:
            return render(request, "accounts/email_confirm.html", {"error": error.messages[0]})
        messages.success(
            request,
            _("Your login address is now %(email)s.") % {"email": user.email},
        )
        if request.user.is_authenticated and request.user.pk == user.pk:
            return redirect("accounts:my_account")
        return redirect("accounts:sign_in")
    return render(request, "accounts/email_confirm.html", {"change": change})


def my_account(request: SignedInRequest) -> HttpResponse:
    habilitations = (
        Habilitation.objects.filter(user=request.user)
        .select_related("profile", "establishment", "unit")
        .order_by("ended_at", "-end_date")
    )
    return render(
        request,
        "accounts/my_account.html",
        {
            "habilitations": habilitations,
            # Only the référents get the digest: only they are offered to stop it.
            "digest_offered": reminders.digest_audience().filter(pk=request.user.pk).exists(),
        },
    )


def password_change_page(request: SignedInRequest) -> HttpResponse:
    """Mon compte: change my password; my other sessions end, this one stays open.

    A wrong current password counts towards the lockout (``PasswordChangeForm``), and a
    throttled client address is refused before anything is checked, as at the sign-in page.
    """
    if request.method == "POST":
        if lockout.ip_is_throttled(trail.client_ip(request)):
            return too_many_attempts(request)
        form = PasswordChangeForm(request.user, request.POST, request=request)
        if form.is_valid():
            password_change(
                user=request.user, password=form.cleaned_data["new_password1"], request=request
            )
            messages.success(
                request,
                _(
                    "Your password is changed. Your other sessions (other browsers or devices) "
                    "are signed out."
                ),
            )
            return redirect("accounts:my_account")
        if request.user.is_blocked:
            # The last wrong password blocked the account (and ended its sessions).
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
        form = PasswordChangeForm(request.user, request=request)
    return render(request, "accounts/password_change.html", {"form": form})


@require_POST
def set_digest(request: SignedInRequest) -> HttpResponse:
    """Turn the référents' weekly digest on or off, for myself."""
    form = DigestPreferenceForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["receives_digest"]
        user = request.user
        if wanted != user.receives_digest:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).update(receives_digest=wanted)
                trail.record(
                    action=AuditEvent.Action.ACCOUNT_UPDATED,
                    actor=user,
                    target_user=user,
                    before={"receives_digest": user.receives_digest},
                    after={"receives_digest": wanted},
                    request=request,
                )
        if wanted:
            messages.success(request, _("You will receive the referent digest again."))
        else:
            messages.success(request, _("You will no longer receive the referent digest."))
    return redirect("accounts:my_account")


@require_POST
def set_reminders(request: SignedInRequest, pk: int) -> HttpResponse:
    """Turn the e-mail reminder of one of my own habilitations on or off."""
    habilitation = get_object_or_404(Habilitation, pk=pk, user=request.user)
    form = ReminderPreferenceForm(request.POST)
    if form.is_valid():
        wanted = form.cleaned_data["email_reminders"]
        if wanted != habilitation.email_reminders:
            with transaction.atomic():
                before = {"email_reminders": habilitation.email_reminders}
                habilitation.email_reminders = wanted
                habilitation.save(update_fields=["email_reminders"])
                trail.record(
                    action=AuditEvent.Action.ACCOUNT_UPDATED,
                    actor=request.user,
                    target_user=request.user,
                    establishment=habilitation.establishment,
                    unit=habilitation.unit,
                    before=before,
                    after={"email_reminders": wanted, "habilitation": habilitation.pk},
                    request=request,
                )
        if wanted:
            messages.success(request, _("You will receive an e-mail before this right ends."))
        else:
            messages.success(request, _("You will no longer receive e-mails about this right."))
    return redirect("accounts:my_account")


# --- The usage charter


def _next_url(request: HttpRequest) -> str:
    """Where to go after accepting: the page first asked, if it is one of ours.

    Only a path (the middleware sends ``get_full_path()``): ``redirect()`` would take a bare
    word such as "7" for a URL name, and fail on it.
    """
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def charter_accept_page(request: SignedInRequest) -> HttpResponse:
    """The current charter, and the "I accept" button while it is not accepted."""
    charter = Charter.objects.current()
    acceptance = (
        CharterAcceptance.objects.filter(user=request.user, charter=charter).first()
        if charter is not None
        else None
    )
    next_url = _next_url(request)
    if request.method == "POST" and charter is None:
        return redirect(next_url or "referents:mine")
    if request.method == "POST" and charter is not None:
        form = CharterAcceptForm(request.POST)
        if form.is_valid() and form.cleaned_data["version"] == charter.version:
            if acceptance is None:
                charter_accept(user=request.user, charter=charter, request=request)
                messages.success(request, _("Thank you: you have accepted the usage charter."))
            return redirect(next_url or "referents:mine")
        # A newer version was published while the page was open: read that one first.
        messages.warning(request, _("The charter has changed: please read this version."))
        return redirect(request.get_full_path())
    return render(
        request,
        "accounts/charter/accept.html",
        {
            "charter": charter,
            "acceptance": acceptance,
            "form": CharterAcceptForm(initial={"version": charter.version}) if charter else None,
            "next": next_url,
        },
    )
