"""Mon compte: my details, my habilitations and their e-mail reminders, my password, the
référent digest."""

import html
import re

import pytest
from django.contrib.auth import password_validation
from django.contrib.auth.forms import SetPasswordForm
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import AuditEvent

URL = reverse("accounts:my_account")
PASSWORD_URL = reverse("accounts:password_change")
DIGEST_URL = reverse("accounts:set_digest")
PASSWORD = "mon ancien mot de passe"
NEW_PASSWORD = "un tout nouveau mot de passe"


def error_of(page: str, field: str) -> str:
    """The text of a field's error container (empty when it shows none)."""
    found = re.search(rf'<div class="field__errors" id="id_{field}_error">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found[1])).strip() if found else ""


def test_my_habilitations_with_structure_dates_and_status(client, agent, cardiology):
    client.force_login(agent)
    page = client.get(URL).content.decode()
    assert agent.email in page
    assert "Cardiologie" in page
    assert "Infirmier(e)" in page


def test_i_can_stop_and_restart_reminders_for_my_right(client, agent):
    habilitation = agent.habilitations.get()
    client.force_login(agent)
    url = reverse("accounts:set_reminders", args=[habilitation.pk])
    assert client.post(url, {"email_reminders": ""}).status_code == 302
    habilitation.refresh_from_db()
    assert not habilitation.email_reminders
    event = AuditEvent.objects.get()
    assert event.actor == agent
    assert event.after["email_reminders"] is False
    client.post(url, {"email_reminders": "on"})
    habilitation.refresh_from_db()
    assert habilitation.email_reminders


def test_i_cannot_touch_someone_elses_right(client, agent, establishment_referent):
    other = establishment_referent.habilitations.get()
    client.force_login(agent)
    url = reverse("accounts:set_reminders", args=[other.pk])
    assert client.post(url, {"email_reminders": ""}).status_code == 404
    other.refresh_from_db()
    assert other.email_reminders


def test_reminder_change_is_a_post(client, agent):
    client.force_login(agent)
    url = reverse("accounts:set_reminders", args=[agent.habilitations.get().pk])
    assert client.get(url).status_code == 405


def test_details_send_me_to_my_referents(client, agent):
    client.force_login(agent)
    client.cookies["django_language"] = "en"
    page = client.get(URL).content.decode()
    link = re.search(r'<a href="([^"]+)">ask one of your referents</a>', page)
    assert link is not None
    assert link[1] == reverse("referents:mine")


def test_details_send_me_to_my_referents_in_french(client, agent):
    # Needs the French translations compiled.
    client.force_login(agent)
    page = client.get(URL, headers={"accept-language": "fr"}).content.decode()
    assert (
        f'<a href="{reverse("referents:mine")}">adressez-vous à l’un de vos référents</a>' in page
    )


# --- My password


@pytest.fixture
def person(agent) -> User:
    agent.set_password(PASSWORD)
    agent.save()
    return agent


def change(client, old=PASSWORD, new1=NEW_PASSWORD, new2=NEW_PASSWORD):
    return client.post(
        PASSWORD_URL, {"old_password": old, "new_password1": new1, "new_password2": new2}
    )


def test_my_account_leads_to_the_password_change(client, person):
    client.force_login(person)
    assert f'href="{PASSWORD_URL}"' in client.get(URL).content.decode()


def test_the_password_rules_are_shown_under_the_new_password(client, person):
    client.force_login(person)
    page = client.get(PASSWORD_URL).content.decode()
    with translation.override("fr"):
        rules = password_validation.password_validators_help_texts()
    help_text = re.search(r'<p class="field__help" id="id_new_password1_helptext">(.*?)</p>', page)
    assert help_text is not None
    for rule in rules:
        assert rule in html.unescape(help_text[1])
    assert 'autocomplete="current-password"' in page
    assert page.count('autocomplete="new-password"') == 2


def test_changing_my_password_signs_out_my_other_sessions_only(client, person):
    elsewhere = Client()
    elsewhere.force_login(person)
    client.force_login(person)
    response = change(client)
    assert response.status_code == 302
    assert response["Location"] == URL
    page = client.get(URL).content.decode()
    assert "Your password is changed" in page or "Votre mot de passe est modifié" in page
    # This session stays open; the other one is signed out.
    assert client.get(reverse("referents:mine")).status_code == 200
    signed_out = elsewhere.get(reverse("referents:mine"))
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("accounts:sign_in"))
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action=AuditEvent.Action.PASSWORD_SET)
    assert event.actor == person
    assert event.target_user == person
    assert event.after == {"password": "…"}


