"""The demo accounts have an authenticator app with a published secret; demo_code prints its
code."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from demo import world as demo
from mfa import totp
from mfa.models import Factor


def test_seed_demo_gives_the_demo_accounts_an_app_and_demo_code_prints_its_code(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert demo.DEMO_TOTP_SECRET in out.getvalue()
    factors = Factor.objects.filter(user__email__in=demo.KEY_ACCOUNTS)
    assert factors.count() == len(demo.KEY_ACCOUNTS)
    assert {f.totp_secret for f in factors} == {demo.DEMO_TOTP_SECRET}
    call_command("seed_demo", stdout=StringIO())
    assert factors.count() == len(demo.KEY_ACCOUNTS)
    out = StringIO()
    call_command("demo_code", demo.REFERENT_EMAIL, stdout=out)
    assert totp.matching_step(demo.DEMO_TOTP_SECRET, out.getvalue().split()[0], after_step=None)


def test_demo_code_refuses_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_code", demo.REFERENT_EMAIL)
