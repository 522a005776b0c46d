"""What the e-mails say to a person: greeted first name first, the unit with its
establishment."""

from __future__ import annotations

from django.core import mail

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
