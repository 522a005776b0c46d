"""Scheduled e-mails (``manage.py send_reminders``): rights about to end, référents' digests.

Each person who opted in (``Habilitation.email_reminders``) is told 30 days, then 7 days, before
a right of theirs ends; several rights due on the same run make one e-mail. Each référent gets at
most one digest every 7 days of what needs them in their scope (rights ending within 30 days,
blocked accounts, people who have not accepted the current charter), only when there is
something to report, and unless they turned it off on Mon compte (``User.receives_digest``).

Steps are caught up: a run finds every step that is due and not yet sent, so a day without a run
loses nothing. When both steps are due at once, only the 7-day one is sent and both are recorded.

What was sent is recorded in ``ReminderSent`` in the same transaction as the sending: a failed
e-mail leaves no record (it is tried again on the next run), and the unique constraints make a
second run, even a concurrent one, send nothing twice.

Blocked people still receive the reminders of their own rights: the e-mail tells them their
account is blocked and how to get it unblocked, since a right that ends while they are locked out
is exactly what they need to hear about (their référent sees them in the digest too). Deactivated
accounts receive nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.charter import people_pending
from accounts.models import Charter, Habilitation, ReminderSent, User
from accounts.scope import Scope
from core import mail

logger = logging.getLogger(__name__)

FIRST_STEP = 30  # days before the end date
LAST_STEP = 7
DIGEST_INTERVAL_DAYS = 7
DIGEST_ROWS = 10  # rows shown per section of a digest; the link shows the rest


@dataclass
class Outgoing:
    """One e-mail to send, and the records that say it was sent."""

    kind: str
    recipient: User
    message: EmailMultiAlternatives
    records: list[ReminderSent]
    description: str


@dataclass
class RunReport:
    sent: dict[str, int] = field(
        default_factory=lambda: {ReminderSent.Kind.EXPIRY: 0, ReminderSent.Kind.DIGEST: 0}
    )
    failed: list[Outgoing] = field(default_factory=list)
    # Already sent by another run that went faster (the unique constraint refused the record).
    skipped: int = 0
    planned: list[Outgoing] = field(default_factory=list)


def site_url(path: str) -> str:
    """An absolute link for an e-mail sent outside a request."""
    return f"{settings.SITE_URL}{path}"


def _message(
    template: str, context: dict, recipient: User, language: str | None = None
) -> EmailMultiAlternatives:
    # No language preference is stored: the platform's language (French by default).
    return mail.message(
        f"accounts/email/{template}",
        context,
        recipient.email,
        language=language or settings.LANGUAGE_CODE,
    )


# --- Rights about to end


def _sent(step: int) -> Exists:
    return Exists(
        ReminderSent.objects.filter(
            kind=ReminderSent.Kind.EXPIRY,
            habilitation=OuterRef("pk"),
            step=step,
            end_date=OuterRef("end_date"),
        )
    )


def expiry_candidates(today: datetime.date) -> QuerySet[Habilitation]:
    """Opted-in active rights of active people ending within ``FIRST_STEP`` days."""
    return (
        Habilitation.objects.active_on(today)
        .filter(
            email_reminders=True,
            user__is_active=True,
            end_date__lte=today + datetime.timedelta(days=FIRST_STEP),
        )
        .annotate(first_sent=_sent(FIRST_STEP), last_sent=_sent(LAST_STEP))
        .filter(Q(first_sent=False) | Q(last_sent=False))
        .select_related("user", "profile", "establishment", "unit")
        .order_by("user_id", "end_date", "pk")
    )


def expiry_reminders_due(today: datetime.date, language: str | None = None) -> list[Outgoing]:
    """One e-mail per person with the steps due today, and the records to write once sent."""
    by_person: dict[int, tuple[User, list[dict], list[ReminderSent]]] = {}
    habilitation: Any  # with its ``first_sent`` and ``last_sent``
    for habilitation in expiry_candidates(today):
        days_left = (habilitation.end_date - today).days
        if days_left <= LAST_STEP:
            if habilitation.last_sent:
                continue
            step = LAST_STEP
            steps = [LAST_STEP] if habilitation.first_sent else [FIRST_STEP, LAST_STEP]
        elif not habilitation.first_sent:
            step = FIRST_STEP
            steps = [FIRST_STEP]
        else:
            continue
        records = [
            ReminderSent(
                kind=ReminderSent.Kind.EXPIRY,
                user=habilitation.user,
                habilitation=habilitation,
                step=s,
                end_date=habilitation.end_date,
            )
            for s in steps
        ]
        user = habilitation.user
        _user, items, all_records = by_person.setdefault(user.pk, (user, [], []))
        items.append({"habilitation": habilitation, "step": step, "days_left": days_left})
        all_records.extend(records)

    outgoing = []
    for user, items, records in by_person.values():
        context = {
            "person": user,
            "items": items,
            "my_account_url": site_url(reverse("accounts:my_account")),
            "referents_url": site_url(reverse("referents:mine")),
            "blocked_help_url": site_url(reverse("accounts:blocked_help")),
        }
        outgoing.append(
            Outgoing(
                kind=ReminderSent.Kind.EXPIRY,
                recipient=user,
                message=_message("expiry_reminder", context, user, language),
                records=records,
                description=", ".join(
                    f"{i['habilitation'].profile} – {i['habilitation'].structure_name} "
                    f"({i['habilitation'].end_date:%d/%m/%Y}, {i['step']} d)"
                    for i in items
                ),
            )
        )
    return outgoing


# --- Référents' digests


def digest_audience(today: datetime.date | None = None) -> QuerySet[User]:
    """Who the digest is for, whether or not they opted out: active, unblocked référents.

    Platform administrators are left out: their scope is the whole platform, and they have
    the administration site.
    """
    referent_rights = Habilitation.objects.active_on(today).referents().filter(user=OuterRef("pk"))
    return User.objects.filter(is_active=True, blocked_at__isnull=True, is_superuser=False).filter(
        Exists(referent_rights)
    )


def digest_recipients(today: datetime.date) -> QuerySet[User]:
    """The audience less those who opted out (Mon compte) or had a digest in the last
    ``DIGEST_INTERVAL_DAYS`` days."""
    recent = ReminderSent.objects.filter(
        kind=ReminderSent.Kind.DIGEST,
        user=OuterRef("pk"),
        period_start__gt=today - datetime.timedelta(days=DIGEST_INTERVAL_DAYS),
    )
    return (
        digest_audience(today).filter(receives_digest=True).exclude(Exists(recent)).order_by("pk")
    )


def _section(queryset: QuerySet, url: str) -> dict | None:
    rows = list(queryset[: DIGEST_ROWS + 1])
    if not rows:
        return None
    total = len(rows) if len(rows) <= DIGEST_ROWS else queryset.count()
    return {"rows": rows[:DIGEST_ROWS], "total": total, "more": total - DIGEST_ROWS, "url": url}


def digest_for(referent: User, today: datetime.date, charter: Charter | None) -> dict | None:
    """What the référent's digest would say, or None when there is nothing to report."""
    scope = Scope.for_user(referent, on=today)
    if not scope.administers_anything:
        return None
    people_url = reverse("administration:people")
    ending = (
        scope.habilitations(Habilitation.objects.ending_within(settings.ENDING_SOON_DAYS, today))
        .filter(user__is_active=True)
        .select_related("user", "profile", "establishment", "unit")
        .order_by("end_date", "user__last_name", "user__first_name", "pk")
    )
    blocked = (
        scope.people()
        .filter(is_active=True, blocked_at__isnull=False)
        .order_by("-blocked_at", "pk")
    )
    sections = {
        "ending": _section(ending, site_url(f"{people_url}?ending_soon=on")),
        "blocked": _section(blocked, site_url(f"{people_url}?blocked=on")),
        "charter_missing": _section(
            people_pending(scope, charter), site_url(f"{people_url}?charter_missing=on")
        )
        if charter is not None
        else None,
    }
    if not any(sections.values()):
        return None
    return {"person": referent, "current_charter": charter, **sections}


