"""What the e-mails say to a person: greeted first name first, the unit with its
establishment."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.formats import date_format

from accounts import services


def test_the_new_right_email_greets_first_name_first_and_names_the_establishment(
    establishment_referent, cardiology, make, django_capture_on_commit_callbacks
):
    person = make.user(
        email="lea@example.test", first_name="Léa", last_name="Martin", password="x-long-pass-1"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.habilitation_grant(
            actor=establishment_referent,
            user=person,
            profile=make.profile("infirmier"),
            establishment=cardiology.establishment,
            unit=cardiology,
        )
    (message,) = mail.outbox
    assert "Léa MARTIN" in message.body
    assert "MARTIN Léa" not in message.body
    assert f"Cardiologie – {cardiology.establishment.name}" in message.body


def test_the_activation_email_names_the_establishment(
    establishment_referent, cardiology, make, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.account_create(
            actor=establishment_referent,
            last_name="Neuf",
            first_name="Jean",
            email="neuf@example.test",
            profile=make.profile("infirmier"),
            establishment=cardiology.establishment,
            unit=cardiology,
        )
    (message,) = mail.outbox
    assert "Jean NEUF" in message.body
    assert cardiology.establishment.name in message.body


# --- The person is told when a référent extends, modifies or ends one of their rights


def _two_rights(make, cardiology):
    person = make.user(email="lea@example.test", first_name="Léa", last_name="Martin")
    right = make.habilitation(person, cardiology, profile="infirmier")
    make.habilitation(person, cardiology.establishment, profile="infirmier")
    return person, right


def test_an_extension_is_told_with_both_end_dates_and_who_did_it(
    establishment_referent, cardiology, make, django_capture_on_commit_callbacks
):
    person, right = _two_rights(make, cardiology)
    old_end = right.end_date
    new_end = old_end + datetime.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        services.habilitation_extend(
            actor=establishment_referent, habilitation=right, end_date=new_end
        )
    (message,) = mail.outbox
    assert message.to == [person.email]
    assert message.subject == "ViaRéférents : votre droit a été prolongé"
    body = " ".join(message.body.split())
    assert body.startswith("Bonjour Léa MARTIN,")
    assert establishment_referent.full_name in body
    assert establishment_referent.email in body
    assert f"Cardiologie – {cardiology.establishment.name}" in body
    new, old = date_format(new_end, "DATE_FORMAT"), date_format(old_end, "DATE_FORMAT")
    assert f"il prend fin le {new} au lieu du {old}" in body
    html = message.alternatives[0][0]
    assert establishment_referent.email in html


def test_a_modification_is_told_with_the_right_as_it_is_and_as_it_was(
    establishment_referent, cardiology, geriatrics, make, django_capture_on_commit_callbacks
):
    _person, right = _two_rights(make, cardiology)
    with django_capture_on_commit_callbacks(execute=True):
        services.habilitation_modify(
            actor=establishment_referent,
            habilitation=right,
            profile=right.profile,
            unit=geriatrics,
            start_date=right.start_date,
            end_date=right.end_date,
        )
    (message,) = mail.outbox
    body = " ".join(message.body.split())
    assert f"sur Gériatrie – {cardiology.establishment.name}" in body
    assert (
        f"C’était « {right.profile.name} » sur Cardiologie – {cardiology.establishment.name}"
        in body
    )


def test_an_end_that_leaves_other_rights_is_told_with_its_reason(
    establishment_referent, cardiology, make, django_capture_on_commit_callbacks
):
    _person, right = _two_rights(make, cardiology)
    with django_capture_on_commit_callbacks(execute=True):
        services.habilitation_end(
            actor=establishment_referent, habilitation=right, reason="Mutation"
        )
    (message,) = mail.outbox
    assert message.subject == "ViaRéférents : un de vos droits a pris fin"
    body = " ".join(message.body.split())
    assert "Motif indiqué : Mutation." in body
    assert "Vos autres droits sont inchangés." in body


def test_nothing_is_sent_when_the_change_is_refused(
    establishment_referent, cardiology, make, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    _person, right = _two_rights(make, cardiology)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        services.habilitation_extend(
            actor=establishment_referent, habilitation=right, end_date=right.end_date
        )
    assert mail.outbox == []


def test_a_person_who_signs_in_in_english_gets_their_emails_in_english(
    client, establishment_referent, cardiology, make, django_capture_on_commit_callbacks
):
    person, right = _two_rights(make, cardiology)
    person.set_password("a-long-enough-password-2026")
    person.save()
    client.cookies["django_language"] = "en"
    client.post(
        reverse("accounts:sign_in"),
        {"username": person.email, "password": "a-long-enough-password-2026"},
    )
    person.refresh_from_db()
    assert person.language == "en"
    with django_capture_on_commit_callbacks(execute=True):
        services.habilitation_end(actor=establishment_referent, habilitation=right, reason="Moved")
    (message,) = mail.outbox
    assert message.subject == "ViaRéférents: one of your rights has ended"
    assert "Hello Léa MARTIN," in message.body


def test_national_identifiers_are_rpps_or_adeli():
    from django.core.exceptions import ValidationError

    from accounts.models import validate_national_id

    for good in ("10001234567", "751234567", "2A1234567", "2b1234567"):
        validate_national_id(good)
    for bad in ("1000123456", "100012345678", "75123456X", "ABCDEFGHI", "2C1234567", ""):
        with pytest.raises(ValidationError):
            validate_national_id(bad)
