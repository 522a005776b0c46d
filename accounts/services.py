"""State changes on accounts and habilitations, as the référents make them.

Every function here is keyword-only, checks the actor's scope itself (``NotAllowed``, which the
views turn into 404), validates (``ValidationError`` with messages for the person), locks the rows
it changes (``select_for_update``), writes one audit event per change in the same transaction and
sends its e-mails once the transaction has committed.

The actor check is a ``Scope``: by default the actor's own, computed from their habilitations. A
caller with another right (the directors' review campaign ending rights in their establishment)
passes a scope that administers those establishments, e.g.
``Scope(establishment_ids=director_scope.reviewed_establishment_ids)``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.formats import date_format
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from accounts.models import Habilitation, Profile, User, normalize_email
from accounts.scope import Scope
from accounts.selectors import ReferentLookup, referents_for
from audit import trail
from audit.models import AuditEvent
from core import mail
from structures.models import Establishment, Unit


class NotAllowed(Http404):
    """The actor may not act on this person, habilitation or structure.

    A 404: a view that lets it through answers "not found", never revealing that the object
    exists (``accounts.access``)."""


NO_AUTHORITY_MESSAGE = _(
    "You cannot act on this account yet: the only right you can see was added by you to an "
    "account that already existed, and its holder has not signed in since. Another referent "
    "of their structures, or the support desk, can do it."
)


# --- Helpers


def _scope_of(actor: User, scope: Scope | None) -> Scope:
    return scope if scope is not None else Scope.for_user(actor)


def _iso(value: datetime.date | datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def habilitation_snapshot(habilitation: Habilitation) -> dict[str, Any]:
    """The audited values of a habilitation: ids, profile code and ISO dates."""
    return {
        "habilitation": habilitation.pk,
        "user": habilitation.user_id,
        "profile": habilitation.profile.code,
        "establishment": habilitation.establishment_id,
        "unit": habilitation.unit_id,
        "start_date": _iso(habilitation.start_date),
        "end_date": _iso(habilitation.end_date),
        "ended_at": _iso(habilitation.ended_at),
        "end_reason": habilitation.end_reason,
    }


def max_end_date(habilitation: Habilitation) -> datetime.date:
    """The furthest end date one extension may reach: up to N days from max(end, today)."""
    base = max(habilitation.end_date, timezone.localdate())
    return base + datetime.timedelta(days=settings.HABILITATION_MAX_EXTENSION_DAYS)


def _check_extension_limit(habilitation: Habilitation, end_date: datetime.date) -> None:
    """Extending (or modifying) may move the end by HABILITATION_MAX_EXTENSION_DAYS at most."""
    limit = max_end_date(habilitation)
    if end_date > limit:
        # The parameters go with the message: Django drops those given beside a dict.
        raise ValidationError(
            {
                "end_date": ValidationError(
                    _(
                        "A right can be extended by %(days)s days at most at a time: choose "
                        "%(limit)s or earlier."
                    ),
                    params={
                        "days": settings.HABILITATION_MAX_EXTENSION_DAYS,
                        "limit": date_format(limit, "SHORT_DATE_FORMAT"),
                    },
                )
            }
        )


def default_end_date(start_date: datetime.date) -> datetime.date:
    return start_date + datetime.timedelta(days=settings.HABILITATION_DEFAULT_DAYS)


def _refuse_own(actor: User, user: User) -> None:
    # Nobody raises their own rights: another référent (or the support desk) has to do it.
    if actor.pk == user.pk:
        raise ValidationError(
            _("You cannot grant, extend or change your own rights: ask another referent.")
        )


def _refuse_platform_account(scope: Scope, user: User) -> None:
    # The support team's accounts are managed by the support team only.
    if is_platform_account(user) and not scope.is_platform_admin:
        raise ValidationError(
            _("This account belongs to a platform administrator: only the support desk manages it.")
        )


def _check_may_grant(
    scope: Scope, profile: Profile, establishment: Establishment, unit: Unit | None
) -> None:
    """Refuse a profile carrying a capability the actor does not hold over that structure."""
    if not scope.may_grant(profile, establishment.pk, unit.pk if unit else None):
        raise ValidationError(
            {
                "profile": ValidationError(
                    _(
                        "You cannot give the “%(profile)s” profile on %(structure)s: it carries "
                        "rights you do not hold there yourself. Ask a referent of the "
                        "establishment or the support desk."
                    ),
                    params={"profile": profile.name, "structure": (unit or establishment).name},
                )
            }
        )


def is_platform_account(user: User) -> bool:
    """The support team's accounts (administration site), which référents never touch."""
    return user.is_superuser or user.is_staff


