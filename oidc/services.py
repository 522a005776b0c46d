"""Linking and unlinking a provider's identity, and finding the account an identity signs in to.

A provider proves who the person is; it never gives a right. An identity signs in to an
account only once linked to it: by the person from Mon compte (``identity_link``), or at the
first sign-in whose RPPS/ADELI number a référent recorded on exactly one account
(``account_for``). Each link and unlink is audited in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from audit import trail
from audit.models import AuditEvent
from oidc import claims as oidc_claims
from oidc.client import Identity
from oidc.models import LinkedIdentity
from oidc.providers import Provider


class LinkRefused(Exception):  # noqa: N818 - reads as the outcome
    """The identity cannot be linked to this account; ``reason`` is one of the constants."""

    LINKED_ELSEWHERE = "linked_elsewhere"
    ALREADY_LINKED = "already_linked"
    OTHER_PERSON = "other_person"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _audit_values(identity: LinkedIdentity) -> dict[str, str]:
    return {"provider": identity.provider, "subject": identity.subject, "how": identity.how}


def identity_link(
    *,
    user: User,
    provider: Provider,
    identity: Identity,
    how: str,
    request: HttpRequest | None,
) -> LinkedIdentity:
    """Link ``identity`` to ``user``'s account (the person is the actor: they proved both).

    Refused when the identity is another account's, when the account has an identity of this
    provider already, or when the provider's RPPS/ADELI number is not the one a référent
    recorded on the account.
    """
    recorded = user.national_id
    given = oidc_claims.national_id(provider, identity.claims)
    if recorded and given and recorded != given:
        raise LinkRefused(LinkRefused.OTHER_PERSON)
    with transaction.atomic():
        taken = LinkedIdentity.objects.filter(provider=provider.key, subject=identity.subject)
        if taken.exclude(user=user).exists():
            raise LinkRefused(LinkRefused.LINKED_ELSEWHERE)
        if LinkedIdentity.objects.filter(user=user, provider=provider.key).exists():
            raise LinkRefused(LinkRefused.ALREADY_LINKED)
        try:
            with transaction.atomic():
                linked = LinkedIdentity.objects.create(
                    user=user, provider=provider.key, subject=identity.subject, how=how
                )
        except IntegrityError as error:  # the same link made at the same time elsewhere
            raise LinkRefused(LinkRefused.LINKED_ELSEWHERE) from error
        trail.record(
            action=AuditEvent.Action.IDENTITY_LINKED,
            actor=user,
            target_user=user,
            after=_audit_values(linked),
            request=request,
        )
    return linked


def identity_unlink(*, identity: LinkedIdentity, actor: User, request: HttpRequest) -> None:
    """Unlink: the identity no longer signs in to the account (the person's own choice)."""
    with transaction.atomic():
        before = _audit_values(identity)
        LinkedIdentity.objects.filter(pk=identity.pk).delete()
        trail.record(
            action=AuditEvent.Action.IDENTITY_UNLINKED,
            actor=actor,
            target_user=identity.user,
            before=before,
            request=request,
        )


@dataclass(frozen=True)
class Found:
    """The account an identity signs in to (None: nobody's yet), and whether it was linked
    just now by its RPPS/ADELI number."""

    user: User | None
    linked_now: bool = False


def account_for(*, provider: Provider, identity: Identity, request: HttpRequest) -> Found:
    """The account of a provider's identity: its link, or the account whose RPPS/ADELI number
    the provider gives (linked then, once and audited). Closed accounts are not linked."""
    linked = (
        LinkedIdentity.objects.select_related("user")
        .filter(provider=provider.key, subject=identity.subject)
        .first()
    )
    if linked is not None:
        LinkedIdentity.objects.filter(pk=linked.pk).update(last_used_at=timezone.now())
        return Found(linked.user)
    number = oidc_claims.national_id(provider, identity.claims)
    if not number:
        return Found(None)
    user = User.objects.filter(national_id=number, is_active=True).first()
    if user is None:
        return Found(None)
    try:
        identity_link(
            user=user,
            provider=provider,
            identity=identity,
            how=LinkedIdentity.How.BY_NATIONAL_ID,
            request=request,
        )
    except LinkRefused:
        # The account has another identity of this provider: only the person may change it.
        return Found(None)
    LinkedIdentity.objects.filter(provider=provider.key, subject=identity.subject).update(
        last_used_at=timezone.now()
    )
    return Found(user, linked_now=True)


def sign_in_refused(
    *, provider: Provider, user: User | None, request: HttpRequest, why: str
) -> None:
    """Record a provider's sign-in that led nowhere: no account, or a closed one."""
    trail.record(
        action=AuditEvent.Action.SIGNIN_FAILED,
        target_user=user,
        after={"account_exists": user is not None, "provider": provider.key, "refused": why},
        request=request,
    )
