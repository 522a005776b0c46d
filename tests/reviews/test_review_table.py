"""Revue des habilitations: the directors' table, its filters, sort, summary and access."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User
from reviews import selectors
from tests.factory import days, today

URL = reverse("reviews:table")
EXPORT = reverse("reviews:export")


def names(html: str) -> list[str]:
    """The last names in the table's person column, in order."""
    return re.findall(r'<tr>\s*<td data-label="[^"]+">([^ <]+) [^<]*<br>', html)


def page(client, **params) -> str:
    """The table's page, e-mail addresses whole (they may wrap before the @: ``<wbr>``)."""
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode().replace("<wbr>", "")


@pytest.fixture
def charter(db) -> Charter:
    return Charter.objects.create(
        version=1, title="Charte", body="Texte", published_at=timezone.now() - days(1)
    )


@pytest.fixture
def signed_in_director(client, director, charter):
    CharterAcceptance.objects.create(user=director, charter=charter)
    client.force_login(director)
    return director


@pytest.fixture
def people(make, hospital, cardiology, geriatrics, other_hospital, director, charter):
    """One person per case, each with a distinct last name; the director (Moreau) is there too.

    Abel: nurse in cardiology, active, signed in yesterday, charter accepted.
    Berger: doctor on the whole establishment, active, ending in 20 days, never signed in.
    Caron: nurse in geriatrics, future (starts in 5 days), signed in 200 days ago.
    Dupont: nurse in cardiology, expired 10 days ago.
    Etienne: doctor in cardiology, ended early.
    Fabre: nurse in geriatrics, active, ending in 45 days, blocked.
    Zola: in the other establishment only.
    """
    now = timezone.now()
    t = today()

    abel = make.user(last_name="Abel", first_name="Zoé", last_login=now - days(1))
    CharterAcceptance.objects.create(user=abel, charter=charter)
    make.habilitation(
        abel, cardiology, "infirmier", start=t - days(100), end=t + days(200), granted_by=director
    )
    berger = make.user(last_name="Berger", first_name="Zoé")
    make.habilitation(berger, hospital, "medecin", start=t - days(10), end=t + days(20))
    caron = make.user(last_name="Caron", first_name="Zoé", last_login=now - days(200))
    CharterAcceptance.objects.create(user=caron, charter=charter)
    make.habilitation(caron, geriatrics, "infirmier", start=t + days(5), end=t + days(300))
    dupont = make.user(last_name="Dupont", first_name="Zoé", last_login=now - days(2))
    CharterAcceptance.objects.create(user=dupont, charter=charter)
    make.habilitation(dupont, cardiology, "infirmier", start=t - days(400), end=t - days(10))
    etienne = make.user(last_name="Etienne", first_name="Zoé", last_login=now - days(3))
    CharterAcceptance.objects.create(user=etienne, charter=charter)
    make.habilitation(
        etienne,
        cardiology,
        "medecin",
        start=t - days(50),
        end=t + days(100),
        ended_at=now - days(1),
        ended_by=director,
        end_reason="Départ",
    )
    fabre = make.user(
        last_name="Fabre",
        first_name="Zoé",
        last_login=now - days(4),
        blocked_at=now,
        blocked_reason="Trop d'essais",
    )
    CharterAcceptance.objects.create(user=fabre, charter=charter)
    make.habilitation(fabre, geriatrics, "infirmier", start=t - days(30), end=t + days(45))
    zola = make.user(last_name="Zola", first_name="Zoé", last_login=now)
    make.habilitation(zola, other_hospital, "infirmier")
    # The director signed in today, as the page shows them too.
    User.objects.filter(pk=director.pk).update(last_login=now)
    return {"abel": abel, "berger": berger, "caron": caron, "fabre": fabre}


# --- Access


