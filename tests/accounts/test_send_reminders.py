"""manage.py send_reminders: rights about to end (30 and 7 days) and référents' digests."""

from __future__ import annotations

import datetime
from io import StringIO
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import reminders
from accounts.models import Charter, CharterAcceptance, Habilitation, ReminderSent, User
from tests.factory import days

BASE = timezone.localdate()


def at(day: datetime.date):
    """Freeze the clock at 08:00 (local time) on ``day``: cron runs the command early."""
    moment = datetime.datetime.combine(day, datetime.time(8), tzinfo=ZoneInfo(settings.TIME_ZONE))
    return time_machine.travel(moment, tick=False)


def run(day: datetime.date, *args: str) -> str:
    out = StringIO()
    with at(day):
        call_command("send_reminders", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def sent_to(email: str) -> list[mail.EmailMultiAlternatives]:
    return [m for m in mail.outbox if m.to == [email]]


def html(message: mail.EmailMultiAlternatives) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


@pytest.fixture
def nurse(make) -> User:
    return make.user(email="nurse@example.test", last_name="Roux", first_name="Anne")


@pytest.fixture
def ending(make, nurse, cardiology) -> Habilitation:
    """A nurse's right ending 40 days after BASE: the 30-day step is due on BASE + 10."""
    return make.habilitation(nurse, cardiology, start=BASE - days(300), end=BASE + days(40))


# --- Rights about to end


def test_nothing_is_sent_before_the_first_step(ending):
    run(BASE + days(9))
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_the_30_day_step_is_sent_once_across_runs_and_days(ending, nurse):
    run(BASE + days(10))
    assert len(sent_to(nurse.email)) == 1
    message = mail.outbox[0]
    assert ending.establishment.name in message.body
    assert "Cardiologie" in message.body
    assert f"{settings.SITE_URL}/mon-compte/" in message.body
    assert f'href="{settings.SITE_URL}/mon-compte/"' in html(message)

    run(BASE + days(10))  # twice the same day
    run(BASE + days(11))
    run(BASE + days(25))
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.get().step == 30


def test_the_7_day_step_is_sent_once(ending, nurse):
    run(BASE + days(10))
    run(BASE + days(33))
    assert len(sent_to(nurse.email)) == 2
    run(BASE + days(33))
    run(BASE + days(34))
    run(BASE + days(40))  # the last day of the right
    assert len(mail.outbox) == 2
    assert set(ReminderSent.objects.values_list("step", flat=True)) == {30, 7}


def test_a_missed_day_is_caught_up(ending, nurse):
    # No run on BASE + 10: the next run sends the 30-day step.
    run(BASE + days(14))
    assert len(sent_to(nurse.email)) == 1
    assert ReminderSent.objects.get().step == 30


def test_when_both_steps_are_due_only_the_7_day_one_is_sent(ending, nurse):
    run(BASE + days(35))  # first run 5 days before the end
    assert len(sent_to(nurse.email)) == 1
    assert f"{BASE + days(40):%d/%m/%Y}" in mail.outbox[0].body
    assert set(ReminderSent.objects.values_list("step", flat=True)) == {30, 7}
    run(BASE + days(36))
    assert len(mail.outbox) == 1


def test_opted_out_rights_are_left_alone(ending):
    Habilitation.objects.filter(pk=ending.pk).update(email_reminders=False)
    run(BASE + days(10))
    run(BASE + days(35))
    assert mail.outbox == []


def test_ended_expired_and_inactive_are_skipped(make, nurse, hospital, cardiology, geriatrics):
    ended = make.habilitation(nurse, cardiology, start=BASE - days(300), end=BASE + days(20))
    Habilitation.objects.filter(pk=ended.pk).update(
        ended_at=timezone.now() - days(1), end_reason="Left"
    )
    make.habilitation(nurse, hospital, start=BASE - days(300), end=BASE - days(1))  # expired
    make.habilitation(nurse, geriatrics, start=BASE + days(5), end=BASE + days(25))  # future
    closed_unit = make.unit(hospital, name="Fermée", is_active=False)
    make.habilitation(nurse, closed_unit, start=BASE - days(300), end=BASE + days(20))
    gone = make.user(email="gone@example.test", is_active=False)
    make.habilitation(gone, hospital, start=BASE - days(300), end=BASE + days(20))
    run(BASE)
    assert mail.outbox == []


def test_rights_due_on_the_same_run_make_one_email(make, nurse, ending, geriatrics, other_hospital):
    make.habilitation(nurse, geriatrics, start=BASE - days(300), end=BASE + days(16))
    make.habilitation(nurse, other_hospital, start=BASE - days(300), end=BASE + days(25))
    run(BASE + days(10))
    [message] = sent_to(nurse.email)
    assert "Cardiologie" in message.body
    assert "Gériatrie" in message.body
    assert other_hospital.name in message.body
    assert ReminderSent.objects.filter(user=nurse).count() == 4  # 30 x3, and 7 for geriatrics


def test_an_extended_right_is_reminded_again_before_its_new_end(ending, nurse):
    run(BASE + days(10))
    Habilitation.objects.filter(pk=ending.pk).update(end_date=BASE + days(400))
    run(BASE + days(11))
    assert len(mail.outbox) == 1
    run(BASE + days(370))
    assert len(mail.outbox) == 2


def test_blocked_people_are_told_how_to_be_unblocked(ending, nurse):
    User.objects.filter(pk=nurse.pk).update(
        blocked_at=timezone.now(), blocked_reason="Too many failed sign-ins"
    )
    run(BASE + days(10))
    [message] = sent_to(nurse.email)
    assert f"{settings.SITE_URL}/connexion/compte-bloque/" in message.body


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_email_renders_in_both_languages(ending, nurse, language):
    with at(BASE + days(10)):
        [outgoing] = reminders.expiry_reminders_due(BASE + days(10), language=language)
    assert outgoing.message.subject
    assert "\n" not in outgoing.message.subject
    assert f"{settings.SITE_URL}/referents/" in outgoing.message.body
    assert "Cardiologie" in html(outgoing.message)


# --- Référents' digests


def test_a_referent_gets_a_digest_of_rights_ending_soon(
    make, establishment_referent, agent, hospital, nurse
):
    make.habilitation(nurse, hospital, start=BASE - days(300), end=BASE + days(20))
    run(BASE)
    [digest] = sent_to(establishment_referent.email)
    assert nurse.full_name in digest.body
    assert f"{settings.SITE_URL}/administration/comptes/?ending_soon=on" in digest.body
    assert "ending_soon=on" in html(digest)
    assert "?blocked=on" not in digest.body  # nothing to say there
    assert ReminderSent.objects.filter(
        kind=ReminderSent.Kind.DIGEST, user=establishment_referent
    ).exists()


def test_digest_lists_blocked_accounts_and_charter_refusers(establishment_referent, agent):
    User.objects.filter(pk=agent.pk).update(
        blocked_at=timezone.now(), blocked_reason="Too many failed sign-ins"
    )
    # Published before the run, which is frozen at 08:00 today (not "now": after 08:00 the
    # charter would not be published yet when the command runs).
    charter = Charter.objects.create(
        version=1, title="Charte", body="…", published_at=timezone.now() - days(2)
    )
    CharterAcceptance.objects.create(user=establishment_referent, charter=charter)
    run(BASE)
    [digest] = sent_to(establishment_referent.email)
    assert agent.email in digest.body
    assert "/administration/comptes/?blocked=on" in digest.body
    assert "/administration/comptes/?charter_missing=on" in digest.body


def test_digest_at_most_once_every_7_days(make, establishment_referent, hospital, nurse):
    make.habilitation(nurse, hospital, start=BASE - days(300), end=BASE + days(25))
    run(BASE)
    run(BASE)
    run(BASE + days(6))
    assert len(sent_to(establishment_referent.email)) == 1
    run(BASE + days(7))
    assert len(sent_to(establishment_referent.email)) == 2


def test_no_digest_when_there_is_nothing_to_report(establishment_referent, agent):
    run(BASE)
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_no_digest_for_a_referent_who_turned_it_off(
    make, establishment_referent, unit_referent, hospital, cardiology, nurse
):
    make.habilitation(nurse, cardiology, start=BASE - days(300), end=BASE + days(20))
    User.objects.filter(pk=establishment_referent.pk).update(receives_digest=False)
    run(BASE)
    assert sent_to(establishment_referent.email) == []
    assert not ReminderSent.objects.filter(user=establishment_referent).exists()
    [digest] = sent_to(unit_referent.email)  # the others still get theirs
    assert f"{settings.SITE_URL}/mon-compte/" in digest.body  # where to turn it off
    # Turned on again: the next run sends it.
    User.objects.filter(pk=establishment_referent.pk).update(receives_digest=True)
    run(BASE + days(1))
    assert len(sent_to(establishment_referent.email)) == 1


def test_unit_referent_digest_covers_their_unit_only(
    make, unit_referent, nurse, cardiology, geriatrics
):
    make.habilitation(nurse, geriatrics, start=BASE - days(300), end=BASE + days(20))
    run(BASE)
    assert sent_to(unit_referent.email) == []
    make.habilitation(nurse, cardiology, start=BASE - days(300), end=BASE + days(20))
    run(BASE)
    [digest] = sent_to(unit_referent.email)
    assert "Cardiologie" in digest.body
    assert "Gériatrie" not in digest.body


# --- Failures, dry runs, the demo


def test_a_failed_email_is_retried_next_run_without_blocking_others(make, ending, nurse, hospital):
    other = make.user(email="other@example.test")
    make.habilitation(other, hospital, start=BASE - days(300), end=BASE + days(40))
    original = EmailBackend.send_messages

    def flaky(self, messages):
        if any(nurse.email in m.to for m in messages):
            raise ConnectionRefusedError("relay down")
        return original(self, messages)

    with mock.patch.object(EmailBackend, "send_messages", flaky), pytest.raises(CommandError):
        run(BASE + days(10))
    assert [m.to for m in mail.outbox] == [[other.email]]
    assert not ReminderSent.objects.filter(user=nurse).exists()

    out = run(BASE + days(11))
    assert [m.to for m in mail.outbox] == [[other.email], [nurse.email]]
    assert "Sent 1 end-of-right reminder(s)" in out
    run(BASE + days(12))
    assert len(mail.outbox) == 2


def test_dry_run_sends_and_records_nothing(ending, nurse):
    out = run(BASE + days(10), "--dry-run")
    assert nurse.email in out
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()
    run(BASE + days(10))
    assert len(mail.outbox) == 1


def test_summary_is_printed(ending):
    out = run(BASE + days(10))
    assert "Sent 1 end-of-right reminder(s) and 0 référent digest(s)" in out
    assert "0 failed" in out


def test_a_first_run_on_the_demo_data_sends_emails(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", force=True, stdout=StringIO())
    mail.outbox.clear()
    call_command("send_reminders", stdout=StringIO())
    expiry = ReminderSent.objects.filter(kind=ReminderSent.Kind.EXPIRY)
    assert expiry.exists()
    assert ReminderSent.objects.filter(kind=ReminderSent.Kind.DIGEST).exists()
    recipients = {m.to[0] for m in mail.outbox}
    assert set(expiry.values_list("user__email", flat=True)) <= recipients
    count = len(mail.outbox)
    call_command("send_reminders", stdout=StringIO())
    assert len(mail.outbox) == count
