from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferentsConfig(AppConfig):
    """The lookup journey: Mes référents, the list, identified référents, escalation."""

    name = "referents"
    verbose_name = _("Referent lookup")