def referent_digests_due(today: datetime.date, language: str | None = None) -> list[Outgoing]:
    charter = Charter.objects.current()
    outgoing = []
    for referent in digest_recipients(today):
        context = digest_for(referent, today, charter)
        if context is None:
            continue
        context["my_account_url"] = site_url(reverse("accounts:my_account"))
        outgoing.append(
            Outgoing(
                kind=ReminderSent.Kind.DIGEST,
                recipient=referent,
                message=_message("referent_digest", context, referent, language),
                records=[
                    ReminderSent(kind=ReminderSent.Kind.DIGEST, user=referent, period_start=today)
                ],
                description=", ".join(
                    f"{name}: {context[name]['total']}"
                    for name in ("ending", "blocked", "charter_missing")
                    if context[name]
                ),
            )
        )
    return outgoing


# --- Sending


def _send_one(item: Outgoing, connection) -> bool:
    """Send one e-mail and record it together; False when another run already recorded it.

    The records are written first inside the transaction: a concurrent run trying the same
    ones waits on the unique index, then fails, and sends nothing. If sending raises, the
    transaction is rolled back and the next run tries again.
    """
    now = timezone.now()
    for record in item.records:
        record.sent_at = now
    try:
        with transaction.atomic():
            ReminderSent.objects.bulk_create(item.records)
            item.message.connection = connection
            item.message.send()
    except IntegrityError:
        return False
    return True


def reminders_send(
    *,
    dry_run: bool = False,
    today: datetime.date | None = None,
    on_failure: Callable[[Outgoing, Exception], None] | None = None,
) -> RunReport:
    """Send every reminder and digest due ``today``; each failure is logged and counted.

    One failed e-mail (an exception from the mail backend) never stops the others, and leaves
    no record, so the next run tries it again. With ``dry_run``, nothing is sent or recorded:
    ``RunReport.planned`` lists what would be.
    """
    today = today or timezone.localdate()
    report = RunReport()
    planned = [*expiry_reminders_due(today), *referent_digests_due(today)]
    if dry_run:
        report.planned = planned
        return report
    if not planned:
        return report
    connection = get_connection()
    try:
        # One connection for the whole run; if it cannot be opened now, each message tries
        # again on its own (and fails on its own).
        connection.open()
    except Exception:
        logger.exception("Could not open the mail connection")
    try:
        for item in planned:
            try:
                sent = _send_one(item, connection)
            except Exception as error:
                # Whatever the backend raises (SMTP, DNS, timeout...), the others still go.
                logger.exception("Could not send the %s e-mail to %s", item.kind, item.recipient)
                report.failed.append(item)
                if on_failure is not None:
                    on_failure(item, error)
                continue
            if sent:
                report.sent[item.kind] += 1
            else:
                report.skipped += 1
    finally:
        connection.close()
    return report


def describe(items: Iterable[Outgoing]) -> list[str]:
    return [f"{item.kind} → {item.recipient.email}: {item.description}" for item in items]
