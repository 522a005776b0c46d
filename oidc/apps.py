from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OidcConfig(AppConfig):
    name = "oidc"
    verbose_name = _("Pro Santé Connect and other identity providers")

    def ready(self) -> None:
        from django.core import checks

        from oidc.providers import check_providers

        checks.register(check_providers, checks.Tags.security)
