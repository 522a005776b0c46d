"""Comptes utilisateurs: the list of the people in my structures, its search and filters."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance
from tests.factory import days, today

URL = reverse("administration:people")


def names(response) -> str:
    return response.content.decode()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:sign_in") in response["Location"]


@pytest.mark.parametrize("who", ["agent", "director"])
def test_not_a_referent_gets_404(db, client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 404


def test_establishment_referent_sees_their_people_only(
    client, establishment_referent, agent, other_referent, make, other_hospital, hospital
):
    elsewhere = make.user(email="elsewhere@example.test")
    make.habilitation(elsewhere, other_hospital)
    # A person in both establishments: only the right in scope is shown.
    both = make.user(email="both@example.test", last_name="Dual")
    make.habilitation(both, hospital, profile="medecin")
    make.habilitation(both, other_hospital, profile="secretaire-medicale")
    client.force_login(establishment_referent)
    page = names(client.get(URL))
    assert agent.email in page
    assert "both@example.test" in page
    assert "Médecin" in page
    assert "Secrétaire médicale" not in page
    assert "CLINIQUE DES PINS" not in page
    assert "elsewhere@example.test" not in page
    assert other_referent.email not in page


def test_unit_referent_sees_their_unit_only(client, unit_referent, agent, make, geriatrics):
    other = make.user(email="geriatrie@example.test")
    make.habilitation(other, geriatrics)
    client.force_login(unit_referent)
    page = names(client.get(URL))
    assert agent.email in page
    assert "geriatrie@example.test" not in page


def test_search_by_name_without_accents_or_case(client, establishment_referent, make, hospital):
    person = make.user(email="helene@example.test", last_name="Lefèvre", first_name="Hélène")
    make.habilitation(person, hospital)
    make.user(email="other@example.test")
    client.force_login(establishment_referent)
    for query in ("lefevre", "HELENE lef", "LEFÈVRE", "helene@exa"):
        assert "helene@example.test" in names(client.get(URL, {"q": query})), query
    assert "helene@example.test" not in names(client.get(URL, {"q": "durand"}))


def test_filters(client, establishment_referent, make, hospital):
    blocked = make.user(email="blocked@example.test", last_login=timezone.now())
    blocked.blocked_at = timezone.now()
    blocked.blocked_reason = "échecs"
    blocked.save()
    make.habilitation(blocked, hospital)
    ending = make.user(email="ending@example.test", last_login=timezone.now())
    make.habilitation(ending, hospital, start=today() - days(100), end=today() + days(10))
    dormant = make.user(
        email="dormant@example.test", last_login=timezone.now() - datetime.timedelta(days=120)
    )
    make.habilitation(dormant, hospital)
    charter = Charter.objects.create(version=1, title="Charte", body="...")
    for user in (blocked, ending, establishment_referent):
        CharterAcceptance.objects.create(user=user, charter=charter)
    client.force_login(establishment_referent)

    page = names(client.get(URL, {"blocked": "on"}))
    assert "blocked@example.test" in page
    assert "ending@example.test" not in page

    page = names(client.get(URL, {"ending_soon": "on"}))
    assert "ending@example.test" in page
    assert "dormant@example.test" not in page

    page = names(client.get(URL, {"charter_missing": "on"}))
    assert "dormant@example.test" in page
    assert "ending@example.test" not in page

    page = names(client.get(URL, {"dormant": "on"}))
    assert "dormant@example.test" in page
    assert "blocked@example.test" not in page


def test_bad_parameters_give_a_page(client, establishment_referent):
    client.force_login(establishment_referent)
    assert client.get(URL, {"page": "x", "q": "a" * 500, "blocked": "zzz"}).status_code == 200


def _people(make, hospital, cardiology, n: int) -> None:
    for _ in range(n):
        person = make.user()
        make.habilitation(person, hospital, profile="medecin")
        make.habilitation(person, cardiology)


def _count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, {"q": "nom", "ending_soon": "", "charter_missing": "on"})
    assert response.status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_data(
    client, establishment_referent, make, hospital, cardiology
):
    charter = Charter.objects.create(version=1, title="Charte", body="...")
    CharterAcceptance.objects.create(user=establishment_referent, charter=charter)
    client.force_login(establishment_referent)
    _people(make, hospital, cardiology, 3)
    small = _count(client)
    _people(make, hospital, cardiology, 60)
    assert _count(client) == small
    page = names(client.get(URL))
    assert 'rel="next"' in page


def test_pagination_50_per_page(client, establishment_referent, make, hospital):
    for _ in range(55):
        make.habilitation(make.user(), hospital)
    client.force_login(establishment_referent)
    response = client.get(URL)
    assert len(response.context["page"].object_list) == 50
    second = client.get(URL, {"page": 2})
    assert len(second.context["page"].object_list) == 6


def test_search_follows_a_changed_name(client, establishment_referent, make, hospital):
    person = make.user(email="anne@example.test", last_name="Dupont", first_name="Anne")
    make.habilitation(person, hospital)
    person.last_name = "Éluard"
    person.save(update_fields=["last_name"])
    client.force_login(establishment_referent)
    assert "anne@example.test" in names(client.get(URL, {"q": "elu ann"}))
    assert "anne@example.test" not in names(client.get(URL, {"q": "dupont"}))
