"""A staff file from its upload to its report: read and classify (``batch_prepare``), apply
(``batch_apply``) or cancel (``batch_cancel``); the files written for the référent (template,
report, export of the accounts).

Applying runs ``accounts.services.account_create`` for each valid row, in file order, in one
transaction: every account, right and audit event of the file, or none. The services' e-mails
(activation link, "new right") leave once that transaction has committed. Should a row be
refused at that point (a right granted meanwhile, a structure closed, the référent's own rights
changed), nothing of the file is kept: the rows are classified again against the database as it
now is, and the référent sees the new preview.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import Habilitation, Profile, User
from accounts.scope import Scope
from administration.imports import rows as rowlib
from administration.imports.files import ImportFileError, Table
from administration.imports.rows import ADD, ERROR, NEW, UNCHANGED, Row
from administration.models import IMPORT_BATCH_LIFETIME, ImportBatch
from structures.models import Establishment, Unit


def batch_prepare(*, actor: User, scope: Scope, table: Table, filename: str) -> ImportBatch:
    """Classify the rows of ``table`` and keep them as ``actor``'s batch, in place of the
    previous one. ``ImportFileError`` (nothing kept) for wrong columns or no row at all."""
    positions, ignored = rowlib.map_header(table.header)
    if not table.rows:
        raise ImportFileError(_("The file has no row under its first row (the column names)."))
    classified = rowlib.classify(rowlib.table_rows(table, positions), actor=actor, scope=scope)
    ImportBatch.objects.filter(created_at__lt=timezone.now() - IMPORT_BATCH_LIFETIME).delete()
    batch, _created = ImportBatch.objects.update_or_create(
        owner=actor,
        defaults={
            "filename": rowlib._shown(filename)[:255],
            "created_at": timezone.now(),
            "status": ImportBatch.Status.PENDING,
            "applied_at": None,
            "ignored_columns": ignored,
            "rows": [row.as_json() for row in classified],
        },
    )
    return batch


def current_batch(actor: User) -> ImportBatch | None:
    """``actor``'s batch, unless expired."""
    batch = ImportBatch.objects.filter(owner=actor).first()
    return None if batch is None or batch.is_expired else batch


def batch_rows(batch: ImportBatch) -> list[Row]:
    return [Row.from_json(data) for data in batch.rows]


class BatchRefreshed(Exception):  # noqa: N818 - not an error: the preview was redone
    """A row was refused at the apply: nothing was kept, the batch is classified again."""

    def __init__(self, row: Row, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.message = message


@dataclass(frozen=True)
class _Objects:
    profiles: dict[int, Profile]
    establishments: dict[int, Establishment]
    units: dict[int, Unit]
    # People by address: those found by the preview, then those created by earlier rows.
    users: dict[str, User]


def _objects(rows: list[Row]) -> _Objects:
    """The profiles, structures and existing accounts of the valid rows, loaded once."""
    valid = [row for row in rows if row.is_valid]
    establishment_ids = {row.establishment_id for row in valid}
    unit_ids = {row.unit_id for row in valid if row.unit_id is not None}
    user_ids = sorted({row.user_id for row in valid if row.user_id is not None})
    users: dict[str, User] = {}
    for start in range(0, len(user_ids), rowlib.CHUNK):
        for user in User.objects.filter(pk__in=user_ids[start : start + rowlib.CHUNK]):
            users[user.email] = user
    return _Objects(
        profiles={profile.pk: profile for profile in Profile.objects.all()},
        establishments=Establishment.objects.in_bulk(list(establishment_ids)),
        units=Unit.objects.in_bulk(list(unit_ids)),
        users=users,
    )


def batch_apply(
    *, actor: User, scope: Scope, batch: ImportBatch, request: HttpRequest | None = None
) -> ImportBatch:
    """Apply the valid rows of ``actor``'s pending ``batch``: one ``account_create`` each, all
    in one transaction, then the batch records each row's outcome.

    ``BatchRefreshed`` when a row is refused by its service: nothing was changed and the batch
    holds the rows classified again. A batch already applied is returned as it is.
    """
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch.pk, owner=actor)
            if batch.status != ImportBatch.Status.PENDING:
                return batch
            rows = batch_rows(batch)
            found = _objects(rows)
            for row in rows:
                _apply_row(row, found, actor=actor, scope=scope, request=request)
            batch.rows = [row.as_json() for row in rows]
            batch.status = ImportBatch.Status.APPLIED
            batch.applied_at = timezone.now()
            batch.save(update_fields=["rows", "status", "applied_at"])
    except BatchRefreshed as refused:
        _refresh(batch, actor=actor, scope=scope)
        raise refused
    return batch