def test_anonymous_people_are_sent_to_sign_in(client):
    for url in (URL, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize(
    "person", ["agent", "establishment_referent", "unit_referent", "other_referent"]
)
def test_people_who_are_not_directors_get_404(db, client, request, person):
    client.force_login(request.getfixturevalue(person))
    assert client.get(URL).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_a_director_sees_every_habilitation_of_their_establishment(
    client, signed_in_director, people
):
    html = page(client)
    assert names(html) == [
        "ABEL",
        "BERGER",
        "CARON",
        "DUPONT",
        "ETIENNE",
        "FABRE",
        "MOREAU",
    ]
    assert "ZOLA" not in html
    assert "7 habilitations" in html
    # Who granted it, the e-mail and the unit are shown.
    assert "MOREAU" in html.split("ABEL", 1)[1].split("</tr>", 1)[0]
    assert people["abel"].email in html
    assert "Cardiologie" in html


@pytest.mark.parametrize("value", ["{other}", "abc", "-1", "99999999999999999999", "1.5"])
def test_an_establishment_the_director_does_not_review_is_404(
    client, signed_in_director, other_hospital, value
):
    value = value.format(other=other_hospital.pk)
    assert client.get(URL, {"etablissement": value}).status_code == 404
    assert client.get(EXPORT, {"etablissement": value}).status_code == 404


def test_a_director_of_several_establishments_chooses_one_or_sees_all(
    client, signed_in_director, people, make, hospital, other_hospital
):
    make.habilitation(signed_in_director, other_hospital, Profile.DIRECTOR)
    html = page(client)
    assert 'name="etablissement"' in html
    assert "ZOLA" in names(html)
    assert "ABEL" in names(html)
    html = page(client, etablissement=other_hospital.pk)
    assert names(html) == ["MOREAU", "ZOLA"]
    html = page(client, etablissement=hospital.pk)
    assert "ZOLA" not in names(html)


def test_a_platform_admin_searches_an_establishment_first(
    client, platform_admin, charter, people, hospital
):
    CharterAcceptance.objects.create(user=platform_admin, charter=charter)
    client.force_login(platform_admin)
    html = page(client)
    assert "<table" not in html
    assert 'name="q"' in html
    link = f"?etablissement={hospital.pk}"
    assert link in page(client, q="saint jean")
    assert link in page(client, q=hospital.finess)
    assert link not in page(client, q="pins")
    html = page(client, etablissement=hospital.pk)
    assert "ABEL" in names(html)
    assert "ZOLA" not in html
    assert 'type="hidden" name="etablissement"' in html
    assert client.get(URL, {"etablissement": 10**9}).status_code == 404
    # Without an establishment the export is not "all of France".
    response = client.get(EXPORT)
    assert response.status_code == 302
    assert response.url == URL


# --- Filters


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", ["ABEL", "BERGER", "FABRE", "MOREAU"]),
        ("future", ["CARON"]),
        ("expired", ["DUPONT"]),
        ("ended", ["ETIENNE"]),
    ],
)
def test_filter_by_status(client, signed_in_director, people, status, expected):
    assert names(page(client, statut=status)) == expected


@pytest.mark.parametrize(
    ("within", "expected"),
    [("30", ["BERGER"]), ("60", ["BERGER", "FABRE"]), ("90", ["BERGER", "FABRE"])],
)
def test_filter_ending_within(client, signed_in_director, people, within, expected):
    assert names(page(client, fin=within)) == expected


def test_filter_by_profile_and_unit(client, signed_in_director, people, cardiology):
    doctor = Profile.objects.get(code="medecin")
    assert names(page(client, profil=doctor.pk)) == ["BERGER", "ETIENNE"]
    assert names(page(client, unite=cardiology.pk)) == ["ABEL", "DUPONT", "ETIENNE"]
    assert names(page(client, unite=cardiology.pk, profil=doctor.pk)) == ["ETIENNE"]


def test_filter_dormant_blocked_and_charter(client, signed_in_director, people):
    # Dormant: never signed in (Berger) or not for 90 days (Caron).
    assert names(page(client, dormant="1")) == ["BERGER", "CARON"]
    assert names(page(client, bloque="on")) == ["FABRE"]
    assert names(page(client, charte="1")) == ["BERGER"]
    assert names(page(client, statut="active", dormant="1")) == ["BERGER"]


def test_no_charter_published_means_nobody_is_pending(client, director, people):
    Charter.objects.all().update(published_at=timezone.now() + days(1))
    client.force_login(director)
    html = page(client, charte="1")
    assert names(html) == []
    assert 'id="summary-charter">0<' in html


