"""Établissements: the establishments a référent administers, searchable and paged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from structures.models import Sector

URL = reverse("administration:establishments")


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize("person", ["agent", "director"])
def test_staff_and_directors_get_404(db, client, request, person):
    # `db` named here: pytest-django orders tests by the fixtures they name, and the person
    # fixtures, reached through getfixturevalue, need the reference data of the migrations.
    client.force_login(request.getfixturevalue(person))
    assert client.get(URL).status_code == 404


def test_a_referent_sees_only_their_establishments(
    client, establishment_referent, hospital, other_hospital, cardiology
):
    client.force_login(establishment_referent)
    page = get(client)
    assert hospital.name in page
    assert other_hospital.name not in page
    assert reverse("administration:establishment", args=[hospital.pk]) in page


def test_a_unit_referent_sees_the_establishment_of_their_unit(
    client, unit_referent, hospital, other_hospital
):
    client.force_login(unit_referent)
    page = get(client)
    assert hospital.name in page
    assert other_hospital.name not in page


def test_a_platform_admin_sees_every_establishment_50_per_page(client, platform_admin, make):
    for n in range(55):
        make.establishment(name=f"EHPAD {n:03d}")
    client.force_login(platform_admin)
    page = get(client)
    assert "EHPAD 049" in page
    assert "EHPAD 050" not in page
    assert "page=2" in page
    page = get(client, page="2")
    assert "EHPAD 054" in page
    assert "EHPAD 000" not in page
    assert get(client, page="x")  # a bad page number is the first page, not a 500


def test_search_by_name_without_accents_city_finess_and_address(client, platform_admin, make):
    wanted = make.establishment(
        name="HÔPITAL SAINT-JEAN", city="ALBI", postcode="81000", address="5 AVENUE DU ROC"
    )
    make.establishment(name="CLINIQUE DES PINS", city="TOULOUSE")
    client.force_login(platform_admin)
    for query in ("hopital st jean", "albi", wanted.finess, "81000", "avenue du roc"):
        page = get(client, q=query)
        assert "HÔPITAL SAINT-JEAN" in page, query
        assert "CLINIQUE DES PINS" not in page, query


def test_sector_filter(client, platform_admin, make):
    make.establishment(name="EHPAD LES ROSES", sector=Sector.GRAND_AGE)
    make.establishment(name="IME LE PHARE", sector=Sector.HANDICAP)
    client.force_login(platform_admin)
    page = get(client, secteur=Sector.GRAND_AGE)
    assert "EHPAD LES ROSES" in page
    assert "IME LE PHARE" not in page
    # An unknown sector is ignored, not a 500.
    assert "IME LE PHARE" in get(client, secteur="<script>")


def test_query_count_does_not_grow_with_the_number_of_establishments(client, platform_admin, make):
    client.force_login(platform_admin)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            get(client)
        return len(queries)

    for n in range(3):
        make.unit(make.establishment(name=f"SMALL {n}"))
    small = count_queries()
    for n in range(60):
        make.unit(make.establishment(name=f"LARGE {n}"))
    assert count_queries() == small
