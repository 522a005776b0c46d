"""Sign-in attempts: the account lockout, the per-address limit, and the blocked person's help.

Rules (docs/domain.md):

- After ``settings.LOCKOUT_THRESHOLD`` consecutive failed sign-ins an account is blocked, and
  stays blocked until a référent (or a platform administrator) unblocks it. A successful
  sign-in resets the counter. The counter is changed under a row lock, so parallel attempts
  leave an exact count and a single block.
- A client address (REMOTE_ADDR, set by the trusted proxy) with too many failures in a short
  window is refused for a while. The counts live in the database: several application servers
  run behind the load balancer, so process memory would not see the others' attempts.
- Nothing here ever tells whether an address has an account.

``accounts.backends.AccountBackend`` calls these services on every password check.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext

from accounts.models import Habilitation, RateLimitHit, User, normalize_email
from accounts.selectors import ReferentLookup, SupportDesk, referents_for_many
from audit import trail
from audit.models import AuditEvent
from core import mail
from core.after_response import after_response
from structures.models import Establishment, Unit

SIGNIN_IP = "signin-ip"
HELP_IP = "help-ip"
HELP_ADDRESS = "help-address"
RESET_IP = "reset-ip"
RESET_ADDRESS = "reset-address"
# Every window is shorter than this: older rows count for nothing and are purged.
_KEEP = datetime.timedelta(days=1)
_HELP_WINDOW = datetime.timedelta(hours=1)


# --- Rate limits kept in the database


def _key(scope: str, value: str) -> str:
    # An HMAC rather than the value: the table never holds addresses people typed.
    return salted_hmac(f"accounts.lockout.{scope}", value, algorithm="sha256").hexdigest()


def _count(scope: str, value: str, window: datetime.timedelta) -> int:
    since = timezone.now() - window
    return RateLimitHit.objects.filter(
        scope=scope, key=_key(scope, value), created_at__gte=since
    ).count()


def _hit(scope: str, value: str) -> None:
    now = timezone.now()
    RateLimitHit.objects.create(scope=scope, key=_key(scope, value), created_at=now)
    # Cheap (indexed on created_at) and keeps the table to one day of hits.
    RateLimitHit.objects.filter(created_at__lt=now - _KEEP).delete()


def signin_ip_window() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.SIGNIN_IP_WINDOW_MINUTES)


def ip_is_throttled(ip: str | None) -> bool:
    """True when this client address failed too many sign-ins recently: refuse the attempt.

    Refused attempts are not checked and not counted against any account, so a shared address
    (a whole hospital behind one NAT) never blocks someone else's account.
    """
    if not ip:
        return False
    return _count(SIGNIN_IP, ip, signin_ip_window()) >= settings.SIGNIN_IP_MAX_FAILURES


# --- Sign-in attempts


def signin_fail(*, user: User | None, request: HttpRequest | None) -> bool:
    """Record a failed sign-in; block the account at the threshold. True when it was blocked now.

    ``user`` is the account of the address typed, or None when there is none. The audit event
    holds whether an account exists and the client address, never what was typed.
    """
    ip = trail.client_ip(request)
    blocked_now = False
    with transaction.atomic():
        if ip:
            _hit(SIGNIN_IP, ip)
        if user is not None:
            # Increment in the database first: the UPDATE takes the row lock until commit, so
            # parallel attempts on the same account queue here, each one reads the count the
            # previous one left, and exactly one of them crosses the threshold.
            User.objects.filter(pk=user.pk).update(failed_login_count=F("failed_login_count") + 1)
            locked = User.objects.get(pk=user.pk)
            user.failed_login_count = locked.failed_login_count
            if locked.blocked_at is None and (
                locked.failed_login_count >= settings.LOCKOUT_THRESHOLD
            ):
                blocked_now = True
                # Stored text: in the platform's language, not the language of whoever typed.
                with translation.override(settings.LANGUAGE_CODE):
                    reason = gettext("%(count)d failed sign-ins") % {
                        "count": locked.failed_login_count
                    }
                locked.blocked_at = timezone.now()
                locked.blocked_reason = reason
                locked.save(update_fields=["blocked_at", "blocked_reason"])
                user.blocked_at, user.blocked_reason = locked.blocked_at, reason
                trail.record(
                    action=AuditEvent.Action.ACCOUNT_BLOCKED,
                    target_user=locked,
                    before={"blocked": False},
                    after={
                        "blocked": True,
                        "reason": reason,
                        "failed_login_count": locked.failed_login_count,
                    },
                    request=request,
                )
                # Signed out everywhere: an open session must not outlive the block.
                locked.end_sessions()
        trail.record(
            action=AuditEvent.Action.SIGNIN_FAILED,
            target_user=user,
            after={"account_exists": user is not None},
            request=request,
        )
    return blocked_now


def signin_succeed(*, user: User, request: HttpRequest | None) -> None:
    """Record a successful sign-in and reset the consecutive failures counter.

    The person is the actor of their sign-in. A failed one has none: whoever typed the
    password is not known, only the account they typed it for (``target_user``).
    """
    with transaction.atomic():
        User.objects.filter(pk=user.pk, failed_login_count__gt=0).update(failed_login_count=0)
        user.failed_login_count = 0
        trail.record(
            action=AuditEvent.Action.SIGNIN_SUCCEEDED,
            actor=user,
            target_user=user,
            after={"account_exists": True},
            request=request,
        )


def signin_refused_blocked(*, user: User, request: HttpRequest | None) -> None:
    """The right password on a blocked account: refused, not counted as a failure (the
    account is blocked already), recorded."""
    trail.record(
        action=AuditEvent.Action.SIGNIN_FAILED,
        target_user=user,
        after={"account_exists": True, "blocked": True},
        request=request,
    )


def referent_lookups(user: User) -> list[ReferentLookup]:
    """Who can unblock ``user``: the référents (or the escalation) of each active structure."""
    return referents_for_many(_active_structures(user))


# --- "Account blocked?": the référents' contacts by e-mail


def _active_structures(user: User) -> list[Establishment | Unit]:
    """The person's structures with an active habilitation, each once."""
    habilitations = (
        Habilitation.objects.active_on()
        .filter(user=user)
        .select_related("establishment__departement__region", "unit")
        .order_by("establishment__name", "unit__name")
    )
    structures: dict[tuple[int, int | None], Establishment | Unit] = {}
    for habilitation in habilitations:
        key = (habilitation.establishment_id, habilitation.unit_id)
        if key in structures:
            continue
        if habilitation.unit is not None:
            habilitation.unit.establishment = habilitation.establishment
            structures[key] = habilitation.unit
        else:
            structures[key] = habilitation.establishment
    return list(structures.values())


