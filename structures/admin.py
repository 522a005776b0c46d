from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.admin import AuditedAdmin, ReadOnlyInline
from structures.models import Departement, Establishment, LegalEntity, Region, Unit


class OwnSupportDeskFilter(admin.SimpleListFilter):
    """Regions whose people are sent to the platform's own desk, for want of one of theirs."""

    title = _("own support desk")
    parameter_name = "own_desk"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No (the platform’s desk answers)"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(support_email="")
        if self.value() == "no":
            return queryset.filter(support_email="")
        return queryset


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "code", "has_own_desk", "support_name", "support_email"]
    list_filter = [OwnSupportDeskFilter]
    search_fields = ["name", "code", "support_name", "support_email"]

    @admin.display(boolean=True, description=_("own support desk"))
    def has_own_desk(self, region: Region) -> bool:
        return bool(region.support_email)


@admin.register(Departement)
class DepartementAdmin(AuditedAdmin):
    list_display = ["code", "name", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region"]


@admin.register(LegalEntity)
class LegalEntityAdmin(AuditedAdmin):
    list_display = ["name", "finess", "siren", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["finess", "name", "long_name", "siren"]


class UnitInline(ReadOnlyInline):
    """Units are edited on their own page (audited), not in this list."""

    model = Unit
    fields = ["name", "code", "phone", "email", "is_active"]


@admin.register(Establishment)
class EstablishmentAdmin(AuditedAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "finess", "city", "departement", "sector", "is_active"]
    list_filter = ["is_active", "sector", "departement__region"]
    search_fields = ["=finess", "name", "long_name", "city", "postcode"]
    list_select_related = ["departement"]
    autocomplete_fields = ["legal_entity"]
    # FINESS-owned fields are refreshed by imports: editing them here would be overwritten.
    readonly_fields = [
        *(f for f in Establishment.FINESS_FIELDS if f not in {"legal_entity", "departement"}),
        "imported_at",
    ]
    fieldsets = [
        (None, {"fields": ["finess", "legal_entity", "departement", "is_active"]}),
        (
            "FINESS",
            {
                "fields": [
                    *(
                        f
                        for f in Establishment.FINESS_FIELDS
                        if f not in {"legal_entity", "departement", "is_active"}
                    ),
                    "imported_at",
                ]
            },
        ),
        ("Fiche annuaire", {"fields": [*Establishment.SHEET_FIELDS, "sheet_updated_at"]}),
    ]
    inlines = [UnitInline]


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["name", "establishment", "code", "is_active"]
    list_filter = ["is_active", "establishment__sector"]
    search_fields = ["name", "code", "establishment__name", "=establishment__finess"]
    list_select_related = ["establishment"]
    autocomplete_fields = ["establishment"]
