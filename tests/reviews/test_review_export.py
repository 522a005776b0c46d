"""Revue des habilitations: the CSV export of the filtered table, for French Excel."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User
from tests.factory import days, today

EXPORT = reverse("reviews:export")


@pytest.fixture
def charter(db) -> Charter:
    return Charter.objects.create(
        version=1, title="Charte", body="Texte", published_at=timezone.now() - days(1)
    )


@pytest.fixture
def signed_in_director(client, director, charter):
    CharterAcceptance.objects.create(user=director, charter=charter)
    client.force_login(director)
    return director


def lines(response) -> list[str]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    assert text.endswith("\r\n")
    return text.split("\r\n")[:-1]


def test_csv_for_french_excel(client, signed_in_director, make, cardiology, hospital, charter):
    person = make.user(
        last_name="Lefèvre",
        first_name="Hélène",
        email="helene@example.test",
        last_login=datetime.datetime(2026, 1, 15, 23, 30, tzinfo=datetime.UTC),
    )
    make.habilitation(
        person,
        cardiology,
        "infirmier",
        start=datetime.date(2026, 1, 5),
        end=datetime.date(2099, 12, 31),
        granted_by=signed_in_director,
    )
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="revue-habilitations-')
    assert f"-{hospital.finess}-centre-hospitalier-saint-jean-" in disposition
    assert disposition.endswith(f'{timezone.localdate():%Y-%m-%d}.csv"')
    header, *rows = lines(response)
    assert header.count(";") == 13
    assert len(rows) == 2  # Lefèvre and the director
    cells = rows[0].split(";")
    assert cells[:9] == [
        "LEFÈVRE",
        "Hélène",
        "helene@example.test",
        "Infirmier(e)",
        "CENTRE HOSPITALIER SAINT-JEAN",
        hospital.finess,
        "Cardiologie",
        "05/01/2026",
        "31/12/2099",
    ]
    assert cells[10].startswith("MOREAU ")  # granted by
    assert cells[11] == "16/01/2026 00:30"  # 23:30 UTC is the next day in Paris
    assert rows[1].startswith("MOREAU;")


def test_csv_in_the_language_of_the_request(client, signed_in_director, agent, hospital):
    habilitation = agent.habilitations.get()
    response = client.get(EXPORT, HTTP_ACCEPT_LANGUAGE="en")
    header, martin, _moreau = lines(response)
    assert header.startswith("Last name;First name;E-mail;Profile;")
    assert martin == ";".join(
        [
            "MARTIN",
            "Léa",
            "agent@example.test",
            "Infirmier(e)",
            "CENTRE HOSPITALIER SAINT-JEAN",
            hospital.finess,
            "Cardiologie",
            f"{habilitation.start_date:%d/%m/%Y}",
            f"{habilitation.end_date:%d/%m/%Y}",
            "Active",
            "",  # granted by nobody recorded
            "",  # never signed in
            "no",
            "no",  # the charter is not accepted
        ]
    )
    _header, martin, _moreau = lines(client.get(EXPORT))
    assert martin.endswith(";non;non")


def test_csv_keeps_the_filters_and_the_sort(client, signed_in_director, make, hospital):
    for name, end in [("Alpha", 10), ("Beta", 300), ("Gamma", 20)]:
        make.habilitation(make.user(last_name=name), hospital, end=today() + days(end))
    response = client.get(EXPORT, {"fin": "30", "tri": "-fin"})
    _header, *rows = lines(response)
    assert [row.split(";")[0] for row in rows] == ["GAMMA", "ALPHA"]


def test_csv_follows_the_name_search(client, signed_in_director, make, hospital, other_hospital):
    for last, first in [("Lefèvre", "Hélène"), ("Lebrun", "Paul"), ("Martin", "Léa")]:
        make.habilitation(make.user(last_name=last, first_name=first), hospital)
    make.habilitation(make.user(last_name="Lefebvre", first_name="Anne"), other_hospital)
    _header, *rows = lines(client.get(EXPORT, {"q": "LE", "tri": "-personne"}))
    # As on the screen: the people found (Léa too) in the director's establishment only, sorted.
    assert [row.split(";")[0] for row in rows] == ["MARTIN", "LEFÈVRE", "LEBRUN"]
    _header, *rows = lines(client.get(EXPORT, {"q": "helene lefevre"}))
    assert [row.split(";")[0] for row in rows] == ["LEFÈVRE"]
    _header, *rows = lines(client.get(EXPORT, {"q": "lefebvre"}))
    assert rows == []


def test_csv_neutralises_formulas_and_quotes(client, signed_in_director, make, hospital):
    unit = make.unit(hospital, name='=HYPERLINK("x");Soins "A"')
    make.habilitation(make.user(last_name="Aaron", first_name="+33 6"), unit)
    _header, *rows = lines(client.get(EXPORT))
    assert rows[0].startswith("AARON;'+33 6;")
    assert ';"\'=HYPERLINK(""x"");Soins ""A""";' in rows[0]


def test_csv_of_one_of_several_establishments(
    client, signed_in_director, make, hospital, other_hospital
):
    make.habilitation(signed_in_director, other_hospital, Profile.DIRECTOR)
    make.habilitation(make.user(last_name="Zola"), other_hospital)
    response = client.get(EXPORT)
    assert 'filename="revue-habilitations-20' in response["Content-Disposition"]
    assert len(lines(response)) == 1 + 3
    response = client.get(EXPORT, {"etablissement": other_hospital.pk})
    assert f"-{other_hospital.finess}-clinique-des-pins-" in response["Content-Disposition"]
    assert [row.split(";")[0] for row in lines(response)[1:]] == ["MOREAU", "ZOLA"]


def _bulk(hospital, n: int) -> None:
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(email=f"bulk{start + i}@example.test", last_name=f"Masse{start + i:05d}")
        for i in range(n)
    )
    nurse = Profile.objects.get(code="infirmier")
    Habilitation.objects.bulk_create(
        Habilitation(
            user=user,
            profile=nurse,
            establishment=hospital,
            start_date=today(),
            end_date=today() + days(100),
        )
        for user in users
    )


def test_the_export_streams_with_a_constant_number_of_queries(client, signed_in_director, hospital):
    def export_queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(EXPORT)
            assert response.streaming
            rows = len(lines(response)) - 1
        return rows, len(queries)

    _bulk(hospital, 10)
    rows, small = export_queries()
    assert rows == 11
    _bulk(hospital, 490)
    rows, large = export_queries()
    assert rows == 501
    assert large == small


def test_nothing_is_read_before_the_body_is(client, signed_in_director, hospital):
    """The rows are read while streaming, not when the view returns."""
    _bulk(hospital, 5)
    response = client.get(EXPORT)
    with CaptureQueriesContext(connection) as queries:
        body = b"".join(response.streaming_content)
    assert body.count(b"\r\n") == 1 + 6
    assert any("ORDER BY" in query["sql"] for query in queries.captured_queries)
