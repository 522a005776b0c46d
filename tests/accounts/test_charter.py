"""The usage charter gate: nothing but the acceptance page until the current version is accepted."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance
from audit.models import AuditEvent

ACCEPT = reverse("accounts:charter_accept")
MINE = reverse("referents:mine")
MY_ACCOUNT = reverse("accounts:my_account")


def publish(version: int, **fields) -> Charter:
    fields.setdefault("title", f"Charte v{version}")
    fields.setdefault("body", f"Article 1.\nLigne {version}.\n\nArticle 2.")
    fields.setdefault("published_at", timezone.now() - datetime.timedelta(minutes=1))
    return Charter.objects.create(version=version, **fields)


@pytest.fixture
def charter(db) -> Charter:
    return publish(1)


def test_without_a_published_charter_nothing_is_required(client, agent):
    publish(1, published_at=timezone.now() + datetime.timedelta(days=1))  # not yet published
    client.force_login(agent)
    assert client.get(MINE).status_code == 200
    assert client.get(ACCEPT).status_code == 200


def test_every_page_leads_to_the_charter_until_accepted(client, agent, charter, cardiology):
    client.force_login(agent)
    for url in [
        MINE,
        MY_ACCOUNT,
        reverse("referents:list"),
        reverse("referents:unit", args=[cardiology.pk]),
        reverse("administration:charter_pending"),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"{ACCEPT}?next={quote(url, safe='')}"
    # A POST too, without a "next" that could not be replayed.
    habilitation = agent.habilitations.get()
    response = client.post(reverse("accounts:set_reminders", args=[habilitation.pk]), {})
    assert response["Location"] == ACCEPT
    habilitation.refresh_from_db()
    assert habilitation.email_reminders


def test_the_acceptance_page_shows_the_text_and_the_button(client, agent, charter):
    client.force_login(agent)
    page = client.get(ACCEPT).content.decode()
    assert "<p>Article 1.<br>Ligne 1.</p>" in page
    assert 'name="version" value="1"' in page
    assert 'type="submit"' in page


def test_some_pages_stay_open(client, agent, charter):
    client.force_login(agent)
    assert client.get(ACCEPT).status_code == 200
    assert client.get(reverse("accounts:password_reset")).status_code == 200
    response = client.post(reverse("set_language"), {"language": "en", "next": ACCEPT})
    assert response["Location"] == ACCEPT
    response = client.post(reverse("accounts:sign_out"))
    assert response["Location"] == reverse("accounts:sign_in")
    assert "_auth_user_id" not in client.session


def test_the_administration_site_stays_open_to_platform_administrators(
    client, platform_admin, agent, charter
):
    client.force_login(platform_admin)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(MINE).status_code == 302
    client.force_login(agent)
    response = client.get(reverse("admin:index"))
    assert response["Location"].startswith(ACCEPT)


def test_accepting_records_it_and_returns_to_the_page_asked(client, agent, charter):
    client.force_login(agent)
    response = client.post(ACCEPT, {"version": 1, "next": MY_ACCOUNT}, REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 302
    assert response["Location"] == MY_ACCOUNT
    acceptance = CharterAcceptance.objects.get(user=agent, charter=charter)
    assert acceptance.ip_address == "192.0.2.7"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CHARTER_ACCEPTED)
    assert event.actor == agent
    assert event.target_user == agent
    assert event.after["version"] == 1
    assert client.get(MY_ACCOUNT).status_code == 200
    assert client.get(MINE).status_code == 200


def test_accepting_twice_keeps_one_acceptance(client, agent, charter):
    client.force_login(agent)
    client.post(ACCEPT, {"version": 1})
    response = client.post(ACCEPT, {"version": 1})
    assert response.status_code == 302
    assert CharterAcceptance.objects.count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHARTER_ACCEPTED).count() == 1


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/phish", "//evil.example/", "/\\evil.example", "javascript:alert(1)"],
)
def test_an_outside_next_is_ignored(client, agent, charter, next_url):
    client.force_login(agent)
    response = client.post(ACCEPT, {"version": 1, "next": next_url})
    assert response["Location"] == MINE
    assert CharterAcceptance.objects.filter(user=agent).exists()


def test_without_next_it_goes_to_mes_referents(client, agent, charter):
    client.force_login(agent)
    assert client.post(ACCEPT, {"version": 1})["Location"] == MINE


def test_accepting_a_version_that_is_no_longer_current_accepts_nothing(client, agent, charter):
    client.force_login(agent)
    publish(2)
    response = client.post(ACCEPT, {"version": 1})
    assert response.status_code == 302
    assert not CharterAcceptance.objects.exists()
    for bad in ({"version": "abc"}, {}):
        assert client.post(ACCEPT, bad).status_code == 302
    assert not CharterAcceptance.objects.exists()


def test_a_new_version_brings_the_gate_back(client, agent, charter):
    client.force_login(agent)
    client.post(ACCEPT, {"version": 1})
    assert client.get(MINE).status_code == 200
    publish(2)
    assert client.get(MINE).status_code == 302
    assert 'value="2"' in client.get(ACCEPT).content.decode()
    client.post(ACCEPT, {"version": 2})
    assert client.get(MINE).status_code == 200


def test_after_acceptance_the_page_says_when(client, agent, charter):
    client.force_login(agent)
    client.post(ACCEPT, {"version": 1})
    page = client.get(ACCEPT).content.decode()
    assert 'name="version"' not in page


def test_the_gate_costs_no_query_of_its_own(client, agent, charter, settings):
    client.force_login(agent)
    client.post(ACCEPT, {"version": 1})
    client.get(MY_ACCOUNT)
    with CaptureQueriesContext(connection) as gated:
        assert client.get(MY_ACCOUNT).status_code == 200
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.middleware.AccountChecksMiddleware"
    ]
    with CaptureQueriesContext(connection) as ungated:
        assert client.get(MY_ACCOUNT).status_code == 200
    assert len(gated) == len(ungated)
