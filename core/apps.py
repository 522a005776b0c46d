from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every page shares: security headers, the navigation menu, the base layout."""

    name = "core"
