"""Liste des référents ViaTrajectoire identifiés, and the escalation page."""

from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from tests.factory import days, today


def mailtos(page: str) -> list[str]:
    import re

    return [escape_back(m) for m in re.findall(r'href="(mailto:[^"]+)"', page)]


def escape_back(value: str) -> str:
    return value.replace("&amp;", "&")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_a_units_referents_with_mailto_naming_the_structure(
    signed_in, cardiology, hospital, unit_referent
):
    page = signed_in.get(reverse("referents:unit", args=[cardiology.pk])).content.decode()
    assert unit_referent.last_name.upper() in page
    assert unit_referent.first_name in page
    link = next(m for m in mailtos(page) if unit_referent.email in m)
    subject = parse_qs(urlparse(link).query)["subject"][0]
    assert "Cardiologie" in subject
    assert hospital.finess in subject
    assert "+" not in link.split("?", 1)[1]  # spaces as %20 for mail clients


def test_an_inheriting_unit_says_so(signed_in, geriatrics, establishment_referent):
    page = signed_in.get(reverse("referents:unit", args=[geriatrics.pk])).content.decode()
    assert establishment_referent.email in page
    assert "référent de l’établissement" in page


def test_the_end_date_and_level_are_shown(signed_in, hospital, make):
    referent = make.user()
    make.habilitation(referent, hospital, "referent", start=today(), end=today() + days(40))
    page = signed_in.get(reverse("referents:establishment", args=[hospital.pk])).content.decode()
    assert (today() + days(40)).strftime("%d/%m/%Y") in page
    assert "Établissement" in page


def test_ended_and_expired_referents_never_appear(signed_in, hospital, make, platform_admin):
    expired = make.user(last_name="Expire")
    make.habilitation(
        expired, hospital, "referent", start=today() - days(90), end=today() - days(1)
    )
    ended = make.referent(hospital, last_name="Termine")
    ended.habilitations.update(ended_at=timezone.now(), ended_by=platform_admin, end_reason="x")
    current = make.referent(hospital, last_name="Actuel")
    page = signed_in.get(reverse("referents:establishment", args=[hospital.pk])).content.decode()
    assert current.email in page
    assert expired.email not in page
    assert ended.email not in page


def test_escalation_names_the_directors_and_the_regions_desk(
    signed_in, agent, hospital, director, cardiology
):
    page = signed_in.get(reverse("referents:unit", args=[cardiology.pk])).content.decode()
    assert director.email in page
    assert "assistance@esante-occitanie.fr" in page
    assert escape("https://e-sante-occitanie.atlassian.net/servicedesk/customer/portal/1") in page
    support = next(m for m in mailtos(page) if "assistance@esante-occitanie.fr" in m)
    query = parse_qs(urlparse(support).query)
    assert hospital.finess in query["subject"][0]
    assert agent.last_name.upper() in query["body"][0]
    assert agent.email in query["body"][0]
    assert "Cardiologie" in query["body"][0]


def test_closed_or_unknown_structures_are_404(signed_in, hospital, cardiology):
    assert signed_in.get(reverse("referents:establishment", args=[999999])).status_code == 404
    assert signed_in.get(reverse("referents:unit", args=[999999])).status_code == 404
    hospital.is_active = False
    hospital.save()
    assert signed_in.get(reverse("referents:establishment", args=[hospital.pk])).status_code == 404
    assert signed_in.get(reverse("referents:unit", args=[cardiology.pk])).status_code == 404


def test_anonymous_people_see_no_contact(client, hospital, establishment_referent):
    response = client.get(reverse("referents:establishment", args=[hospital.pk]))
    assert response.status_code == 302
    assert establishment_referent.email not in response.content.decode()
