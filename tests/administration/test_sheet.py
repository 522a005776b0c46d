"""Fiche annuaire: the directory sheet of an establishment, its FINESS data read-only."""

import pytest
from django.urls import reverse

from administration import services
from administration.forms.establishments import normalize_french_phone
from audit import trail
from audit.models import AuditEvent
from structures.models import Establishment

SHEET = {
    "phone": "05 61 23 45 67",
    "email": "accueil@ch-saint-jean.test",
    "website": "https://www.ch-saint-jean.test",
    "description": "Hôpital de proximité.",
    "access_info": "Entrée principale, parking visiteurs.",
}


def url(establishment):
    return reverse("administration:establishment", args=[establishment.pk])


def post(client, establishment, **changes):
    """Post the sheet as the page shows it now (with the current version of the row)."""
    current = Establishment.objects.get(pk=establishment.pk).sheet_updated_at
    data = {**SHEET, "version": services.row_version(current), **changes}
    return client.post(url(establishment), data)


@pytest.fixture
def hospital(make):
    return make.establishment(
        name="CENTRE HOSPITALIER SAINT-JEAN",
        city="TOULOUSE",
        address="12 RUE DES LILAS",
        finess_phone="0561000000",
        category_label="Centre Hospitalier (C.H.)",
        category_code="355",
    )


def test_anonymous_people_are_sent_to_sign_in(client, hospital):
    response = client.get(url(hospital))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize("person", ["agent", "director", "other_referent"])
def test_people_who_do_not_administer_the_establishment_get_404(client, request, hospital, person):
    client.force_login(request.getfixturevalue(person))
    assert client.get(url(hospital)).status_code == 404
    assert post(client, hospital).status_code == 404
    hospital.refresh_from_db()
    assert hospital.phone == ""
    assert not AuditEvent.objects.exists()


def test_the_referent_sees_the_sheet_form_and_the_finess_data_read_only(
    client, establishment_referent, hospital
):
    client.force_login(establishment_referent)
    page = client.get(url(hospital)).content.decode()
    assert 'name="phone"' in page
    assert 'name="website"' in page
    assert 'name="name"' not in page
    assert hospital.finess in page
    assert "12 RUE DES LILAS" in page
    assert "Centre Hospitalier (C.H.)" in page
    assert "FINESS" in page


def test_saving_the_sheet_records_only_the_changed_fields(client, establishment_referent, hospital):
    client.force_login(establishment_referent)
    response = post(client, hospital)
    assert response.status_code == 302
    assert response.url == url(hospital)
    hospital.refresh_from_db()
    assert hospital.phone == "05 61 23 45 67"
    assert hospital.website == "https://www.ch-saint-jean.test"
    assert hospital.sheet_updated_at is not None
    first = AuditEvent.objects.get()
    assert first.action == AuditEvent.Action.SHEET_EDITED
    assert first.actor == establishment_referent
    assert first.establishment == hospital
    assert first.before["phone"] == ""
    assert first.after["description"] == "Hôpital de proximité."

    post(client, hospital, email="direction@ch-saint-jean.test")
    second = AuditEvent.objects.order_by("-id").first()
    assert second.before == {"email": "accueil@ch-saint-jean.test"}
    assert second.after == {"email": "direction@ch-saint-jean.test"}


def test_saving_an_unchanged_sheet_writes_nothing(client, establishment_referent, hospital):
    client.force_login(establishment_referent)
    post(client, hospital)
    hospital.refresh_from_db()
    updated_at = hospital.sheet_updated_at
    assert post(client, hospital).status_code == 302
    hospital.refresh_from_db()
    assert hospital.sheet_updated_at == updated_at
    assert AuditEvent.objects.count() == 1


def test_finess_fields_cannot_be_changed_through_the_form(client, establishment_referent, hospital):
    client.force_login(establishment_referent)
    post(client, hospital, name="RENAMED", city="PARIS", finess_phone="0100000000")
    hospital.refresh_from_db()
    assert hospital.name == "CENTRE HOSPITALIER SAINT-JEAN"
    assert hospital.city == "TOULOUSE"
    assert hospital.finess_phone == "0561000000"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("phone", "05 61 23 45 6"),
        ("phone", "+44 20 7946 0958"),
        ("phone", "abcdefghij"),
        ("email", "not-an-address"),
        ("website", "not a url"),
        ("description", "x" * 5001),
    ],
)
def test_bad_values_are_refused_with_a_form_error(
    client, establishment_referent, hospital, field, value
):
    client.force_login(establishment_referent)
    response = post(client, hospital, **{field: value})
    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    hospital.refresh_from_db()
    assert hospital.sheet_updated_at is None
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("0561234567", "05 61 23 45 67"),
        ("05.61.23.45.67", "05 61 23 45 67"),
        ("05 61 23 45 67", "05 61 23 45 67"),
        ("+33 5 61 23 45 67", "05 61 23 45 67"),
        ("+33561234567", "05 61 23 45 67"),
        ("0033 5 61 23 45 67", "05 61 23 45 67"),
        ("+262 262 12 34 56", "02 62 12 34 56"),
    ],
)
def test_french_phone_numbers_are_accepted_and_written_the_french_way(raw, stored):
    assert normalize_french_phone(raw) == stored


def test_a_website_without_scheme_gets_https(client, establishment_referent, hospital):
    client.force_login(establishment_referent)
    post(client, hospital, website="www.ch-saint-jean.test")
    hospital.refresh_from_db()
    assert hospital.website == "https://www.ch-saint-jean.test"


def test_a_stale_form_cannot_undo_a_newer_edit(client, establishment_referent, hospital):
    client.force_login(establishment_referent)
    page = client.get(url(hospital)).content.decode()
    assert 'name="version"' in page
    # Someone else saves in the meantime.
    services.establishment_sheet_update(
        actor=establishment_referent, establishment=hospital, data={"phone": "05 00 00 00 00"}
    )
    response = post(client, hospital, version="")
    assert response.status_code == 200
    assert "form-errors" in response.content.decode()
    hospital.refresh_from_db()
    assert hospital.phone == "05 00 00 00 00"
    assert AuditEvent.objects.count() == 1


def test_a_unit_referent_sees_the_sheet_read_only(client, unit_referent, hospital, cardiology):
    client.force_login(unit_referent)
    page = client.get(url(hospital)).content.decode()
    assert 'name="phone"' not in page
    assert hospital.name in page
    assert "Cardiologie" in page
    assert post(client, hospital).status_code == 404
    hospital.refresh_from_db()
    assert hospital.phone == ""


def test_a_platform_admin_may_edit_any_sheet(client, platform_admin, other_hospital):
    client.force_login(platform_admin)
    assert post(client, other_hospital).status_code == 302
    other_hospital.refresh_from_db()
    assert other_hospital.email == SHEET["email"]


def test_service_without_change_returns_false_and_records_nothing(establishment_referent, hospital):
    data = {field: getattr(hospital, field) for field in Establishment.SHEET_FIELDS}
    assert not services.establishment_sheet_update(
        actor=establishment_referent, establishment=hospital, data=data
    )
    assert not AuditEvent.objects.exists()


def test_the_change_and_its_audit_event_are_one_transaction(
    monkeypatch, establishment_referent, hospital
):
    def broken_record(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(trail, "record", broken_record)
    with pytest.raises(RuntimeError):
        services.establishment_sheet_update(
            actor=establishment_referent, establishment=hospital, data={"phone": "0561234567"}
        )
    hospital.refresh_from_db()
    assert hospital.phone == ""
    assert hospital.sheet_updated_at is None
