"""State changes of second factors: enrolling, checking, removing, recovery codes, reset.

A wrong code is a wrong password: it goes through ``accounts.lockout.signin_fail`` (the same
counter, the same block at LOCKOUT_THRESHOLD, the same audit event, the same per-address
throttle). A right password resets that counter, so the wrong codes are also counted here
(``SecondFactorState``), and the account's counter is raised to that count before each new
failure: typing the password again between two codes gives no more tries.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import lockout
from accounts.models import User
from accounts.scope import Scope
from accounts.services import (
    NO_AUTHORITY_MESSAGE,
    NotAllowed,
    holds_authority_over,
    is_platform_account,
)
from audit import trail
from audit.models import AuditEvent
from core import mail
from mfa import passkeys, policy, recovery, totp
from mfa.models import Factor, RecoveryCode, SecondFactorState

WRONG_CODE = _(
    "This code is not valid. After several failures your account is blocked; your referent "
    "can unblock it."
)
DUPLICATE_NAME = _("You already have a second factor with this name: choose another one.")


@dataclass(frozen=True)
class CheckOutcome:
    """The answer to a second-factor code or passkey."""

    verified: bool
    # The failure blocked the account now (it is signed out everywhere).
    blocked: bool = False
    method: str = ""
    factor_name: str = ""
    # After a recovery code: how many are left.
    codes_left: int | None = None


def _send(template: str, user: User, context: dict) -> None:
    language = user.language or settings.LANGUAGE_CODE
    mail.send(f"mfa/email/{template}", {"user": user, **context}, user.email, language=language)


def _sign_in_url(request: HttpRequest | None) -> str:
    path = "/connexion/"
    return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path


# --- Checking a code or a passkey


def _state_for_update(user: User) -> SecondFactorState:
    SecondFactorState.objects.get_or_create(user=user)
    return SecondFactorState.objects.select_for_update().get(user=user)


def _failure(user: User, request: HttpRequest | None) -> bool:
    """Count a wrong code; True when it blocked the account."""
    with transaction.atomic():
        state = _state_for_update(user)
        unblocked_since = (
            state.last_failure_at is not None
            and AuditEvent.objects.filter(
                target_user=user,
                action=AuditEvent.Action.ACCOUNT_UNBLOCKED,
                created_at__gt=state.last_failure_at,
            ).exists()
        )
        # A series ends with a right code, an unblocking or a block.
        state.failed_codes = 1 if unblocked_since else state.failed_codes + 1
        state.last_failure_at = timezone.now()
        state.save(update_fields=["failed_codes", "last_failure_at"])
        # The account's counter counts at least the wrong codes before this one: then
        # ``signin_fail`` adds this one and blocks at the threshold, as for passwords.
        User.objects.filter(pk=user.pk).update(
            failed_login_count=Greatest(F("failed_login_count"), Value(state.failed_codes - 1))
        )
        blocked = lockout.signin_fail(user=user, request=request)
        if blocked:
            state.failed_codes = 0
            state.save(update_fields=["failed_codes"])
    return blocked


def _success(
    user: User, request: HttpRequest | None, *, method: str, factor: Factor | None
) -> None:
    SecondFactorState.objects.filter(user=user, failed_codes__gt=0).update(failed_codes=0)
    User.objects.filter(pk=user.pk, failed_login_count__gt=0).update(failed_login_count=0)
    user.failed_login_count = 0
    trail.record(
        action=AuditEvent.Action.MFA_VERIFIED,
        actor=user,
        target_user=user,
        after={"method": method, "factor": factor.name if factor is not None else ""},
        request=request,
    )


def code_check(*, user: User, code: str, request: HttpRequest | None) -> CheckOutcome:
    """A code typed at the second step: from an authenticator app (6 digits) or a recovery
    code. Accepted once each; a wrong one counts towards the lockout."""
    now = timezone.now()
    with transaction.atomic():
        if recovery.looks_like_recovery_code(code):
            codes = RecoveryCode.objects.select_for_update().filter(user=user, used_at=None)
            for stored in codes:
                if recovery.matches(code, stored.code_hash):
                    stored.used_at = now
                    stored.save(update_fields=["used_at"])
                    _success(user, request, method="recovery", factor=None)
                    left = RecoveryCode.objects.filter(user=user, used_at=None).count()
                    return CheckOutcome(verified=True, method="recovery", codes_left=left)
        else:
            factors = Factor.objects.select_for_update().filter(user=user, kind=Factor.Kind.TOTP)
            for factor in factors:
                step = totp.matching_step(
                    factor.totp_secret, code, after_step=factor.totp_last_step
                )
                if step is not None:
                    factor.totp_last_step = step
                    factor.last_used_at = now
                    factor.save(update_fields=["totp_last_step", "last_used_at"])
                    _success(user, request, method="totp", factor=factor)
                    return CheckOutcome(verified=True, method="totp", factor_name=factor.name)
    return CheckOutcome(verified=False, blocked=_failure(user, request))


def passkey_check(*, user: User, credential: str, request: HttpRequest) -> CheckOutcome:
    """A passkey's or security key's answer to the challenge of the verification page."""
    try:
        credential_id = passkeys.credential_id_of(credential)
    except passkeys.CeremonyError:
        credential_id = ""
    with transaction.atomic():
        factor = (
            Factor.objects.select_for_update()
            .filter(user=user, kind=Factor.Kind.WEBAUTHN, credential_id=credential_id)
            .first()
            if credential_id
            else None
        )
        if factor is not None:
            try:
                sign_count = passkeys.verify_authentication(request, credential, factor)
            except passkeys.CeremonyError:
                pass
            else:
                factor.sign_count = sign_count
                factor.last_used_at = timezone.now()
                factor.save(update_fields=["sign_count", "last_used_at"])
                _success(user, request, method="webauthn", factor=factor)
                return CheckOutcome(verified=True, method="webauthn", factor_name=factor.name)
    return CheckOutcome(verified=False, blocked=_failure(user, request))


# --- Enrolling and removing


def _check_name(user: User, name: str) -> None:
    if Factor.objects.filter(user=user, name__iexact=name).exists():
        raise ValidationError({"name": DUPLICATE_NAME})


def _enrolled(user: User, factor: Factor, request: HttpRequest | None) -> None:
    SecondFactorState.objects.filter(user=user, enrolment_required=True).update(
        enrolment_required=False
    )
    trail.record(
        action=AuditEvent.Action.MFA_ENROLLED,
        actor=user,
        target_user=user,
        after={"factor": factor.name, "kind": factor.kind},
        request=request,
    )
    fresh_user = User.objects.get(pk=user.pk)

    def send() -> None:
        # Told at once: whoever enrolled a factor with a stolen password is seen.
        _send(
            "factor_added",
            fresh_user,
            {"factor": factor, "sign_in_url": _sign_in_url(request)},
        )

    transaction.on_commit(send)


def totp_enrol(
    *, user: User, name: str, secret: str, code: str, request: HttpRequest | None
) -> Factor:
    """Add an authenticator app, once the person typed a code it shows (proof the secret was
    saved). That code is used: the next sign-in needs a later one."""
    step = totp.matching_step(secret, code, after_step=None)
    if step is None:
        raise ValidationError(
            {
                "code": _(
                    "This code does not match: scan the QR code again, or check that your "
                    "phone's time is set automatically."
                )
            }
        )
    with transaction.atomic():
        _check_name(user, name)
        try:
            with transaction.atomic():
                factor = Factor.objects.create(
                    user=user,
                    kind=Factor.Kind.TOTP,
                    name=name,
                    totp_secret=secret,
                    totp_last_step=step,
                )
        except IntegrityError as error:
            raise ValidationError({"name": DUPLICATE_NAME}) from error
        _enrolled(user, factor, request)
    return factor


def passkey_enrol(*, user: User, name: str, credential: str, request: HttpRequest) -> Factor:
    """Add a passkey or security key from the browser's answer to the registration options."""
    try:
        fields = passkeys.verify_registration(request, credential)
    except passkeys.CeremonyError as error:
        raise ValidationError(
            _("The passkey could not be registered: try again, or use another key or device.")
        ) from error
    with transaction.atomic():
        _check_name(user, name)
        try:
            with transaction.atomic():
                factor = Factor.objects.create(
                    user=user, kind=Factor.Kind.WEBAUTHN, name=name, **fields
                )
        except IntegrityError as error:
            raise ValidationError(_("This passkey is already registered.")) from error
        _enrolled(user, factor, request)
    return factor


