from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and rights")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts.middleware import remember_activity_at_sign_in

        user_logged_in.connect(remember_activity_at_sign_in, dispatch_uid="accounts.last_seen")
