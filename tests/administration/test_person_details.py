"""A référent corrects a person's details: name, phone, job title, RPPS/ADELI number."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts import people
from accounts.models import User
from audit.models import AuditEvent
from tests.accounts.test_account_authority import attach


def url(user: User) -> str:
    return reverse("administration:person_details", args=[user.pk])


def data(user: User, **changes) -> dict:
    values = {field: getattr(user, field) for field in people.DETAIL_FIELDS}
    return {**values, **changes}


@pytest.mark.parametrize("who", ["establishment_referent", "unit_referent", "platform_admin"])
def test_details_are_changed_and_audited_with_the_changed_fields_only(client, request, agent, who):
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    response = client.post(
        url(agent),
        data(agent, last_name="Martin-Dupont", phone="05 61 00 00 00", national_id="1000 1234 567"),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:person", args=[agent.pk])
    agent.refresh_from_db()
    assert (agent.last_name, agent.phone, agent.national_id) == (
        "Martin-Dupont",
        "05 61 00 00 00",
        "10001234567",
    )
    assert agent.first_name == "Léa"
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_UPDATED)
    assert event.actor == actor
    assert event.target_user == agent
    assert event.before == {"last_name": "Martin", "phone": "", "national_id": ""}
    assert event.after == {
        "last_name": "Martin-Dupont",
        "phone": "05 61 00 00 00",
        "national_id": "10001234567",
    }
    # The new identifier is searchable at once.
    assert "10001234567" in agent.search_name


def test_nothing_changed_writes_nothing(client, establishment_referent, agent):
    client.force_login(establishment_referent)
    response = client.post(url(agent), data(agent))
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


def test_the_form_shows_the_current_details(client, establishment_referent, agent):
    agent.national_id = "751234567"
    agent.save()
    client.force_login(establishment_referent)
    response = client.get(url(agent))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["last_name"].value() == "Martin"
    assert form["national_id"].value() == "751234567"


@pytest.mark.parametrize("who", ["other_referent", "director", "agent"])
def test_out_of_scope_is_404(client, request, make, hospital, who):
    person = make.user(last_name="Hors")
    make.habilitation(person, hospital)
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(person)).status_code == 404
    assert client.post(url(person), data(person, last_name="Changé")).status_code == 404
    person.refresh_from_db()
    assert person.last_name == "Hors"


def test_a_unit_referent_cannot_reach_a_person_of_another_unit(
    client, unit_referent, make, geriatrics
):
    person = make.user()
    make.habilitation(person, geriatrics)
    client.force_login(unit_referent)
    assert client.post(url(person), data(person, last_name="Changé")).status_code == 404


def test_own_account_is_refused(client, establishment_referent):
    client.force_login(establishment_referent)
    response = client.get(url(establishment_referent))
    assert response.status_code == 200
    assert response.context["refusal"] == str(people.OWN_ACCOUNT_MESSAGE)
    client.post(url(establishment_referent), data(establishment_referent, last_name="Moi"))
    establishment_referent.refresh_from_db()
    assert establishment_referent.last_name == "Durand"
    with pytest.raises(ValidationError):
        people.account_details_update(
            actor=establishment_referent,
            user=establishment_referent,
            last_name="Moi",
            first_name="Moi",
        )


@pytest.mark.parametrize("who", ["establishment_referent", "platform_admin"])
def test_a_platform_account_is_never_changed_here(client, request, make, hospital, who):
    support = make.user(email="support@example.test", is_staff=True, last_name="Support")
    make.habilitation(support, hospital)
    actor = request.getfixturevalue(who)
    client.force_login(actor)
    response = client.get(url(support))
    assert response.status_code == 200
    assert response.context["refusal"]
    client.post(url(support), data(support, last_name="Changé"))
    support.refresh_from_db()
    assert support.last_name == "Support"
    assert not AuditEvent.objects.exists()


def test_without_authority_the_page_says_why(client, establishment_referent, make, hospital):
    """Attaching a right to an existing account gives no power over its details."""
    elsewhere = make.user(email="ailleurs@example.test", last_name="Ailleurs")
    user, _right = attach(establishment_referent, elsewhere.email, hospital)
    client.force_login(establishment_referent)
    response = client.get(url(user))
    assert response.status_code == 200
    assert response.context["refusal"] == str(people.NO_AUTHORITY_MESSAGE)
    assert b'name="last_name"' not in response.content
    client.post(url(user), data(user, last_name="Changé"))
    user.refresh_from_db()
    assert user.last_name == "Ailleurs"
    page = client.get(reverse("administration:person", args=[user.pk]))
    assert url(user).encode() not in page.content


def test_the_person_page_links_to_the_form(client, establishment_referent, agent):
    client.force_login(establishment_referent)
    page = client.get(reverse("administration:person", args=[agent.pk]))
    assert url(agent).encode() in page.content
    assert reverse("administration:person_email", args=[agent.pk]).encode() in page.content


def test_an_identifier_of_another_account_is_refused_naming_nobody(
    client, establishment_referent, agent, make, other_hospital
):
    elsewhere = make.user(
        email="secret@example.test", last_name="Secret", national_id="10001234567"
    )
    make.habilitation(elsewhere, other_hospital)
    client.force_login(establishment_referent)
    response = client.post(url(agent), data(agent, national_id="10001234567"))
    assert response.status_code == 200
    errors = response.context["form"].errors["national_id"]
    assert errors == [str(people.NATIONAL_ID_TAKEN_MESSAGE)]
    assert b"secret@example.test" not in response.content
    assert b"Secret" not in response.content
    agent.refresh_from_db()
    assert agent.national_id == ""


def test_the_database_refuses_two_accounts_with_one_identifier(make, agent):
    from django.db import IntegrityError, transaction

    make.user(national_id="751234567")
    agent.national_id = "751234567"
    with pytest.raises(IntegrityError), transaction.atomic():
        agent.save()
    # No identifier is no identifier: many accounts have none.
    make.user()
    make.user()


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("10001234567", "10001234567"), ("751234567", "751234567"), ("2a 1234567", "2A1234567")],
)
def test_identifiers_are_stored_without_spaces_and_in_capitals(
    client, establishment_referent, agent, typed, stored
):
    client.force_login(establishment_referent)
    client.post(url(agent), data(agent, national_id=typed))
    agent.refresh_from_db()
    assert agent.national_id == stored


@pytest.mark.parametrize("typed", ["1234", "1000123456X", "١٠٠٠١٢٣٤٥٦٧", "2C1234567"])
def test_a_wrong_identifier_is_refused(client, establishment_referent, agent, typed):
    client.force_login(establishment_referent)
    response = client.post(url(agent), data(agent, national_id=typed))
    assert response.status_code == 200
    assert "national_id" in response.context["form"].errors


def test_an_identifier_can_be_removed(client, establishment_referent, agent):
    agent.national_id = "10001234567"
    agent.save()
    client.force_login(establishment_referent)
    client.post(url(agent), data(agent, national_id=""))
    agent.refresh_from_db()
    assert agent.national_id == ""
    event = AuditEvent.objects.get()
    assert (event.before, event.after) == ({"national_id": "10001234567"}, {"national_id": ""})


def test_names_are_required(client, establishment_referent, agent):
    client.force_login(establishment_referent)
    response = client.post(url(agent), data(agent, last_name="  "))
    assert response.status_code == 200
    assert "last_name" in response.context["form"].errors


def test_a_race_on_one_identifier_ends_in_the_same_refusal(
    establishment_referent, agent, make, monkeypatch
):
    """Two référents recording one number at once: the index refuses the second."""
    make.user(national_id="10001234567")
    monkeypatch.setattr(people, "national_id_taken", lambda *args, **kwargs: False)
    with pytest.raises(ValidationError) as refused:
        people.account_details_update(
            actor=establishment_referent,
            user=agent,
            last_name=agent.last_name,
            first_name=agent.first_name,
            national_id="10001234567",
        )
    assert refused.value.message_dict == {"national_id": [str(people.NATIONAL_ID_TAKEN_MESSAGE)]}
    agent.refresh_from_db()
    assert agent.national_id == ""
    assert not AuditEvent.objects.exists()
