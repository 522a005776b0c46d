"""Rights checked on every request: blocked or inactive people are signed out at once."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

MINE = reverse("referents:mine")
MY_ACCOUNT = reverse("accounts:my_account")


def test_a_person_blocked_meanwhile_is_signed_out_at_the_next_request(client, agent):
    client.force_login(agent)
    assert client.get(MY_ACCOUNT).status_code == 200
    # Blocked without ending the sessions (e.g. directly in the database).
    User.objects.filter(pk=agent.pk).update(blocked_at=timezone.now(), blocked_reason="test")
    response = client.get(MY_ACCOUNT)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign_in")
    assert "_auth_user_id" not in client.session
    # The sign-in page says so, neutrally.
    page = client.get(response["Location"]).content.decode()
    assert 'class="message' in page


def test_a_person_made_inactive_is_signed_out_at_the_next_request(client, agent):
    client.force_login(agent)
    User.objects.filter(pk=agent.pk).update(is_active=False)
    response = client.post(reverse("accounts:set_reminders", args=[1]))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign_in")
    assert "_auth_user_id" not in client.session


def test_the_check_costs_no_query_of_its_own(client, agent, settings):
    client.force_login(agent)
    client.get(MY_ACCOUNT)
    with CaptureQueriesContext(connection) as with_checks:
        client.get(MY_ACCOUNT)
    settings.MIDDLEWARE = [
        m for m in settings.MIDDLEWARE if m != "accounts.middleware.AccountChecksMiddleware"
    ]
    with CaptureQueriesContext(connection) as without_checks:
        client.get(MY_ACCOUNT)
    assert len(with_checks) == len(without_checks)


def test_anonymous_visitors_are_untouched(client):
    assert client.get(reverse("accounts:sign_in")).status_code == 200
    assert client.get(MINE)["Location"].startswith(reverse("accounts:sign_in"))
