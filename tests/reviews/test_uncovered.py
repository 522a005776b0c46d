"""Structures sans référent: establishments and units without an active référent of their own."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Profile
from tests.factory import days, today

LIST = reverse("reviews:uncovered")
EXPORT = reverse("reviews:uncovered_export")


def rows(response) -> list[tuple[str, str]]:
    """(establishment name, unit name) of each row of the page."""
    return [(r["establishment_name"], r["unit_name"]) for r in response.context["page"]]


def row_of(response, unit_name: str = "") -> dict:
    return next(r for r in response.context["page"] if r["unit_name"] == unit_name)


def at_noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))


@pytest.fixture
def as_director(client, director):
    client.force_login(director)
    return client


@pytest.fixture
def as_admin(client, platform_admin):
    client.force_login(platform_admin)
    return client


def test_an_establishment_without_referent_is_listed(as_director, hospital):
    response = as_director.get(LIST)
    assert response.status_code == 200
    row = row_of(response)
    assert row["establishment_name"] == hospital.name
    assert row["last_end"] is None


def test_a_unit_falling_back_is_listed_with_its_establishment(
    as_director, hospital, cardiology, geriatrics, establishment_referent
):
    response = as_director.get(LIST)
    assert rows(response) == [(hospital.name, "Cardiologie"), (hospital.name, "Gériatrie")]
    assert row_of(response, "Cardiologie")["establishment_covered"] is True
    assert "Cardiologie" in response.content.decode()


def test_a_covered_unit_is_not_listed(as_director, hospital, cardiology, geriatrics, unit_referent):
    response = as_director.get(LIST)
    assert rows(response) == [(hospital.name, ""), (hospital.name, "Gériatrie")]
    assert row_of(response, "Gériatrie")["establishment_covered"] is False


def test_closed_structures_and_inactive_referents(make, as_director, hospital, cardiology):
    make.unit(hospital, name="Fermée", is_active=False)
    gone = make.referent(cardiology, is_active=False)
    assert gone.habilitations.exists()
    response = as_director.get(LIST)
    assert rows(response) == [(hospital.name, ""), (hospital.name, "Cardiologie")]


def test_last_end_date_is_the_latest_of_ended_early_and_expired(
    make, as_director, hospital, cardiology, geriatrics
):
    # The establishment: one right ended early, one expired earlier.
    person = make.user()
    make.habilitation(
        person,
        hospital,
        profile=Profile.REFERENT,
        start=today() - days(300),
        end=today() + days(60),
        ended_at=at_noon(today() - days(10)),
        end_reason="Left",
    )
    make.habilitation(
        make.user(),
        hospital,
        profile=Profile.REFERENT,
        start=today() - days(500),
        end=today() - days(40),
    )
    # Cardiology: expired on its end date, and a later ended-early right of a nurse (not a
    # référent) that does not count, nor a future référent right.
    make.habilitation(
        make.user(),
        cardiology,
        profile=Profile.REFERENT,
        start=today() - days(400),
        end=today() - days(20),
    )
    make.habilitation(make.user(), cardiology, start=today() - days(400), end=today() - days(2))
    make.habilitation(
        make.user(),
        cardiology,
        profile=Profile.REFERENT,
        start=today() + days(3),
        end=today() + days(300),
    )
    # Ended early after its end date had passed: the end date counts.
    make.habilitation(
        make.user(),
        geriatrics,
        profile=Profile.REFERENT,
        start=today() - days(400),
        end=today() - days(30),
        ended_at=at_noon(today() - days(5)),
        end_reason="Cleanup",
    )
    response = as_director.get(LIST)
    assert row_of(response)["last_end"] == today() - days(10)
    assert row_of(response, "Cardiologie")["last_end"] == today() - days(20)
    assert row_of(response, "Gériatrie")["last_end"] == today() - days(30)
    assert (today() - days(10)).strftime("%d/%m/%Y") in response.content.decode()


def test_another_establishments_director_does_not_see_ours(
    make, client, hospital, cardiology, other_hospital
):
    client.force_login(make.director(other_hospital))
    response = client.get(LIST)
    assert rows(response) == [(other_hospital.name, "")]
    assert hospital.name not in response.content.decode()


@pytest.mark.parametrize("who", ["agent", "establishment_referent", "unit_referent"])
def test_others_get_404(client, request, who, hospital):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:sign_in") in response["Location"]


def test_admins_choose_a_region_first(make, as_admin, hospital, other_hospital):
    elsewhere = make.establishment(departement="33", name="CH DE LA DUNE", postcode="33000")
    response = as_admin.get(LIST)
    assert response.status_code == 200
    assert response.context["page"] is None

    response = as_admin.get(LIST, {"region": "76"})  # Occitanie
    assert rows(response) == sorted([(hospital.name, ""), (other_hospital.name, "")])
    response = as_admin.get(LIST, {"region": "75"})  # Nouvelle-Aquitaine
    assert rows(response) == [(elsewhere.name, "")]


@pytest.mark.parametrize("region", ["zz", "9" * 40, ""])
def test_a_bad_region_shows_the_form_again(as_admin, region):
    response = as_admin.get(LIST, {"region": region})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert as_admin.get(EXPORT, {"region": region}).status_code == 302


def test_csv_export(make, as_director, hospital, cardiology, geriatrics, establishment_referent):
    make.habilitation(
        make.user(),
        cardiology,
        profile=Profile.REFERENT,
        start=datetime.date(2024, 1, 1),
        end=datetime.date(2025, 3, 31),
    )
    response = as_director.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert len(lines) == 3
    assert lines[0].count(";") == 4
    assert lines[1].startswith(f"{hospital.name};{hospital.finess};Cardiologie;")
    assert lines[1].endswith(";31/03/2025")
    assert lines[2].startswith(f"{hospital.name};{hospital.finess};Gériatrie;")
    assert ";31/03/2025" not in lines[2]


def test_admin_csv_export_of_a_region(make, as_admin, hospital):
    make.establishment(departement="33", name="CH DE LA DUNE", postcode="33000")
    content = b"".join(as_admin.get(EXPORT, {"region": "76"}).streaming_content)
    assert hospital.name.encode() in content
    assert b"CH DE LA DUNE" not in content


def _populate(make, establishment, n: int) -> None:
    for i in range(n):
        unit = make.unit(establishment)
        if i % 3 == 0:
            make.habilitation(
                make.user(),
                unit,
                profile=Profile.REFERENT,
                start=today() - days(400),
                end=today() - days(i + 1),
            )


def _count(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST, params or {}).status_code == 200
    return len(queries)


def test_query_count_is_constant_for_directors(make, as_director, hospital):
    _populate(make, hospital, 3)
    small = _count(as_director)
    _populate(make, hospital, 70)
    assert _count(as_director) == small


def test_query_count_is_constant_for_admins(make, as_admin):
    for _ in range(2):
        make.establishment(departement="31")
    small = _count(as_admin, {"region": "76"})
    for i in range(60):
        establishment = make.establishment(departement="34")
        _populate(make, establishment, 2 if i % 2 else 0)
    assert _count(as_admin, {"region": "76"}) == small
    assert _count(as_admin, {"region": "76", "page": "2"}) == small


# --- Nobody first, with its own count and filter; the regions without a support desk


@pytest.fixture
def two_situations(make, hospital, cardiology, other_hospital, establishment_referent):
    """The hospital has a référent (its Cardiology unit inherits it); the clinic has nobody,
    nor its Pédiatrie unit."""
    make.unit(other_hospital, name="Pédiatrie")


def test_structures_nobody_serves_come_first_with_their_count(as_admin, two_situations):
    response = as_admin.get(LIST, {"region": "76"})
    # Alphabetically the hospital comes first; the clinic, served by nobody, is listed first.
    assert rows(response) == [
        ("CLINIQUE DES PINS", ""),
        ("CLINIQUE DES PINS", "Pédiatrie"),
        ("CENTRE HOSPITALIER SAINT-JEAN", "Cardiologie"),
    ]
    assert response.context["counts"] == {"personne": 2, "etablissement": 1}
    page = response.content.decode()
    assert "2 que personne ne sert" in page
    assert "1 unité servie par les référents de son établissement" in page


@pytest.mark.parametrize(
    ("situation", "expected"),
    [
        ("personne", [("CLINIQUE DES PINS", ""), ("CLINIQUE DES PINS", "Pédiatrie")]),
        ("etablissement", [("CENTRE HOSPITALIER SAINT-JEAN", "Cardiologie")]),
    ],
)
def test_the_situation_filter_keeps_one_part_on_screen_and_in_the_csv(
    as_admin, two_situations, situation, expected
):
    response = as_admin.get(LIST, {"region": "76", "situation": situation})
    assert rows(response) == expected
    assert response.context["page"].paginator.count == len(expected)
    assert f"situation={situation}" in response.context["export_url"]
    lines = (
        b"".join(as_admin.get(EXPORT, {"region": "76", "situation": situation}).streaming_content)
        .decode("utf-8-sig")
        .splitlines()[1:]
    )
    assert [line.split(";")[0] for line in lines] == [name for name, _unit in expected]


def test_a_forged_situation_shows_everything(as_director, hospital, cardiology):
    response = as_director.get(LIST, {"situation": "<script>"})
    assert response.status_code == 200
    assert rows(response) == [(hospital.name, ""), (hospital.name, "Cardiologie")]


def test_admins_are_told_which_regions_have_no_support_desk(as_admin, client, director):
    page = as_admin.get(LIST).content.decode()
    assert "n’ont pas de support propre" in page
    assert "Bretagne" in page
    assert "Occitanie" not in page.split("n’ont pas de support propre")[1].split("</div>")[0]
    assert "?own_desk=no" in page
    client.force_login(director)
    assert "support propre" not in client.get(LIST).content.decode()