@pytest.mark.parametrize(
    "params",
    [
        {"statut": "bogus"},
        {"fin": "15"},
        {"profil": "abc"},
        {"unite": "99999999"},
        {"page": "x", "profil": "1.5"},
        {"profil": "99999999999999999999"},
    ],
)
def test_bad_filters_are_form_errors_not_500(client, signed_in_director, people, params):
    html = page(client, **params)
    assert "field--error" in html
    assert names(html) == []
    response = client.get(EXPORT, params)
    assert response.status_code == 302
    assert response.url.startswith(URL)


def test_a_unit_of_another_establishment_is_not_a_choice(
    client, signed_in_director, people, make, other_hospital
):
    elsewhere = make.unit(other_hospital, name="Unité secrète")
    html = page(client, unite=elsewhere.pk)
    assert "field--error" in html
    assert "Unité secrète" not in html


# --- Sort


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("personne", ["ABEL", "BERGER", "CARON", "DUPONT", "ETIENNE", "FABRE", "MOREAU"]),
        ("-personne", ["MOREAU", "FABRE", "ETIENNE", "DUPONT", "CARON", "BERGER", "ABEL"]),
        # Profiles in their own order (Directeur 20, Médecin 30, Infirmier 80), then person.
        ("profil", ["MOREAU", "BERGER", "ETIENNE", "ABEL", "CARON", "DUPONT", "FABRE"]),
        ("-profil", ["ABEL", "CARON", "DUPONT", "FABRE", "BERGER", "ETIENNE", "MOREAU"]),
        # The whole establishment (no unit) first, then Cardiologie, then Gériatrie.
        ("unite", ["BERGER", "MOREAU", "ABEL", "DUPONT", "ETIENNE", "CARON", "FABRE"]),
        ("-unite", ["CARON", "FABRE", "ABEL", "DUPONT", "ETIENNE", "BERGER", "MOREAU"]),
        ("debut", ["DUPONT", "ABEL", "ETIENNE", "FABRE", "MOREAU", "BERGER", "CARON"]),
        ("-debut", ["CARON", "BERGER", "FABRE", "MOREAU", "ETIENNE", "ABEL", "DUPONT"]),
        ("fin", ["DUPONT", "BERGER", "FABRE", "ETIENNE", "ABEL", "CARON", "MOREAU"]),
        ("-fin", ["MOREAU", "CARON", "ABEL", "ETIENNE", "FABRE", "BERGER", "DUPONT"]),
        # Active, future, expired, ended.
        ("statut", ["ABEL", "BERGER", "FABRE", "MOREAU", "CARON", "DUPONT", "ETIENNE"]),
        ("-statut", ["ETIENNE", "DUPONT", "CARON", "ABEL", "BERGER", "FABRE", "MOREAU"]),
        # Never signed in first.
        ("connexion", ["BERGER", "CARON", "FABRE", "ETIENNE", "DUPONT", "ABEL", "MOREAU"]),
        ("-connexion", ["MOREAU", "ABEL", "DUPONT", "ETIENNE", "FABRE", "CARON", "BERGER"]),
    ],
)
def test_sort(client, signed_in_director, people, sort, expected):
    assert names(page(client, tri=sort)) == expected


def test_an_unknown_sort_sorts_by_person(client, signed_in_director, people):
    assert names(page(client, tri="user__password"))[0] == "ABEL"
    assert names(page(client, tri="-" * 500))[0] == "ABEL"


def test_sort_links_keep_the_filters_and_say_the_order(client, signed_in_director, people):
    html = page(client, statut="active", tri="fin")
    assert 'aria-sort="ascending"' in html
    assert "?statut=active&amp;tri=-fin" in html
    assert "?statut=active&amp;tri=personne" not in html  # the default sort is left out
    assert "?statut=active&amp;tri=debut" in html
    assert 'aria-sort="descending"' in page(client, tri="-fin")
    # Back to the default sort: a link to the bare page, not an empty one.
    assert '<a href="?">' in page(client, tri="-personne")