def _apply_row(
    row: Row, found: _Objects, *, actor: User, scope: Scope, request: HttpRequest | None
) -> None:
    if not row.is_valid:
        row.outcome = row.status if row.status == UNCHANGED else ERROR
        return
    establishment = found.establishments.get(row.establishment_id or 0)
    unit = found.units.get(row.unit_id) if row.unit_id is not None else None
    profile = found.profiles.get(row.profile_id or 0)
    if establishment is None or profile is None or (row.unit_id is not None and unit is None):
        raise BatchRefreshed(row, _("A structure or a profile of this row no longer exists."))
    start_date = datetime.date.fromisoformat(row.start_date or "")
    end_date = datetime.date.fromisoformat(row.end_date or "")
    user = found.users.get(row.email)
    try:
        if user is not None:
            # An account that exists: the service of "Add a right" on the person's page.
            services.habilitation_grant(
                actor=actor,
                user=user,
                profile=profile,
                establishment=establishment,
                unit=unit,
                start_date=start_date,
                end_date=end_date,
                request=request,
                scope=scope,
            )
            row.outcome = "added"
            return
        # No account for this address yet: the service of "Create an account" (which adds
        # the right to the account of the address, should one have appeared meanwhile).
        user, _habilitation, created = services.account_create(
            actor=actor,
            last_name=row.values["last_name"],
            first_name=row.values["first_name"],
            email=row.email,
            phone=row.values["phone"],
            job_title=row.values["job_title"],
            profile=profile,
            establishment=establishment,
            unit=unit,
            start_date=start_date,
            end_date=end_date,
            request=request,
            scope=scope,
        )
    except services.NotAllowed as error:
        raise BatchRefreshed(row, _("This structure is no longer among yours.")) from error
    except ValidationError as error:
        raise BatchRefreshed(row, " ".join(error.messages)) from error
    found.users[user.email] = user
    row.outcome = "created" if created else "added"


def _refresh(batch: ImportBatch, *, actor: User, scope: Scope) -> None:
    """Classify the batch's rows again; a row refused before stays refused."""
    previous = batch_rows(batch)
    values = [(row.number, row.values) for row in previous]
    fresh = rowlib.classify(values, actor=actor, scope=scope)
    for old, new in zip(previous, fresh, strict=True):
        if old.status == ERROR and new.status != ERROR:
            new.status, new.messages, new.notes = ERROR, old.messages, []
    ImportBatch.objects.filter(pk=batch.pk).update(rows=[row.as_json() for row in fresh])


def batch_cancel(*, actor: User) -> None:
    """Forget ``actor``'s batch (a file not applied, or the report of one)."""
    ImportBatch.objects.filter(owner=actor).delete()


# --- What the pages and files show


def status_label(status: str) -> str:
    return {
        NEW: _("New account"),
        ADD: _("Right added to an existing account"),
        UNCHANGED: _("Already there, unchanged"),
        ERROR: _("Error"),
    }[status]


def outcome_label(outcome: str) -> str:
    return {
        "created": _("Account created"),
        "added": _("Right added"),
        UNCHANGED: _("Unchanged"),
        ERROR: _("Not imported"),
    }[outcome]


def report_header() -> list[str]:
    return [_("Row"), *rowlib.header(), _("Result"), _("Reason or note")]


def report_rows(batch: ImportBatch) -> Iterator[list[Any]]:
    """The report's lines: each row of the file with what became of it (or, before the apply,
    what would)."""
    for row in batch_rows(batch):
        result = outcome_label(row.outcome) if row.outcome else status_label(row.status)
        yield [
            row.number,
            *(row.values.get(key, "") for key in rowlib.COLUMN_KEYS),
            result,
            " ".join([*row.messages, *row.notes]),
        ]


def export_rows(rights: QuerySet[Habilitation]) -> Iterator[list[Any]]:
    """The open rights ``rights`` in the file's columns, ready to be edited and imported."""
    for right in rights.select_related("user", "profile", "establishment", "unit").iterator(
        chunk_size=2000
    ):
        user = right.user
        yield [
            user.last_name,
            user.first_name,
            user.email,
            user.phone,
            user.job_title,
            right.profile.name,
            right.establishment.finess,
            right.unit.name if right.unit else "",
            right.start_date,
            right.end_date,
        ]


def help_rows(scope: Scope) -> tuple[list[list[Any]], list[list[Any]]]:
    """The template's second and third sheets: the profiles this person may give, and the
    structures they administer (FINESS, establishment, unit, unit code)."""
    profiles = [[profile.name] for profile in scope.grantable_profiles()]
    if scope.is_platform_admin:
        return profiles, []
    structures: list[list[Any]] = [
        [establishment.finess, establishment.name, "", ""]
        for establishment in Establishment.objects.filter(
            pk__in=scope.establishment_ids, is_active=True
        ).order_by("name")
    ]
    units = (
        scope.units(Unit.objects.filter(is_active=True, establishment__is_active=True))
        .select_related("establishment")
        .order_by("establishment__name", "name")
    )
    structures += [
        [unit.establishment.finess, unit.establishment.name, unit.name, unit.code] for unit in units
    ]
    return profiles, structures
