"""The accounts list finds a person by name, e-mail or RPPS/ADELI number in one box; a whole
address or number is an exact lookup of its index (a platform administrator searches the
whole country)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User

URL = reverse("administration:people")


def found(client, query: str) -> list[str]:
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    return [person.email for person in response.context["page"].object_list]


@pytest.fixture
def doctor(make, hospital):
    person = make.user(
        email="dr.roux@example.test", last_name="Roux", first_name="Anne", national_id="10001234567"
    )
    make.habilitation(person, hospital, profile="medecin")
    return person


@pytest.fixture
def corsican_nurse(make, cardiology):
    person = make.user(email="ile@example.test", last_name="Santoni", national_id="2A1234567")
    make.habilitation(person, cardiology)
    return person


@pytest.mark.parametrize("query", ["10001234567", " 1000 1234 567 ", "10001"])
def test_an_rpps_number_finds_the_person(client, establishment_referent, doctor, agent, query):
    client.force_login(establishment_referent)
    assert found(client, query) == [doctor.email]


@pytest.mark.parametrize("query", ["2A1234567", "2a1234567"])
def test_an_adeli_number_finds_the_person(client, unit_referent, corsican_nurse, query):
    client.force_login(unit_referent)
    assert found(client, query) == [corsican_nurse.email]


def test_a_whole_address_finds_the_person_only(
    client, establishment_referent, doctor, make, hospital
):
    namesake = make.user(email="dr.roux@example.test.other", last_name="Roux")
    make.habilitation(namesake, hospital)
    client.force_login(establishment_referent)
    assert found(client, "DR.Roux@example.test") == [doctor.email]
    assert sorted(found(client, "dr.roux@")) == sorted([doctor.email, namesake.email])


def test_the_search_stays_in_scope(client, other_referent, doctor):
    client.force_login(other_referent)
    assert found(client, "10001234567") == []
    assert found(client, doctor.email) == []


def test_a_platform_administrator_finds_anyone_by_address_or_number(
    client, platform_admin, make, doctor
):
    nowhere = make.user(email="sans.droit@example.test", national_id="751234567")
    client.force_login(platform_admin)
    assert found(client, "10001234567") == [doctor.email]
    assert found(client, "751234567") == [nowhere.email]
    assert found(client, "sans.droit@example.test") == [nowhere.email]


def test_an_exact_lookup_is_one_query_on_its_column(client, platform_admin, doctor):
    client.force_login(platform_admin)
    with CaptureQueriesContext(connection) as queries:
        found(client, "10001234567")
    people = [
        q["sql"] for q in queries if 'FROM "accounts_user"' in q["sql"] and "LIMIT" in q["sql"]
    ]
    assert people
    assert all('"national_id" =' in sql for sql in people)
    assert all("LIKE" not in sql and "to_tsvector" not in sql for sql in people)


def test_the_box_says_what_it_searches(client, establishment_referent):
    client.force_login(establishment_referent)
    response = client.get(URL)
    assert "RPPS" in str(response.context["form"]["q"].label)


def test_a_number_of_no_kind_is_a_word_search(client, establishment_referent, make, hospital):
    person = make.user(email="x123@example.test", last_name="Chiffres")
    make.habilitation(person, hospital)
    client.force_login(establishment_referent)
    assert found(client, "x123") == [person.email]
    assert User.objects.filter(national_id="").count() >= 1
