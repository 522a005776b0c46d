"""Prolonger and Terminer many rights at once, from Comptes utilisateurs and the person page.

Each right goes through the single services' rules (scope, own rights, open rights, the
profile's capabilities, the extension limit); the others are refused with their reason. The
audit trail gets one event per right, shaped as the single services write them; each person
gets one e-mail, after the response; a person left without a right is signed out.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts import bulk, services
from accounts.models import Habilitation, User
from administration.views import bulk as bulk_views
from audit.models import AuditEvent
from core import after_response
from tests.accounts.test_account_authority import attach
from tests.factory import days, today

EXTEND = reverse("administration:bulk_extend")
END = reverse("administration:bulk_end")


@pytest.fixture(autouse=True)
def _in_english(client, settings):
    # The msgids: readable before the French translations of these pages are compiled.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def nurses(make, cardiology, geriatrics, other_hospital):
    """Two nurses of the hospital (two open rights each, one of them in the future) and an
    ended and an expired right; the first also works in the other hospital."""
    first = make.user(email="aline@example.test", last_name="Aubert", first_name="Aline")
    second = make.user(email="bruno@example.test", last_name="Blanc", first_name="Bruno")
    for person in (first, second):
        make.habilitation(person, cardiology, end=today() + days(20))
        make.habilitation(
            person, geriatrics, profile="medecin", start=today() + days(5), end=today() + days(60)
        )
    make.habilitation(first, other_hospital, end=today() + days(20))
    make.habilitation(
        first, geriatrics, profile="secretaire-medicale", ended_at=timezone.now(), end_reason="x"
    )
    make.habilitation(second, cardiology, start=today() - days(400), end=today() - days(3))
    return first, second


def referent_client(user: User) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client


def open_in(user: User, establishment) -> list[Habilitation]:
    return list(
        Habilitation.objects.open_on().filter(user=user, establishment=establishment).order_by("pk")
    )


def extend(client: Client, end_date, expected=None, **selection):
    data = {"end_date": end_date.isoformat(), **selection}
    if expected is not None:
        data["expected"] = expected
    return client.post(EXTEND, data)


# --- Selecting


def test_the_accounts_list_offers_ticking_people_and_all_the_filter_finds(
    client, establishment_referent, nurses
):
    client.force_login(establishment_referent)
    page = client.get(reverse("administration:people"), {"q": "aubert"}).content.decode()
    first = nurses[0]
    assert f'name="people" value="{first.pk}"' in page
    assert 'form="bulk-form"' in page
    assert 'name="all" value="1"' in page
    # The filter travels with "all": the server finds the same people again.
    assert '<input type="hidden" name="q" value="aubert">' in page
    assert reverse("administration:bulk_end") in page


def test_the_person_page_offers_ticking_open_rights_only(
    client, establishment_referent, nurses, hospital
):
    first = nurses[0]
    client.force_login(establishment_referent)
    page = client.get(reverse("administration:person", args=[first.pk])).content.decode()
    ended = Habilitation.objects.get(user=first, ended_at__isnull=False)
    for right in open_in(first, hospital):
        assert f'name="rights" value="{right.pk}"' in page
    assert f'name="rights" value="{ended.pk}"' not in page


def test_no_tick_boxes_on_my_own_page(client, establishment_referent):
    client.force_login(establishment_referent)
    url = reverse("administration:person", args=[establishment_referent.pk])
    assert 'name="rights"' not in client.get(url).content.decode()


def test_the_confirmation_counts_the_rights_and_names_the_people(
    client, establishment_referent, nurses
):
    first, second = nurses
    client.force_login(establishment_referent)
    response = client.get(EXTEND, {"people": [first.pk, second.pk]})
    assert response.status_code == 200
    summary = response.context["summary"]
    # Open rights in my structures only: not the other hospital's, not the ended or expired.
    assert summary["count"] == 4
    assert summary["people_count"] == 2
    page = response.content.decode()
    assert first.full_name in page
    assert second.full_name in page
    assert "CLINIQUE DES PINS" not in page
    assert 'name="expected" value="4"' in page
    assert AuditEvent.objects.count() == 0


def test_the_confirmation_names_the_first_people_and_counts_the_others(
    client, establishment_referent, make, cardiology, monkeypatch
):
    monkeypatch.setattr(bulk_views, "NAMES_SHOWN", 2)
    people = [make.user(last_name=f"Zed{index}") for index in range(5)]
    for person in people:
        make.habilitation(person, cardiology)
    client.force_login(establishment_referent)
    response = client.get(END, {"people": [person.pk for person in people]})
    summary = response.context["summary"]
    assert [person.last_name for person in summary["people"]] == ["Zed0", "Zed1"]
    assert summary["more"] == 3
    assert "Zed4" not in response.content.decode()


def test_select_all_follows_the_filter(client, establishment_referent, make, cardiology):
    kept = [make.user(last_name="Martin", first_name=name) for name in ("Anne", "Paul")]
    other = make.user(last_name="Durandal")
    for person in [*kept, other]:
        make.habilitation(person, cardiology, end=today() + days(10))
    client.force_login(establishment_referent)
    response = client.get(EXTEND, {"all": "1", "q": "martin"})
    assert response.context["summary"]["count"] == 2
    assert response.context["summary"]["people_count"] == 2
    new_end = today() + days(200)
    response = extend(client, new_end, all="1", q="martin", expected=2)
    assert response.status_code == 200
    assert len(response.context["result"].done) == 2
    for person in kept:
        assert person.habilitations.get().end_date == new_end
    assert other.habilitations.get().end_date == today() + days(10)


def test_select_all_with_the_ending_soon_filter(client, establishment_referent, make, cardiology):
    soon = make.user(last_name="Bientôt")
    make.habilitation(soon, cardiology, end=today() + days(10))
    later = make.user(last_name="Plustard")
    make.habilitation(later, cardiology, end=today() + days(200))
    client.force_login(establishment_referent)
    response = client.get(EXTEND, {"all": "1", "ending_soon": "on"})
    assert [person.pk for person in response.context["summary"]["people"]] == [soon.pk]


def test_select_all_with_a_filter_the_list_refuses_selects_nobody(
    client, establishment_referent, nurses
):
    client.force_login(establishment_referent)
    response = client.get(EXTEND, {"all": "1", "q": "x" * 201})
    assert response.context["summary"]["count"] == 0
    response = extend(client, today() + days(100), all="1", q="x" * 201)
    assert response.context["result"].done == []
    assert AuditEvent.objects.count() == 0


def test_nothing_selected(client, establishment_referent):
    client.force_login(establishment_referent)
    response = client.get(EXTEND)
    assert response.status_code == 200
    assert response.context["summary"]["count"] == 0
    assert '<form method="post" novalidate>' not in response.content.decode()


# --- The scope


def test_a_right_outside_the_scope_is_never_changed_nor_named(
    client, unit_referent, nurses, make, geriatrics
):
    """A référent of cardiology forging the ids of geriatrics rights and people: the page is
    that of ids that do not exist, and nothing changes."""
    first, _second = nurses
    outsider = make.user(email="gerontin@example.test", last_name="Gérontin")
    far_right = make.habilitation(outsider, geriatrics)
    geriatrics_right = Habilitation.objects.get(user=first, unit=geriatrics, ended_at=None)
    client.force_login(unit_referent)
    forged = client.get(END, {"people": [outsider.pk], "rights": [far_right.pk]})
    unknown = client.get(END, {"people": [987654321], "rights": [987654320]})
    assert forged.context["summary"] == unknown.context["summary"]
    assert "Gérontin" not in forged.content.decode()
    ends = {right.pk: right.end_date for right in Habilitation.objects.all()}
    response = client.post(
        END, {"rights": [far_right.pk, geriatrics_right.pk], "people": [outsider.pk], "reason": "x"}
    )
    assert response.status_code == 200
    assert response.context["result"].done == []
    assert response.context["result"].refused == []
    response = extend(client, today() + days(100), rights=[far_right.pk, geriatrics_right.pk])
    assert response.context["result"].done == []
    assert not Habilitation.objects.filter(ended_by=unit_referent).exists()
    assert {right.pk: right.end_date for right in Habilitation.objects.all()} == ends
    assert AuditEvent.objects.count() == 0
    assert not mail.outbox


def test_people_ticked_bring_only_their_rights_in_my_scope(
    client, unit_referent, nurses, cardiology
):
    first, _second = nurses
    client.force_login(unit_referent)
    response = client.get(EXTEND, {"people": [first.pk]})
    rights = response.context["summary"]["rights"]
    assert [right.unit_id for right in rights] == [cardiology.pk]


@pytest.mark.parametrize("role", ["agent", "director"])
def test_who_administers_nothing_gets_404(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(EXTEND).status_code == 404
    assert client.post(END, {"reason": "x"}).status_code == 404


# --- The rules of the single services


def refusals(response) -> dict[int, str]:
    return {refusal.habilitation.pk: refusal.reason for refusal in response.context["refused"]}


def test_own_rights_are_refused(client, establishment_referent, nurses, hospital):
    first, _second = nurses
    own = establishment_referent.habilitations.get()
    client.force_login(establishment_referent)
    response = extend(client, today() + days(300), people=[establishment_referent.pk, first.pk])
    assert list(refusals(response)) == [own.pk]
    assert "your own rights" in refusals(response)[own.pk]
    own.refresh_from_db()
    assert own.end_date != today() + days(300)
    assert len(response.context["result"].done) == 2

    response = client.post(END, {"people": [establishment_referent.pk], "reason": "fin"})
    assert list(refusals(response)) == [own.pk]
    own.refresh_from_db()
    assert own.ended_at is None


def test_a_profile_the_referent_may_not_give_is_refused(client, unit_referent, make, cardiology):
    """A unit référent may not hand out a director's power for longer."""
    head = make.user(last_name="Cheffe")
    director_right = make.habilitation(head, cardiology, profile="directeur", end=today() + days(9))
    nurse_right = make.habilitation(head, cardiology, end=today() + days(9))
    client.force_login(unit_referent)
    response = extend(client, today() + days(100), people=[head.pk])
    assert list(refusals(response)) == [director_right.pk]
    assert "Directeur" in refusals(response)[director_right.pk]
    director_right.refresh_from_db()
    nurse_right.refresh_from_db()
    assert director_right.end_date == today() + days(9)
    assert nurse_right.end_date == today() + days(100)