def holds_authority_over(*, actor: User, user: User, scope: Scope | None = None) -> bool:
    """May ``actor`` act on the state of ``user``'s account (unblock, end their sessions)?

    Attaching a right to an existing account must not give power over it: any référent can
    type any e-mail address into "create an account". So a référent needs, besides the person
    being in their scope, one of: a right of the person in their scope that somebody else
    granted; having created the account themselves; or the person's confirmation, that is a
    sign-in since a right in that scope was granted. Platform administrators' accounts are
    never touched by référents.
    """
    return user.pk in users_under_authority(actor=actor, users=[user], scope=scope)


def users_under_authority(
    *, actor: User, users: Iterable[User], scope: Scope | None = None
) -> set[int]:
    """``holds_authority_over`` for many people at once (a bulk end, ``accounts.bulk``): the
    ids of those ``actor`` may act on. Each ground is asked only for the people the previous
    ones left, so three queries at most (one, when the first ground covers everybody), however
    many people; ``users`` must be few enough for an ``IN`` list (``accounts.bulk`` chunks)."""
    scope = _scope_of(actor, scope)
    users = list(users)
    if scope.is_platform_admin:
        return {user.pk for user in users}
    pending = {user.pk for user in users if not is_platform_account(user)}
    found: set[int] = set()
    rights = scope.habilitations()
    # A right in the scope that somebody else granted; the account created by the actor; a
    # sign-in since a right in the scope was granted.
    grounds = [
        lambda pks: (
            rights.filter(user_id__in=pks)
            .exclude(granted_by=actor)
            .values_list("user_id", flat=True)
        ),
        lambda pks: AuditEvent.objects.filter(
            target_user_id__in=pks, action=AuditEvent.Action.ACCOUNT_CREATED, actor=actor
        ).values_list("target_user_id", flat=True),
        lambda pks: rights.filter(
            user_id__in=pks, user__last_login__isnull=False, created_at__lt=F("user__last_login")
        ).values_list("user_id", flat=True),
    ]
    for ground in grounds:
        if not pending:
            break
        granted = set(ground(pending).order_by()) & pending
        found |= granted
        pending -= granted
    return found


def _check_dates(start_date: datetime.date, end_date: datetime.date) -> None:
    if end_date < start_date:
        raise ValidationError({"end_date": _("The end date must be on or after the start date.")})


def _check_structure(establishment: Establishment, unit: Unit | None) -> None:
    if unit is not None and unit.establishment_id != establishment.pk:
        raise ValidationError({"unit": _("This unit does not belong to the chosen establishment.")})
    if not establishment.is_active or (unit is not None and not unit.is_active):
        raise ValidationError(_("This structure is closed: no right can be granted on it."))


def _check_no_duplicate(
    *,
    user: User,
    profile: Profile,
    establishment: Establishment,
    unit: Unit | None,
    start_date: datetime.date,
    end_date: datetime.date,
    exclude_pk: int | None = None,
) -> None:
    """Refuse a second right with the same profile on the same structure at the same time."""
    # Only open rights count: an ended or expired one is history.
    duplicates = Habilitation.objects.open_on().filter(
        user=user,
        profile=profile,
        establishment=establishment,
        unit=unit,
        start_date__lte=end_date,
        end_date__gte=start_date,
    )
    if exclude_pk is not None:
        duplicates = duplicates.exclude(pk=exclude_pk)
    existing = duplicates.order_by("start_date").first()
    if existing is not None:
        raise duplicate_error(existing)


