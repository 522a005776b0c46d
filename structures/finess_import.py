"""The FINESS import: legal entities and establishments upserted from an extract of the national
register, in one transaction with its audit event (``finess_import``).

Reading the files (formats, encodings, validation) is ``structures.finess_files``.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit import trail
from audit.models import AuditEvent
from structures.finess_files import (
    EstablishmentRecord,
    FinessFile,
    LegalEntityRecord,
    Rejection,
    open_finess_file,
)
from structures.models import Departement, Establishment, LegalEntity

if TYPE_CHECKING:
    from accounts.models import User

FINESS_BATCH_SIZE = 2000


@dataclasses.dataclass
class ImportCounts:
    """What an import did to one kind of row. created/updated/unchanged/deactivated are disjoint:
    an update that closes an establishment counts as deactivated only."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class FinessImportResult:
    file_name: str
    format: str
    metadata: dict[str, str]
    dry_run: bool
    establishments: ImportCounts = dataclasses.field(default_factory=ImportCounts)
    legal_entities: ImportCounts = dataclasses.field(default_factory=ImportCounts)
    rejections: list[Rejection] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The figures, as stored in the audit event."""
        return {
            "file": self.file_name,
            "format": self.format,
            **self.metadata,
            "establishments": self.establishments.as_dict(),
            "legal_entities": self.legal_entities.as_dict(),
            "rejected_records": len(self.rejections),
        }


class FinessImportRejectedError(Exception):
    """Strict mode: the file has rejected records, so nothing was imported."""

    def __init__(self, result: FinessImportResult) -> None:
        super().__init__(f"{len(result.rejections)} rejected records")
        self.result = result


def finess_import(
    *,
    path: str | Path,
    strict: bool = False,
    dry_run: bool = False,
    actor: User | None = None,
    progress: Callable[[float], None] | None = None,
    today: datetime.date | None = None,
    batch_size: int = FINESS_BATCH_SIZE,
) -> FinessImportResult:
    """Upsert the legal entities and establishments of a FINESS extract (legacy CSV or JSON).

    Rows are matched by FINESS number. Only FINESS-owned fields (``Establishment.FINESS_FIELDS``,
    those the file carries) are written; the directory sheet is never touched; unchanged rows are
    not written at all. Establishments closed in the source become inactive; establishments
    absent from the file are left alone; nothing is deleted. Invalid records are rejected and
    listed in the result while the rest is imported, unless ``strict``: then any rejection
    raises ``FinessImportRejectedError`` and nothing is written. ``dry_run`` computes the same
    result and writes nothing. The whole run, with its audit event, is one transaction.

    Raises ``FinessFileError`` (before touching the database) for a file that is not an extract.
    """
    source = open_finess_file(path, today=today)
    with transaction.atomic():
        result = _FinessUpsert(source, write=not dry_run, strict=strict, batch_size=batch_size).run(
            progress
        )
        if strict and result.rejections:
            raise FinessImportRejectedError(result)  # leaving the atomic block rolls back
        if not dry_run:
            trail.record(
                action=AuditEvent.Action.FINESS_IMPORTED, actor=actor, after=result.summary()
            )
    if not dry_run:
        _refresh_statistics(result)
    return result


# Changed rows after which the planner's statistics are refreshed at once: until autovacuum
# gets to it, searches planned on the old figures ran 20 times slower (docs/reliability.md).
ANALYZE_AFTER_CHANGED_ROWS = 1000


def _refresh_statistics(result: FinessImportResult) -> None:
    counts = result.establishments
    changed = counts.created + counts.updated + counts.deactivated
    if connection.vendor == "postgresql" and changed >= ANALYZE_AFTER_CHANGED_ROWS:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE structures_legalentity, structures_establishment")


class _Pending:
    """Stands for the key of a legal entity created in this run but not yet inserted."""

    def __repr__(self) -> str:
        return "<pending legal entity>"


_PENDING = _Pending()
_LEGAL_ENTITY_FIELDS = ("name", "long_name", "siren", "is_active", "closed_on")
_EJ_ACTIVE = _LEGAL_ENTITY_FIELDS.index("is_active")


class _FinessUpsert:
    """One import run: existing rows are read once, compared in Python, written in batches."""

    def __init__(self, source: FinessFile, *, write: bool, strict: bool, batch_size: int) -> None:
        self.source = source
        self.write = write
        self.strict = strict
        self.batch_size = batch_size
        self.now = timezone.now()
        self.result = FinessImportResult(
            file_name=source.path.name,
            format=source.format,
            metadata=dict(source.metadata),
            dry_run=not write,
        )

        # The establishment columns this file owns, in the model's order. Every compared tuple
        # is (search_text, *those columns).
        self.fields = [f for f in Establishment.FINESS_FIELDS if f in source.establishment_fields]
        meta_fields = [
            cast(models.Field, Establishment._meta.get_field(name)) for name in self.fields
        ]
        self.columns = [field.attname for field in meta_fields]
        self.plan = [
            (
                field.name,
                field.max_length if isinstance(field, models.CharField) else None,
            )
            for field in meta_fields
        ]
        self.ej_column = 1 + self.fields.index("legal_entity")
        self.active_column = 1 + self.fields.index("is_active")
        self.departements: dict[str, int] = dict(Departement.objects.values_list("code", "pk"))
        self.establishments: dict[str, tuple[int, tuple[Any, ...]]] = {
            row[0]: (row[1], row[2:])
            for row in Establishment.objects.order_by().values_list(
                "finess", "pk", "search_text", *self.columns
            )
        }
        self.seen: dict[str, str] = {}  # FINESS number -> where it first appeared in the file
        self.to_create: list[tuple[str, str, tuple[Any, ...]]] = []
        self.to_update: list[tuple[int, str, tuple[Any, ...]]] = []

        self.ej_pks: dict[str, int] = {}
        self.ej_values: dict[str, tuple[Any, ...]] = {}
        for finess, pk, *values in LegalEntity.objects.order_by().values_list(
            "finess", "pk", *_LEGAL_ENTITY_FIELDS
        ):
            self.ej_pks[finess] = pk
            self.ej_values[finess] = tuple(values)
        self.ej_limits = [
            getattr(LegalEntity._meta.get_field(name), "max_length", None)
            for name in _LEGAL_ENTITY_FIELDS
        ]
        self.ej_records: set[str] = set()  # legal entities described by a record of the file
        self.ej_counted: set[str] = set()
        self.ej_to_create: dict[str, tuple[Any, ...]] = {}
        self.ej_to_update: list[tuple[int, tuple[Any, ...]]] = []

        self.et_inserts = _writer(
            Establishment, ["finess", "imported_at", "search_text", *self.columns]
        )
        self.et_updates = _writer(Establishment, ["search_text", *self.columns, "imported_at"])
        self.ej_inserts = _writer(LegalEntity, ["finess", "imported_at", *_LEGAL_ENTITY_FIELDS])
        self.ej_updates = _writer(LegalEntity, [*_LEGAL_ENTITY_FIELDS, "imported_at"])

    def run(self, progress: Callable[[float], None] | None) -> FinessImportResult:
        for count, record in enumerate(self.source.records(), start=1):
            if isinstance(record, EstablishmentRecord):
                self._establishment(record)
            elif isinstance(record, LegalEntityRecord):
                self._legal_entity(record)
            else:
                self._reject(record)
            if len(self.to_create) + len(self.to_update) >= self.batch_size:
                self._flush()
            if progress is not None and count % 1000 == 0:
                progress(self.source.fraction_read)
        self._flush()
        if progress is not None:
            progress(1.0)
        return self.result

    # --- Records ---

    def _reject(self, rejection: Rejection) -> None:
        self.result.rejections.append(rejection)
        if rejection.kind == "legal_entity":
            self.result.legal_entities.rejected += 1
        elif rejection.kind == "establishment":
            self.result.establishments.rejected += 1
        if self.strict:
            # The run will be rolled back: stop writing, keep reading to list every rejection.
            self.write = False

    def _legal_entity(self, record: LegalEntityRecord) -> None:
        if record.finess in self.ej_records:
            reason = _("duplicate legal entity")
            self._reject(Rejection(record.location, reason, record.finess, "legal_entity"))
            return
        self.ej_records.add(record.finess)
        self.ej_counted.add(record.finess)
        values = tuple(
            value[:limit] if limit and isinstance(value, str) else value
            for value, limit in zip(
                (record.name, record.long_name, record.siren, record.is_active, record.closed_on),
                self.ej_limits,
                strict=True,
            )
        )
        counts = self.result.legal_entities
        if record.finess in self.ej_to_create:  # created as a placeholder earlier in this run
            self.ej_to_create[record.finess] = values
            return
        old = self.ej_values.get(record.finess)
        if old is None:
            self.ej_to_create[record.finess] = values
            counts.created += 1
        elif old == values:
            counts.unchanged += 1
        else:
            if old[_EJ_ACTIVE] and not values[_EJ_ACTIVE]:
                counts.deactivated += 1
            else:
                counts.updated += 1
            self.ej_to_update.append((self.ej_pks[record.finess], values))
            self.ej_values[record.finess] = values

    def _legal_entity_key(self, finess: str) -> int | _Pending:
        """The key of the legal entity an establishment names, created if missing.

        The CSV names a legal entity by number only: a missing one is created with its number as
        a placeholder name, which a later JSON import replaces. An existing one is left as is.
        """
        if finess in self.ej_to_create:
            return _PENDING
        pk = self.ej_pks.get(finess)
        counted = finess in self.ej_counted
        self.ej_counted.add(finess)
        if pk is not None:
            if not counted:
                self.result.legal_entities.unchanged += 1
            return pk
        self.ej_to_create[finess] = (finess, "", "", True, None)
        self.result.legal_entities.created += 1
        return _PENDING

    def _establishment(self, record: EstablishmentRecord) -> None:
        first = self.seen.get(record.finess)
        if first is not None:
            reason = _("duplicate establishment (first at %(location)s)") % {"location": first}
            self._reject(Rejection(record.location, reason, record.finess))
            return
        self.seen[record.finess] = record.location
        departement = self.departements.get(record.departement)
        if departement is None:  # the reader knows it, but this database lacks it
            reason = _("unknown département “%(code)s”") % {"code": record.departement}
            self._reject(Rejection(record.location, reason, record.finess))
            return
        ej_finess = record.legal_entity_finess
        legal_entity = self._legal_entity_key(ej_finess) if ej_finess else None

        # Bulk writes bypass save(): search_text is computed here, with the model's own formula
        # (the record has the same attribute names).
        values: list[Any] = [Establishment.build_search_text(record)]  # type: ignore[arg-type]
        for name, limit in self.plan:
            if name == "legal_entity":
                values.append(legal_entity)
            elif name == "departement":
                values.append(departement)
            else:
                value = getattr(record, name)
                if limit and len(value) > limit:
                    value = value[:limit]
                values.append(value)
        new = tuple(values)

        counts = self.result.establishments
        existing = self.establishments.get(record.finess)
        if existing is None:
            counts.created += 1
            self.to_create.append((record.finess, ej_finess, new))
            return
        pk, old = existing
        if old == new:
            counts.unchanged += 1
            return
        if old[self.active_column] and not new[self.active_column]:
            counts.deactivated += 1
        else:
            counts.updated += 1
        self.to_update.append((pk, ej_finess, new))

    # --- Writes ---

    def _resolve(self, ej_finess: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
        if values[self.ej_column] is not _PENDING:
            return values
        column = self.ej_column
        return (*values[:column], self.ej_pks[ej_finess], *values[column + 1 :])

    def _flush(self) -> None:
        if not self.write:
            self.ej_to_update.clear()
            self.to_create.clear()
            self.to_update.clear()
            return
        self._flush_legal_entities()
        if self.to_create:
            self.et_inserts.insert(
                [
                    (finess, self.now, *self._resolve(ej_finess, values))
                    for finess, ej_finess, values in self.to_create
                ]
            )
            self.to_create.clear()
        if self.to_update:
            self.et_updates.update(
                [(pk, (*self._resolve(e, values), self.now)) for pk, e, values in self.to_update]
            )
            self.to_update.clear()

    def _flush_legal_entities(self) -> None:
        if self.ej_to_create:
            self.ej_inserts.insert(
                [(finess, self.now, *values) for finess, values in self.ej_to_create.items()]
            )
            created = LegalEntity.objects.filter(finess__in=list(self.ej_to_create))
            self.ej_pks.update(created.values_list("finess", "pk"))
            self.ej_values.update(self.ej_to_create)
            self.ej_to_create.clear()
        if self.ej_to_update:
            self.ej_updates.update([(pk, (*values, self.now)) for pk, values in self.ej_to_update])
            self.ej_to_update.clear()


def _writer(model: type[models.Model], attnames: Sequence[str]) -> _RowWriter:
    if connection.vendor == "postgresql":
        return _CopyWriter(model, attnames)
    return _RowWriter(model, attnames)


class _RowWriter:
    """Inserts and updates rows of ``model`` given as tuples of values for ``attnames``.

    Any backend: ``bulk_create`` for inserts, one parameterised UPDATE per row sent with
    ``executemany`` for updates (``bulk_update``'s CASE WHEN per column is much slower).
    """

    def __init__(self, model: type[models.Model], attnames: Sequence[str]) -> None:
        self.model = model
        self.attnames = list(attnames)
        by_attname = {field.attname: field for field in model._meta.concrete_fields}
        self.fields = [by_attname[name] for name in attnames]
        self.table = model._meta.db_table

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        self.model._default_manager.bulk_create(
            [self.model(**dict(zip(self.attnames, row, strict=True))) for row in rows],
            batch_size=FINESS_BATCH_SIZE,
        )

    def update(self, rows: Sequence[tuple[int, tuple[Any, ...]]]) -> None:
        quote = connection.ops.quote_name
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in self.fields)
        # Identifiers come from the model's metadata, values are parameters.
        sql = (
            f"UPDATE {quote(self.table)} SET {assignments} "  # noqa: S608
            f"WHERE {quote(self.model._meta.pk.column)} = %s"
        )
        params = [
            [
                *(
                    field.get_db_prep_save(value, connection)
                    for field, value in zip(self.fields, values, strict=True)
                ),
                pk,
            ]
            for pk, values in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


class _CopyWriter(_RowWriter):
    """PostgreSQL: ``COPY`` for inserts, and for updates ``COPY`` into a temporary table then one
    ``UPDATE ... FROM``. psycopg adapts the Python values itself, which skips Django's per-value
    preparation: a 100,000-row import takes 9 s instead of 23 s (docs/benchmarks.md)."""

    def __init__(self, model: type[models.Model], attnames: Sequence[str]) -> None:
        super().__init__(model, attnames)
        # COPY bypasses the model: the columns the file does not give get their model default
        # (Django defaults are not database defaults).
        self.defaults = [
            (field.column, field.get_default())
            for field in model._meta.concrete_fields
            if field.attname not in self.attnames and not field.primary_key
        ]
        self.temporary = f"finess_import_{self.table}"
        self.temporary_ready = False

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> None:
        quote = connection.ops.quote_name
        columns = [field.column for field in self.fields] + [c for c, _v in self.defaults]
        defaults = tuple(value for _c, value in self.defaults)
        statement = f"COPY {quote(self.table)} ({', '.join(map(quote, columns))}) FROM STDIN"
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row((*row, *defaults))

    def update(self, rows: Sequence[tuple[int, tuple[Any, ...]]]) -> None:
        quote = connection.ops.quote_name
        pk = quote(self.model._meta.pk.column)
        columns = [quote(field.column) for field in self.fields]
        temporary = quote(self.temporary)
        with connection.cursor() as cursor:
            if self.temporary_ready:
                cursor.execute(f"TRUNCATE {temporary}")
            else:
                # Same column types as the table, no constraints; dropped with the transaction
                # (the outermost one: a test's, or an earlier import's in the same transaction).
                cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{temporary}")
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {temporary} ON COMMIT DROP AS "  # noqa: S608
                    f"SELECT {pk}, {', '.join(columns)} FROM {quote(self.table)} WITH NO DATA"
                )
                self.temporary_ready = True
            with cursor.copy(f"COPY {temporary} ({pk}, {', '.join(columns)}) FROM STDIN") as copy:
                for key, values in rows:
                    copy.write_row((key, *values))
            assignments = ", ".join(f"{column} = source.{column}" for column in columns)
            cursor.execute(
                f"UPDATE {quote(self.table)} AS target SET {assignments} "  # noqa: S608
                f"FROM {temporary} AS source WHERE target.{pk} = source.{pk}"
            )
