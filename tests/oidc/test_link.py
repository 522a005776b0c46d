"""Mon compte: link my Pro Santé Connect identity, and unlink it (audited)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from django.urls import reverse

from audit.models import AuditEvent
from mfa.models import Factor
from oidc.models import LinkedIdentity
from tests.oidc.conftest import through_provider
from tests.oidc.provider import psc_person

LINK = reverse("oidc:link", args=["psc"])
MY_ACCOUNT = reverse("accounts:my_account")


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_my_account_offers_to_link_when_a_provider_is_configured(signed_in, psc):
    page = signed_in.get(MY_ACCOUNT).content.decode()
    assert f'href="{LINK}"' in page


def test_my_account_says_nothing_without_a_provider(signed_in, settings):
    settings.OIDC_PROVIDERS = {}
    page = signed_in.get(MY_ACCOUNT).content.decode()
    assert "identites" not in page


def test_linking_from_my_account(signed_in, agent, psc):
    _callback, response = through_provider(signed_in, LINK)
    assert response.status_code == 302
    assert response["Location"] == MY_ACCOUNT
    identity = LinkedIdentity.objects.get(user=agent)
    assert identity.how == LinkedIdentity.How.BY_PERSON
    assert identity.subject == psc.person["sub"]
    event = AuditEvent.objects.get(action=AuditEvent.Action.IDENTITY_LINKED)
    assert (event.actor, event.target_user) == (agent, agent)
    # Still signed in as themselves; the page now offers to unlink.
    page = signed_in.get(MY_ACCOUNT).content.decode()
    assert reverse("oidc:unlink", args=[identity.pk]) in page


def test_an_identity_of_another_account_is_not_linked(signed_in, agent, psc, make):
    other = make.user()
    LinkedIdentity.objects.create(
        user=other, provider="psc", subject=psc.person["sub"], how=LinkedIdentity.How.BY_PERSON
    )
    _callback, response = through_provider(signed_in, LINK)
    assert response.status_code == 302
    assert not LinkedIdentity.objects.filter(user=agent).exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.IDENTITY_LINKED).exists()


def test_an_identity_with_another_rpps_than_recorded_is_not_linked(signed_in, agent, psc):
    type(agent).objects.filter(pk=agent.pk).update(national_id="20202020202")
    psc.person = psc_person(rpps="10101010101")
    through_provider(signed_in, LINK)
    assert not LinkedIdentity.objects.exists()


def test_a_second_identity_of_the_same_provider_is_not_linked(signed_in, agent, psc):
    LinkedIdentity.objects.create(
        user=agent, provider="psc", subject="an-older-sub", how=LinkedIdentity.How.BY_PERSON
    )
    response = signed_in.get(LINK)
    assert response.status_code == 302
    assert response["Location"] == MY_ACCOUNT
    assert LinkedIdentity.objects.get(user=agent).subject == "an-older-sub"


def test_a_link_finished_by_someone_else_links_nothing(signed_in, agent, psc, make, client):
    start = signed_in.get(LINK)
    at_provider = httpx.get(start["Location"], follow_redirects=False)
    client.force_login(make.user())  # the same browser, another account now
    back = urlsplit(at_provider.headers["Location"])
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 400
    assert not LinkedIdentity.objects.exists()


def test_a_session_that_did_not_give_its_second_factor_links_nothing(
    signed_in, agent, psc, settings
):
    # The second factor off for pages (so Mon compte opens), on for the link's own check.
    Factor.objects.create(user=agent, kind="totp", name="Téléphone", totp_secret="JBSWY3DP")
    settings.MFA_REQUIRED = "administrators"
    response = signed_in.get(LINK)
    assert response.status_code == 302
    assert not response["Location"].startswith(psc.url)
    assert not LinkedIdentity.objects.exists()


def test_unlinking(signed_in, agent, psc):
    identity = LinkedIdentity.objects.create(
        user=agent, provider="psc", subject="sub-1", how=LinkedIdentity.How.BY_PERSON
    )
    assert signed_in.get(reverse("oidc:unlink", args=[identity.pk])).status_code == 405
    response = signed_in.post(reverse("oidc:unlink", args=[identity.pk]))
    assert response.status_code == 302
    assert not LinkedIdentity.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.IDENTITY_UNLINKED)
    assert event.before == {"provider": "psc", "subject": "sub-1", "how": "person"}
    assert event.actor == agent


def test_nobody_unlinks_someone_else(signed_in, psc, make):
    other = LinkedIdentity.objects.create(
        user=make.user(), provider="psc", subject="sub-2", how=LinkedIdentity.How.BY_PERSON
    )
    assert signed_in.post(reverse("oidc:unlink", args=[other.pk])).status_code == 404
    assert LinkedIdentity.objects.filter(pk=other.pk).exists()