def test_the_extension_limit_applies_to_each_right(
    client, establishment_referent, make, cardiology, settings
):
    person = make.user()
    close = make.habilitation(person, cardiology, end=today() + days(10))
    far = make.habilitation(person, cardiology, profile="medecin", end=today() + days(300))
    wanted = today() + days(settings.HABILITATION_MAX_EXTENSION_DAYS + 100)
    client.force_login(establishment_referent)
    response = extend(client, wanted, people=[person.pk])
    assert list(refusals(response)) == [close.pk]
    assert str(settings.HABILITATION_MAX_EXTENSION_DAYS) in refusals(response)[close.pk]
    far.refresh_from_db()
    close.refresh_from_db()
    assert far.end_date == wanted
    assert close.end_date == today() + days(10)


def test_a_right_already_ending_later_is_refused(client, establishment_referent, make, cardiology):
    person = make.user()
    right = make.habilitation(person, cardiology, end=today() + days(100))
    client.force_login(establishment_referent)
    response = extend(client, today() + days(50), rights=[right.pk])
    assert list(refusals(response)) == [right.pk]
    right.refresh_from_db()
    assert right.end_date == today() + days(100)


def test_ended_and_expired_rights_are_skipped(client, establishment_referent, nurses):
    first, second = nurses
    ended = Habilitation.objects.get(user=first, ended_at__isnull=False)
    expired = Habilitation.objects.get(user=second, end_date__lt=today())
    client.force_login(establishment_referent)
    # Ticking people brings their open rights only.
    response = extend(client, today() + days(100), people=[first.pk, second.pk])
    assert len(response.context["result"].done) == 4
    assert response.context["refused"] == []
    events = AuditEvent.objects.count()
    # Rights ticked by id that ended meanwhile: refused with the reason, unchanged.
    response = extend(client, today() + days(100), rights=[ended.pk, expired.pk])
    assert set(refusals(response)) == {ended.pk, expired.pk}
    response = client.post(END, {"rights": [ended.pk, expired.pk], "reason": "fin"})
    assert set(refusals(response)) == {ended.pk, expired.pk}
    ended.refresh_from_db()
    expired.refresh_from_db()
    assert ended.end_reason == "x"
    assert expired.ended_at is None
    assert AuditEvent.objects.count() == events


