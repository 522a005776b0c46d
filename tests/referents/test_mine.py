"""Mes référents: the référents of the person's own structures, at once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Habilitation

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


def test_the_structures_are_those_of_the_rights_in_force_on_open_structures(client, make):
    """The page's own SQL follows ``Habilitation.objects.active_on``: same structures, same
    order, whatever the dates, early ends and closed units or establishments."""
    person = make.user()
    today = timezone.localdate()
    day = timezone.timedelta(days=1)
    open_hospital = make.establishment(name="B Hôpital ouvert")
    closed = make.establishment(name="A Fermé", is_active=False)
    ward = make.unit(open_hospital, name="Z Service")
    shut_ward = make.unit(open_hospital, name="Service fermé", is_active=False)
    make.habilitation(person, open_hospital)
    make.habilitation(person, ward)
    make.habilitation(person, closed)
    make.habilitation(person, shut_ward)
    make.habilitation(person, make.establishment(name="Futur"), start=today + day)
    make.habilitation(person, make.establishment(name="Échu"), start=today - 10 * day,
                      end=today - day)  # fmt: skip
    # Ended early today: no longer in force today (``active_on``).
    ends_tonight = make.habilitation(person, make.establishment(name="C Fin ce soir"))
    ends_tonight.ended_at = timezone.now() + timezone.timedelta(minutes=1)
    ends_tonight.ended_by = person
    ends_tonight.end_reason = "départ"
    ends_tonight.save()
    expected = [
        h.unit.name if h.unit_id else h.establishment.name
        for h in Habilitation.objects.active_on()
        .filter(user=person)
        .order_by("establishment__name", "unit__name")
    ]
    assert sorted(expected) == ["B Hôpital ouvert", "Z Service"]
    client.force_login(person)
    page = client.get(URL).content.decode()
    positions = [page.find(name) for name in expected]
    assert -1 not in positions
    assert positions == sorted(positions)
    for absent in ("A Fermé", "Service fermé", "Futur", "Échu", "C Fin ce soir"):
        assert absent not in page
