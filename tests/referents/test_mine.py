"""Mes référents: the référents of the person's own structures, at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

URL = reverse("referents:mine")


def test_sign_in_is_required(client, agent):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("accounts:sign_in") in response["Location"]


def test_the_agent_sees_the_referent_of_their_unit(
    client, agent, unit_referent, establishment_referent
):
    client.force_login(agent)
    page = client.get(URL).content.decode()
    assert "Cardiologie" in page
    assert unit_referent.email in page
    assert f"mailto:{unit_referent.email}?subject=" in page
    assert establishment_referent.email not in page  # the unit's own référent serves it
    assert reverse("referents:list") in page  # "Référents voir"


def test_a_unit_without_referent_shows_the_establishments_marked_inherited(
    client, agent, establishment_referent
):
    client.force_login(agent)
    page = client.get(URL).content.decode()
    assert establishment_referent.email in page
    assert "référent de l’établissement" in page


def test_a_structure_with_nobody_links_to_its_escalation_page(client, agent, cardiology):
    client.force_login(agent)
    page = client.get(URL).content.decode()
    assert "Aucun référent n’est identifié" in page or "No référent is identified" in page
    assert reverse("referents:unit", args=[cardiology.pk]) in page


def test_expired_or_ended_rights_do_not_list_their_structure(
    client, make, other_hospital, other_referent, platform_admin
):
    person = make.user()
    ended = make.habilitation(person, other_hospital)
    ended.ended_at = timezone.now()
    ended.ended_by = platform_admin
    ended.end_reason = "départ"
    ended.save()
    client.force_login(person)
    page = client.get(URL).content.decode()
    assert other_referent.email not in page


@pytest.mark.parametrize("size", [1, 5])
def test_four_queries_whatever_the_number_of_structures(client, make, size):
    # Session, person, the person's rights (which also give the menu), the référents.
    person = make.user()
    for _ in range(size):
        establishment = make.establishment()
        make.referent(establishment)
        unit = make.unit(establishment)
        make.habilitation(person, unit)
    bystander = make.establishment()  # unserved structure: the escalation path runs too
    make.director(bystander)
    make.habilitation(person, bystander)
    client.force_login(person)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(queries) <= 4, [q["sql"][:80] for q in queries]
