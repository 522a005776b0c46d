"""Reading a spreadsheet a référent uploads, and writing one, without meaning attached.

A file becomes a ``Table``: its header row and its other non-empty rows, each with its row
number as the spreadsheet shows it. CSV is read the way French Excel saves it: ``;`` (or ``,``,
or a tab), UTF-8 with or without a byte order mark, else Windows-1252 (UTF-16 with its byte
order mark too, Excel's "Unicode text"). ``.xlsx`` is read with openpyxl in read-only mode, the
first sheet only, formulas as their text (never computed). Anything else, or a file past the
limits, is refused with ``ImportFileError`` and a message for the person: nothing in a file can
raise anything else.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.csv import FORMULA_START

# Cells of a row read at most (a sheet may claim 16,384 columns).
MAX_COLUMNS = 50
# Rows, empty ones included, read at most for each row allowed: a file of blank lines (or a
# sheet whose only cell is in row 1,048,576) is refused instead of read for seconds.
MAX_RECORDS_PER_ROW = 10
# A workbook is a zip: its parts, uncompressed, may not exceed this many times the file limit.
MAX_XLSX_INFLATION = 20
# Python's csv refuses cells longer than this (its field_size_limit, left as is).
MAX_CELL = csv.field_size_limit()

XLSX_MAGIC = b"PK\x03\x04"
# The old binary Excel format (and every OLE2 document).
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Cell = str | int | float | bool | datetime.date | datetime.datetime | datetime.time | None


class ImportFileError(Exception):
    """The file cannot be read; ``message`` tells the person why, in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Table:
    kind: str  # "csv" or "xlsx"
    header: list[str]
    # (row number in the spreadsheet, cells): the non-empty rows after the header.
    rows: list[tuple[int, list[Cell]]]


def read_table(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> Table:
    """The table in ``data`` (the uploaded file ``filename``), or ``ImportFileError``."""
    if len(data) > max_bytes:
        raise ImportFileError(too_large_message(max_bytes))
    name = filename.lower()
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, max_bytes=max_bytes, max_rows=max_rows)
    if data.startswith(XLS_MAGIC) or name.endswith(".xls"):
        raise ImportFileError(
            _(
                "This is a file of an old version of Excel (.xls): save it as an Excel workbook "
                "(.xlsx) or as CSV, then try again."
            )
        )
    if name.endswith((".xlsx", ".xlsm")):
        raise ImportFileError(_("This file is not an Excel workbook (.xlsx), whatever its name."))
    if not name.endswith((".csv", ".txt")):
        raise ImportFileError(_("Choose a CSV file (.csv) or an Excel workbook (.xlsx)."))
    return _read_csv(data, max_rows=max_rows)


def too_large_message(max_bytes: int) -> str:
    megabytes = max(1, round(max_bytes / (1024 * 1024)))
    return ngettext(
        "The file is larger than %(count)s MB: split it into smaller files.",
        "The file is larger than %(count)s MB: split it into smaller files.",
        megabytes,
    ) % {"count": megabytes}


def _too_many_rows(max_rows: int) -> ImportFileError:
    return ImportFileError(
        ngettext(
            "The file has more than %(count)s row: split it into smaller files.",
            "The file has more than %(count)s rows: split it into smaller files.",
            max_rows,
        )
        % {"count": max_rows}
    )


def _is_empty(cells: Sequence[Cell]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _table(kind: str, records: Iterable[tuple[int, Sequence[Cell]]], max_rows: int) -> Table:
    """The header (first non-empty record) and the non-empty records after it."""
    header: list[str] | None = None
    rows: list[tuple[int, list[Cell]]] = []
    limit = max_rows * MAX_RECORDS_PER_ROW + 1000
    for number, cells in records:
        if number > limit:
            raise _too_many_rows(max_rows)
        if _is_empty(cells):
            continue
        if header is None:
            header = ["" if cell is None else str(cell).strip() for cell in cells]
            continue
        if len(rows) >= max_rows:
            raise _too_many_rows(max_rows)
        rows.append((number, list(cells)))
    if header is None:
        raise ImportFileError(_("The file is empty."))
    # Trailing empty headers are cells nobody named (a sheet's formatting, a last ";").
    while header and not header[-1]:
        header.pop()
    return Table(kind=kind, header=header, rows=rows)


# --- CSV


def decode(data: bytes) -> str:
    """The text of a CSV file: by its byte order mark, else UTF-8, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        # Windows-1252 leaves five bytes undefined: a file using them is neither.
        encodings = ["utf-8", "cp1252"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _(
            "The file's characters could not be read: save it as “CSV UTF-8” (or as an Excel "
            "workbook) and try again."
        )
    )


def _delimiter(text: str) -> str:
    """The separator that cuts the header line into the most cells (";" on a tie)."""
    first = next((line for line in io.StringIO(text, newline=None) if line.strip()), "")
    best, cells = ";", 0
    for candidate in (";", ",", "\t"):
        try:
            count = len(next(csv.reader([first], delimiter=candidate), []))
        except csv.Error:
            continue
        if count > cells:
            best, cells = candidate, count
    return best


def _csv_records(text: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportFileError(
                _(
                    "Row %(row)s of the file cannot be read as CSV: a cell is too long or its "
                    "quotes do not match."
                )
                % {"row": number + 1}
            ) from error
        number += 1
        yield number, list(cells[:MAX_COLUMNS])


def _read_csv(data: bytes, *, max_rows: int) -> Table:
    text = decode(data)
    return _table("csv", _csv_records(text, _delimiter(text)), max_rows)


# --- xlsx


def _read_xlsx(data: bytes, *, max_bytes: int, max_rows: int) -> Table:
    import openpyxl  # imported here: only the staff files need it

    unreadable = ImportFileError(
        _("This file cannot be read as an Excel workbook (.xlsx): save it again from Excel.")
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as error:
        raise unreadable from error
    if inflated > max_bytes * MAX_XLSX_INFLATION:
        raise ImportFileError(too_large_message(max_bytes))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises whatever its parsers meet in a broken file
        raise unreadable from error
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The file is empty."))
        sheet = workbook.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            # The size a file declares may be wrong: read the rows it has.
            sheet.reset_dimensions()
        records = (
            (number, _trimmed(cells))
            for number, cells in enumerate(
                sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1
            )
        )
        return _table("xlsx", records, max_rows)
    except ImportFileError:
        raise
    except Exception as error:  # a part that only breaks once read
        raise unreadable from error
    finally:
        workbook.close()


def _trimmed(cells: Sequence[Cell]) -> list[Cell]:
    """A sheet's row without the empty cells openpyxl adds up to ``max_col``."""
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    return list(cells[:end])


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of ``(title, header, rows)`` sheets: bold header row kept in view, dates as
    DD/MM/YYYY, and every text as text (a cell starting with "=" is never a formula)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = openpyxl.Workbook(write_only=True)
    bold = Font(bold=True)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title[:31])
        sheet.freeze_panes = "A2"
        for index, name in enumerate(header):
            letter = openpyxl.utils.get_column_letter(index + 1)
            sheet.column_dimensions[letter].width = max(14, len(name) + 4)
        cells = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime.date):
        cell.number_format = "DD/MM/YYYY"
    elif isinstance(value, str):
        # openpyxl takes a text starting with "=" for a formula: write it as text.
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    return cell
