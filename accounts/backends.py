from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from accounts import lockout, selectors
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
                request.blocked_account = user  # type: ignore[attr-defined]
            return None
        lockout.signin_fail(user=user, request=request)
        return None

    def get_user(self, user_id: int) -> User | None:
        """The signed-in person, with the charter status in the same query (no extra query).

        Runs on every signed-in request: one written statement (``selectors.signed_in_person``).
        """
        user = selectors.signed_in_person(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_blocked", False)