def test_a_reason_is_required(client, establishment_referent, nurses):
    client.force_login(establishment_referent)
    response = client.post(END, {"people": [nurses[0].pk], "reason": "   "})
    assert "reason" in response.context["form"].errors
    assert not Habilitation.objects.filter(ended_by=establishment_referent).exists()


def test_a_selection_changed_since_the_confirmation_changes_nothing(
    client, establishment_referent, nurses, hospital
):
    first, second = nurses
    client.force_login(establishment_referent)
    count = client.get(EXTEND, {"people": [first.pk, second.pk]}).context["summary"]["count"]
    gone = open_in(second, hospital)[0]
    services.habilitation_end(actor=establishment_referent, habilitation=gone, reason="parti")
    events = AuditEvent.objects.count()
    response = extend(client, today() + days(200), people=[first.pk, second.pk], expected=count)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert response.context["summary"]["count"] == count - 1
    assert f'name="expected" value="{count - 1}"' in response.content.decode()
    assert AuditEvent.objects.count() == events
    assert not Habilitation.objects.filter(end_date=today() + days(200)).exists()


def test_too_many_rights_are_refused_as_a_whole(client, establishment_referent, nurses, settings):
    settings.BULK_MAX_RIGHTS = 3
    client.force_login(establishment_referent)
    selection = {"people": [person.pk for person in nurses]}
    response = client.get(END, selection)
    assert response.context["too_many"]
    assert '<form method="post" novalidate>' not in response.content.decode()
    response = client.post(END, {**selection, "reason": "fin"})
    assert response.context["form"].non_field_errors()
    assert not Habilitation.objects.filter(ended_by=establishment_referent).exists()