# --- Search by name or e-mail


@pytest.fixture
def helene(make, cardiology, charter) -> User:
    person = make.user(last_name="Lefèvre", first_name="Hélène", email="h.lefevre@example.test")
    make.habilitation(person, cardiology, "infirmier")
    return person


@pytest.mark.parametrize("query", ["lefev", "LEFÈVRE", "hel", "Hél lef", "  lefevre  "])
def test_a_director_finds_a_person_by_part_of_their_name(
    client, signed_in_director, people, helene, query
):
    html = page(client, q=query)
    assert names(html) == ["LEFÈVRE"]
    assert helene.email in html
    assert "1 habilitation" in html


def test_a_director_finds_a_person_by_e_mail(client, signed_in_director, people, helene):
    assert names(page(client, q="h.lefevre@example.test")) == ["LEFÈVRE"]
    assert names(page(client, q="H.Lefevre@Example.test")) == ["LEFÈVRE"]
    # A word of the address: its start, like the words of the name.
    assert names(page(client, q="h lefevre example")) == ["LEFÈVRE"]


def test_the_search_finds_every_right_of_the_people_found(
    client, signed_in_director, people, helene, geriatrics, make
):
    make.habilitation(helene, geriatrics, "medecin")
    assert names(page(client, q="lefevre")) == ["LEFÈVRE", "LEFÈVRE"]
    # The other filters still apply.
    assert names(page(client, q="lefevre", profil=make.profile("medecin").pk)) == ["LEFÈVRE"]
    assert names(page(client, q="zoe", statut="active")) == ["ABEL", "BERGER", "FABRE"]


def test_the_search_never_widens_the_scope(
    client, signed_in_director, people, make, other_hospital
):
    # Zola holds a right in the other establishment only.
    zola = User.objects.get(last_name="Zola")
    for query in ("zola", zola.email):
        html = page(client, q=query)
        assert names(html) == []
        table = html.split('id="habilitations-title"', 1)[1]  # the search box says the query
        assert "ZOLA" not in table
        assert zola.email not in table
    # Nor with the other establishment asked for: 404, as without a search.
    response = client.get(URL, {"q": "zola", "etablissement": other_hospital.pk})
    assert response.status_code == 404


def test_a_search_finding_nobody_keeps_the_page_and_the_field(client, signed_in_director, people):
    html = page(client, q="personne introuvable")
    assert names(html) == []
    assert 'value="personne introuvable"' in html
    assert 'type="search"' in html


def test_the_search_is_kept_by_the_sort_links_the_pages_and_the_export(
    client, signed_in_director, hospital, cardiology, people
):
    _bulk(hospital, [cardiology], 60)
    response = client.get(URL, {"q": "masse", "tri": "-fin"})
    assert len(names(response.content.decode())) == 50
    assert response.context["links"]["next"] == "?q=masse&tri=-fin&page=2"
    headers = {header["key"]: header["url"] for header in response.context["headers"]}
    assert headers["fin"] == "?q=masse&tri=fin"
    assert headers["personne"] == "?q=masse"
    assert response.context["export_url"] == f"{EXPORT}?q=masse&tri=-fin"
    # The filter form carries it with the sort.
    html = response.content.decode()
    assert 'name="q" value="masse"' in html
    assert len(names(page(client, q="masse", tri="-fin", page=2))) == 10


def test_a_too_long_search_is_a_form_error(client, signed_in_director, people):
    html = page(client, q="a" * 201)
    assert names(html) == []
    assert "field__errors" in html
    assert client.get(EXPORT, {"q": "a" * 201}).status_code == 302


# --- Summary


