"""Codes are checked like passwords: the same counter, the same neutral message, once each;
recovery codes; recent authentication before removing a factor or making new codes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.models import User
from accounts.services import account_unblock
from audit.models import AuditEvent
from mfa import recovery
from mfa.models import Factor, RecoveryCode
from mfa.services import WRONG_CODE, recovery_codes_generate
from tests.mfa.conftest import add_totp, code_now, give_code, sign_in


@pytest.fixture
def person(referent):
    add_totp(referent)
    return referent


def _wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_a_wrong_code_counts_like_a_wrong_password(client, required, person):
    sign_in(client, person.email)
    response = give_code(client, _wrong(code_now()))
    assert response.status_code == 200
    assert str(WRONG_CODE) in response.content.decode()
    person.refresh_from_db()
    assert person.failed_login_count == 1
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SIGNIN_FAILED, target_user=person
    ).exists()


def test_the_threshold_blocks_and_signs_out(client, required, person):
    sign_in(client, person.email)
    for _ in range(4):
        give_code(client, _wrong(code_now()))
    response = give_code(client, _wrong(code_now()))
    assert response["Location"] == "/connexion/"
    person.refresh_from_db()
    assert person.is_blocked
    assert client.get("/mon-compte/")["Location"].startswith("/connexion/")


def test_the_password_again_gives_no_more_tries(client, required, person):
    """A right password resets the account's counter; the wrong codes still add up."""
    for _ in range(2):
        sign_in(client, person.email)
        give_code(client, _wrong(code_now()))
        give_code(client, _wrong(code_now()))
        client.post("/deconnexion/")
    sign_in(client, person.email)
    person.refresh_from_db()
    assert person.failed_login_count == 0
    response = give_code(client, _wrong(code_now()))
    assert response["Location"] == "/connexion/"
    person.refresh_from_db()
    assert person.is_blocked


def test_a_right_code_starts_the_count_again(client, required, person):
    sign_in(client, person.email)
    for _ in range(4):
        give_code(client, _wrong(code_now()))
    give_code(client, code_now())
    person.refresh_from_db()
    assert person.failed_login_count == 0
    assert person.second_factor_state.failed_codes == 0


def test_an_unblocking_starts_the_count_again(client, required, person, make, hospital):
    sign_in(client, person.email)
    for _ in range(3):
        give_code(client, _wrong(code_now()))
    User.objects.filter(pk=person.pk).update(
        blocked_at=timezone.now(), blocked_reason="x", failed_login_count=5
    )
    admin = make.user(email="root@example.test", is_superuser=True, is_staff=True)
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=1)):
        account_unblock(actor=admin, user=User.objects.get(pk=person.pk))
    client = type(client)()
    sign_in(client, person.email)
    response = give_code(client, _wrong(code_now()))
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.second_factor_state.failed_codes == 1
    assert not person.is_blocked


def test_a_code_is_accepted_once(client, required, person):
    sign_in(client, person.email)
    code = code_now()
    assert give_code(client, code).status_code == 302
    client.post("/deconnexion/")
    sign_in(client, person.email)
    response = give_code(client, code)
    assert response.status_code == 200
    assert str(WRONG_CODE) in response.content.decode()


def test_a_throttled_address_is_refused_before_any_check(client, required, person, settings):
    settings.SIGNIN_IP_MAX_FAILURES = 2
    sign_in(client, person.email)
    give_code(client, _wrong(code_now()), ip="10.9.9.9")
    give_code(client, _wrong(code_now()), ip="10.9.9.9")
    assert give_code(client, code_now(), ip="10.9.9.9").status_code == 429


def test_recovery_codes_are_accepted_once_each(client, required, person):
    codes = recovery_codes_generate(user=person, request=None)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    stored = RecoveryCode.objects.filter(user=person)
    assert all(code not in row.code_hash for code in codes for row in stored)
    for index, code in enumerate(codes[:2]):
        sign_in(client, person.email)
        typed = code.lower().replace("-", " ") if index else code
        response = give_code(client, typed)
        assert response.status_code == 302, index
        client.post("/deconnexion/")
    sign_in(client, person.email)
    response = give_code(client, codes[0])
    assert response.status_code == 200
    assert RecoveryCode.objects.filter(user=person, used_at=None).count() == 8
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.MFA_VERIFIED, after__method="recovery"
        ).count()
        == 2
    )


