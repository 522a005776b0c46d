from django.contrib.auth.backends import ModelBackend


class AccountBackend(ModelBackend):
    """E-mail sign-in (case-insensitive, through the manager); blocked accounts cannot sign in."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_blocked", False)
