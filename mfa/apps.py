from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MfaConfig(AppConfig):
    name = "mfa"
    verbose_name = _("Second factor")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from mfa import checks, session

        user_logged_in.connect(session.start, dispatch_uid="mfa.session.start")
        checks.register()