def factor_remove(*, user: User, factor: Factor, request: HttpRequest | None) -> None:
    """Remove one of my factors. The last one cannot go while the policy requires one; with
    it go the recovery codes (they stand in for a factor)."""
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        others = Factor.objects.filter(user=user).exclude(pk=factor.pk)
        if not others.exists() and policy.must_have_factor(user):
            raise ValidationError(
                _("You must keep a second factor: add another one before removing this one.")
            )
        before = {"factor": factor.name, "kind": factor.kind}
        factor.delete()
        after: dict = {}
        if not others.exists():
            deleted, _details = RecoveryCode.objects.filter(user=user).delete()
            after["recovery_codes_deleted"] = deleted
        trail.record(
            action=AuditEvent.Action.MFA_REMOVED,
            actor=user,
            target_user=user,
            before=before,
            after=after or None,
            request=request,
        )


def recovery_codes_generate(*, user: User, request: HttpRequest | None) -> list[str]:
    """Ten new recovery codes, replacing the old ones; returned once, stored hashed."""
    codes = [recovery.new_code() for _ in range(recovery.COUNT)]
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        replaced = RecoveryCode.objects.filter(user=user, used_at=None).count()
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create(
            [RecoveryCode(user=user, code_hash=recovery.make_hash(code)) for code in codes]
        )
        trail.record(
            action=AuditEvent.Action.MFA_RECOVERY_CODES,
            actor=user,
            target_user=user,
            before={"unused_codes": replaced},
            after={"unused_codes": len(codes)},
            request=request,
        )
    return codes