def test_a_right_current_password_starts_the_failure_count_again(client, person):
    User.objects.filter(pk=person.pk).update(failed_login_count=3)
    client.force_login(person)
    assert change(client).status_code == 302
    person.refresh_from_db()
    assert person.failed_login_count == 0


def test_a_wrong_current_password_is_refused_and_counted(client, person):
    client.force_login(person)
    response = change(client, old="pas le bon")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This is not your current password" in error_of(page, "old_password") or (
        "Ce n’est pas votre mot de passe actuel" in error_of(page, "old_password")
    )
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
    assert person.failed_login_count == 1
    failed = AuditEvent.objects.get(action=AuditEvent.Action.SIGNIN_FAILED)
    assert failed.target_user == person
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD_SET).exists()
    # Still signed in: one mistake is not a block.
    assert client.get(URL).status_code == 200


def test_a_wrong_current_password_reads_in_french(client, person):
    # Needs the French translations compiled.
    client.force_login(person)
    page = change(client, old="pas le bon").content.decode()
    assert "Ce n’est pas votre mot de passe actuel" in error_of(page, "old_password")
    assert "Le formulaire contient 1 erreur" in page


def test_a_stolen_session_cannot_try_passwords_past_the_lockout(client, person, settings):
    settings.LOCKOUT_THRESHOLD = 3
    elsewhere = Client()
    elsewhere.force_login(person)
    client.force_login(person)
    assert change(client, old="essai 1").status_code == 200
    assert change(client, old="essai 2").status_code == 200
    response = change(client, old="essai 3")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign_in")
    told = client.get(response["Location"]).content.decode()
    assert "your account is blocked and you are signed out" in told or (
        "votre compte est bloqué et vous êtes déconnecté" in told
    )
    person.refresh_from_db()
    assert person.is_blocked
    assert person.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_BLOCKED).count() == 1
    # Signed out here and everywhere: the right password is no use now.
    for browser in (client, elsewhere):
        assert browser.get(URL).status_code == 302
    assert change(client).status_code == 302
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_a_throttled_address_is_refused_before_any_check(client, person, settings):
    settings.LOCKOUT_THRESHOLD = 100
    settings.SIGNIN_IP_MAX_FAILURES = 2
    client.force_login(person)
    change(client, old="essai 1")
    change(client, old="essai 2")
    assert change(client).status_code == 429
    person.refresh_from_db()
    assert person.failed_login_count == 2
    assert person.check_password(PASSWORD)


def test_rule_errors_show_under_the_new_password_and_a_mismatch_under_the_confirmation(
    client, person
):
    client.force_login(person)
    page = change(client, new1="court", new2="autre").content.decode()
    with translation.override("fr"):
        too_short = password_validation.MinimumLengthValidator(12).get_error_message()
        mismatch = str(SetPasswordForm.error_messages["password_mismatch"])
    assert too_short in error_of(page, "new_password1")
    assert error_of(page, "new_password2") == mismatch
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_password_change_is_a_signed_in_page(client):
    response = client.get(PASSWORD_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:sign_in"))


# --- The référent digest


def test_the_digest_is_offered_to_referents_only(client, agent, establishment_referent):
    client.force_login(agent)
    assert f'action="{DIGEST_URL}"' not in client.get(URL).content.decode()
    client.force_login(establishment_referent)
    page = client.get(URL).content.decode()
    assert f'action="{DIGEST_URL}"' in page
    assert 'name="receives_digest" value=""' in page  # on by default: the button stops it


def test_i_can_stop_and_restart_the_digest(client, establishment_referent):
    client.force_login(establishment_referent)
    assert client.post(DIGEST_URL, {"receives_digest": ""}).status_code == 302
    establishment_referent.refresh_from_db()
    assert not establishment_referent.receives_digest
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.ACCOUNT_UPDATED
    assert event.actor == event.target_user == establishment_referent
    assert (event.before, event.after) == ({"receives_digest": True}, {"receives_digest": False})
    page = client.get(URL).content.decode()
    assert "You will no longer receive the référent digest" in page or (
        "Vous ne recevrez plus le récapitulatif des référents" in page
    )
    assert 'name="receives_digest" value="on"' in page
    client.post(DIGEST_URL, {"receives_digest": "on"})
    establishment_referent.refresh_from_db()
    assert establishment_referent.receives_digest
    # Asking for what is already so changes and records nothing.
    client.post(DIGEST_URL, {"receives_digest": "on"})
    assert AuditEvent.objects.count() == 2


def test_digest_change_is_a_post(client, establishment_referent):
    client.force_login(establishment_referent)
    assert client.get(DIGEST_URL).status_code == 405
