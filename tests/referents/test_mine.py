"""Mes référents: the référents of the person's own structures, at once."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from accounts.models import Habilitation
from tests.factory import days, today

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


def end_early(habilitation, by, at=None):
    habilitation.ended_at = at or timezone.now()
    habilitation.ended_by = by
    habilitation.end_reason = "départ"
    habilitation.save()
    return habilitation


def test_a_person_whose_rights_all_ended_sees_whom_to_ask_for_an_extension(
    client,
    make,
    hospital,
    cardiology,
    other_hospital,
    other_referent,
    unit_referent,
    platform_admin,
):
    person = make.user()
    end_early(make.habilitation(person, other_hospital), platform_admin)
    make.habilitation(person, cardiology, start=today() - days(200), end=today() - days(40))
    # Ended 13 months ago: too long ago to be listed (ENDED_RIGHTS_SHOWN_DAYS = 365).
    make.habilitation(
        person, make.establishment(name="CH DU PASSÉ"), start=today() - days(900),
        end=today() - days(400),
    )  # fmt: skip
    client.force_login(person)
    page = client.get(URL).content.decode()
    assert other_referent.email in page
    assert unit_referent.email in page
    assert "CH DU PASSÉ" not in page
    assert page.count("demandez à un de ces référents de le prolonger") == 2
    assert f"Votre droit a pris fin le {date_format(today(), 'DATE_FORMAT')}" in page
    assert f"Votre droit a pris fin le {date_format(today() - days(40), 'DATE_FORMAT')}" in page
    # The latest end first.
    assert page.index(other_referent.email) < page.index(unit_referent.email)


def test_an_ended_right_beside_one_in_force_on_the_same_structure_is_not_repeated(
    client, make, cardiology, unit_referent, platform_admin
):
    person = make.user()
    make.habilitation(person, cardiology)
    end_early(make.habilitation(person, cardiology, profile="infirmier"), platform_admin)
    make.habilitation(person, cardiology, start=today() - days(90), end=today() - days(30))
    client.force_login(person)
    page = client.get(URL).content.decode()
    assert page.count(unit_referent.email + "</a>") == 1
    assert "a pris fin" not in page


@pytest.mark.django_db
@override_settings(ENDED_RIGHTS_SHOWN_DAYS=10)
def test_how_long_ended_rights_are_shown_is_a_setting(
    client, make, hospital, establishment_referent
):
    person = make.user()
    make.habilitation(person, hospital, start=today() - days(90), end=today() - days(11))
    client.force_login(person)
    assert establishment_referent.email not in client.get(URL).content.decode()


def test_a_unit_referent_sees_the_establishments_referents_first_then_their_unit(
    client, make, hospital, cardiology, unit_referent, establishment_referent
):
    client.force_login(unit_referent)
    page = client.get(URL).content.decode()
    assert "les référents de l’établissement gèrent votre propre compte" in page
    assert page.index(establishment_referent.email) < page.index(unit_referent.email)
    assert "(vous)" in page


def test_a_unit_referent_whose_establishment_has_none_gets_its_escalation(
    client, make, hospital, cardiology, unit_referent
):
    client.force_login(unit_referent)
    page = client.get(URL).content.decode()
    assert "les référents de l’établissement gèrent votre propre compte" in page
    assert reverse("referents:establishment", args=[hospital.pk]) in page


@pytest.mark.parametrize("size", [1, 5])
def test_five_queries_whatever_the_number_of_structures(client, make, size):
    # Session, person, the person's rights (which also give the menu), the rights ended
    # lately, the référents.
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
    assert len(queries) <= 5, [q["sql"][:80] for q in queries]


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
    for absent in ("A Fermé", "Service fermé", "Futur"):
        assert absent not in page
    # Rights ended lately come after those in force, with their end.
    for ended in ("Échu", "C Fin ce soir"):
        assert page.find(ended) > positions[-1]
    assert page.count("a pris fin le") == 2
