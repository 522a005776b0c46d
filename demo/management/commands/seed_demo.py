"""``manage.py seed_demo``: load the demo world (demo/world.py). Safe to run again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import world as demo

ACCOUNT_ROLES = {
    demo.REFERENT_EMAIL: "référent of the demo hospital",
    demo.AGENT_EMAIL: "nurse in a unit without a référent of its own",
    demo.DIRECTOR_EMAIL: "director of the demo hospital",
    demo.ADMIN_EMAIL: "platform administrator",
}


class Command(BaseCommand):
    help = (
        "Load a small invented world (two regions, ~50 establishments, ~300 people) and four "
        "demo accounts. Running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help=(
                f"Password of the demo accounts (default: {demo.DEFAULT_PASSWORD}). Given "
                "explicitly, it is also set on demo accounts that already exist."
            ),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (it creates accounts with a known password).",
        )

    def handle(self, *args: Any, password: str | None, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: it creates accounts whose password "
                "is published. If this really is a demo or staging server, add --force."
            )
        if password is not None:
            try:
                validate_password(password)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error

        result = demo.demo_seed(
            password=password or demo.DEFAULT_PASSWORD, reset_passwords=password is not None
        )

        factors_added = demo.demo_second_factors()

        if any(result.created.values()):
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        elif result.changed:
            self.stdout.write(self.style.SUCCESS("Demo data already present: accounts updated."))
        else:
            self.stdout.write("Demo data already present: nothing changed.")
        width = max(len(kind) for kind in result.totals)
        for kind, total in result.totals.items():
            label = kind.replace("_", " ")
            self.stdout.write(f"  {label:<{width}}  {total:>4}  ({result.created[kind]} new)")
        if result.passwords_reset:
            self.stdout.write(f"  passwords reset: {result.passwords_reset}")
        if result.support_desks_set:
            self.stdout.write("  support desk of Nouvelle-Aquitaine set")
        if factors_added:
            self.stdout.write(f"  second factors added: {factors_added}")

        self.stdout.write("")
        self.stdout.write("Demo accounts:")
        for email, role in ACCOUNT_ROLES.items():
            self.stdout.write(f"  {email:<22} {role}")
        self.stdout.write(
            f"Second factor (asked when MFA_REQUIRED is set): an authenticator app with the "
            f"secret {demo.DEMO_TOTP_SECRET}; `manage.py demo_code EMAIL` prints its code."
        )
        if result.password_applied:
            self.stdout.write(f"Password: {result.password}")
        else:
            self.stdout.write(
                f"Password: unchanged ({demo.DEFAULT_PASSWORD} unless set otherwise with "
                "--password; pass --password to set it again)."
            )
