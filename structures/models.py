"""Regions, départements, legal entities, establishments and their units.

Establishments come from the national FINESS register. Their fields are split in two groups:
FINESS-owned fields, refreshed by every import (``FINESS_FIELDS``), and locally edited fields of
the directory sheet ("fiche annuaire"), which an import never touches.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from structures import categories
from structures.finess import fold, validate_finess


class Sector(models.TextChoices):
    SANITAIRE = categories.SANITAIRE, _("Health care")
    GRAND_AGE = categories.GRAND_AGE, _("Elderly care")
    HANDICAP = categories.HANDICAP, _("Disability")
    ASSURANCE_MALADIE = categories.ASSURANCE_MALADIE, _("Health insurance")
    OTHER = categories.OTHER, _("Other")


class Region(models.Model):
    """An administrative region and its regional e-health support desk."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("name"), max_length=100)
    support_name = models.CharField(_("support desk name"), max_length=200, blank=True)
    support_email = models.EmailField(_("support desk e-mail"), blank=True)
    support_url = models.URLField(_("support desk portal"), blank=True)
    support_phone = models.CharField(_("support desk phone"), max_length=30, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Departement(models.Model):
    """A département as coded in FINESS: 01-95, 2A, 2B, 9A-9F, 9J."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="departements", verbose_name=_("region")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("département")
        verbose_name_plural = _("départements")

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"


class LegalEntity(models.Model):
    """An "entité juridique" (EJ): the organisation that runs establishments."""

    finess = models.CharField(
        _("FINESS number"), max_length=9, unique=True, validators=[validate_finess]
    )
    name = models.CharField(_("name"), max_length=255)
    long_name = models.CharField(_("long name"), max_length=255, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    imported_at = models.DateTimeField(_("last imported"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")

    def __str__(self) -> str:
        return f"{self.name} ({self.finess})"


class Establishment(models.Model):
    """An "établissement" (ET): a geographic establishment with its own FINESS number."""

    # --- FINESS-owned: refreshed by every import, read-only in the application.
    finess = models.CharField(
        _("FINESS number"), max_length=9, unique=True, validators=[validate_finess]
    )
    legal_entity = models.ForeignKey(
        LegalEntity,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="establishments",
        verbose_name=_("legal entity"),
    )
    name = models.CharField(_("name"), max_length=255)
    long_name = models.CharField(_("long name"), max_length=255, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    address_extra = models.CharField(_("address complement"), max_length=255, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        related_name="establishments",
        verbose_name=_("département"),
    )
    finess_phone = models.CharField(_("phone (FINESS)"), max_length=30, blank=True)
    category_code = models.CharField(_("category code"), max_length=4, blank=True)
    category_label = models.CharField(_("category"), max_length=255, blank=True)
    sector = models.CharField(
        _("sector"), max_length=20, choices=Sector.choices, default=Sector.OTHER
    )
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    authorised_on = models.DateField(_("authorised on"), null=True, blank=True)
    finess_updated_on = models.DateField(_("updated in FINESS on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    imported_at = models.DateTimeField(_("last imported"), null=True, blank=True)
    # Accent- and case-folded "name long_name city postcode finess", kept for search.
    search_text = models.TextField(_("search text"), blank=True, editable=False)

    # --- Locally owned: the directory sheet, edited by référents, never touched by imports.
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    access_info = models.TextField(_("access information"), blank=True)
    sheet_updated_at = models.DateTimeField(_("sheet updated at"), null=True, blank=True)

    FINESS_FIELDS = (
        "legal_entity",
        "name",
        "long_name",
        "address",
        "address_extra",
        "postcode",
        "city",
        "departement",
        "finess_phone",
        "category_code",
        "category_label",
        "sector",
        "siret",
        "opened_on",
        "authorised_on",
        "finess_updated_on",
        "closed_on",
        "is_active",
        "latitude",
        "longitude",
    )
    SHEET_FIELDS = ("phone", "email", "website", "description", "access_info")

    class Meta:
        ordering = ["name"]
        verbose_name = _("establishment")
        verbose_name_plural = _("establishments")
        indexes = [
            models.Index(fields=["departement", "name"], name="establishment_dept_name"),
            models.Index(fields=["postcode"], name="establishment_postcode"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.finess})"

    def save(self, *args, **kwargs) -> None:
        self.search_text = self.build_search_text()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def build_search_text(self) -> str:
        return fold(f"{self.name} {self.long_name} {self.city} {self.postcode} {self.finess}")

    @property
    def display_phone(self) -> str:
        """The directory sheet's phone, or FINESS's when the sheet has none."""
        return self.phone or self.finess_phone


class Unit(models.Model):
    """A unit or service inside an establishment (cardiology ward, EHPAD wing...).

    Units are not in FINESS: référents create them. They are deactivated, never deleted.
    """

    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("establishment"),
    )
    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("code"), max_length=30, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(
                "establishment", Lower("name"), name="unit_name_unique_in_establishment"
            ),
            models.UniqueConstraint(
                fields=["establishment", "code"],
                condition=~models.Q(code=""),
                name="unit_code_unique_in_establishment",
            ),
            # Target of the (unit, establishment) foreign key of habilitations, which lets
            # PostgreSQL check that a habilitation's unit belongs to its establishment.
            models.UniqueConstraint(fields=["id", "establishment"], name="unit_id_establishment"),
        ]

    def __str__(self) -> str:
        return self.name
