"""The audit trail in the administration site, and the administration site in the audit trail.

Models whose changes carry business rules (habilitations, charter acceptances, review
campaigns, the audit trail itself) are read-only in the administration site: they change
through the application's pages and services. The others (people, profiles, charter versions,
regions and their support desks, establishments, units) are edited there by the support team;
``AuditedAdmin`` records each addition and change as one ``admin.changed`` event naming the
model, the object and the fields changed with their values before and after. Nothing is ever
deleted there (people, rights and structures keep their history: deactivate or close instead).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from audit import trail
from audit.models import AuditEvent

# Never written to the audit trail, even hashed: only the fact that they changed.
SECRET_FIELDS = frozenset({"password", "password1", "password2"})


def _value(value: Any) -> Any:
    """A JSON-friendly value for the audit trail."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, models.QuerySet | list | tuple | set):
        return sorted(str(item) for item in value)
    return str(value)


class AuditedAdmin(admin.ModelAdmin):
    """A model admin whose additions and changes are audited, and which deletes nothing."""

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        fields = [name for name in form.changed_data if name in form.fields]
        obj._audit_before = {
            name: "…" if name in SECRET_FIELDS else _value(form.initial.get(name))
            for name in fields
            if change
        }
        obj._audit_after = {
            name: "…" if name in SECRET_FIELDS else _value(form.cleaned_data.get(name))
            for name in fields
        }
        super().save_model(request, obj, form, change)

    def log_addition(self, request: HttpRequest, obj, message) -> Any:
        self._record(request, obj, "added", {}, getattr(obj, "_audit_after", {}))
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj, message) -> Any:
        before = getattr(obj, "_audit_before", None)
        after = getattr(obj, "_audit_after", None)
        if after is None:
            # A change made without the change form (the password page): its message names
            # the fields.
            fields = [
                name
                for entry in (message if isinstance(message, list) else [])
                for name in entry.get("changed", {}).get("fields", [])
            ]
            before = dict.fromkeys(fields, "…")
            after = dict.fromkeys(fields, "…")
        self._record(request, obj, "changed", before or {}, after)
        return super().log_change(request, obj, message)

    def _record(self, request: HttpRequest, obj, operation: str, before: dict, after: dict):
        opts = obj._meta
        target = obj if opts.label == "accounts.User" else None
        establishment = unit = None
        if opts.label == "structures.Establishment":
            establishment = obj
        elif opts.label == "structures.Unit":
            unit = obj
        trail.record(
            action=AuditEvent.Action.ADMIN_CHANGED,
            actor=request.user,  # type: ignore[arg-type]  # the administration site is signed in
            target_user=target,
            establishment=establishment,
            unit=unit,
            before={"model": opts.label_lower, "object": obj.pk, **before} if before else None,
            after={
                "model": opts.label_lower,
                "object": obj.pk,
                "label": str(obj)[:200],
                "operation": operation,
                **after,
            },
            request=request,
        )


class ReadOnlyInline(admin.TabularInline):
    """A list of related rows shown on an admin page, changed on their own page only."""

    extra = 0
    show_change_link = True

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [str(name) for name in self.fields or []]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Readable by the support team, changed only through the application (or never)."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "target_user", "establishment", "ip_address"]
    list_filter = ["action"]
    search_fields = ["actor__email", "target_user__email", "=establishment__finess", "=request_id"]
    list_select_related = ["actor", "target_user", "establishment"]
    date_hierarchy = "created_at"