# --- What is written


def test_one_audit_event_per_right_shaped_as_the_single_services(
    client, establishment_referent, nurses, hospital, make, cardiology
):
    first, second = nurses
    witness = make.user()
    witness_right = make.habilitation(witness, cardiology, end=today() + days(20))
    new_end = today() + days(200)
    services.habilitation_extend(
        actor=establishment_referent, habilitation=witness_right, end_date=new_end
    )
    single = AuditEvent.objects.get(target_user=witness)
    rights = open_in(first, hospital) + open_in(second, hospital)
    before = {right.pk: right.end_date for right in rights}
    client.force_login(establishment_referent)
    extend(client, new_end, people=[first.pk, second.pk])
    events = AuditEvent.objects.filter(action=AuditEvent.Action.HABILITATION_EXTENDED).exclude(
        pk=single.pk
    )
    assert events.count() == len(rights)
    for right in rights:
        event = events.get(after__habilitation=right.pk)
        assert event.actor == establishment_referent
        assert event.target_user_id == right.user_id
        assert (event.establishment_id, event.unit_id) == (right.establishment_id, right.unit_id)
        assert event.before == {"end_date": before[right.pk].isoformat(), "habilitation": right.pk}
        assert event.after == {"end_date": new_end.isoformat(), "habilitation": right.pk}
        assert set(event.before) == set(single.before)
        assert set(event.after) == set(single.after)

    services.habilitation_end(actor=establishment_referent, habilitation=witness_right, reason="x")
    single_end = AuditEvent.objects.get(
        target_user=witness, action=AuditEvent.Action.HABILITATION_ENDED
    )
    client.post(END, {"people": [first.pk, second.pk], "reason": " Fin de  stage "})
    ended = AuditEvent.objects.filter(action=AuditEvent.Action.HABILITATION_ENDED).exclude(
        pk=single_end.pk
    )
    assert ended.count() == len(rights)
    for right in rights:
        event = ended.get(after__habilitation=right.pk)
        assert event.before == {"habilitation": right.pk, "ended_at": None, "end_reason": ""}
        assert event.after["end_reason"] == "Fin de stage"
        assert event.after["profile"] == right.profile.code
        assert set(event.after) == set(single_end.after)
    assert Habilitation.objects.filter(end_reason="Fin de stage").count() == len(rights)


def test_queries_do_not_grow_with_the_rights(client, establishment_referent, make, cardiology):
    def run(count: int, view: str, data: dict) -> int:
        people = [make.user() for _ in range(count)]
        for person in people:
            make.habilitation(person, cardiology, end=today() + days(10))
        client.force_login(establishment_referent)
        with CaptureQueriesContext(connection) as queries:
            response = client.post(view, {**data, "people": [person.pk for person in people]})
        assert len(response.context["result"].done) == count
        return len(queries)

    assert run(3, EXTEND, {"end_date": (today() + days(100)).isoformat()}) == run(
        30, EXTEND, {"end_date": (today() + days(100)).isoformat()}
    )
    assert run(3, END, {"reason": "fin"}) == run(30, END, {"reason": "fin"})


# --- E-mails and signing out


