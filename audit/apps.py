from django.apps import AppConfig


class AuditConfig(AppConfig):
    """The append-only audit trail every change is written to."""

    name = "audit"
    verbose_name = "Journal"