def duplicate_error(existing: Habilitation) -> ValidationError:
    """The refusal of a right overlapping ``existing`` (same person, profile and structure)."""
    return ValidationError(
        _(
            "This person already holds this profile on this structure from %(start)s to "
            "%(end)s: extend or modify that right instead."
        ),
        params={
            "start": date_format(existing.start_date, "SHORT_DATE_FORMAT"),
            "end": date_format(existing.end_date, "SHORT_DATE_FORMAT"),
        },
    )


def overlapping_right(
    open_rights: Iterable[Habilitation],
    *,
    profile: Profile,
    establishment: Establishment,
    unit: Unit | None,
    start_date: datetime.date,
    end_date: datetime.date,
) -> Habilitation | None:
    """``_check_no_duplicate``'s rule over a person's open rights already loaded (the staff
    file's preview loads those of every person of the file at once): the first one with the
    same profile on the same structure overlapping the period, or None."""
    unit_id = unit.pk if unit is not None else None
    overlapping = [
        right
        for right in open_rights
        if right.profile_id == profile.pk
        and right.establishment_id == establishment.pk
        and right.unit_id == unit_id
        and right.start_date <= end_date
        and right.end_date >= start_date
    ]
    return min(overlapping, key=lambda right: right.start_date, default=None)


def check_grant(
    *,
    actor: User,
    scope: Scope,
    user: User | None,
    profile: Profile,
    establishment: Establishment,
    unit: Unit | None,
    start_date: datetime.date,
    end_date: datetime.date,
) -> None:
    """The checks of ``habilitation_grant`` that need neither a lock nor a query: scope
    (``NotAllowed``), own rights and platform accounts, the profile's capabilities, the dates,
    an open structure. ``user`` is None for an account yet to be created. The staff file's
    preview classifies its rows with it; the service runs it again, then the locked checks."""
    if not scope.administers(establishment.pk, unit.pk if unit else None):
        raise NotAllowed
    if user is not None:
        _refuse_own(actor, user)
        _refuse_platform_account(scope, user)
    _check_may_grant(scope, profile, establishment, unit)
    _check_dates(start_date, end_date)
    _check_structure(establishment, unit)


def check_extend(
    *, actor: User, scope: Scope, habilitation: Habilitation, end_date: datetime.date
) -> None:
    """The rules of ``habilitation_extend`` on a right loaded (and locked) with its profile,
    structure and person: scope (``NotAllowed``), own rights, an open right, the profile's
    capabilities, a later end within the limit. No query: the bulk extension
    (``accounts.bulk``) runs them on each of thousands of rights."""
    if not scope.administers_habilitation(habilitation):
        raise NotAllowed
    _refuse_own(actor, habilitation.user)
    if not habilitation.is_open:
        raise ValidationError(
            _("An ended or expired right cannot be extended: grant a new one instead.")
        )
    # Extending a right hands out its capabilities for longer.
    _check_may_grant(scope, habilitation.profile, habilitation.establishment, habilitation.unit)
    if end_date <= habilitation.end_date:
        raise ValidationError(
            {"end_date": _("The new end date must be after the current end date.")}
        )
    _check_extension_limit(habilitation, end_date)


def check_end(*, scope: Scope, habilitation: Habilitation, reason: str) -> None:
    """The rules of ``habilitation_end`` on a right loaded (and locked), ``reason`` already
    folded: scope (``NotAllowed``), a reason, an open right. No query (``accounts.bulk``)."""
    if not scope.administers_habilitation(habilitation):
        raise NotAllowed
    if not reason:
        raise ValidationError({"reason": _("Give the reason for ending this right.")})
    if not habilitation.is_open:
        raise ValidationError(_("This right has already ended or expired."))


