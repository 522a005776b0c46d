"""Reading staff files: encodings, separators, byte order marks, quoting, xlsx; the files we
write keep formula-looking texts as text."""

from __future__ import annotations

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.utils import translation

from administration.imports.files import (
    MAX_CELL,
    ImportFileError,
    read_table,
    xlsx_bytes,
)
from administration.imports.rows import cell_text, finess_number, map_header, parse_date


@pytest.fixture(autouse=True)
def _in_english():
    # The messages are checked in English, whatever the catalog holds.
    with translation.override("en"):
        yield


LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_rows": 5000}
HEADER = "nom;prénom;e-mail;téléphone;fonction;profil;FINESS;unité;début;fin"
ROW = "Lefèvre;Hélène;helene@example.test;;Cadre;Médecin;010000024;Cardiologie;01/02/2026;"


def read(data: bytes, name: str = "staff.csv", **limits):
    return read_table(data, name, **{**LIMITS, **limits})


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"], ids=["utf8", "bom", "win", "utf16"]
)
def test_the_encodings_french_excel_saves(encoding):
    table = read(f"{HEADER}\r\n{ROW}\r\n".encode(encoding))
    assert table.header[:3] == ["nom", "prénom", "e-mail"]
    assert table.rows == [(2, ROW.split(";"))]


def test_a_file_neither_utf8_nor_windows_1252_is_refused():
    with pytest.raises(ImportFileError, match="CSV UTF-8"):
        read(HEADER.encode() + b"\n\x81\x8d\x8f;\x90\x9d\xff\n")


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_the_separator_is_sniffed(separator):
    text = f"{HEADER}\n{ROW}\n".replace(";", separator)
    table = read(text.encode())
    assert len(table.header) == 10
    assert table.rows[0][1][0] == "Lefèvre"


def test_quoted_cells_keep_separators_quotes_and_line_breaks():
    text = f'{HEADER}\n"Dupont; fils";"Jean ""Jo""";"a@b.test";;"Cadre\nde santé";M;1;;;\n'
    table = read(text.encode())
    number, cells = table.rows[0]
    assert number == 2
    assert cells[:5] == ["Dupont; fils", 'Jean "Jo"', "a@b.test", "", "Cadre\nde santé"]


def test_empty_rows_are_skipped_and_row_numbers_are_the_spreadsheet_s():
    table = read(f"\n{HEADER}\n;;;;\n{ROW}\n\n{ROW}\n".encode())
    assert [number for number, _cells in table.rows] == [4, 6]


def test_trailing_unnamed_columns_are_dropped_from_the_header():
    table = read(f"{HEADER};;\n{ROW}\n".encode())
    assert len(table.header) == 10


def test_a_cell_beyond_the_csv_limit_is_refused_with_its_row():
    with pytest.raises(ImportFileError, match="Row 2"):
        read(f'{HEADER}\n"{"x" * (MAX_CELL + 1)}"\n'.encode())


def test_an_old_mac_file_with_carriage_returns_only_is_read():
    table = read(f"{HEADER}\r{ROW}\r".encode())
    assert table.rows[0][1][0] == "Lefèvre"


def test_xlsx_first_sheet_dates_numbers_and_formulas_as_text():
    data = xlsx(
        [
            HEADER.split(";"),
            [None],
            [
                *('=HYPERLINK("x")', "Léa", "lea@b.test", 612345678, None, "Médecin", 10000024),
                *(None, datetime.datetime(2026, 2, 1), datetime.date(2026, 12, 31)),  # noqa: DTZ001
            ],
        ]
    )
    table = read(data, "staff.xlsx")
    assert table.kind == "xlsx"
    number, cells = table.rows[0]
    assert number == 3
    assert cells[0] == '=HYPERLINK("x")'
    assert [cell_text(cell) for cell in cells[3:]] == [
        "612345678",
        "",
        "Médecin",
        "10000024",
        "",
        "01/02/2026",
        "31/12/2026",
    ]


