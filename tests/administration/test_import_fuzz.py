"""The staff file parser and the import pages against generated files (property-based).

Random bytes under any name, CSV in every encoding, separator and quoting French Excel (or
anything else) produces, huge cells, xlsx workbooks of random cells: the parser answers a table
or a refusal for the person, never anything else; the pages never answer a server error; the
upload changes nothing; the apply applies every valid row or none.

More examples for a longer run: FUZZ_EXAMPLES=500 pytest tests/administration/test_import_fuzz.py
"""

from __future__ import annotations

import csv
import io
import os

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Charter, CharterAcceptance, Habilitation, User
from administration.imports import rows as rowlib
from administration.imports.batches import batch_rows
from administration.imports.files import MAX_CELL, ImportFileError, read_table
from administration.models import ImportBatch
from audit.models import AuditEvent

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
LIMITS = {"max_bytes": 5 * 1024 * 1024, "max_rows": 5000}
HEADER = rowlib.header("fr")

NAMES = st.sampled_from(["staff.csv", "staff.xlsx", "staff.txt", "staff.xls", "staff.pdf", ""])
# What a cell may hold: separators, quotes, line breaks, accents, emoji, NUL, bidi overrides.
ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(";,\t\"'\r\n =+-@ ")),
        st.characters(codec="utf-8"),
    ),
    max_size=30,
)
# French text that Windows-1252 encodes and that can never pass for UTF-8 (no byte of
# 0x80-0xBF among the accented letters).
FRENCH_TEXT = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 ;,\"'\n-=éèàçôùïâêîûëü")), max_size=20
)


