"""CSV files that open correctly in French Excel, streamed row by row.

French Excel opens a CSV on a double click without mangling it only when the file is UTF-8 with
a byte order mark and separated by ";"; dates are written DD/MM/YYYY. Cells that Excel would run
as formulas are neutralised (CSV injection). Rows are produced lazily from an iterator, so that
an export of 100,000 rows never sits in memory (the views pass ``queryset.iterator()``).
"""

from __future__ import annotations

import csv
import datetime
import zoneinfo
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.http import content_disposition_header

# The files are read in French Excel: times in metropolitan French time, whatever the server's.
EXPORT_TIME_ZONE = zoneinfo.ZoneInfo("Europe/Paris")
# The byte order mark tells Excel the file is UTF-8.
BOM = "\ufeff"
# Excel runs cells starting with these as formulas.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, value: str) -> str:
        return value


def cell(value: object) -> str:
    """One value as Excel should show it: dates DD/MM/YYYY, no formulas, None as empty."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value, EXPORT_TIME_ZONE).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_lines(
    header: Iterable[object], rows: Iterable[Iterable[object]], language: str | None = None
) -> Iterator[str]:
    """The lines of the file: the BOM and the header, then one line per row, ``;``-separated.

    ``header`` may hold lazy translations and ``rows`` may translate as it goes: both are
    evaluated in ``language``, since a streamed body is read after the view has returned.
    """
    writer = csv.writer(_Echo(), delimiter=";")
    with translation.override(language):
        yield BOM + writer.writerow([cell(str(title)) for title in header])
        for row in rows:
            yield writer.writerow([cell(value) for value in row])


def csv_response(
    *, header: Iterable[object], rows: Iterable[Iterable[object]], filename: str
) -> StreamingHttpResponse:
    """A streamed CSV download of ``rows`` (an iterator: nothing is read before streaming)."""
    response = StreamingHttpResponse(
        csv_lines(header, rows, translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(True, filename) or "attachment"
    return response