def test_an_xlsx_is_recognised_by_its_content_whatever_its_name():
    assert read(xlsx([HEADER.split(";"), ROW.split(";")]), "export.csv").kind == "xlsx"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7 ...", "staff.pdf", "CSV file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "staff.xls", "old version"),
        (b"nom;prenom", "staff.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04 broken zip", "staff.xlsx", "cannot be read as an Excel"),
        (b"", "staff.csv", "empty"),
        (b"\n\n;;;\n", "staff.csv", "empty"),
    ],
)
def test_files_that_are_not_staff_files_are_refused(data, name, message):
    with pytest.raises(ImportFileError, match=message):
        read(data, name)


def test_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hello")
    with pytest.raises(ImportFileError, match="Excel"):
        read(buffer.getvalue(), "staff.xlsx")


def test_a_workbook_that_inflates_beyond_the_limit_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/huge.xml", b"0" * (2 * 1024 * 1024))
    with pytest.raises(ImportFileError, match="larger than"):
        read(buffer.getvalue(), "staff.xlsx", max_bytes=50_000)


def test_the_size_and_row_limits():
    data = (HEADER + "\n" + (ROW + "\n") * 4).encode()
    with pytest.raises(ImportFileError, match="larger than"):
        read(data, max_bytes=len(data) - 1)
    with pytest.raises(ImportFileError, match="more than 3 rows"):
        read(data, max_rows=3)
    assert len(read(data, max_rows=4).rows) == 4


def test_a_file_of_blank_lines_is_refused_without_reading_it_all():
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        read((HEADER + "\n" + ";\n" * 100_000).encode(), max_rows=2)


# --- Columns and cells


def test_headers_in_french_or_english_in_any_order_case_and_accents_aside():
    positions, ignored = map_header(
        ["E-MAIL", "Prenom", "Last name", "Profil", "finess", "Remarque", "Début", "fin"]
    )
    assert positions == {
        "email": 0,
        "first_name": 1,
        "last_name": 2,
        "profile": 3,
        "finess": 4,
        "start": 6,
        "end": 7,
    }
    assert ignored == ["Remarque"]


def test_a_missing_or_twice_named_column_is_refused():
    with pytest.raises(ImportFileError, match="e-mail"):
        map_header(["nom", "prénom", "profil", "FINESS"])
    with pytest.raises(ImportFileError, match="twice"):
        map_header(["nom", "prénom", "e-mail", "email", "profil", "FINESS"])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("  Jean   Pierre ", "Jean Pierre"),
        ("'=1+1", "=1+1"),  # the apostrophe our CSV writer puts is removed
        ("'+33 6 12", "+33 6 12"),
        ("'apostrophe", "'apostrophe"),
        (12.0, "12"),
        (1.5, "1.5"),
        (datetime.datetime(2026, 3, 4), "04/03/2026"),  # noqa: DTZ001 - as openpyxl gives it
        (None, ""),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("04/03/2026", datetime.date(2026, 3, 4)),
        ("4/3/2026", datetime.date(2026, 3, 4)),
        ("2026-03-04", datetime.date(2026, 3, 4)),
        ("04.03.2026", datetime.date(2026, 3, 4)),
        ("31/02/2026", None),
        ("01/01/9999", None),  # beyond the years a right may have
        ("demain", None),
    ],
)
def test_parse_date(text, day):
    assert parse_date(text) == day


def test_the_leading_zero_excel_drops_from_a_finess_number_is_put_back():
    assert finess_number("10000024") == "010000024"
    assert finess_number(" 2A 000 0017 ") == "2A0000017"


# --- Writing


def test_xlsx_written_keeps_formula_looking_text_as_text():
    data = xlsx_bytes(
        [("Feuille", ["nom", "début"], [["=cmd|'/c calc'!A1", datetime.date(2026, 1, 2)]])]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    assert "=cmd|" in sheet
    table = read(data, "back.xlsx")
    assert table.rows[0][1][0] == "=cmd|'/c calc'!A1"
    assert cell_text(table.rows[0][1][1]) == "02/01/2026"
