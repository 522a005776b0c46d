"""core.csv: CSV files for French Excel, streamed."""

from __future__ import annotations

import datetime

from django.utils import translation
from django.utils.translation import gettext_lazy

from core.csv import cell, csv_lines, csv_response


def test_cells():
    assert cell(None) == ""
    assert cell(datetime.date(2026, 3, 1)) == "01/03/2026"
    # Times are shown in Paris time, whatever the server's.
    assert cell(datetime.datetime(2026, 7, 14, 22, 5, tzinfo=datetime.UTC)) == "15/07/2026 00:05"
    assert cell(42) == "42"
    assert cell("Hélène") == "Hélène"
    for formula in ("=1+1", "+33 6 12", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert cell(formula) == f"'{formula}"


def test_lines_have_a_bom_semicolons_and_quotes():
    lines = list(csv_lines(["Nom", "Ville"], [["Lefèvre", 'Saint "Jean"; Nord'], ["A", None]]))
    assert lines == [
        "\ufeffNom;Ville\r\n",
        'Lefèvre;"Saint ""Jean""; Nord"\r\n',
        "A;\r\n",
    ]


def test_lines_are_translated_in_the_given_language():
    header = [gettext_lazy("Unit")]
    with translation.override("en"):
        assert next(csv_lines(header, [], "fr")) == "\ufeffUnité\r\n"
    assert next(csv_lines(header, [], "en")) == "\ufeffUnit\r\n"


def test_the_response_streams_lazily():
    read = []

    def rows():
        for n in range(3):
            read.append(n)
            yield [n]

    response = csv_response(header=["n"], rows=rows(), filename="été 2026.csv")
    assert response.streaming
    assert read == []
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''%C3%A9t%C3%A9%202026.csv" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body == "\ufeffn\r\n0\r\n1\r\n2\r\n".encode()
    assert read == [0, 1, 2]