def deferred_work(monkeypatch) -> list:
    """Work deferred after the response, kept instead of run."""
    kept: list = []
    monkeypatch.setattr(after_response, "_run", lambda request, deferred: kept.extend(deferred))
    return kept


@pytest.mark.django_db(transaction=True)
def test_one_email_per_person_sent_after_the_response_in_their_language(
    reference_data, make, monkeypatch
):
    hospital = make.establishment(name="CH TRANSACTIONNEL")
    referent = make.referent(hospital, last_name="Référente")
    first = make.user(email="first@example.test", language="en")
    second = make.user(email="second@example.test", language="fr")
    for person in (first, second):
        make.habilitation(person, hospital, end=today() + days(10))
    make.habilitation(first, hospital, profile="medecin", end=today() + days(10))
    kept = deferred_work(monkeypatch)
    client = referent_client(referent)
    response = extend(client, today() + days(100), people=[first.pk, second.pk])
    assert response.status_code == 200
    # Committed and answered; the e-mails wait for the response to have left.
    assert Habilitation.objects.filter(end_date=today() + days(100)).count() == 3
    assert not mail.outbox
    assert len(kept) == 1
    language, work = kept[0]
    with translation.override(language):
        work()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {first.email, second.email}
    assert "Hello" in by_address[first.email].body
    assert "Bonjour" in by_address[second.email].body
    # The first one lists both rights, the second one has the single right's e-mail.
    assert by_address[first.email].body.count("CH TRANSACTIONNEL") == 2
    assert referent.email in by_address[first.email].body


@pytest.mark.django_db(transaction=True)
def test_ending_the_last_right_signs_out_and_says_so(reference_data, make, monkeypatch):
    hospital = make.establishment(name="CH TRANSACTIONNEL")
    elsewhere = make.establishment(name="CLINIQUE AILLEURS")
    referent = make.referent(hospital, last_name="Référente")
    leaving = make.user(email="leaving@example.test", language="en")
    make.habilitation(leaving, hospital)
    make.habilitation(leaving, hospital, profile="medecin")
    staying = make.user(email="staying@example.test", language="en")
    make.habilitation(staying, hospital)
    make.habilitation(staying, elsewhere)
    # A right attached by the référent to an account they hold no authority over.
    stranger = make.user(email="stranger@example.test", language="en")
    make.habilitation(stranger, elsewhere, ended_at=timezone.now(), end_reason="avant")
    sessions = {person.pk: referent_client(person) for person in (leaving, staying, stranger)}
    for session in sessions.values():
        assert session.get(reverse("accounts:my_account")).status_code == 200
    # Attached after the stranger's last sign-in: no confirmation of the référent's right.
    attach(referent, stranger.email, hospital)
    client = referent_client(referent)
    response = client.post(
        END, {"people": [leaving.pk, staying.pk, stranger.pk], "reason": "Fin de contrat"}
    )
    result = response.context["result"]
    assert len(result.done) == 4
    assert result.signed_out == 1

    def signed_in(person: User) -> bool:
        answer = sessions[person.pk].get(reverse("accounts:my_account"))
        return answer.status_code == 200

    assert not signed_in(leaving)
    assert signed_in(staying)
    assert signed_in(stranger)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "signed out" in by_address[leaving.email].body
    assert "signed out" not in by_address[staying.email].body
    assert "Fin de contrat" in by_address[leaving.email].body


def test_the_service_alone(establishment_referent, nurses, hospital):
    """``accounts.bulk`` takes any queryset: the scope is its own check."""
    first, second = nurses
    result = bulk.habilitations_end(
        actor=establishment_referent,
        habilitations=Habilitation.objects.filter(user__in=[first, second]),
        reason="fin",
    )
    # In the hospital: the open ones end, the ended and the expired one are refused; the other
    # hospital's right is outside the scope and never mentioned.
    assert len(result.done) == 4
    assert len(result.refused) == 2
    assert {refusal.habilitation.establishment_id for refusal in result.refused} == {hospital.pk}
    assert Habilitation.objects.filter(ended_at__isnull=True, end_date__gte=today()).count() == 2


# --- In French


def test_refusals_are_explained_in_french(client, establishment_referent, nurses):
    """Needs the French catalog compiled with this feature's messages."""
    client.force_login(establishment_referent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post(
        END, {"people": [establishment_referent.pk, nurses[0].pk], "reason": "fin"}
    )
    page = response.content.decode()
    assert "Vos propres droits" in page
    assert "Terminer des droits" in page
