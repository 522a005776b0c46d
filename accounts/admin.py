from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from accounts.models import (
    Charter,
    CharterAcceptance,
    CharterReminder,
    Habilitation,
    Profile,
    RateLimitHit,
    ReminderSent,
    User,
)
from audit.admin import AuditedAdmin, ReadOnlyAdmin, ReadOnlyInline

# Rights are habilitations, not Django groups: an unused, unaudited page less.
admin.site.unregister(Group)


class HabilitationInline(ReadOnlyInline):
    """Rights are granted, extended and ended on the person's page (scope, rules, audit
    trail, e-mails), never here; and never deleted."""

    model = Habilitation
    fk_name = "user"
    fields = ["profile", "establishment", "unit", "start_date", "end_date", "ended_at"]


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    ordering = ["last_name", "first_name"]
    list_display = ["email", "last_name", "first_name", "is_active", "blocked_at", "last_login"]
    list_filter = [
        "is_active",
        "is_staff",
        "is_superuser",
        ("blocked_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "last_name", "first_name"]
    readonly_fields = ["last_login", "date_joined", "failed_login_count"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Identity"), {"fields": ["last_name", "first_name", "phone", "job_title"]}),
        (_("Blocking"), {"fields": ["blocked_at", "blocked_reason", "failed_login_count"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "last_name", "first_name", "password1", "password2"],
            },
        )
    ]
    inlines = [HabilitationInline]


@admin.register(Profile)
class ProfileAdmin(AuditedAdmin):
    list_display = ["name", "code", "administers_accounts", "reviews_habilitations", "order"]
    list_filter = ["administers_accounts", "reviews_habilitations"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


@admin.register(Habilitation)
class HabilitationAdmin(ReadOnlyAdmin):
    """Read-only: rights change on the person's page, through ``accounts.services``."""

    list_display = [
        "user",
        "profile",
        "establishment",
        "unit",
        "start_date",
        "end_date",
        "ended_at",
    ]
    list_filter = ["profile", ("ended_at", admin.EmptyFieldListFilter), "establishment__sector"]
    search_fields = [
        "user__email",
        "user__last_name",
        "establishment__name",
        "=establishment__finess",
        "unit__name",
    ]
    list_select_related = ["user", "profile", "establishment", "unit"]
    date_hierarchy = "end_date"


@admin.register(Charter)
class CharterAdmin(AuditedAdmin):
    list_display = ["version", "title", "published_at"]
    search_fields = ["title", "body"]


@admin.register(CharterAcceptance)
class CharterAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ["user", "charter", "accepted_at"]
    list_filter = ["charter"]
    search_fields = ["user__email", "user__last_name"]
    list_select_related = ["user", "charter"]


@admin.register(CharterReminder)
class CharterReminderAdmin(ReadOnlyAdmin):
    list_display = ["user", "charter", "sent_by", "sent_at"]
    list_filter = ["charter"]
    search_fields = ["user__email", "user__last_name", "sent_by__email"]
    list_select_related = ["user", "charter", "sent_by"]


@admin.register(RateLimitHit)
class RateLimitHitAdmin(ReadOnlyAdmin):
    """Read-only: the support team can see a throttled address (keys are HMACs, not input)."""

    list_display = ["created_at", "scope", "key"]
    list_filter = ["scope"]
    search_fields = ["=key"]


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdmin):
    """What send_reminders sent: read-only, so that support can answer "did I get it?"."""

    list_display = ["sent_at", "kind", "user", "step", "end_date"]
    list_filter = ["kind", "step"]
    search_fields = ["user__email", "user__last_name"]
    list_select_related = ["user"]
    date_hierarchy = "sent_at"
