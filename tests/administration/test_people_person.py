"""The person page and who may reach it and its action URLs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, Habilitation
from audit.models import AuditEvent
from tests.factory import days, today


def person_url(user) -> str:
    return reverse("administration:person", args=[user.pk])


def action_urls(user, habilitation) -> list[str]:
    return [
        reverse("administration:person", args=[user.pk]),
        reverse("administration:habilitation_grant", args=[user.pk]),
        reverse("administration:person_unblock", args=[user.pk]),
        reverse("administration:habilitation_extend", args=[habilitation.pk]),
        reverse("administration:habilitation_modify", args=[habilitation.pk]),
        reverse("administration:habilitation_end", args=[habilitation.pk]),
    ]


def test_person_page_shows_rights_in_scope_only(
    client, establishment_referent, make, hospital, cardiology, other_hospital
):
    person = make.user(email="dual@example.test", phone="0600000000", job_title="IDE")
    make.habilitation(person, cardiology, granted_by=establishment_referent)
    make.habilitation(
        person,
        hospital,
        profile="medecin",
        ended_at=timezone.now(),
        ended_by=establishment_referent,
        end_reason="Départ du service",
    )
    make.habilitation(person, other_hospital, profile="secretaire-medicale")
    client.force_login(establishment_referent)
    response = client.get(person_url(person))
    page = response.content.decode()
    assert response.status_code == 200
    assert "dual@example.test" in page
    assert "0600000000" in page
    assert "Cardiologie" in page
    assert "Départ du service" in page
    assert establishment_referent.full_name in page
    # Rights elsewhere are neither shown nor hinted at.
    assert "CLINIQUE DES PINS" not in page
    assert "Secrétaire médicale" not in page
    assert len(response.context["habilitations"]) == 2


def test_person_page_shows_charter_and_blocked_state(client, establishment_referent, agent):
    charter = Charter.objects.create(version=3, title="Charte", body="...")
    CharterAcceptance.objects.create(user=establishment_referent, charter=charter)
    agent.blocked_at = timezone.now()
    agent.blocked_reason = "5 échecs"
    agent.save()
    client.force_login(establishment_referent)
    response = client.get(person_url(agent))
    page = response.content.decode()
    assert not response.context["charter_accepted"]
    assert "v3" in page
    assert reverse("administration:person_unblock", args=[agent.pk]) in page
    CharterAcceptance.objects.create(user=agent, charter=charter)
    assert client.get(person_url(agent)).context["charter_accepted"]


def test_statuses_are_shown(client, establishment_referent, make, hospital):
    person = make.user()
    make.habilitation(person, hospital, start=today() + days(5))
    make.habilitation(
        person, hospital, profile="medecin", start=today() - days(30), end=today() - days(1)
    )
    client.force_login(establishment_referent)
    page = client.get(person_url(person)).content.decode()
    assert "status--future" in page
    assert "status--expired" in page


@pytest.mark.parametrize("who", ["unit_referent", "other_referent", "director", "agent"])
def test_out_of_scope_is_404(client, request, make, geriatrics, who):
    person = make.user()
    habilitation = make.habilitation(person, geriatrics)
    client.force_login(request.getfixturevalue(who))
    for url in action_urls(person, habilitation):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"reason": "x", "end_date": "2030-01-01"}).status_code == 404, url
    habilitation.refresh_from_db()
    assert habilitation.ended_at is None
    assert not AuditEvent.objects.exists()


def test_a_habilitation_elsewhere_of_an_in_scope_person_is_404(
    client, establishment_referent, agent, make, other_hospital
):
    elsewhere = make.habilitation(agent, other_hospital, profile="medecin")
    client.force_login(establishment_referent)
    for name in ("habilitation_extend", "habilitation_modify", "habilitation_end"):
        url = reverse(f"administration:{name}", args=[elsewhere.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x"}).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, agent):
    for url in action_urls(agent, agent.habilitations.get()):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:sign_in") in response["Location"]


def test_get_on_action_urls_shows_a_form_and_changes_nothing(client, establishment_referent, agent):
    agent.blocked_at = timezone.now()
    agent.blocked_reason = "5 échecs"
    agent.save()
    habilitation = agent.habilitations.get()
    client.force_login(establishment_referent)
    for url in action_urls(agent, habilitation):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"<form" in response.content
    agent.refresh_from_db()
    assert agent.is_blocked
    assert Habilitation.objects.get(pk=habilitation.pk).end_date == habilitation.end_date
    assert not AuditEvent.objects.exists()


def test_platform_admin_sees_everyone(client, platform_admin, agent, other_referent):
    client.force_login(platform_admin)
    assert client.get(person_url(agent)).status_code == 200
    assert client.get(person_url(other_referent)).status_code == 200


def test_a_platform_admin_grants_by_finess_number_on_an_open_establishment_only(
    client, platform_admin, agent, hospital, make
):
    client.force_login(platform_admin)
    url = reverse("administration:habilitation_grant", args=[agent.pk])
    closed = make.establishment(is_active=False)
    data = {"profile": make.profile("medecin").pk, "start_date": today().isoformat()}
    response = client.post(url, {**data, "structure": closed.finess})
    assert response.status_code == 200
    assert response.context["form"].has_error("structure")
    assert not agent.habilitations.filter(establishment=closed).exists()
    response = client.post(url, {**data, "structure": hospital.finess})
    assert response.status_code == 302
    assert agent.habilitations.filter(establishment=hospital, profile__code="medecin").exists()


def test_grant_from_the_person_page(client, establishment_referent, agent, hospital, make):
    client.force_login(establishment_referent)
    url = reverse("administration:habilitation_grant", args=[agent.pk])
    response = client.post(
        url,
        {
            "profile": make.profile("medecin").pk,
            "structure": f"e:{hospital.pk}",
            "start_date": today().isoformat(),
            "end_date": "",
        },
    )
    assert response.status_code == 302
    assert agent.habilitations.filter(profile__code="medecin", unit=None).exists()
    # The same again overlaps: a clear error, nothing created.
    response = client.post(
        url,
        {
            "profile": make.profile("medecin").pk,
            "structure": f"e:{hospital.pk}",
            "start_date": today().isoformat(),
            "end_date": "",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert agent.habilitations.count() == 2


def test_my_own_page_offers_no_grant(client, establishment_referent, hospital, make):
    client.force_login(establishment_referent)
    page = client.get(person_url(establishment_referent)).content.decode()
    assert (
        reverse("administration:habilitation_grant", args=[establishment_referent.pk]) not in page
    )
    response = client.post(
        reverse("administration:habilitation_grant", args=[establishment_referent.pk]),
        {
            "profile": make.profile("medecin").pk,
            "structure": f"e:{hospital.pk}",
            "start_date": today().isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert establishment_referent.habilitations.count() == 1
