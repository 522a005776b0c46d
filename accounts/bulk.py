"""Bulk actions of the référents: extend or end many rights at once (Comptes utilisateurs).

Each right goes through the rules of the single services, the same functions
(``services.check_extend``, ``services.check_end``): the scope, own rights, open rights only,
the profile's capabilities, the extension limit. A right that fails one is left unchanged and
returned with the reason, in the person's language of the page. The others are written in
batches, whatever their number: one UPDATE (chunked where the database limits the parameters
of a query), the audit events through ``trail.record_many`` with the action, before and after
of ``habilitation_extend`` / ``habilitation_end``, and one e-mail per person listing their
rights, sent once the transaction has committed *and* the response has left
(``core.after_response``): 5,000 e-mails must not hold the référent's page.

Ending follows ``habilitation_end`` too: a person left without any active right is signed out
everywhere, when the actor holds authority over the account (``users_under_authority``). One
rule is the bulk's own: the actor's own rights are left out of a bulk end (a filter over a
whole establishment must not end the référent's own right by accident); the single end still
ends one's own right on purpose.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.models import Habilitation, User
from accounts.scope import Scope
from audit import trail
from audit.models import AuditEvent
from core import mail
from core.after_response import after_response

logger = logging.getLogger(__name__)

OWN_RIGHT_MESSAGE = _(
    "Your own rights are left out of bulk actions: end them one at a time, from your own page "
    "in User accounts."
)
NO_REASON_MESSAGE = _("Give the reason for ending these rights.")


@dataclass(frozen=True)
class Refusal:
    habilitation: Habilitation
    reason: str


@dataclass
class BulkResult:
    """What a bulk action did: the rights changed, those refused and why, how many people
    are told by e-mail, how many were signed out (an end)."""

    done: list[Habilitation] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    people: int = 0
    signed_out: int = 0


class SelectionChangedError(Exception):
    """The rights selected are no longer those the confirmation page counted (a right ended or
    a person left the filter meanwhile): nothing was changed, confirm again."""

    def __init__(self, count: int) -> None:
        super().__init__(count)
        self.count = count


def too_many_message(count: int) -> str:
    return str(
        _(
            "%(count)s rights are selected: a bulk action changes %(max)s at most. Narrow "
            "the filter."
        )
        % {"count": count, "max": settings.BULK_MAX_RIGHTS}
    )


# --- Helpers


def _chunks(items: list[Any]) -> Iterator[list[Any]]:
    """``items`` in slices small enough for an ``IN`` list: all at once on PostgreSQL, below
    SQLite's 999 parameters (with room for the query's others) there."""
    limit = connection.features.max_query_params
    size = max(1, limit - 100) if limit else max(1, len(items))
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_size(scope: Scope, habilitations: QuerySet[Habilitation]) -> None:
    count = scope.habilitations(habilitations).count()
    if count > settings.BULK_MAX_RIGHTS:
        raise ValidationError(too_many_message(count))


def _locked(
    scope: Scope, habilitations: QuerySet[Habilitation], expected: int | None
) -> list[Habilitation]:
    """The selected rights of the scope, locked, with what the rules and the e-mails read."""
    rows = list(
        scope.habilitations(habilitations)
        .select_for_update(of=("self",))
        .select_related("profile", "establishment", "unit", "user")
        .order_by("pk")[: settings.BULK_MAX_RIGHTS + 1]
    )
    if len(rows) > settings.BULK_MAX_RIGHTS:
        raise ValidationError(too_many_message(scope.habilitations(habilitations).count()))
    if expected is not None and len(rows) != expected:
        raise SelectionChangedError(len(rows))
    return rows


def _reason(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


def _language(user: User) -> str:
    return user.language or settings.LANGUAGE_CODE


def _sign_in_url(request: HttpRequest | None) -> str:
    path = reverse("accounts:sign_in")
    return request.build_absolute_uri(path) if request is not None else settings.SITE_URL + path


def _send_after_response(
    request: HttpRequest | None,
    rights: dict[int, list[Any]],
    build: Callable[[User, list[Any], Any], EmailMultiAlternatives],
) -> None:
    """Once committed and the response sent: one e-mail per person (``build(person, their
    rights, connection)``), on one connection; a failed e-mail is logged, the others go."""

    def send() -> None:
        with get_connection() as mail_connection:
            for pks in _chunks(list(rights)):
                for person in User.objects.filter(pk__in=pks).order_by("pk"):
                    try:
                        build(person, rights[person.pk], mail_connection).send()
                    except Exception:
                        logger.exception("A bulk action's e-mail to person %s failed", person.pk)

    if rights:
        transaction.on_commit(lambda: after_response(request, send))


# --- Prolonger


def habilitations_extend(
    *,
    actor: User,
    habilitations: QuerySet[Habilitation],
    end_date: datetime.date,
    expected: int | None = None,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> BulkResult:
    """Prolonger every right of ``habilitations`` (limited to the scope) to ``end_date``.

    Each right passes ``services.check_extend`` or is refused with its reason. ``expected``:
    the number of rights the confirmation showed; another number raises ``SelectionChangedError``
    and changes nothing. More than BULK_MAX_RIGHTS is refused as a whole.
    """
    scope = scope if scope is not None else Scope.for_user(actor)
    result = BulkResult()
    with transaction.atomic():
        accepted: list[tuple[Habilitation, datetime.date]] = []
        for right in _locked(scope, habilitations, expected):
            try:
                services.check_extend(
                    actor=actor, scope=scope, habilitation=right, end_date=end_date
                )
            except services.NotAllowed:
                continue  # loaded through the scope: never, but never a word about it either
            except ValidationError as error:
                result.refused.append(Refusal(right, _reason(error)))
            else:
                accepted.append((right, right.end_date))
        if not accepted:
            return result
        for pks in _chunks([right.pk for right, _old in accepted]):
            Habilitation.objects.filter(pk__in=pks).update(end_date=end_date)
        trail.record_many(
            [
                {
                    "action": AuditEvent.Action.HABILITATION_EXTENDED,
                    "actor": actor,
                    "target_user_id": right.user_id,
                    "establishment_id": right.establishment_id,
                    "unit_id": right.unit_id,
                    **services.extension_change(right.pk, old_end, end_date),
                }
                for right, old_end in accepted
            ],
            request,
        )
        by_person: dict[int, list[Any]] = defaultdict(list)
        for right, old_end in accepted:
            right.end_date = end_date
            result.done.append(right)
            by_person[right.user_id].append((right, old_end))
        result.people = len(by_person)
        sign_in_url = _sign_in_url(request)

        def build(person: User, rights: list[Any], mail_connection: Any) -> EmailMultiAlternatives:
            context: dict[str, Any] = {
                "user": person,
                "referent": actor,
                "sign_in_url": sign_in_url,
            }
            if len(rights) == 1:
                right, old_end = rights[0]
                context.update(habilitation=right, previous={"end_date": old_end})
                template = "accounts/email/habilitation_extended"
            else:
                context.update(
                    rights=[{"habilitation": r, "previous_end": old} for r, old in rights],
                    end_date=end_date,
                )
                template = "accounts/email/rights_extended"
            return mail.message(
                template,
                context,
                person.email,
                language=_language(person),
                connection=mail_connection,
            )

        _send_after_response(request, by_person, build)
    return result


# --- Terminer


def habilitations_end(
    *,
    actor: User,
    habilitations: QuerySet[Habilitation],
    reason: str,
    expected: int | None = None,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> BulkResult:
    """End every right of ``habilitations`` (limited to the scope) now, with one reason.

    Each right passes ``services.check_end`` or is refused with its reason; the actor's own
    rights are refused. A person left without an active right is signed out everywhere when
    the actor holds authority over the account, as ``habilitation_end`` does. ``expected``
    and the BULK_MAX_RIGHTS limit as for ``habilitations_extend``.
    """
    scope = scope if scope is not None else Scope.for_user(actor)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": NO_REASON_MESSAGE})
    result = BulkResult()
    _check_size(scope, habilitations)  # before locking their people
    with transaction.atomic():
        # The people first, as a departure does (``accounts.people.account_depart``): their
        # rights ended here and elsewhere at once are seen one after the other.
        people = scope.habilitations(habilitations).values("user_id")
        list(
            User.objects.select_for_update()
            .filter(pk__in=Subquery(people))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ending: list[Habilitation] = []
        for right in _locked(scope, habilitations, expected):
            if right.user_id == actor.pk:
                result.refused.append(Refusal(right, str(OWN_RIGHT_MESSAGE)))
                continue
            try:
                services.check_end(scope=scope, habilitation=right, reason=reason)
            except services.NotAllowed:
                continue
            except ValidationError as error:
                result.refused.append(Refusal(right, _reason(error)))
            else:
                ending.append(right)
        if not ending:
            return result
        holders = {right.user_id: right.user for right in ending}
        # Asked before the end: the rights being ended may be what gives the authority.
        authority: set[int] = set()
        for pks in _chunks(list(holders)):
            authority |= services.users_under_authority(
                actor=actor, users=[holders[pk] for pk in pks], scope=scope
            )
        before = {right.pk: services.habilitation_snapshot(right) for right in ending}
        now, reason = timezone.now(), reason[:255]
        for pks in _chunks([right.pk for right in ending]):
            Habilitation.objects.filter(pk__in=pks).update(
                ended_at=now, ended_by=actor, end_reason=reason
            )
        by_person: dict[int, list[Any]] = defaultdict(list)
        for right in ending:
            right.ended_at, right.ended_by, right.end_reason = now, actor, reason
            result.done.append(right)
            by_person[right.user_id].append(right)
        trail.record_many(
            [
                {
                    "action": AuditEvent.Action.HABILITATION_ENDED,
                    "actor": actor,
                    "target_user_id": right.user_id,
                    "establishment_id": right.establishment_id,
                    "unit_id": right.unit_id,
                    **services.end_change(before[right.pk], right),
                }
                for right in ending
            ],
            request,
        )
        # Their last right: signed out everywhere, and told so.
        still_active: set[int] = set()
        for pks in _chunks(sorted(authority)):
            still_active |= set(
                Habilitation.objects.active_on()
                .filter(user_id__in=pks)
                .values_list("user_id", flat=True)
                .order_by()
            )
        signed_out = authority - still_active
        for pks in _chunks(sorted(signed_out)):
            User.objects.end_sessions_of(pks)
        result.people, result.signed_out = len(by_person), len(signed_out)
        sign_in_url = _sign_in_url(request)

        def build(person: User, rights: list[Any], mail_connection: Any) -> EmailMultiAlternatives:
            last = person.pk in signed_out
            context: dict[str, Any] = {
                "user": person,
                "referent": actor,
                "sign_in_url": sign_in_url,
            }
            if len(rights) == 1:
                context["habilitation"] = rights[0]
                template = "last_right_ended" if last else "habilitation_ended"
            else:
                context.update(rights=rights, reason=reason, signed_out=last)
                template = "rights_ended"
            return mail.message(
                f"accounts/email/{template}",
                context,
                person.email,
                language=_language(person),
                connection=mail_connection,
            )

        _send_after_response(request, by_person, build)
    return result
