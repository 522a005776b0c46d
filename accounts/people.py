"""A référent's changes to a person's account: details, login address, departure, activation link.

The shape of ``accounts.services``, on its rules: keyword-only functions that check the actor's
scope (``NotAllowed``, a 404), refuse what the rules forbid (``ValidationError`` with a message
for the référent), lock the person's row, write the audit event in the same transaction and
send their e-mails once it has committed.

Who may change an account (``change_refusal``): a référent of a structure where the person
holds a right (``Scope.people()``) who also holds authority over the account
(``services.holds_authority_over``, the rule of unblocking), never on their own account and
never on a platform administrator's (the support team manages those in the administration
site). Ending rights needs no authority (a référent may always end a right of their scope):
a departure without it ends the rights but leaves the account as it is.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import lockout
from accounts.models import (
    Habilitation,
    User,
    normalize_email,
    normalize_national_id,
    validate_national_id,
)
from accounts.scope import Scope
from accounts.services import (
    NO_AUTHORITY_MESSAGE,
    NotAllowed,
    habilitation_end,
    holds_authority_over,
    is_platform_account,
    password_link,
    referents_after_ending,
)
from audit import trail
from audit.models import AuditEvent
from core import mail

OWN_ACCOUNT_MESSAGE = _(
    "This is your own account: another referent of your structures, or the support desk, has "
    "to change it."
)
PLATFORM_ACCOUNT_MESSAGE = _(
    "This account belongs to a platform administrator: only the support desk manages it."
)
PLATFORM_ACCOUNT_ADMIN_MESSAGE = _(
    "This account belongs to a platform administrator: change it in the administration site."
)
NATIONAL_ID_TAKEN_MESSAGE = _(
    "This RPPS or ADELI number is already recorded on another account. Check the number; if "
    "it is right, ask the support desk."
)
EMAIL_TAKEN_MESSAGE = _("This address is already used by another account.")

# The fields of a person a référent edits (the login address has its own confirmation).
DETAIL_FIELDS = ("last_name", "first_name", "phone", "job_title", "national_id")

# The e-mail change link: its signing salt; it is valid as long as a password link.
EMAIL_CHANGE_SALT = "accounts.people.email_change"


# --- Who may change the account


def _scope_of(actor: User, scope: Scope | None) -> Scope:
    return scope if scope is not None else Scope.for_user(actor)


def _person_in_scope(scope: Scope, user: User) -> None:
    if not scope.people().filter(pk=user.pk).exists():
        raise NotAllowed


def change_refusal(*, actor: User, user: User, scope: Scope) -> str | None:
    """Why ``actor`` may not change ``user``'s account (details, address, deactivation), or
    None when they may. The person is in the scope already (the caller loaded them from it)."""
    if actor.pk == user.pk:
        return str(OWN_ACCOUNT_MESSAGE)
    if is_platform_account(user):
        if scope.is_platform_admin:
            return str(PLATFORM_ACCOUNT_ADMIN_MESSAGE)
        return str(PLATFORM_ACCOUNT_MESSAGE)
    if not holds_authority_over(actor=actor, user=user, scope=scope):
        return str(NO_AUTHORITY_MESSAGE)
    return None


def _check_may_change(actor: User, user: User, scope: Scope) -> None:
    refusal = change_refusal(actor=actor, user=user, scope=scope)
    if refusal is not None:
        raise ValidationError(refusal)


def _refuse_own_or_platform(actor: User, user: User, scope: Scope) -> None:
    """The part of ``change_refusal`` that needs no authority (ending rights, sending the
    activation link to the person's own address)."""
    if actor.pk == user.pk:
        raise ValidationError(OWN_ACCOUNT_MESSAGE)
    if is_platform_account(user):
        raise ValidationError(
            PLATFORM_ACCOUNT_ADMIN_MESSAGE if scope.is_platform_admin else PLATFORM_ACCOUNT_MESSAGE
        )


def _lock(user: User) -> User:
    return User.objects.select_for_update().get(pk=user.pk)


def _site_url(request: HttpRequest | None, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


# --- Details


def national_id_taken(national_id: str, *, exclude: User | None = None) -> bool:
    """Whether another account has this RPPS or ADELI number (never says whose)."""
    if not national_id:
        return False
    others = User.objects.filter(national_id=normalize_national_id(national_id))
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def account_details_update(
    *,
    actor: User,
    user: User,
    last_name: str,
    first_name: str,
    phone: str = "",
    job_title: str = "",
    national_id: str = "",
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> list[str]:
    """Change a person's name, phone, job title and RPPS/ADELI number; the fields changed.

    One account per identifier: a number recorded on another account is refused without
    saying which (the strong sign-in finds the account by it). Nothing changed: nothing is
    written. The audit event holds the changed fields only, before and after.
    """
    scope = _scope_of(actor, scope)
    _person_in_scope(scope, user)
    wanted = {
        "last_name": " ".join(last_name.split()),
        "first_name": " ".join(first_name.split()),
        "phone": phone.strip(),
        "job_title": " ".join(job_title.split()),
        "national_id": normalize_national_id(national_id),
    }
    if not wanted["last_name"] or not wanted["first_name"]:
        raise ValidationError(_("The last and first names are required."))
    if wanted["national_id"]:
        try:
            validate_national_id(wanted["national_id"])
        except ValidationError as error:
            raise ValidationError({"national_id": error}) from error
    with transaction.atomic():
        user = _lock(user)
        _check_may_change(actor, user, scope)
        changed = [field for field in DETAIL_FIELDS if getattr(user, field) != wanted[field]]
        if not changed:
            return []
        if "national_id" in changed and national_id_taken(wanted["national_id"], exclude=user):
            raise ValidationError({"national_id": NATIONAL_ID_TAKEN_MESSAGE})
        before = {field: getattr(user, field) for field in changed}
        for field in changed:
            setattr(user, field, wanted[field])
        try:
            # A savepoint: two référents recording the same number at once meet the index.
            with transaction.atomic():
                user.save(update_fields=changed)
        except IntegrityError as error:
            raise ValidationError({"national_id": NATIONAL_ID_TAKEN_MESSAGE}) from error
        trail.record(
            action=AuditEvent.Action.ACCOUNT_UPDATED,
            actor=actor,
            target_user=user,
            before=before,
            after={field: wanted[field] for field in changed},
            request=request,
        )
    return changed


# --- The login address


def email_taken(email: str, *, exclude: User | None = None) -> bool:
    others = User.objects.filter(email=normalize_email(email))
    if exclude is not None:
        others = others.exclude(pk=exclude.pk)
    return others.exists()


def account_email_change_request(
    *,
    actor: User,
    user: User,
    email: str,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> str:
    """Ask to change a person's login address: a link goes to the new address, and the change
    happens when it is followed (``account_email_change_confirm``). Returns the link's token.

    The token is signed and holds the person, the current and the new address, and the id of
    this request's audit event: it is void once the address changed (so usable once), when a
    newer request was made, after PASSWORD_RESET_TIMEOUT, and when the référent who asked no
    longer may change the account. An address of another account is refused without saying
    whose.
    """
    scope = _scope_of(actor, scope)
    _person_in_scope(scope, user)
    new = normalize_email(email)
    with transaction.atomic():
        user = _lock(user)
        _check_may_change(actor, user, scope)
        if new == user.email:
            raise ValidationError({"email": _("This is already the address of this account.")})
        if email_taken(new, exclude=user):
            raise ValidationError({"email": EMAIL_TAKEN_MESSAGE})
        event = trail.record(
            action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGE_REQUESTED,
            actor=actor,
            target_user=user,
            before={"email": user.email},
            after={"email": new},
            request=request,
        )
        token = signing.dumps(
            {"user": user.pk, "email": user.email, "new": new, "event": event.pk},
            salt=EMAIL_CHANGE_SALT,
            compress=True,
        )
        link = _site_url(request, reverse("accounts:email_confirm", args=[token]))
        person_pk, language = user.pk, _language(user)

        def send() -> None:
            mail.send(
                "accounts/email/email_change_confirm",
                {
                    "user": User.objects.get(pk=person_pk),
                    "referent": actor,
                    "new_email": new,
                    "link": link,
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                },
                new,
                language=language,
            )

        transaction.on_commit(send)
    return token


@dataclass(frozen=True)
class EmailChange:
    """A pending change of login address, as its link describes it."""

    user: User
    new_email: str
    requested_by: User | None
    requested_at: datetime.datetime


LINK_INVALID = _(
    "This link is not valid: it may have been cut or altered. Ask your referent to send a new one."
)
LINK_EXPIRED = _("This link has expired. Ask your referent to send a new one.")
LINK_USED = _(
    "This link can no longer be used: it was used already, or a newer one was sent. Your "
    "referent can send a new one."
)
LINK_ADDRESS_TAKEN = _(
    "This address is now used by another account: the change cannot be made. Write to your "
    "referent."
)


def email_change_from_token(token: str) -> EmailChange:
    """The change a link asks for, when it can still be made; ``ValidationError`` (with the
    message for the person who followed it) otherwise."""
    try:
        payload = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
    except signing.SignatureExpired as error:
        raise ValidationError(LINK_EXPIRED, code="expired") from error
    except signing.BadSignature as error:
        raise ValidationError(LINK_INVALID, code="invalid") from error
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(key), kind)
        for key, kind in (("user", int), ("email", str), ("new", str), ("event", int))
    ):
        raise ValidationError(LINK_INVALID, code="invalid")
    user = User.objects.filter(pk=payload["user"]).first()
    latest = (
        AuditEvent.objects.filter(
            target_user_id=payload["user"],
            action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGE_REQUESTED,
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
        .first()
    )
    if (
        user is None
        or user.email != payload["email"]
        or latest is None
        or latest.pk != payload["event"]
    ):
        raise ValidationError(LINK_USED, code="used")
    requester = latest.actor
    if requester is not None:
        # A référent who lost the right to change the account takes their requests with them.
        scope = Scope.for_user(requester)
        if not scope.people().filter(pk=user.pk).exists() or change_refusal(
            actor=requester, user=user, scope=scope
        ):
            raise ValidationError(LINK_USED, code="used")
    if email_taken(payload["new"], exclude=user):
        raise ValidationError(LINK_ADDRESS_TAKEN, code="taken")
    return EmailChange(
        user=user,
        new_email=payload["new"],
        requested_by=requester,
        requested_at=latest.created_at,
    )


def account_email_change_confirm(*, token: str, request: HttpRequest | None = None) -> User:
    """Make the change a link asks for (``email_change_from_token`` says when it cannot).

    Following the link proves the new address is the person's: the person is the actor,
    whoever is signed in. The old address is told, with the new one and who asked.
    """
    with transaction.atomic():
        change = email_change_from_token(token)
        user = _lock(change.user)
        # Checked again under the lock: two clicks at once change the address once.
        change = email_change_from_token(token)
        old = user.email
        user.email = change.new_email
        try:
            with transaction.atomic():
                user.save(update_fields=["email"])
        except IntegrityError as error:
            raise ValidationError(LINK_ADDRESS_TAKEN, code="taken") from error
        trail.record(
            action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGED,
            actor=user,
            target_user=user,
            before={"email": old},
            after={"email": user.email},
            request=request,
        )
        referent, language = change.requested_by, _language(user)

        def send() -> None:
            mail.send(
                "accounts/email/email_changed",
                {"user": User.objects.get(pk=user.pk), "referent": referent, "old_email": old},
                old,
                language=language,
            )

        transaction.on_commit(send)
    return user


def pending_email_change(user: User) -> tuple[str, datetime.datetime] | None:
    """The address a change was last asked for, and when, while its link may still be
    followed (the person page says so); None otherwise."""
    since = timezone.now() - datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    latest = (
        AuditEvent.objects.filter(
            target_user=user,
            action=AuditEvent.Action.ACCOUNT_EMAIL_CHANGE_REQUESTED,
            created_at__gte=since,
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if latest is None or not isinstance(latest.before, dict) or not isinstance(latest.after, dict):
        return None
    if latest.before.get("email") != user.email:
        return None  # followed already, or the address changed since
    return str(latest.after.get("email", "")), latest.created_at


# --- Departure


@dataclass(frozen=True)
class Departure:
    """What a departure recorded by a référent does (the confirmation page shows it first)."""

    # The person's open rights in the référent's scope: all of them end.
    ending: list[Habilitation]
    # Open rights elsewhere, which stay (counted only: they are outside the scope).
    staying: int
    # Whether the account is deactivated and signed out: no right left anywhere, and the
    # référent holds authority over the account.
    deactivates: bool
    authority: bool
    # Référent rights among ``ending`` that leave their structure without a référent of its
    # own (the confirmation page says so).
    last_referent_rights: frozenset[int] = frozenset()


def _open_rights_in_scope(scope: Scope, user: User):
    return (
        scope.habilitations(Habilitation.objects.open_on())
        .filter(user=user)
        .select_related("profile", "establishment", "unit")
        .order_by("establishment__name", "unit__name", "profile__order", "pk")
    )


def departure_preview(*, actor: User, user: User, scope: Scope) -> Departure:
    ending = list(_open_rights_in_scope(scope, user))
    staying = (
        Habilitation.objects.open_on()
        .filter(user=user)
        .exclude(pk__in=[right.pk for right in ending])
        .count()
    )
    authority = holds_authority_over(actor=actor, user=user, scope=scope)
    return Departure(
        ending=ending,
        staying=staying,
        deactivates=authority and staying == 0 and user.is_active,
        authority=authority,
        last_referent_rights=frozenset(
            right.pk for right in ending if referents_after_ending(right) is not None
        ),
    )


def account_depart(
    *,
    actor: User,
    user: User,
    reason: str,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> Departure:
    """Départ: end every open right of the person in the actor's scope, with one reason.

    Each right ends through ``habilitation_end`` (its checks, its audit event), the rights
    elsewhere are left alone, and the person gets one e-mail for all. When no open right
    remains anywhere (active or future), the account is deactivated and signed out
    everywhere, provided the actor holds authority over it (otherwise the rights end and the
    account stays as it is). Returns what was done.
    """
    scope = _scope_of(actor, scope)
    _person_in_scope(scope, user)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the departure.")})
    with transaction.atomic():
        user = _lock(user)
        _refuse_own_or_platform(actor, user, scope)
        # Asked before the ends: the rights being ended may be what gives the authority.
        authority = holds_authority_over(actor=actor, user=user, scope=scope)
        ending = list(_open_rights_in_scope(scope, user).select_for_update(of=("self",)))
        if not ending:
            raise ValidationError(_("This person has no open right in your structures."))
        ended = [
            habilitation_end(
                actor=actor,
                habilitation=right,
                reason=reason,
                request=request,
                scope=scope,
                notify=False,
            )
            for right in ending
        ]
        staying = Habilitation.objects.open_on().filter(user=user).count()
        was_active = user.is_active
        deactivates = authority and staying == 0 and was_active
        if deactivates:
            user.is_active = False
            user.save(update_fields=["is_active"])
            user.end_sessions()
        trail.record(
            action=AuditEvent.Action.ACCOUNT_DEPARTED,
            actor=actor,
            target_user=user,
            before={"is_active": was_active},
            after={
                "is_active": user.is_active,
                "end_reason": reason[:255],
                "rights_ended": len(ending),
            },
            request=request,
        )
        _notify_departed(user, ended, actor, reason, deactivated=deactivates, staying=staying)
    return Departure(ending=ended, staying=staying, deactivates=deactivates, authority=authority)


def _notify_departed(
    user: User,
    rights: list[Habilitation],
    actor: User,
    reason: str,
    *,
    deactivated: bool,
    staying: int,
) -> None:
    def send() -> None:
        person = User.objects.get(pk=user.pk)
        context: dict[str, Any] = {
            "user": person,
            "rights": rights,
            "referent": actor,
            "reason": reason,
            "deactivated": deactivated,
            "staying": staying,
        }
        mail.send(
            "accounts/email/account_departed", context, person.email, language=_language(person)
        )

    transaction.on_commit(send)


# --- The activation link


def account_activation_resend(
    *,
    actor: User,
    user: User,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> None:
    """Send again the link to choose a password to an account never activated.

    The link goes to the person's own address, so no authority over the account is needed.
    Password links to one address share one limit (PASSWORD_RESET_MAX_PER_ADDRESS an hour),
    whether the person asked on the sign-in page or a référent sends them.
    """
    scope = _scope_of(actor, scope)
    _person_in_scope(scope, user)
    with transaction.atomic():
        user = _lock(user)
        _refuse_own_or_platform(actor, user, scope)
        if not user.is_active:
            raise ValidationError(_("This account is deactivated: grant a right to reopen it."))
        if user.has_usable_password():
            raise ValidationError(
                _(
                    "This account is activated already: the person can choose a new password "
                    "from the sign-in page (“Forgot your password?”)."
                )
            )
        if not lockout.password_link_count(email=user.email):
            raise ValidationError(
                _("Several links were sent to this address within the hour: try again later.")
            )
        trail.record(
            action=AuditEvent.Action.ACCOUNT_ACTIVATION_RESENT,
            actor=actor,
            target_user=user,
            after={"email": user.email},
            request=request,
        )
        person_pk = user.pk

        def send() -> None:
            person = User.objects.get(pk=person_pk)
            mail.send(
                "accounts/email/activation_resent",
                {"user": person, "referent": actor, "link": password_link(person, request)},
                person.email,
                language=_language(person),
            )

        transaction.on_commit(send)