def test_recovery_code_hashes():
    code = recovery.new_code()
    stored = recovery.make_hash(code)
    assert recovery.matches(code, stored)
    assert recovery.matches(code.lower(), stored)
    assert stored != recovery.make_hash(code)  # a salt of its own
    assert not recovery.matches(recovery.new_code(), stored)
    assert not recovery.matches(code, "md5$x$y")


@pytest.fixture
def verified(client, required, person):
    sign_in(client, person.email)
    give_code(client, code_now())
    return client


def _later(minutes: int):
    return time_machine.travel(timezone.now() + datetime.timedelta(minutes=minutes))


def test_removing_a_factor_asks_for_it_again(verified, person, settings):
    second = add_totp(person, name="Ancien téléphone", secret="KRUGS4ZANFZSAYJAONSWG4TFOQ")
    url = f"/second-facteur/{second.pk}/supprimer/"
    assert verified.get(url).status_code == 200  # just given
    with _later(settings.MFA_RECENT_MINUTES + 1):
        response = verified.post(url)
        assert response["Location"].startswith("/second-facteur/?next=")
        assert Factor.objects.filter(pk=second.pk).exists()
        give_code(verified, code_now(offset_steps=1), next_url=url)
        response = verified.post(url)
    assert response["Location"] == "/mon-compte/"
    assert not Factor.objects.filter(pk=second.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.MFA_REMOVED)
    assert event.before == {"factor": "Ancien téléphone", "kind": "totp"}


def test_the_last_factor_stays_while_one_is_required(verified, person):
    factor = person.second_factors.get()
    response = verified.post(f"/second-facteur/{factor.pk}/supprimer/")
    assert response["Location"] == "/mon-compte/"
    assert Factor.objects.filter(pk=factor.pk).exists()


def test_someone_elses_factor_is_404(verified, make):
    other = add_totp(make.user(email="other@example.test"))
    assert verified.post(f"/second-facteur/{other.pk}/supprimer/").status_code == 404


def test_new_recovery_codes_ask_for_the_factor_again(verified, person, settings):
    recovery_codes_generate(user=person, request=None)
    old = set(RecoveryCode.objects.values_list("code_hash", flat=True))
    with _later(settings.MFA_RECENT_MINUTES + 1):
        response = verified.post("/second-facteur/codes-de-secours/")
        assert response["Location"].startswith("/second-facteur/?next=")
        assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == old
        give_code(verified, code_now(offset_steps=1))
        response = verified.post("/second-facteur/codes-de-secours/")
        page = verified.get(response["Location"]).content.decode()
    assert page.count("<li><code>") == 10
    assert not old & set(RecoveryCode.objects.values_list("code_hash", flat=True))
    # Shown once.
    assert "<li><code>" not in verified.get("/second-facteur/codes-de-secours/").content.decode()


def test_an_added_factor_is_told_by_e_mail(verified, person, django_capture_on_commit_callbacks):
    page = verified.get("/second-facteur/ajouter/application/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    mail.outbox.clear()
    with _later(1), django_capture_on_commit_callbacks(execute=True):
        response = verified.post(
            "/second-facteur/ajouter/application/", {"name": "Tablette", "code": code_now(secret)}
        )
    assert response.status_code == 302
    assert Factor.objects.filter(user=person, name="Tablette").exists()
    assert [m.to for m in mail.outbox] == [[person.email]]
    # The same name twice is refused.
    page = verified.get("/second-facteur/ajouter/application/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)[1].replace(" ", "")
    response = verified.post(
        "/second-facteur/ajouter/application/", {"name": "tablette", "code": code_now(secret)}
    )
    assert response.status_code == 200
    assert Factor.objects.filter(user=person).count() == 2


def test_an_unverified_session_cannot_add_a_factor(client, required, person):
    sign_in(client, person.email)
    response = client.get("/second-facteur/ajouter/application/")
    assert response["Location"].startswith("/second-facteur/")
