"""Nobody hands out a capability they do not hold over that structure, and every capability
applies to its right's own structure only.

The escalation found in a browser: the Cardiology référent granted the "Directeur" profile on
Cardiology; the new director then reviewed the whole establishment, ran a campaign and ended an
Urgences nurse's right.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Habilitation, Profile
from accounts.scope import Scope
from accounts.selectors import referents_for
from reviews import services as review_services
from reviews.models import ReviewCampaign


@pytest.fixture
def director_profile(make) -> Profile:
    return make.profile(Profile.DIRECTOR)


@pytest.fixture
def emergency(make, hospital):
    return make.unit(hospital, name="Urgences")


@pytest.fixture
def emergency_nurse(make, emergency):
    nurse = make.user(email="urgences@example.test", last_name="Roux")
    make.habilitation(nurse, emergency, profile="infirmier")
    return nurse


@pytest.fixture
def unit_director(make, cardiology):
    """A director of the cardiology unit only (as an old right or the support desk made it)."""
    user = make.user(email="dir.cardio@example.test", last_name="Lambert")
    make.habilitation(user, cardiology, profile=Profile.DIRECTOR)
    return user


# --- Granting


def test_a_unit_referent_cannot_make_a_director_of_their_unit(
    unit_referent, cardiology, hospital, director_profile, make
):
    newcomer = make.user(email="newcomer@example.test")
    make.habilitation(newcomer, cardiology)
    with pytest.raises(ValidationError) as error:
        services.habilitation_grant(
            actor=unit_referent,
            user=newcomer,
            profile=director_profile,
            establishment=hospital,
            unit=cardiology,
        )
    assert "profile" in error.value.error_dict
    assert not Habilitation.objects.filter(user=newcomer, profile=director_profile).exists()


def test_nor_create_an_account_with_that_profile(
    unit_referent, cardiology, hospital, director_profile
):
    with pytest.raises(ValidationError):
        services.account_create(
            actor=unit_referent,
            last_name="Nouveau",
            first_name="Directeur",
            email="nouveau@example.test",
            profile=director_profile,
            establishment=hospital,
            unit=cardiology,
        )
    # Nothing is left behind: the account was created in the same transaction.
    assert not Habilitation.objects.filter(user__email="nouveau@example.test").exists()


def test_the_form_does_not_offer_it_and_a_forged_post_is_refused(
    client, unit_referent, cardiology, director_profile
):
    client.force_login(unit_referent)
    url = reverse("administration:person_create")
    page = client.get(url).content.decode()
    assert "Infirmier" in page
    assert director_profile.name not in page
    response = client.post(
        url,
        {
            "last_name": "Nouveau",
            "first_name": "Directeur",
            "email": "nouveau@example.test",
            "profile": director_profile.pk,
            "structure": f"u:{cardiology.pk}",
            "start_date": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["profile"]
    assert not Habilitation.objects.filter(profile=director_profile).exists()


def test_a_unit_referent_cannot_modify_a_right_into_a_director(
    unit_referent, agent, director_profile
):
    right = agent.habilitations.get()
    with pytest.raises(ValidationError):
        services.habilitation_modify(
            actor=unit_referent,
            habilitation=right,
            profile=director_profile,
            unit=right.unit,
            start_date=right.start_date,
            end_date=right.end_date,
        )
    right.refresh_from_db()
    assert right.profile.code == "infirmier"


def test_a_unit_referent_cannot_extend_a_director_right(unit_referent, unit_director):
    right = unit_director.habilitations.get()
    with pytest.raises(ValidationError):
        services.habilitation_extend(
            actor=unit_referent,
            habilitation=right,
            end_date=right.end_date + timezone.timedelta(days=30),
        )


def test_a_unit_referent_still_names_another_referent_of_their_unit(
    unit_referent, agent, cardiology, hospital, make
):
    right = services.habilitation_grant(
        actor=unit_referent,
        user=agent,
        profile=make.profile(Profile.REFERENT),
        establishment=hospital,
        unit=cardiology,
    )
    assert right.pk


@pytest.mark.parametrize("on_unit", [False, True])
def test_establishment_referents_name_their_directors(
    establishment_referent, hospital, cardiology, director_profile, make, on_unit
):
    person = make.user()
    right = services.habilitation_grant(
        actor=establishment_referent,
        user=person,
        profile=director_profile,
        establishment=hospital,
        unit=cardiology if on_unit else None,
    )
    assert right.profile == director_profile


def test_a_unit_referent_cannot_move_a_right_out_of_their_unit(unit_referent, agent, geriatrics):
    right = agent.habilitations.get()
    with pytest.raises(services.NotAllowed):
        services.habilitation_modify(
            actor=unit_referent,
            habilitation=right,
            profile=right.profile,
            unit=geriatrics,
            start_date=right.start_date,
            end_date=right.end_date,
        )


# --- A unit's director reviews that unit only


def test_a_unit_directors_scope_is_their_unit(unit_director, hospital, cardiology):
    scope = Scope.for_user(unit_director)
    assert scope.reviews(hospital.pk, cardiology.pk)
    assert not scope.reviews(hospital.pk)
    assert scope.reviews_anything
    assert not scope.reviews_whole_establishments
    assert not scope.administers_anything


def test_the_review_table_shows_the_unit_only(
    client, unit_director, agent, emergency_nurse, hospital
):
    client.force_login(unit_director)
    response = client.get(reverse("reviews:table"))
    assert response.status_code == 200
    rows = [h.user for h in response.context["page"]]
    assert agent in rows
    assert emergency_nurse not in rows
    # The numbers at the top count the unit's rights only.
    assert response.context["summary"].active == len(rows)
    export = b"".join(client.get(reverse("reviews:export")).streaming_content).decode("utf-8-sig")
    assert agent.email in export
    assert emergency_nurse.email not in export
    # The unit filter offers the reviewed unit only.
    units = list(response.context["form"].fields["unite"].queryset)
    assert [u.name for u in units] == ["Cardiologie"]


def test_the_summary_cache_never_gives_a_unit_director_the_establishments_numbers(
    client, unit_director, director, agent, emergency_nurse, monkeypatch
):
    from reviews import selectors

    monkeypatch.setattr(selectors, "SUMMARY_SLOW_SECONDS", -1)  # every summary is cached
    client.force_login(director)
    whole = client.get(reverse("reviews:table")).context["summary"]
    client.force_login(unit_director)
    unit = client.get(reverse("reviews:table")).context["summary"]
    assert whole.active > unit.active >= 1
    assert unit.computed_at is None  # counted, not the director's cached numbers


def test_no_campaign_for_a_unit_director(client, unit_director, hospital, director):
    client.force_login(unit_director)
    assert client.get(reverse("reviews:campaigns")).status_code == 404
    assert (
        client.post(reverse("reviews:campaign_start"), {"establishment": hospital.pk}).status_code
        == 404
    )
    campaign = review_services.campaign_start(actor=director, establishment=hospital)
    assert client.get(reverse("reviews:campaign", args=[campaign.pk])).status_code == 404
    with pytest.raises(services.NotAllowed):
        review_services.campaign_start(actor=unit_director, establishment=hospital)
    with pytest.raises(services.NotAllowed):
        review_services.campaign_close(actor=unit_director, campaign=campaign)
    assert ReviewCampaign.objects.get(pk=campaign.pk).is_open
    menu = [entry["url"] for entry in client.get(reverse("reviews:table")).context["admin_menu"]]
    assert reverse("reviews:campaigns") not in menu
    assert reverse("reviews:table") in menu


def test_structures_without_referent_of_a_unit_director(
    client, unit_director, cardiology, emergency
):
    client.force_login(unit_director)
    rows = list(client.get(reverse("reviews:uncovered")).context["page"])
    # Their unit has no référent of its own; the establishment and Urgences are not theirs.
    assert [(row["rank"], row["unit_name"]) for row in rows] == [(1, "Cardiologie")]


def test_a_unit_director_is_not_an_establishment_director_on_the_escalation_page(
    unit_director, director, hospital
):
    lookup = referents_for(hospital)
    assert lookup.escalation is not None
    assert lookup.escalation.directors == [director]


def test_the_browser_escalation_is_closed_end_to_end(
    unit_referent, cardiology, hospital, director_profile, emergency_nurse, make
):
    """The whole story: the unit référent cannot make a director; even a unit director made by
    the support desk cannot end an Urgences right."""
    newcomer = make.user(email="complice@example.test")
    make.habilitation(newcomer, cardiology)
    with pytest.raises(ValidationError):
        services.habilitation_grant(
            actor=unit_referent,
            user=newcomer,
            profile=director_profile,
            establishment=hospital,
            unit=cardiology,
        )
    make.habilitation(newcomer, cardiology, profile=Profile.DIRECTOR)
    scope = Scope.for_user(newcomer)
    assert not scope.reviewed_habilitations().filter(user=emergency_nurse).exists()
    with pytest.raises(services.NotAllowed):
        review_services.campaign_start(actor=newcomer, establishment=hospital)


def test_the_refusal_names_the_profile_and_the_structure(
    unit_referent, cardiology, hospital, director_profile, make
):
    newcomer = make.user()
    with pytest.raises(ValidationError) as error:
        services.habilitation_grant(
            actor=unit_referent,
            user=newcomer,
            profile=director_profile,
            establishment=hospital,
            unit=cardiology,
        )
    (message,) = error.value.message_dict["profile"]
    assert director_profile.name in message
    assert "Cardiologie" in message
    assert "%(" not in message


def test_a_unit_director_cannot_open_another_establishments_review(
    client, unit_director, hospital, other_hospital
):
    client.force_login(unit_director)
    table = reverse("reviews:table")
    assert client.get(table, {"etablissement": other_hospital.pk}).status_code == 404
    # Their own establishment shows their unit's rights only (test above).
    assert client.get(table, {"etablissement": hospital.pk}).status_code == 200