def _csv(header, rows, *, delimiter: str, quoting: int, encoding: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


def _xlsx(header, rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in [header, *rows]:
        sheet.append([_xlsx_safe(value) for value in line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_safe(value: str) -> str:
    # XML cannot carry control characters: openpyxl refuses them when writing.
    return "".join(char for char in value if char >= " " or char in "\t\n\r")


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(data=st.binary(max_size=3000), name=NAMES)
@example(data=b"PK\x03\x04" + b"\0" * 60, name="a.xlsx")
@example(data=b"\xef\xbb\xbf", name="a.csv")
@example(data=b"\xff\xfe\x00", name="a.csv")
@example(data=b'"unclosed;quote\n', name="a.csv")
def test_any_bytes_are_a_table_or_a_refusal(data, name):
    with translation.override("en"):
        try:
            table = read_table(data, name, **LIMITS)
        except ImportFileError as error:
            message = error.message
            assert message
            return
        try:
            positions, _ignored = rowlib.map_header(table.header)
        except ImportFileError:
            return
        rowlib.table_rows(table, positions)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(
    rows=st.lists(st.lists(FRENCH_TEXT, min_size=10, max_size=10), min_size=1, max_size=8),
    delimiter=st.sampled_from([";", ",", "\t"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_a_csv_reads_back_the_cells_it_was_written_with(rows, delimiter, quoting, encoding):
    data = _csv(HEADER, rows, delimiter=delimiter, quoting=quoting, encoding=encoding)
    table = read_table(data, "staff.csv", **LIMITS)
    assert table.header == HEADER
    written = [row for row in rows if any(cell.strip() for cell in row)]
    assert [cells for _number, cells in table.rows] == written


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    size=st.integers(min_value=MAX_CELL - 5, max_value=MAX_CELL + 5),
    quoted=st.booleans(),
)
def test_a_huge_cell_is_read_or_refused(size, quoted):
    cell = "x" * size
    data = (";".join(HEADER) + "\n" + (f'"{cell}"' if quoted else cell) + ";a\n").encode()
    with translation.override("en"):
        try:
            table = read_table(data, "staff.csv", **LIMITS)
        except ImportFileError as error:
            message = error.message
            assert "Row 2" in message
        else:
            assert len(table.rows[0][1][0]) == size


# --- The pages


@pytest.fixture
def world(make, hospital, cardiology, other_hospital, agent, establishment_referent, client):
    charter = Charter.objects.create(version=1, title="Charte", body="…")
    CharterAcceptance.objects.create(user=establishment_referent, charter=charter)
    client.force_login(establishment_referent)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return {
        "client": client,
        "referent": establishment_referent,
        "finess": [hospital.finess, other_hospital.finess, hospital.finess[:8], "2A0000017"],
        "emails": [agent.email, establishment_referent.email, "AGENT@example.test"],
    }


def _cells(world):
    """One row: values from the world (valid or not) or hostile text, in each column."""
    picks = {
        "last_name": st.sampled_from(["Neuf", "", "=1+1", "x" * 200]),
        "first_name": st.sampled_from(["Léa", "", "@SUM(A1)"]),
        "email": st.one_of(
            st.sampled_from(world["emails"]),
            st.integers(0, 30).map("new{}@example.test".format),
            st.sampled_from(["", "pas-une-adresse", "a@b", "x" * 300 + "@example.test"]),
        ),
        "phone": st.sampled_from(["", "+33 6 12 34 56 78", "0" * 40]),
        "job_title": st.just(""),
        "profile": st.sampled_from(
            ["Infirmier(e)", "Médecin", "directeur", "Référent structure", "?"]
        ),
        "finess": st.sampled_from(world["finess"]),
        "unit": st.sampled_from(["", "Cardiologie", "cardiologie", "Inconnue"]),
        "start": st.sampled_from(["", "01/01/2026", "2026-02-30", "31/12/2999", "hier"]),
        "end": st.sampled_from(["", "31/12/2026", "01/01/2020", "01/01/3000"]),
    }
    hostile = st.tuples(*(st.one_of(picks[key], ANY_TEXT) for key in rowlib.COLUMN_KEYS))
    good = st.tuples(
        st.sampled_from(["Neuf", "Dupont-Lefèvre", "O'Brien"]),
        st.sampled_from(["Léa", "Jean Pierre"]),
        st.integers(0, 30).map("new{}@example.test".format),
        st.sampled_from(["", "+33 6 12 34 56 78"]),
        st.sampled_from(["", "Interne"]),
        st.sampled_from(["Infirmier(e)", "medecin", "Médecin", "Secrétaire médicale"]),
        st.just(world["finess"][0]),
        st.sampled_from(["", "Cardiologie"]),
        st.sampled_from(["", "01/01/2026", "2026-03-01"]),
        st.sampled_from(["", "31/12/2026"]),
    )
    # Mostly rows that can be applied, so that applying is exercised too.
    return st.one_of(good, good, hostile).map(list)


def _files(world):
    rows = st.lists(_cells(world), min_size=0, max_size=12)
    header = st.one_of(
        st.just(HEADER), st.permutations(HEADER), st.lists(ANY_TEXT, min_size=1, max_size=12)
    )
    as_csv = st.builds(
        _csv,
        header,
        rows,
        delimiter=st.sampled_from([";", ",", "\t", "|"]),
        quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]),
        encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]),
    ).map(lambda data: (data, "staff.csv"))
    as_xlsx = st.builds(_xlsx, header, rows).map(lambda data: (data, "staff.xlsx"))
    garbage = st.tuples(st.binary(max_size=2000), NAMES.map(lambda name: name or "fichier"))
    return st.one_of(as_csv, as_csv, as_xlsx, garbage)


def _counts() -> tuple[int, int, int]:
    return User.objects.count(), Habilitation.objects.count(), AuditEvent.objects.count()


def test_no_file_gives_a_server_error_nor_a_partial_import(world):
    client = world["client"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(file=_files(world))
    def one_file(file):
        data, name = file
        with transaction.atomic():
            before = _counts()
            response = client.post(
                reverse("administration:people_import"), {"file": SimpleUploadedFile(name, data)}
            )
            assert response.status_code in (200, 302)
            assert _counts() == before  # reading a file changes nothing
            if response.status_code == 302:
                page = client.get(reverse("administration:import_preview"))
                assert page.status_code == 200
                report = client.get(reverse("administration:import_report_csv"))
                b"".join(report.streaming_content)
                rows = batch_rows(ImportBatch.objects.get(owner=world["referent"]))
                valid = sum(1 for row in rows if row.is_valid)
                response = client.post(reverse("administration:import_apply"))
                assert response.status_code == 302
                # Every valid row: nothing changed since the preview, so its services agree
                # with it (a row they refused would leave the whole file out).
                assert Habilitation.objects.count() - before[1] == valid
                applied = batch_rows(ImportBatch.objects.get(owner=world["referent"]))
                assert sum(1 for row in applied if row.outcome in ("created", "added")) == valid
            transaction.set_rollback(True)

    one_file()
