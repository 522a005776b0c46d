"""Every word a person reads is in their language: no English leftover (nor internal key or
slug) on a French page, no French word on an English page.

Each page of the product is opened as a person allowed to see it, in French and in English;
its visible text (and the labels assistive technologies read) is searched for words of the
other language. The people and structures are named with words of neither list: their names
are data, in whatever language they were typed.
"""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance
from audit import trail
from audit.models import AuditEvent
from reviews.models import ReviewCampaign
from tests.test_authorization_matrix import MATRIX, url_for

# Words that only an untranslated message puts on a French page; internal keys and slugs.
ENGLISH_ON_FRENCH_PAGES = re.compile(
    r"\b(?:the|and|your|with|of|for|from|rights?|accounts?|none|yes|no|true|false|none)\b"
    r"|\b[a-z]+_[a-z_]+\b"  # a Python identifier (account_exists)
    r"|\b[a-z]+(?:-[a-z]+){2,}\b"  # a slug (gestionnaire-de-lits)
)
# Words that only an untranslated message puts on an English page, and the French spelling
# of "referent".
FRENCH_ON_ENGLISH_PAGES = re.compile(
    r"\b(?:vous|votre|vos|les|des|aucun|aucune|revue|droits?|compte|établissement|unité"
    r"|fonctionnelle|référents?|oui|non)\b"
)
# Words any page has in its own language: the search above reads the right text.
OWN_WORDS = {
    "fr": re.compile(r"\b(?:le|la|les|des|de|vous|votre)\b"),
    "en": re.compile(r"\b(?:the|of|your|and|to)\b"),
}

# What a person reads: the text between tags, and the names given to controls.
_HIDDEN = re.compile(r"<(script|style|template)\b.*?</\1>", re.S | re.I)
_LABELS = re.compile(r'\b(?:aria-label|title|placeholder|alt)="([^"]*)"')
_TAGS = re.compile(r"<[^>]+>")


def readable_text(page: str) -> str:
    page = _HIDDEN.sub(" ", page)
    labels = " ".join(_LABELS.findall(page))
    return html.unescape(_TAGS.sub(" ", page) + " " + labels)


@pytest.fixture
def world(make, hospital, cardiology, geriatrics, platform_admin, establishment_referent):
    """Names in neither language; a right on each kind of structure, a campaign, events."""
    Charter.objects.create(version=1, title="Charte", body="Texte.")
    nurse = make.user(
        email="zyx@example.test",
        last_name="Zyx",
        first_name="Qwy",
        blocked_at=timezone.now(),
        blocked_reason="x",
    )
    right = make.habilitation(nurse, geriatrics, profile="infirmier")
    campaign = ReviewCampaign.objects.create(
        establishment=hospital, started_by=platform_admin, snapshot_date=timezone.localdate()
    )
    trail.record(
        action=AuditEvent.Action.HABILITATION_GRANTED,
        actor=establishment_referent,
        target_user=nurse,
        establishment=hospital,
        unit=geriatrics,
        after={"profile": "infirmier", "habilitation": right.pk, "unit": geriatrics.pk},
    )
    return {
        "campaign": campaign.pk,
        "nurse": nurse.pk,
        "nurse_right": right.pk,
        "hospital": hospital.pk,
        "geriatrics": (hospital.pk, geriatrics.pk),
    }


# Who opens each page: the first role of the matrix allowed to.
PREFERRED = ["establishment_referent", "director", "platform_admin"]


def _pages(world: dict) -> list[tuple[str, str]]:
    pages = [
        ("anonymous", reverse("accounts:sign_in")),
        ("anonymous", reverse("accounts:password_reset")),
        ("anonymous", reverse("accounts:blocked_help")),
        ("establishment_referent", reverse("referents:mine")),
        ("establishment_referent", reverse("referents:list")),
        ("establishment_referent", reverse("accounts:my_account")),
    ]
    for name, (_key, allowed, method) in sorted(MATRIX.items()):
        if method != "GET" or name.endswith(("export", "_csv", "_xlsx")):
            continue
        role = next(r for r in PREFERRED if r in allowed)
        pages.append((role, url_for(name, world)))
    return pages


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_word_of_the_other_language(client, request, world, language):
    pattern = ENGLISH_ON_FRENCH_PAGES if language == "fr" else FRENCH_ON_ENGLISH_PAGES
    leftovers: dict[str, set[str]] = {}
    for role, url in _pages(world):
        if role == "anonymous":
            client.logout()
        else:
            user = request.getfixturevalue(role)
            CharterAcceptance.objects.get_or_create(user=user, charter=Charter.objects.current())
            client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language  # logout() drops the cookies
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        page = response.content.decode()
        assert f'<html lang="{language}">' in page, url
        text = readable_text(page)
        assert OWN_WORDS[language].search(text), url
        found = set(pattern.findall(text))
        if found:
            leftovers[url] = found
    assert not leftovers, "\n".join(f"{url}: {sorted(words)}" for url, words in leftovers.items())
