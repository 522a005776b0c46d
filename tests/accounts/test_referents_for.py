"""Rule 1: who serves a structure, and whom to tell when nobody does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.selectors import referents_for, referents_for_many
from structures.models import Establishment, Region, Unit
from tests.factory import days, today


def emails(lookup):
    return [h.user.email for h in lookup.referents]


def fresh(structure):
    """The structure as a view would get it: nothing related loaded yet."""
    return type(structure).objects.get(pk=structure.pk)


def test_a_unit_is_served_by_its_own_referents(cardiology, unit_referent, establishment_referent):
    lookup = referents_for(fresh(cardiology))
    assert emails(lookup) == [unit_referent.email]
    assert not lookup.inherited
    assert lookup.escalation is None


def test_a_unit_without_referent_inherits_its_establishments(
    geriatrics, unit_referent, establishment_referent
):
    lookup = referents_for(fresh(geriatrics))
    assert emails(lookup) == [establishment_referent.email]
    assert lookup.inherited
    assert lookup.unit == geriatrics


def test_an_establishment_is_served_by_establishment_level_referents_only(
    hospital, unit_referent, establishment_referent
):
    lookup = referents_for(fresh(hospital))
    assert emails(lookup) == [establishment_referent.email]
    assert not lookup.inherited


def test_nobody_identified_carries_directors_and_the_regions_desk(
    make, hospital, cardiology, director
):
    region = Region.objects.get(code="76")
    lookup = referents_for(fresh(cardiology))
    assert not lookup.found
    assert lookup.escalation.directors == [director]
    assert lookup.escalation.support.email == region.support_email
    assert lookup.escalation.support.url == region.support_url


def test_a_region_without_desk_falls_back_to_the_platforms_desk_named_as_such(
    make, settings, client, agent
):
    settings.SUPPORT_NAME = "Assistance nationale"
    settings.SUPPORT_EMAIL = "support@platform.test"
    settings.SUPPORT_URL = "https://support.platform.test/"
    settings.SUPPORT_PHONE = "01 02 03 04 05"
    establishment = make.establishment(departement="75")  # Paris: no desk loaded
    lookup = referents_for(establishment)
    support = lookup.escalation.support
    assert (support.name, support.email, support.url, support.phone) == (
        "Assistance nationale",
        "support@platform.test",
        "https://support.platform.test/",
        "01 02 03 04 05",
    )
    assert support.is_fallback
    assert lookup.escalation.directors == []
    client.force_login(agent)
    page = client.get(reverse("referents:establishment", args=[establishment.pk])).content
    assert "Assistance nationale" in page.decode()
    assert "n’a pas de support propre\u00a0: le support de la plateforme" in page.decode()


def test_a_regions_own_desk_is_not_called_the_fallback(make, client, agent, hospital):
    # Occitanie has its desk (the original user document's); its portal is its own.
    support = referents_for(fresh(hospital)).escalation.support
    assert not support.is_fallback
    client.force_login(agent)
    page = client.get(reverse("referents:establishment", args=[hospital.pk])).content.decode()
    assert "e-santé Occitanie" in page
    assert "support de la plateforme" not in page


def test_a_region_with_an_e_mail_only_does_not_borrow_the_platforms_portal(make, settings):
    region = Region.objects.get(code="75")
    region.support_name, region.support_email = "GIP Aquitaine", "aide@gip.test"
    region.save()
    support = referents_for(make.establishment(departement="33")).escalation.support
    assert (support.name, support.email, support.url) == ("GIP Aquitaine", "aide@gip.test", "")


def test_platform_admins_filter_the_regions_without_a_desk(client, platform_admin):
    client.force_login(platform_admin)
    url = reverse("admin:structures_region_changelist")
    without = [r.name for r in client.get(url, {"own_desk": "no"}).context["cl"].result_list]
    with_desk = [r.name for r in client.get(url, {"own_desk": "yes"}).context["cl"].result_list]
    assert with_desk == ["Occitanie"]
    assert "Bretagne" in without
    assert "Occitanie" not in without


def test_ended_expired_and_future_referents_do_not_serve(make, hospital, platform_admin):
    ended = make.referent(hospital)
    ended.habilitations.update(ended_at=timezone.now(), ended_by=platform_admin, end_reason="x")
    expired = make.user()
    make.habilitation(
        expired, hospital, "referent", start=today() - days(400), end=today() - days(1)
    )
    future = make.user()
    make.habilitation(future, hospital, "referent", start=today() + days(1))
    lookup = referents_for(hospital)
    assert not lookup.found
    assert lookup.escalation is not None


def test_a_referent_ending_today_still_serves(make, hospital):
    last_day = make.user()
    make.habilitation(last_day, hospital, "referent", start=today() - days(365), end=today())
    assert emails(referents_for(hospital)) == [last_day.email]
    assert not referents_for(hospital, on=today() + days(1)).found


def test_a_deactivated_account_does_not_serve(make, hospital):
    gone = make.referent(hospital, is_active=False)
    assert gone.email not in emails(referents_for(hospital))


def test_a_closed_establishment_has_nobody(make, hospital, establishment_referent, director):
    hospital.is_active = False
    hospital.save()
    lookup = referents_for(fresh(hospital))
    assert not lookup.found
    assert lookup.escalation.directors == []


def test_each_person_is_listed_once_sorted_by_name(make, hospital):
    zola = make.referent(hospital, last_name="Zola")
    make.habilitation(zola, hospital, "referent", start=today())  # a second, overlapping right
    abel = make.referent(hospital, last_name="Abel")
    assert emails(referents_for(hospital)) == [abel.email, zola.email]


def test_a_person_with_rights_in_two_establishments_serves_only_where_referent(
    make, hospital, other_hospital
):
    person = make.referent(hospital)
    make.habilitation(person, other_hospital, "medecin")
    assert emails(referents_for(hospital)) == [person.email]
    assert not referents_for(other_hospital).found


@pytest.mark.parametrize("size", [1, 40])
def test_at_most_two_queries_whatever_the_size(make, size):
    establishments = [make.establishment() for _ in range(size)]
    for establishment in establishments:
        unit = make.unit(establishment)
        make.director(establishment)
        for _ in range(size // 10 + 1):
            make.referent(unit)
    target = make.unit(establishments[0])  # inherits nothing: escalation path, the longest
    unit = Unit.objects.get(pk=target.pk)
    with CaptureQueriesContext(connection) as queries:
        lookup = referents_for(unit)
    assert lookup.escalation is not None
    assert len(queries) <= 2
    establishment = Establishment.objects.get(pk=establishments[-1].pk)
    with CaptureQueriesContext(connection) as queries:
        referents_for(establishment)
    assert len(queries) <= 2


def test_many_structures_at_once_in_two_queries_each_answered_like_alone(
    make, hospital, cardiology, geriatrics, other_hospital, unit_referent, establishment_referent
):
    unserved = make.establishment()
    make.director(unserved)
    structures = [cardiology, geriatrics, hospital, other_hospital, unserved]
    expected = [referents_for(fresh(s)) for s in structures]
    fresh_structures = [fresh(s) for s in structures]
    with CaptureQueriesContext(connection) as queries:
        lookups = referents_for_many(fresh_structures)
    assert len(queries) <= 2
    for alone, together in zip(expected, lookups, strict=True):
        assert emails(alone) == emails(together)
        assert alone.inherited == together.inherited
        assert (alone.escalation is None) == (together.escalation is None)
    assert lookups[4].escalation.directors  # the unserved one's director
