"""Changing one's own password from Mon compte (the forgotten-password link is Django's view,
``accounts.views.PasswordResetConfirmView``)."""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest

from accounts.models import User
from audit import trail
from audit.models import AuditEvent


def password_change(*, user: User, password: str, request: HttpRequest) -> None:
    """Set ``user``'s new password (the form checked the current one and the rules).

    Every other session of the person ends: the session hash Django checks on each request
    includes the password hash (``User.get_session_auth_hash``); this session is kept. The
    current password was just typed right, so the consecutive failures count starts again, as
    after a sign-in.
    """
    with transaction.atomic():
        user.set_password(password)
        user.failed_login_count = 0
        user.save(update_fields=["password", "failed_login_count"])
        trail.record(
            action=AuditEvent.Action.PASSWORD_SET,
            actor=user,
            target_user=user,
            after={"password": "…"},
            request=request,
        )
    update_session_auth_hash(request, user)
