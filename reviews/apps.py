from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    """Directors: the review of habilitations, review campaigns, structures without référent."""

    name = "reviews"
    verbose_name = _("Reviews")
