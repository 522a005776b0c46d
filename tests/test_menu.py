"""The Administration menu shows each person the entries of their rights, and no others."""

import re

import pytest
from django.urls import reverse

REFERENT_ENTRIES = [
    reverse("administration:people"),
    reverse("administration:establishments"),
    reverse("administration:charter_pending"),
    reverse("administration:journal"),
]


def menu_links(client, user) -> list[str]:
    client.force_login(user)
    page = client.get(reverse("referents:mine")).content.decode()
    menu = re.search(r'<ul class="menu__list">(.*?)</ul>', page, re.S)[1]
    return re.findall(r'href="([^"]+)"', menu)


DIRECTOR_ENTRIES = [
    reverse("reviews:table"),
    reverse("reviews:campaigns"),
    reverse("reviews:uncovered"),
]


def test_staff_see_mes_referents_only(client, agent):
    assert menu_links(client, agent) == [reverse("referents:mine")]


def test_directors_see_their_review_entries_only(client, director):
    assert menu_links(client, director) == [reverse("referents:mine"), *DIRECTOR_ENTRIES]


@pytest.mark.parametrize("person", ["establishment_referent", "unit_referent"])
def test_referents_see_their_administration_entries(client, request, person, db):
    links = menu_links(client, request.getfixturevalue(person))
    assert links[0] == reverse("referents:mine")
    for url in REFERENT_ENTRIES:
        assert url in links
    for url in DIRECTOR_ENTRIES:
        assert url not in links
    assert reverse("admin:index") not in links


def test_platform_admins_also_see_the_administration_site(client, platform_admin):
    links = menu_links(client, platform_admin)
    assert reverse("admin:index") in links
    for url in REFERENT_ENTRIES + DIRECTOR_ENTRIES:
        assert url in links