def test_summary_numbers(client, signed_in_director, people, make, hospital, cardiology):
    # A unit with a référent of its own, one whose référent's right expired, and a closed one.
    make.referent(cardiology)
    expired_unit = make.unit(hospital, name="Pédiatrie")
    gone = make.user()
    make.habilitation(
        gone, expired_unit, Profile.REFERENT, start=today() - days(400), end=today() - days(1)
    )
    make.unit(hospital, name="Fermée", is_active=False)
    # A blocked person with two active rights counts once.
    make.habilitation(people["fabre"], cardiology, "infirmier")
    html = page(client)
    # Abel, Berger, Fabre ×2, Moreau, the cardiology référent.
    assert 'id="summary-active">6<' in html
    assert 'id="summary-ending">1<' in html  # Berger
    assert 'id="summary-blocked">1<' in html  # Fabre
    # Berger and the new référent have not accepted the charter; Caron (future) is not counted.
    assert 'id="summary-charter">2<' in html
    # Gériatrie and Pédiatrie; Cardiologie has its own référent, Fermée is closed.
    assert re.search(r'id="summary-units">2 ', html)


def test_a_slow_summary_is_kept_a_minute_and_says_when_it_was_computed(
    client, signed_in_director, people, make, hospital, monkeypatch
):
    # As at a teaching hospital, where counting 50,000 rights takes about half a second.
    monkeypatch.setattr(selectors, "SUMMARY_SLOW_SECONDS", -1)
    first = page(client)
    assert 'id="summary-active">4<' in first
    assert 'id="summary-time"' not in first  # computed for this request
    make.habilitation(make.user(), hospital, "infirmier")
    second = page(client)
    assert 'id="summary-active">4<' in second  # from the cache...
    assert 'id="summary-time"' in second  # ...and the page says so
    assert second.count("<tr") == first.count("<tr") + 1  # the table itself is live
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        assert 'id="summary-active">5<' in page(client)


def test_an_unreachable_cache_leaves_the_summary_live(client, signed_in_director, people, settings):
    # Redis down (here: nobody listens on the port) must not take the review page down.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2},
        }
    }
    assert 'id="summary-active">4<' in page(client)


def test_summary_numbers_link_to_the_filtered_table(client, signed_in_director, people):
    html = page(client)
    assert 'href="?statut=active" id="summary-active"' in html
    assert 'href="?fin=30" id="summary-ending"' in html
    assert 'href="?statut=active&amp;bloque=1" id="summary-blocked"' in html


def test_summary_is_for_the_selected_establishment(
    client, signed_in_director, people, make, other_hospital
):
    make.habilitation(signed_in_director, other_hospital, Profile.DIRECTOR)
    # Abel, Berger, Fabre and Moreau here; Moreau and Zola there.
    assert 'id="summary-active">6<' in page(client)
    assert 'id="summary-active">2<' in page(client, etablissement=other_hospital.pk)


# --- Pages and query counts


def _bulk(hospital, units, n: int) -> None:
    """``n`` people with one right each, in two statements."""
    start = User.objects.count()
    users = [
        User(
            email=f"bulk{start + i}@example.test",
            last_name=f"Masse{start + i:05d}",
            first_name="Zoé",
            password="!",  # unusable
        )
        for i in range(n)
    ]
    for user in users:  # what save() would write, for the search
        user.search_name = user.build_search_name()
    User.objects.bulk_create(users)
    nurse = Profile.objects.get(code="infirmier")
    t = today()
    Habilitation.objects.bulk_create(
        Habilitation(
            user=user,
            profile=nurse,
            establishment=hospital,
            unit=units[i % len(units)] if i % 3 else None,
            # A mix of statuses: future, active and expired rights.
            start_date=t - days((i * 37) % 400 - 20),
            end_date=t - days((i * 37) % 400 - 20) + days((i * 53) % 500),
        )
        for i, user in enumerate(users)
    )


def test_the_table_is_paged_50_at_a_time(client, signed_in_director, hospital, cardiology):
    _bulk(hospital, [cardiology], 60)
    html = page(client)
    assert len(names(html)) == 50
    assert "page=2" in html
    assert len(names(page(client, page=2))) == 11  # and the director


@pytest.mark.parametrize("params", [{}, {"statut": "active", "tri": "-connexion", "charte": "1"}])
def test_query_count_does_not_grow_with_the_habilitations(
    client, signed_in_director, hospital, cardiology, geriatrics, params
):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            page(client, **params)
        return len(queries)

    _bulk(hospital, [cardiology, geriatrics], 20)
    small = count_queries()
    _bulk(hospital, [cardiology, geriatrics], 2000)
    assert count_queries() == small
