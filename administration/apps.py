from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    """The référents' back office: pages only, over the models of ``accounts`` and
    ``structures``."""

    name = "administration"
