from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone

from accounts import lockout
from accounts.models import User
from audit.trail import client_ip


class AccountBackend(ModelBackend):
    """E-mail sign-in (case-insensitive, through the manager); blocked accounts cannot sign in.

    Every password check goes through the lockout services (``accounts.lockout``), whichever
    form asked (the sign-in page or the administration site's). The password hasher runs once
    whether the account exists, is blocked, inactive, or has no usable password, so the time
    taken does not tell them apart.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        if request is not None and lockout.ip_is_throttled(client_ip(request)):
            # Refused without checking or counting anything (the sign-in view says why).
            return None
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            # Hash anyway: an unknown address must take as long as a wrong password.
            User().set_password(password)
            lockout.signin_fail(user=None, request=request)
            return None
        # check_password runs the hasher first, for blocked and inactive accounts too
        # (and Django runs it on a dummy value when the password is unusable).
        right_password = user.check_password(password)
        if right_password and self.user_can_authenticate(user):
            lockout.signin_succeed(user=user, request=request)
            return user
        if right_password and user.is_active and user.is_blocked:
            # Whoever knows the password may learn that the account is blocked, and whom to
            # ask: the sign-in form shows it (a wrong password keeps the neutral message).
            lockout.signin_refused_blocked(user=user, request=request)
            if request is not None:
                request.blocked_account = user
            return None
        lockout.signin_fail(user=user, request=request)
        return None

    def get_user(self, user_id: int) -> User | None:
        """The signed-in person, with the charter status in the same query (no extra query).

        Runs on every signed-in request: the SQL is written out (the ``with_charter_status``
        rule) rather than compiled by the ORM each time, which cost more than the query.
        """
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        found = list(User.objects.raw(_SIGNED_IN_PERSON_SQL, [now, user_id]))
        if not found:
            return None
        user = found[0]
        user.current_charter_accepted = bool(user.current_charter_accepted)
        return user if self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_blocked", False)


# ``charter.with_charter_status`` in one statement: the current charter (the last published
# version) and whether the person accepted it.
_SIGNED_IN_PERSON_SQL = """
SELECT u.*, c.id AS current_charter_id,
       EXISTS (SELECT 1 FROM accounts_charteracceptance a
               WHERE a.user_id = u.id AND a.charter_id = c.id) AS current_charter_accepted
FROM accounts_user u
LEFT JOIN (SELECT id FROM accounts_charter WHERE published_at <= %s
           ORDER BY version DESC LIMIT 1) c ON 1 = 1
WHERE u.id = %s
"""
