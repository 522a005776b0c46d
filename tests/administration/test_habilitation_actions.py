"""Prolonger, modifier, terminer a right from the person page; the last-référent confirmation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factory import days, today


def url(name: str, habilitation) -> str:
    return reverse(f"administration:{name}", args=[habilitation.pk])


def test_extend(client, establishment_referent, agent):
    habilitation = agent.habilitations.get()
    client.force_login(establishment_referent)
    new_end = habilitation.end_date + days(100)
    response = client.post(url("habilitation_extend", habilitation), {"end_date": new_end})
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:person", args=[agent.pk])
    habilitation.refresh_from_db()
    assert habilitation.end_date == new_end


def test_extend_too_far_is_explained(client, establishment_referent, agent, settings):
    habilitation = agent.habilitations.get()
    client.force_login(establishment_referent)
    too_far = habilitation.end_date + days(settings.HABILITATION_MAX_EXTENSION_DAYS + 1)
    response = client.post(url("habilitation_extend", habilitation), {"end_date": too_far})
    assert response.status_code == 200
    assert "end_date" in response.context["form"].errors
    habilitation.refresh_from_db()
    assert habilitation.end_date < too_far


def test_extend_bad_input_is_a_form_error(client, establishment_referent, agent):
    client.force_login(establishment_referent)
    response = client.post(url("habilitation_extend", agent.habilitations.get()), {"end_date": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_modify(client, establishment_referent, agent, geriatrics, make):
    habilitation = agent.habilitations.get()
    client.force_login(establishment_referent)
    response = client.post(
        url("habilitation_modify", habilitation),
        {
            "profile": make.profile("medecin").pk,
            "unit": geriatrics.pk,
            "start_date": habilitation.start_date,
            "end_date": habilitation.end_date,
        },
    )
    assert response.status_code == 302
    habilitation.refresh_from_db()
    assert habilitation.unit == geriatrics
    assert habilitation.profile.code == "medecin"


def test_unit_referent_modify_offers_their_unit_only(client, unit_referent, agent, geriatrics):
    habilitation = agent.habilitations.get()
    client.force_login(unit_referent)
    form = client.get(url("habilitation_modify", habilitation)).context["form"]
    assert list(form.fields["unit"].queryset) == [habilitation.unit]
    response = client.post(
        url("habilitation_modify", habilitation),
        {
            "profile": habilitation.profile_id,
            "unit": geriatrics.pk,
            "start_date": habilitation.start_date,
            "end_date": habilitation.end_date,
        },
    )
    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    habilitation.refresh_from_db()
    assert habilitation.unit != geriatrics


def test_end_requires_a_reason(client, establishment_referent, agent):
    habilitation = agent.habilitations.get()
    client.force_login(establishment_referent)
    response = client.post(url("habilitation_end", habilitation), {"reason": ""})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    habilitation.refresh_from_db()
    assert habilitation.ended_at is None


def test_end_an_ordinary_right(client, establishment_referent, agent):
    habilitation = agent.habilitations.get()
    client.force_login(establishment_referent)
    response = client.post(url("habilitation_end", habilitation), {"reason": "Départ"})
    assert response.status_code == 302
    habilitation.refresh_from_db()
    assert habilitation.end_reason == "Départ"
    assert habilitation.ended_by == establishment_referent
    # Ended: the row is still shown, without actions.
    page = client.get(reverse("administration:person", args=[agent.pk])).content.decode()
    assert "status--ended" in page
    assert url("habilitation_extend", habilitation) not in page


def test_ending_the_last_establishment_referent_asks_for_confirmation(
    client, platform_admin, make, hospital, director
):
    referent = make.referent(hospital, email="last@example.test")
    habilitation = referent.habilitations.get()
    client.force_login(platform_admin)
    response = client.post(url("habilitation_end", habilitation), {"reason": "Départ"})
    assert response.status_code == 200
    page = response.content.decode()
    assert director.email in page  # escalation: the direction...
    assert response.context["after"].escalation.support.email in page  # ...and the support desk
    habilitation.refresh_from_db()
    assert habilitation.ended_at is None
    assert not AuditEvent.objects.exists()

    response = client.post(
        url("habilitation_end", habilitation), {"reason": "Départ", "confirmed": "True"}
    )
    assert response.status_code == 302
    habilitation.refresh_from_db()
    assert habilitation.ended_at is not None


def test_ending_the_last_unit_referent_names_the_establishment_referents(
    client, establishment_referent, unit_referent
):
    habilitation = unit_referent.habilitations.get()
    client.force_login(establishment_referent)
    response = client.post(url("habilitation_end", habilitation), {"reason": "Mutation"})
    assert response.status_code == 200
    assert response.context["after"].inherited
    assert establishment_referent.email in response.content.decode()
    habilitation.refresh_from_db()
    assert habilitation.ended_at is None


def test_no_confirmation_when_another_referent_remains(
    client, establishment_referent, make, hospital
):
    second = make.referent(hospital)
    client.force_login(establishment_referent)
    response = client.post(url("habilitation_end", second.habilitations.get()), {"reason": "x"})
    assert response.status_code == 302


def test_ended_right_cannot_be_extended_from_the_view(
    client, establishment_referent, make, hospital
):
    person = make.user()
    expired = make.habilitation(person, hospital, start=today() - days(30), end=today() - days(1))
    client.force_login(establishment_referent)
    response = client.post(url("habilitation_extend", expired), {"end_date": today() + days(30)})
    # Refused before any form (issue: "404 before the form, not after submitting it").
    assert response.status_code == 404
    expired.refresh_from_db()
    assert expired.end_date == today() - days(1)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_extension_limit_message_is_rendered_in_both_languages(
    client, establishment_referent, agent, settings, language
):
    """The page shows the number of days and the date, never a raw ``%(days)s``."""
    right = agent.habilitations.get()
    client.force_login(establishment_referent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    too_far = right.end_date + days(settings.HABILITATION_MAX_EXTENSION_DAYS + 1)
    response = client.post(
        reverse("administration:habilitation_extend", args=[right.pk]),
        {"end_date": too_far.isoformat()},
    )
    assert response.status_code == 200
    (message,) = response.context["form"].errors["end_date"]
    assert "%(" not in message
    assert str(settings.HABILITATION_MAX_EXTENSION_DAYS) in message
    limit = max(right.end_date, timezone.localdate()) + days(
        settings.HABILITATION_MAX_EXTENSION_DAYS
    )
    assert f"{limit:%Y}" in message


@pytest.mark.parametrize(
    "action", ["habilitation_extend", "habilitation_modify", "habilitation_end"]
)
@pytest.mark.parametrize("state", ["ended", "expired"])
def test_an_ended_or_expired_right_is_404_before_the_form(
    client, establishment_referent, make, hospital, action, state
):
    person = make.user()
    if state == "ended":
        right = make.habilitation(person, hospital, ended_at=timezone.now(), end_reason="départ")
    else:
        right = make.habilitation(person, hospital, start=today() - days(400))
    client.force_login(establishment_referent)
    assert client.get(url(action, right)).status_code == 404
    # And the person's page offers no link to it.
    page = client.get(reverse("administration:person", args=[person.pk])).content.decode()
    assert url(action, right) not in page
