"""The usage charter ("charte d'utilisation"): acceptance, who has not accepted, reminders.

Platform administrators publish versions in the administration site. After signing in, a
person who has not accepted the current version sees only the acceptance page
(``accounts.middleware``); référents see who in their scope has not accepted it and may send
them a reminder, at most one per person per day.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, CharterReminder, User
from accounts.scope import Scope
from audit import trail
from audit.models import AuditEvent
from core import mail

REMINDER_INTERVAL = datetime.timedelta(days=1)


def charter_to_accept(user: User) -> int | None:
    """The id of the current charter when ``user`` has not accepted it, else None.

    No query when ``user`` was loaded by ``selectors.signed_in_person``, one otherwise.
    """
    if hasattr(user, "current_charter_accepted"):
        loaded: Any = user  # with the charter status of ``signed_in_person``
        return None if loaded.current_charter_accepted else loaded.current_charter_id
    row = (
        Charter.objects.published()
        .annotate(
            accepted=Exists(CharterAcceptance.objects.filter(charter=OuterRef("pk"), user=user))
        )
        .values_list("pk", "accepted")
        .first()
    )
    if row is None or row[1]:
        return None
    return row[0]


def charter_accept(*, user: User, charter: Charter, request: HttpRequest | None) -> bool:
    """Record that ``user`` accepts ``charter`` (with the client address). False if already done.

    A double click or two tabs may post twice at once: the unique constraint keeps one row and
    the second call changes nothing.
    """
    try:
        with transaction.atomic():
            CharterAcceptance.objects.create(
                user=user, charter=charter, ip_address=trail.client_ip(request)
            )
            trail.record(
                action=AuditEvent.Action.CHARTER_ACCEPTED,
                actor=user,
                target_user=user,
                after={"charter": charter.pk, "version": charter.version},
                request=request,
            )
    except IntegrityError:
        return False
    return True


def people_pending(scope: Scope, charter: Charter) -> QuerySet[User]:
    """Active people in ``scope`` who have not accepted ``charter``, with their last reminder."""
    accepted = CharterAcceptance.objects.filter(charter=charter, user=OuterRef("pk"))
    last_reminder = CharterReminder.objects.filter(charter=charter, user=OuterRef("pk")).order_by(
        "-sent_at"
    )
    return (
        scope.people(User.objects.filter(is_active=True))
        .filter(~Exists(accepted))
        .annotate(last_reminder=Subquery(last_reminder.values("sent_at")[:1]))
        .order_by("last_name", "first_name", "pk")
    )


def _reminder_message(
    person: User, charter: Charter, url: str, connection
) -> EmailMultiAlternatives:
    # No language preference is stored: the platform's language (French by default).
    return mail.message(
        "accounts/email/charter_reminder",
        {"person": person, "charter": charter, "url": url},
        person.email,
        language=settings.LANGUAGE_CODE,
        connection=connection,
    )


def charter_remind(
    *, people: Iterable[User], charter: Charter, sent_by: User, request: HttpRequest | None
) -> list[User]:
    """E-mail a reminder to accept ``charter`` to each person not reminded in the last day.

    Returns the people reminded now. The people's rows are locked first, so two référents
    clicking at once send one reminder, not two. The reminder rows and the e-mails go
    together: if sending fails, nothing is recorded and the référent may try again.
    """
    ids = sorted({person.pk for person in people})
    if not ids:
        return []
    since = timezone.now() - REMINDER_INTERVAL
    with transaction.atomic():
        locked = list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        recent = set(
            CharterReminder.objects.filter(user_id__in=ids, sent_at__gte=since).values_list(
                "user_id", flat=True
            )
        )
        due = [person for person in locked if person.pk not in recent]
        if not due:
            return []
        now = timezone.now()
        CharterReminder.objects.bulk_create(
            CharterReminder(user=person, charter=charter, sent_by=sent_by, sent_at=now)
            for person in due
        )
        for person in due:
            trail.record(
                action=AuditEvent.Action.CHARTER_REMINDED,
                actor=sent_by,
                target_user=person,
                after={"charter": charter.version},
                request=request,
            )
        url = reverse("accounts:charter_accept")
        if request is not None:
            url = request.build_absolute_uri(url)
        with get_connection() as connection:
            connection.send_messages(
                [_reminder_message(person, charter, url, connection) for person in due]
            )
    return due
