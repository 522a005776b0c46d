"""``manage.py send_reminders``: rights about to end and référents' digests (run it daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import reminders
from accounts.models import ReminderSent


class Command(BaseCommand):
    help = (
        "E-mail people whose rights end within 30 and 7 days (if they opted in) and référents "
        "a digest of their scope (at most once every 7 days). Running it twice sends nothing "
        "twice; failed e-mails are tried again on the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be sent; send and record nothing.",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        report = reminders.reminders_send(dry_run=dry_run)
        if dry_run:
            for line in reminders.describe(report.planned):
                self.stdout.write(line)
            self.stdout.write(f"Dry run: {len(report.planned)} e-mail(s) would be sent.")
            return
        self.stdout.write(
            f"Sent {report.sent[ReminderSent.Kind.EXPIRY]} end-of-right reminder(s) and "
            f"{report.sent[ReminderSent.Kind.DIGEST]} référent digest(s); "
            f"{report.skipped} already sent by another run; {len(report.failed)} failed."
        )
        if report.failed:
            for line in reminders.describe(report.failed):
                self.stderr.write(f"Failed: {line}")
            raise CommandError(
                f"{len(report.failed)} e-mail(s) could not be sent; they will be tried again "
                "on the next run."
            )
