from django.contrib import admin
from django.http import HttpRequest

from oidc.models import LinkedIdentity


@admin.register(LinkedIdentity)
class LinkedIdentityAdmin(admin.ModelAdmin):
    """Read-only: an identity is linked and unlinked by the person (or their first sign-in),
    audited, never in the administration site."""

    list_display = ["user", "provider", "how", "linked_at", "last_used_at"]
    list_filter = ["provider", "how"]
    search_fields = ["user__email", "user__last_name", "subject"]
    readonly_fields = ["user", "provider", "subject", "how", "linked_at", "last_used_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