@dataclass(frozen=True)
class MailRequestOutcome:
    """The answer to a request that e-mails an address (help, password reset)."""

    # False when the client sent too many requests: the page says "try again later".
    accepted: bool
    # False when the address had its share of e-mails this hour: nothing is sent, and the page
    # answers as if it were.
    send: bool = True


def mail_request_count(*, kind: str, email: str, request: HttpRequest | None) -> MailRequestOutcome:
    """Count one request to e-mail ``email`` (``kind``: "help" or "reset") against the limits
    per client address and per e-mail address (an hour each). Counted for unknown addresses
    too: the answer must not depend on existence."""
    ip_scope, address_scope, max_ip, max_address = {
        "help": (
            HELP_IP,
            HELP_ADDRESS,
            settings.BLOCKED_HELP_MAX_PER_IP,
            settings.BLOCKED_HELP_MAX_PER_ADDRESS,
        ),
        "reset": (
            RESET_IP,
            RESET_ADDRESS,
            settings.PASSWORD_RESET_MAX_PER_IP,
            settings.PASSWORD_RESET_MAX_PER_ADDRESS,
        ),
    }[kind]
    address = normalize_email(email)
    ip = trail.client_ip(request)
    with transaction.atomic():
        if ip:
            if _count(ip_scope, ip, _HELP_WINDOW) >= max_ip:
                return MailRequestOutcome(accepted=False, send=False)
            _hit(ip_scope, ip)
        if _count(address_scope, address, _HELP_WINDOW) >= max_address:
            return MailRequestOutcome(accepted=True, send=False)
        _hit(address_scope, address)
    return MailRequestOutcome(accepted=True)


def password_link_count(*, email: str) -> bool:
    """Count one password link a référent e-mails to ``email`` (an activation link sent
    again), against the forgotten-password page's limit per address: a mailbox gets at most
    PASSWORD_RESET_MAX_PER_ADDRESS such links an hour, whoever asks. False, nothing counted,
    when it had its share."""
    address = normalize_email(email)
    with transaction.atomic():
        if _count(RESET_ADDRESS, address, _HELP_WINDOW) >= settings.PASSWORD_RESET_MAX_PER_ADDRESS:
            return False
        _hit(RESET_ADDRESS, address)
    return True


def referent_contacts_send(*, email: str, request: HttpRequest | None) -> MailRequestOutcome:
    """E-mail an account's own address the référents of each of its active structures.

    For a structure nobody serves, the e-mail gives the escalation data (directors and the
    support desk) instead. Unknown addresses get nothing, and the caller answers the same: the
    e-mail is built and sent after the response (``core.after_response``), so that both
    answers take the same time. Limited per client address and per e-mail address
    (``BLOCKED_HELP_MAX_PER_*``, per hour), so that the page cannot flood someone's mailbox.
    """
    outcome = mail_request_count(kind="help", email=email, request=request)
    if not outcome.send:
        return outcome
    user = User.objects.filter(email=normalize_email(email), is_active=True).first()
    if user is not None:
        after_response(request, lambda: _send_referent_contacts(user))
    return outcome


def _send_referent_contacts(user: User) -> None:
    lookups = referent_lookups(user)
    mail.send(
        "accounts/email/referent_contacts",
        {
            "person": user,
            "lookups": lookups,
            # Someone without any active right still needs a way out.
            "fallback_support": None if lookups else SupportDesk.for_region(None),
        },
        user.email,
    )