def extension_change(
    pk: int, old_end: datetime.date, new_end: datetime.date
) -> dict[str, dict[str, Any]]:
    """The ``before`` and ``after`` of an extension's audit event."""
    return {
        "before": {"end_date": _iso(old_end), "habilitation": pk},
        "after": {"end_date": _iso(new_end), "habilitation": pk},
    }


def end_change(before: dict[str, Any], habilitation: Habilitation) -> dict[str, dict[str, Any]]:
    """The ``before`` and ``after`` of an end's audit event: ``before`` is the right's
    ``habilitation_snapshot`` taken before the end, ``habilitation`` the right ended."""
    return {
        "before": {key: before[key] for key in ("habilitation", "ended_at", "end_reason")},
        "after": {
            "habilitation": habilitation.pk,
            "ended_at": _iso(habilitation.ended_at),
            "end_reason": habilitation.end_reason,
            "profile": before["profile"],
            "establishment": before["establishment"],
            "unit": before["unit"],
        },
    }


def _lock_user(user: User) -> User:
    # Serialises the changes made to one person's rights (duplicate checks, last right ended).
    return User.objects.select_for_update().get(pk=user.pk)


def _lock_habilitation(habilitation: Habilitation) -> Habilitation:
    return (
        Habilitation.objects.select_for_update(of=("self",))
        .select_related("profile", "establishment", "unit", "user")
        .get(pk=habilitation.pk)
    )


# --- E-mails


def _site_url(request: HttpRequest | None, path: str) -> str:
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL + path


def password_link(user: User, request: HttpRequest | None = None) -> str:
    """A single-use link (24 h) to choose a password: Django's password reset confirmation."""
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return _site_url(request, path)


def _send(kind: str, user: User, context: dict[str, Any]) -> None:
    """Send ``accounts/email/<kind>`` to ``user``, in the person's language."""
    language = getattr(user, "language", "") or settings.LANGUAGE_CODE
    mail.send(f"accounts/email/{kind}", {"user": user, **context}, user.email, language=language)


def _notify_granted(user: User, habilitation: Habilitation, request: HttpRequest | None) -> None:
    """A person without a password gets the activation link; others are told of the new right."""

    def send() -> None:
        fresh = User.objects.get(pk=user.pk)
        context = {"habilitation": habilitation, "sign_in_url": _site_url(request, "/connexion/")}
        if fresh.has_usable_password():
            _send("habilitation_granted", fresh, context)
        else:
            context["link"] = password_link(fresh, request)
            _send("activation", fresh, context)

    transaction.on_commit(send)


def _notify_changed(
    kind: str,
    habilitation: Habilitation,
    actor: User,
    request: HttpRequest | None,
    previous: dict[str, Any] | None = None,
) -> None:
    """Tell the person, after the commit, that ``actor`` extended, modified or ended one of their
    rights (``accounts/email/habilitation_<kind>``): the right as it is now, as it was, and who
    to write to."""
    user_pk = habilitation.user_id

    def send() -> None:
        context = {
            "habilitation": habilitation,
            "previous": previous,
            "referent": actor,
            "sign_in_url": _site_url(request, "/connexion/"),
        }
        _send(f"habilitation_{kind}", User.objects.get(pk=user_pk), context)

    transaction.on_commit(send)


# --- Services


