"""``manage.py import_finess PATH [--strict] [--dry-run]``.

A thin shell around ``structures.finess_import.finess_import``: progress bar, summary, exit status.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from structures.finess_files import FinessFileError
from structures.finess_import import (
    FinessImportRejectedError,
    FinessImportResult,
    ImportCounts,
    finess_import,
)

REJECTIONS_SHOWN = 50
_BAR_WIDTH = 40


class Command(BaseCommand):
    help = (
        "Import establishments and legal entities from a FINESS extract: the legacy etalab CSV "
        "(cs1100507/cs1100502) or the JSON flow, recognised from the content."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the extract to import")
        parser.add_argument(
            "--strict",
            action="store_true",
            help="refuse the whole file if any record is invalid",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="compute and print the summary, write nothing",
        )

    def handle(self, *args: Any, path: str, strict: bool, dry_run: bool, **options: Any) -> None:
        self._shown_percent = -1
        progress = self._progress if self.stdout.isatty() else None
        try:
            result = finess_import(path=path, strict=strict, dry_run=dry_run, progress=progress)
        except FinessFileError as error:
            raise CommandError(str(error)) from error
        except FinessImportRejectedError as error:
            self._end_progress()
            self._report(error.result)
            raise CommandError(
                _("--strict: %(count)d rejected records, the file was not imported.")
                % {"count": len(error.result.rejections)}
            ) from error
        self._end_progress()
        self._report(result)

    def _progress(self, fraction: float) -> None:
        percent = int(fraction * 100)
        if percent == self._shown_percent:
            return
        self._shown_percent = percent
        done = _BAR_WIDTH * percent // 100
        self.stdout.write(f"\r[{'#' * done}{'.' * (_BAR_WIDTH - done)}] {percent:3d}%", ending="")
        self.stdout.flush()

    def _end_progress(self) -> None:
        if self._shown_percent >= 0:
            self.stdout.write("")

    def _report(self, result: FinessImportResult) -> None:
        details = ", ".join(f"{key} {value}" for key, value in result.metadata.items() if value)
        self.stdout.write(
            _("FINESS import of %(file)s (%(format)s%(details)s)")
            % {
                "file": result.file_name,
                "format": result.format,
                "details": f"; {details}" if details else "",
            }
        )
        self.stdout.write(
            _("Establishments: %(counts)s") % {"counts": _counts(result.establishments)}
        )
        self.stdout.write(
            _("Legal entities: %(counts)s") % {"counts": _counts(result.legal_entities)}
        )
        total = len(result.rejections)
        if total:
            self.stdout.write(
                _("Rejected records: %(total)d (first %(shown)d below)")
                % {"total": total, "shown": min(total, REJECTIONS_SHOWN)}
                if total > REJECTIONS_SHOWN
                else _("Rejected records: %(total)d") % {"total": total}
            )
            for rejection in result.rejections[:REJECTIONS_SHOWN]:
                number = f" [{rejection.finess}]" if rejection.finess else ""
                self.stdout.write(f"  {rejection.location}{number}: {rejection.reason}")
        if result.dry_run:
            self.stdout.write(_("Dry run: nothing was written."))


def _counts(counts: ImportCounts) -> str:
    return (
        _(
            "%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
            "%(deactivated)d deactivated, %(rejected)d rejected"
        )
        % counts.as_dict()
    )
