"""Liste des référents ViaTrajectoire: the tree, its fragments, and the search."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from structures.models import Sector

URL = reverse("referents:list")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def test_regions_are_listed_closed_at_first(signed_in, hospital):
    page = get(signed_in, URL)
    assert "Occitanie" in page
    assert "Nouvelle-Aquitaine" in page
    assert hospital.name not in page
    assert 'href="?region=76#r-76"' in page


def test_without_javascript_each_plus_opens_the_next_level(
    signed_in, hospital, cardiology, geriatrics
):
    assert "31 – Haute-Garonne" in get(signed_in, URL, region="76")
    page = get(signed_in, URL, departement="31")
    assert hospital.name in page
    assert "Cardiologie" not in page
    page = get(signed_in, URL, etablissement=hospital.pk)
    assert "Cardiologie" in page
    assert "Gériatrie" in page
    assert reverse("referents:unit", args=[cardiology.pk]) in page


def test_fragments_load_only_the_children_of_the_node(signed_in, hospital, cardiology):
    fragment = get(signed_in, reverse("referents:tree_children", args=["region", "76"]))
    assert fragment.startswith("<ul")
    assert "31 – Haute-Garonne" in fragment
    assert "<html" not in fragment
    fragment = get(signed_in, reverse("referents:tree_children", args=["departement", "31"]))
    assert hospital.name in fragment
    fragment = get(
        signed_in, reverse("referents:tree_children", args=["etablissement", hospital.pk])
    )
    assert "Cardiologie" in fragment


@pytest.mark.parametrize(
    ("kind", "key"),
    [("region", "00"), ("departement", "XX"), ("etablissement", "abc"), ("planet", "1")],
)
def test_unknown_nodes_are_404(signed_in, kind, key):
    response = signed_in.get(reverse("referents:tree_children", args=[kind, key]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params", [{"region": "zz"}, {"departement": "<script>"}, {"etablissement": "1e9"}]
)
def test_bad_tree_parameters_are_404_not_500(signed_in, params):
    assert signed_in.get(URL, params).status_code == 404


def test_closed_establishments_are_not_in_the_tree(signed_in, make):
    closed = make.establishment(name="CLINIQUE FERMEE", is_active=False)
    assert closed.name not in get(signed_in, URL, departement="31")


def test_establishments_are_paged_50_at_a_time(signed_in, make):
    for n in range(55):
        make.establishment(name=f"EHPAD {n:03d}", departement="09")
    page = get(signed_in, URL, departement="09")
    assert "EHPAD 049" in page
    assert "EHPAD 050" not in page
    page = get(signed_in, URL, departement="09", page="2")
    assert "EHPAD 050" in page
    assert "EHPAD 000" not in page
    # Opening an establishment of page 2 shows page 2.
    from structures.models import Establishment

    late = Establishment.objects.get(name="EHPAD 054")
    assert "EHPAD 054" in get(signed_in, URL, etablissement=late.pk)


def test_sector_filter_keeps_only_that_sector(signed_in, make):
    make.establishment(name="EHPAD LES ROSES", sector=Sector.GRAND_AGE)
    make.establishment(name="IME LE PHARE", sector=Sector.HANDICAP)
    page = get(signed_in, URL, departement="31", secteur=Sector.GRAND_AGE)
    assert "EHPAD LES ROSES" in page
    assert "IME LE PHARE" not in page


def test_search_folds_accents_and_case_word_by_word(signed_in, make):
    make.establishment(name="HÔPITAL SAINT-JEAN", city="TOULOUSE")
    make.establishment(name="HÔPITAL SAINTE-MARIE", city="ALBI")
    assert "HÔPITAL SAINT-JEAN" in get(signed_in, URL, q="hopital saint jean")
    assert "HÔPITAL SAINT-JEAN" in get(signed_in, URL, q="hop st j")
    page = get(signed_in, URL, q="hopital jean saint")
    assert "HÔPITAL SAINT-JEAN" in page
    assert "HÔPITAL SAINTE-MARIE" not in page
    assert "HÔPITAL SAINT-JEAN" not in get(signed_in, URL, q="hopital jeanne")
    assert "HÔPITAL SAINTE-MARIE" in get(signed_in, URL, q="albi")


def test_search_by_finess_number_and_postcode(signed_in, make):
    wanted = make.establishment(name="CLINIQUE DU PARC", postcode="31400")
    assert "CLINIQUE DU PARC" in get(signed_in, URL, q=wanted.finess)
    assert "CLINIQUE DU PARC" in get(signed_in, URL, q="31400")


def test_search_ranks_the_exact_finess_number_first(signed_in, make):
    wanted = make.establishment(name="ZZZ DERNIER PAR LE NOM")
    make.establishment(name=f"AAA {wanted.finess}")  # its name contains the number
    page = get(signed_in, URL, q=wanted.finess)
    assert page.index("ZZZ DERNIER PAR LE NOM") < page.index(f"AAA {wanted.finess}")


@pytest.mark.parametrize("query", ["'; DROP TABLE x; --", "%", "_", "é" * 500, "中文", "\x00"])
def test_odd_queries_answer_without_error(signed_in, query):
    response = signed_in.get(URL, {"q": query})
    assert response.status_code in {200, 400}


def test_query_count_does_not_grow_with_the_data(signed_in, make):
    def add_establishments(count):
        for n in range(count):
            establishment = make.establishment(name=f"CH {n:04d}")
            make.unit(establishment)
            make.unit(establishment)

    add_establishments(10)
    first = make.establishment(name="CH 0000 BIS")
    make.unit(first)
    pages = [
        (URL, {}),
        (URL, {"region": "76"}),
        (URL, {"departement": "31"}),
        (URL, {"etablissement": first.pk}),
        (URL, {"q": "ch"}),
        (reverse("referents:tree_children", args=["region", "76"]), {}),
        (reverse("referents:tree_children", args=["departement", "31"]), {}),
        (reverse("referents:tree_children", args=["etablissement", first.pk]), {}),
    ]

    def counts():
        result = []
        for url, params in pages:
            with CaptureQueriesContext(connection) as queries:
                assert signed_in.get(url, params).status_code == 200
            result.append(len(queries))
        return result

    small = counts()
    add_establishments(990)  # 1,000 establishments and 2,000 units
    assert counts() == small
    assert max(small) <= 11
