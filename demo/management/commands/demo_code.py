"""``manage.py demo_code EMAIL``: the current code of a person's authenticator app, for the demo
accounts (``seed_demo`` gives them one with a published secret) and development."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User, normalize_email
from mfa import totp
from mfa.models import Factor


class Command(BaseCommand):
    help = "Print the current code of EMAIL's authenticator apps (demo and development)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (a demo server)."
        )

    def handle(self, *args: Any, email: str, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to print second-factor codes with DEBUG off. If this really is a "
                "demo or staging server, add --force."
            )
        user = User.objects.filter(email=normalize_email(email)).first()
        if user is None:
            raise CommandError(f"No account has the address {email}.")
        factors = Factor.objects.filter(user=user, kind=Factor.Kind.TOTP)
        if not factors:
            raise CommandError(f"{email} has no authenticator app.")
        left = totp.STEP_SECONDS - int(time.time()) % totp.STEP_SECONDS
        for factor in factors:
            self.stdout.write(f"{totp.code_at(factor.totp_secret)}  {factor.name}")
        self.stdout.write(f"(valid {left} s more, and the next 30 s)")
