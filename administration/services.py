"""The back office's changes to the directory: an establishment's sheet and its units.

Each one a keyword-only function in a transaction, with its audit event. A unit with open
rights (``Habilitation.objects.open_on``) cannot be deactivated.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Habilitation, User
from audit import trail
from audit.models import AuditEvent
from structures.models import Establishment, Unit

# --- The directory sheet ("fiche annuaire") and the units, edited by référents


def row_version(moment: datetime.datetime | None) -> str:
    """The token a form carries to detect that its row changed since it was displayed."""
    return moment.isoformat() if moment else ""


def _check_version(seen_version: str | None, current: datetime.datetime | None) -> None:
    # Two référents editing the same row: the second save would silently undo the first one's
    # changes (its form still holds the old values), so a stale form is refused instead.
    if seen_version is not None and seen_version != row_version(current):
        raise ValidationError(
            _(
                "Someone else saved changes here since you opened this page. Reload the page "
                "to see them, then make your changes again."
            ),
            code="stale",
        )


@transaction.atomic
def establishment_sheet_update(
    *,
    actor: User,
    establishment: Establishment,
    data: dict[str, Any],
    request: HttpRequest | None = None,
    seen_version: str | None = None,
) -> bool:
    """Save the locally owned fields of the directory sheet (``Establishment.SHEET_FIELDS``).

    Only the fields that changed are written, with ``sheet_updated_at`` and one SHEET_EDITED
    audit event holding their before and after values. Nothing changed: nothing is written and
    False is returned. ``seen_version`` (``row_version`` of the sheet as displayed) refuses a
    stale form with a ValidationError. FINESS-owned fields are never touched here.
    """
    locked = Establishment.objects.select_for_update().get(pk=establishment.pk)
    _check_version(seen_version, locked.sheet_updated_at)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field in Establishment.SHEET_FIELDS:
        if field not in data:
            continue
        value = data[field] or ""
        if value != getattr(locked, field):
            before[field] = getattr(locked, field)
            after[field] = value
    if not after:
        return False
    for field, value in after.items():
        setattr(locked, field, value)
    locked.sheet_updated_at = timezone.now()
    locked.save(update_fields=[*after, "sheet_updated_at"])
    trail.record(
        action=AuditEvent.Action.SHEET_EDITED,
        actor=actor,
        establishment=locked,
        before=before,
        after=after,
        request=request,
    )
    for field in (*after, "sheet_updated_at"):
        setattr(establishment, field, getattr(locked, field))
    return True


UNIT_FIELDS = ("name", "code", "phone", "email")


def _unit_values(data: dict[str, Any]) -> dict[str, str]:
    return {field: (data[field] or "").strip() for field in UNIT_FIELDS if field in data}


def _check_unit_unique(establishment_id: int, values: dict[str, str], unit_pk: int | None) -> None:
    """Names are unique per establishment without case, codes per establishment."""
    others = Unit.objects.filter(establishment_id=establishment_id)
    if unit_pk is not None:
        others = others.exclude(pk=unit_pk)
    errors: dict[str, ValidationError] = {}
    if "name" in values:
        same_name = others.filter(name__iexact=values["name"]).only("is_active").first()
        if same_name is not None:
            message = (
                _("A unit with this name already exists in this establishment.")
                if same_name.is_active
                else _(
                    "A deactivated unit of this establishment has this name: reactivate it "
                    "instead of creating another one."
                )
            )
            errors["name"] = ValidationError(message, code="duplicate_name")
    if values.get("code") and others.filter(code=values["code"]).exists():
        errors["code"] = ValidationError(
            _("Another unit of this establishment has this code."), code="duplicate_code"
        )
    if errors:
        raise ValidationError(errors)


def _duplicate_error() -> ValidationError:
    return ValidationError(
        _("Another unit of this establishment has this name or code."), code="duplicate"
    )


@transaction.atomic
def unit_create(
    *,
    actor: User,
    establishment: Establishment,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> Unit:
    """Create a unit (name, optional code, phone, e-mail) and record UNIT_CREATED.

    A name already used in the establishment (whatever the case) or a code already used
    raises a ValidationError keyed by field, never an IntegrityError.
    """
    # Locking the establishment serialises unit changes inside it: the check cannot race.
    locked = Establishment.objects.select_for_update().get(pk=establishment.pk)
    values = _unit_values(data)
    _check_unit_unique(locked.pk, values, unit_pk=None)
    try:
        with transaction.atomic():
            unit = Unit.objects.create(establishment=locked, **values)
    except IntegrityError as error:
        raise _duplicate_error() from error
    trail.record(
        action=AuditEvent.Action.UNIT_CREATED,
        actor=actor,
        establishment=locked,
        unit=unit,
        after=values,
        request=request,
    )
    return unit


@transaction.atomic
def unit_update(
    *,
    actor: User,
    unit: Unit,
    data: dict[str, Any],
    request: HttpRequest | None = None,
    seen_version: str | None = None,
) -> bool:
    """Rename a unit or change its code and contacts; record UNIT_EDITED with what changed.

    Only the keys of ``data`` among name, code, phone and e-mail are considered (a unit
    référent's form has no code). Returns False, writing nothing, when nothing changed.
    """
    Establishment.objects.select_for_update().only("pk").get(pk=unit.establishment_id)
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    _check_version(seen_version, locked.updated_at)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in _unit_values(data).items():
        if value != getattr(locked, field):
            before[field] = getattr(locked, field)
            after[field] = value
    if not after:
        return False
    _check_unit_unique(locked.establishment_id, after, unit_pk=locked.pk)
    for field, value in after.items():
        setattr(locked, field, value)
    try:
        with transaction.atomic():
            locked.save(update_fields=[*after, "updated_at"])
    except IntegrityError as error:
        raise _duplicate_error() from error
    trail.record(
        action=AuditEvent.Action.UNIT_EDITED,
        actor=actor,
        establishment=unit.establishment,
        unit=locked,
        before=before,
        after=after,
        request=request,
    )
    for field in (*after, "updated_at"):
        setattr(unit, field, getattr(locked, field))
    return True


def unit_open_habilitations(unit: Unit) -> QuerySet[Habilitation]:
    """The habilitations on the unit that are active or yet to start (not ended): those that
    stop its deactivation, by person."""
    return (
        Habilitation.objects.open_on()
        .filter(unit=unit)
        .select_related("user", "profile")
        .order_by("user__last_name", "user__first_name", "pk")
    )


@transaction.atomic
def unit_deactivate(*, actor: User, unit: Unit, request: HttpRequest | None = None) -> None:
    """Deactivate a unit (never deleted); record UNIT_EDITED.

    Refused with a ValidationError while active or future habilitations remain on the unit:
    they must end or move first, so nobody keeps a right on a structure that no longer exists.
    """
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    if not locked.is_active:
        return
    count = unit_open_habilitations(locked).count()
    if count:
        raise ValidationError(
            ngettext(
                "This unit still has %(count)d active or future habilitation: end it or move "
                "it to another structure before deactivating the unit.",
                "This unit still has %(count)d active or future habilitations: end them or "
                "move them to another structure before deactivating the unit.",
                count,
            ),
            code="unit_in_use",
            params={"count": count},
        )
    _set_unit_active(actor=actor, unit=unit, locked=locked, active=False, request=request)


@transaction.atomic
def unit_reactivate(*, actor: User, unit: Unit, request: HttpRequest | None = None) -> None:
    """Reactivate a deactivated unit; record UNIT_EDITED. Refused on a closed establishment."""
    locked = Unit.objects.select_for_update().get(pk=unit.pk)
    if locked.is_active:
        return
    if not unit.establishment.is_active:
        raise ValidationError(
            _("The establishment is closed in FINESS: its units cannot be reactivated."),
            code="establishment_closed",
        )
    _set_unit_active(actor=actor, unit=unit, locked=locked, active=True, request=request)


def _set_unit_active(
    *, actor: User, unit: Unit, locked: Unit, active: bool, request: HttpRequest | None
) -> None:
    locked.is_active = active
    locked.save(update_fields=["is_active", "updated_at"])
    trail.record(
        action=AuditEvent.Action.UNIT_EDITED,
        actor=actor,
        establishment=unit.establishment,
        unit=locked,
        before={"is_active": not active},
        after={"is_active": active},
        request=request,
    )
    unit.is_active = active
    unit.updated_at = locked.updated_at