def habilitation_grant(
    *,
    actor: User,
    user: User,
    profile: Profile,
    establishment: Establishment,
    unit: Unit | None = None,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> Habilitation:
    """Grant ``profile`` on the establishment (or its ``unit``) to ``user``.

    Dates default to today and today + HABILITATION_DEFAULT_DAYS. The person is told by e-mail
    (the activation link when they have no password yet).
    """
    scope = _scope_of(actor, scope)
    start_date = start_date or timezone.localdate()
    end_date = end_date or default_end_date(start_date)
    check_grant(
        actor=actor,
        scope=scope,
        user=user,
        profile=profile,
        establishment=establishment,
        unit=unit,
        start_date=start_date,
        end_date=end_date,
    )
    with transaction.atomic():
        if unit is not None:
            # Locked, so that a deactivation running at the same time waits for this grant
            # (unit_deactivate refuses a unit with open rights) or is seen by it.
            unit = Unit.objects.select_for_update().get(pk=unit.pk)
        _check_structure(establishment, unit)
        user = _lock_user(user)
        if not user.is_active:
            _reactivate(actor, user, request)
        _check_no_duplicate(
            user=user,
            profile=profile,
            establishment=establishment,
            unit=unit,
            start_date=start_date,
            end_date=end_date,
        )
        habilitation = Habilitation.objects.create(
            user=user,
            profile=profile,
            establishment=establishment,
            unit=unit,
            start_date=start_date,
            end_date=end_date,
            granted_by=actor,
        )
        trail.record(
            action=AuditEvent.Action.HABILITATION_GRANTED,
            actor=actor,
            target_user=user,
            establishment=establishment,
            unit=unit,
            after=habilitation_snapshot(habilitation),
            request=request,
        )
        _notify_granted(user, habilitation, request)
    return habilitation


def account_create(
    *,
    actor: User,
    last_name: str,
    first_name: str,
    email: str,
    profile: Profile,
    establishment: Establishment,
    unit: Unit | None = None,
    phone: str = "",
    job_title: str = "",
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> tuple[User, Habilitation, bool]:
    """Create an account with its first habilitation; returns (user, habilitation, created).

    One account per person: when the address already has one (whatever its case), the
    habilitation is added to it and its details are left alone. The new account has no password:
    the person receives a single-use link to choose one (valid PASSWORD_RESET_TIMEOUT).
    """
    scope = _scope_of(actor, scope)
    if not scope.administers(establishment.pk, unit.pk if unit else None):
        raise NotAllowed
    email = normalize_email(email)
    with transaction.atomic():
        existing = User.objects.select_for_update().filter(email=email).first()
        created = existing is None
        if existing is not None:
            user = existing
        else:
            user = User.objects.create_user(
                email=email,
                last_name=last_name.strip(),
                first_name=first_name.strip(),
                phone=phone.strip(),
                job_title=job_title.strip(),
            )
            trail.record(
                action=AuditEvent.Action.ACCOUNT_CREATED,
                actor=actor,
                target_user=user,
                establishment=establishment,
                unit=unit,
                after={
                    "user": user.pk,
                    "email": user.email,
                    "last_name": user.last_name,
                    "first_name": user.first_name,
                    "phone": user.phone,
                    "job_title": user.job_title,
                },
                request=request,
            )
        habilitation = habilitation_grant(
            actor=actor,
            user=user,
            profile=profile,
            establishment=establishment,
            unit=unit,
            start_date=start_date,
            end_date=end_date,
            request=request,
            scope=scope,
        )
    return user, habilitation, created


def habilitation_extend(
    *,
    actor: User,
    habilitation: Habilitation,
    end_date: datetime.date,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> Habilitation:
    """Prolonger: move the end date later, by up to HABILITATION_MAX_EXTENSION_DAYS.

    The limit counts from the later of the current end date and today. Only an active or future
    habilitation can be extended: an ended or expired one stays as history, grant a new one.
    """
    scope = _scope_of(actor, scope)
    with transaction.atomic():
        habilitation = _lock_habilitation(habilitation)
        check_extend(actor=actor, scope=scope, habilitation=habilitation, end_date=end_date)
        previous = {"end_date": habilitation.end_date}
        habilitation.end_date = end_date
        habilitation.save(update_fields=["end_date"])
        trail.record(
            action=AuditEvent.Action.HABILITATION_EXTENDED,
            actor=actor,
            target_user=habilitation.user,
            establishment=habilitation.establishment,
            unit=habilitation.unit,
            **extension_change(habilitation.pk, previous["end_date"], end_date),
            request=request,
        )
        _notify_changed("extended", habilitation, actor, request, previous)
    return habilitation


def habilitation_modify(
    *,
    actor: User,
    habilitation: Habilitation,
    profile: Profile,
    unit: Unit | None,
    start_date: datetime.date,
    end_date: datetime.date,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> Habilitation:
    """Change the profile, the unit (within the same establishment) or the dates of a right.

    Only active or future rights can be modified. The end date obeys the extension limit, so
    that modifying is not a way round it. Nothing changed: nothing is written.
    """
    scope = _scope_of(actor, scope)
    with transaction.atomic():
        habilitation = _lock_habilitation(habilitation)
        if not scope.administers_habilitation(habilitation):
            raise NotAllowed
        establishment = habilitation.establishment
        if unit is not None and unit.establishment_id != establishment.pk:
            raise ValidationError(
                {"unit": _("This unit does not belong to the establishment of this right.")}
            )
        # Moving a right to another structure needs the right on that structure too.
        if not scope.administers(establishment.pk, unit.pk if unit else None):
            raise NotAllowed
        _refuse_own(actor, habilitation.user)
        if not habilitation.is_open:
            raise ValidationError(
                _("An ended or expired right cannot be modified: grant a new one instead.")
            )
        _check_dates(start_date, end_date)
        if unit is not None and not unit.is_active:
            raise ValidationError({"unit": _("This unit is deactivated.")})
        _check_may_grant(scope, profile, establishment, unit)
        if end_date > habilitation.end_date:
            _check_extension_limit(habilitation, end_date)
        _check_no_duplicate(
            user=habilitation.user,
            profile=profile,
            establishment=establishment,
            unit=unit,
            start_date=start_date,
            end_date=end_date,
            exclude_pk=habilitation.pk,
        )
        before = habilitation_snapshot(habilitation)
        previous = {
            "profile": habilitation.profile.name,
            "structure": habilitation.structure_label,
            "start_date": habilitation.start_date,
            "end_date": habilitation.end_date,
        }
        habilitation.profile = profile
        habilitation.unit = unit
        habilitation.start_date = start_date
        habilitation.end_date = end_date
        after = habilitation_snapshot(habilitation)
        changed = [key for key in before if before[key] != after[key]]
        if not changed:
            return habilitation
        habilitation.save(update_fields=["profile", "unit", "start_date", "end_date"])
        trail.record(
            action=AuditEvent.Action.HABILITATION_MODIFIED,
            actor=actor,
            target_user=habilitation.user,
            establishment=establishment,
            unit=unit,
            before={"habilitation": habilitation.pk, **{key: before[key] for key in changed}},
            after={"habilitation": habilitation.pk, **{key: after[key] for key in changed}},
            request=request,
        )
        _notify_changed("modified", habilitation, actor, request, previous)
    return habilitation


def habilitation_end(
    *,
    actor: User,
    habilitation: Habilitation,
    reason: str,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
    notify: bool = True,
) -> Habilitation:
    """End a right now, with a reason; the row is kept (ended_at, ended_by, end_reason).

    When it was the person's last active right, they are signed out everywhere. The person is
    told by e-mail, unless ``notify`` is False: a caller ending several rights at once (a
    departure, ``accounts.people.account_depart``) writes one e-mail for all.
    """
    scope = _scope_of(actor, scope)
    reason = " ".join((reason or "").split())
    with transaction.atomic():
        habilitation = _lock_habilitation(habilitation)
        check_end(scope=scope, habilitation=habilitation, reason=reason)
        # Asked before the end: the right being ended may be what gives the authority.
        authority = holds_authority_over(actor=actor, user=habilitation.user, scope=scope)
        user = _lock_user(habilitation.user)
        before = habilitation_snapshot(habilitation)
        habilitation.ended_at = timezone.now()
        habilitation.ended_by = actor
        habilitation.end_reason = reason[:255]
        habilitation.save(update_fields=["ended_at", "ended_by", "end_reason"])
        trail.record(
            action=AuditEvent.Action.HABILITATION_ENDED,
            actor=actor,
            target_user=user,
            establishment=habilitation.establishment,
            unit=habilitation.unit,
            **end_change(before, habilitation),
            request=request,
        )
        if authority and not Habilitation.objects.active_on().filter(user=user).exists():
            # Their last right: signed out everywhere, and told by whom.
            user.end_sessions()
            if notify:
                _notify_signed_out(user, habilitation, actor)
        elif notify:
            _notify_changed("ended", habilitation, actor, request)
    return habilitation


def _reactivate(actor: User, user: User, request: HttpRequest | None) -> None:
    """A right granted to a deactivated account reopens it: a departure deactivates the
    accounts left without any right (``accounts.people.account_depart``), and a person who
    comes back keeps their account, one per person."""
    user.is_active = True
    user.save(update_fields=["is_active"])
    trail.record(
        action=AuditEvent.Action.ACCOUNT_REACTIVATED,
        actor=actor,
        target_user=user,
        before={"is_active": False},
        after={"is_active": True},
        request=request,
    )


def _notify_signed_out(user: User, habilitation: Habilitation, actor: User) -> None:
    def send() -> None:
        _send(
            "last_right_ended",
            User.objects.get(pk=user.pk),
            {"habilitation": habilitation, "referent": actor},
        )

    transaction.on_commit(send)


def account_unblock(
    *,
    actor: User,
    user: User,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> User:
    """Débloquer: a référent of one of the person's structures (or the support) unblocks them.

    The person is told by e-mail, with a link to choose a new password.
    """
    scope = _scope_of(actor, scope)
    if not scope.people().filter(pk=user.pk).exists():
        raise NotAllowed
    with transaction.atomic():
        user = _lock_user(user)
        _refuse_platform_account(scope, user)
        if not holds_authority_over(actor=actor, user=user, scope=scope):
            raise ValidationError(NO_AUTHORITY_MESSAGE)
        if not user.is_blocked:
            raise ValidationError(_("This account is not blocked."))
        before = {
            "blocked_at": _iso(user.blocked_at),
            "blocked_reason": user.blocked_reason,
            "failed_login_count": user.failed_login_count,
        }
        user.blocked_at = None
        user.blocked_reason = ""
        user.failed_login_count = 0
        user.save(update_fields=["blocked_at", "blocked_reason", "failed_login_count"])
        trail.record(
            action=AuditEvent.Action.ACCOUNT_UNBLOCKED,
            actor=actor,
            target_user=user,
            before=before,
            after={"blocked_at": None, "blocked_reason": "", "failed_login_count": 0},
            request=request,
        )

        def send() -> None:
            fresh = User.objects.get(pk=user.pk)
            _send("unblocked", fresh, {"link": password_link(fresh, request), "referent": actor})

        transaction.on_commit(send)
    return user


# --- Read helper for the confirmation page


def referents_after_ending(habilitation: Habilitation) -> ReferentLookup | None:
    """Who will serve the structure once this référent right ends, when that changes anything.

    ``None`` when the right is not an active référent right, or when other référents of the
    structure itself remain. Otherwise the lookup after the end: the establishment's référents
    (``inherited``) or the escalation (directors and support desk). Computed by ending the right
    in a transaction that is rolled back, so that ``referents_for`` stays the only rule.
    """
    if not habilitation.profile.administers_accounts or not habilitation.is_active_on():
        return None
    structure: Establishment | Unit = habilitation.unit or habilitation.establishment
    with transaction.atomic():
        Habilitation.objects.filter(pk=habilitation.pk).update(ended_at=timezone.now())
        lookup = referents_for(structure)
        transaction.set_rollback(True)
    if lookup.escalation is None and not (habilitation.unit_id and lookup.inherited):
        return None
    return lookup