# --- A lost phone: the référent's reset


def factors_reset(
    *, actor: User, user: User, request: HttpRequest | None = None, scope: Scope | None = None
) -> None:
    """Remove all of a person's second factors and recovery codes (lost phone).

    A référent of one of the person's structures (with authority over the account, as for an
    unblocking) or a platform administrator; nobody resets their own, and platform
    administrators' factors are reset by platform administrators only. The person is signed
    out everywhere, told by e-mail, and asked to enrol at the next sign-in.
    """
    scope = scope if scope is not None else Scope.for_user(actor)
    if not scope.people().filter(pk=user.pk).exists():
        raise NotAllowed
    if actor.pk == user.pk:
        raise ValidationError(
            _("You cannot reset your own second factor: ask another referent or the support desk.")
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if is_platform_account(user) and not scope.is_platform_admin:
            raise ValidationError(
                _(
                    "This account belongs to a platform administrator: only the support desk "
                    "resets its second factor."
                )
            )
        if not holds_authority_over(actor=actor, user=user, scope=scope):
            raise ValidationError(NO_AUTHORITY_MESSAGE)
        factors = list(Factor.objects.filter(user=user).values_list("name", "kind"))
        codes = RecoveryCode.objects.filter(user=user, used_at=None).count()
        if not factors and not codes:
            raise ValidationError(_("This person has no second factor."))
        Factor.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        SecondFactorState.objects.update_or_create(
            user=user, defaults={"enrolment_required": True, "failed_codes": 0}
        )
        trail.record(
            action=AuditEvent.Action.MFA_RESET,
            actor=actor,
            target_user=user,
            before={
                "factors": [{"name": name, "kind": kind} for name, kind in factors],
                "unused_codes": codes,
            },
            after={"factors": [], "unused_codes": 0, "enrolment_required": True},
            request=request,
        )
        user.end_sessions()

        def send() -> None:
            _send(
                "factor_reset",
                User.objects.get(pk=user.pk),
                {"referent": actor, "sign_in_url": _sign_in_url(request)},
            )

        transaction.on_commit(send)
