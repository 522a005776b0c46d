from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The invented demo world and ``manage.py seed_demo``: no models of its own."""

    name = "demo"
