"""Units of an establishment: create, rename, change contacts, deactivate and reactivate."""

import pytest
from django.urls import reverse

from administration import services
from audit.models import AuditEvent
from structures.models import Unit
from tests.factory import days, today


def detail(establishment):
    return reverse("administration:establishment", args=[establishment.pk])


def create_url(establishment):
    return reverse("administration:unit_create", args=[establishment.pk])


def edit_url(unit):
    return reverse("administration:unit_edit", args=[unit.establishment_id, unit.pk])


def deactivate_url(unit):
    return reverse("administration:unit_deactivate", args=[unit.establishment_id, unit.pk])


def reactivate_url(unit):
    return reverse("administration:unit_reactivate", args=[unit.establishment_id, unit.pk])


def edit(client, unit, **changes):
    unit = Unit.objects.get(pk=unit.pk)
    data = {
        "name": unit.name,
        "code": unit.code,
        "phone": unit.phone,
        "email": unit.email,
        "version": services.row_version(unit.updated_at),
        **changes,
    }
    return client.post(edit_url(unit), data)


@pytest.fixture
def as_referent(client, establishment_referent):
    client.force_login(establishment_referent)
    return client


def test_the_sheet_lists_units_active_first(as_referent, hospital, cardiology, make):
    make.unit(hospital, name="Addictologie", is_active=False)
    page = as_referent.get(detail(hospital)).content.decode()
    assert page.index("Cardiologie") < page.index("Addictologie")
    assert create_url(hospital) in page
    assert edit_url(cardiology) in page


def test_a_referent_creates_a_unit(as_referent, establishment_referent, hospital):
    response = as_referent.post(
        create_url(hospital),
        {"name": "  Soins   palliatifs ", "code": "UF42", "phone": "0561000001", "email": ""},
    )
    assert response.status_code == 302
    unit = hospital.units.get()
    assert unit.name == "Soins palliatifs"
    assert unit.code == "UF42"
    assert unit.phone == "05 61 00 00 01"
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.UNIT_CREATED
    assert event.actor == establishment_referent
    assert event.unit == unit
    assert event.establishment == hospital
    assert event.after["name"] == "Soins palliatifs"


@pytest.mark.parametrize(
    "data",
    [
        {"name": "CARDIOLOGIE"},
        {"name": "cardiologie"},
        {"name": "Neurologie", "code": "UF1"},
        {"name": ""},
        {"name": "Neurologie", "phone": "123"},
        {"name": "Neurologie", "email": "nope"},
        {"name": "x" * 201},
    ],
)
def test_duplicates_and_bad_values_are_form_errors(as_referent, hospital, make, data):
    make.unit(hospital, name="Cardiologie", code="UF1")
    response = as_referent.post(create_url(hospital), data)
    assert response.status_code == 200
    assert "field--error" in response.content.decode()
    assert hospital.units.count() == 1
    assert not AuditEvent.objects.exists()


def test_the_same_name_in_another_establishment_is_fine(
    as_referent, hospital, other_hospital, make
):
    make.unit(other_hospital, name="Cardiologie", code="UF1")
    response = as_referent.post(create_url(hospital), {"name": "Cardiologie", "code": "UF1"})
    assert response.status_code == 302


def test_the_service_refuses_duplicates_with_a_validation_error(establishment_referent, cardiology):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.unit_create(
            actor=establishment_referent,
            establishment=cardiology.establishment,
            data={"name": "CARDIOLOGIE"},
        )
    assert "name" in error.value.message_dict


def test_a_referent_renames_a_unit_and_changes_its_contacts(as_referent, cardiology):
    response = edit(as_referent, cardiology, name="Cardiologie interventionnelle", phone="")
    assert response.status_code == 302
    cardiology.refresh_from_db()
    assert cardiology.name == "Cardiologie interventionnelle"
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.UNIT_EDITED
    assert event.before == {"name": "Cardiologie"}
    assert event.after == {"name": "Cardiologie interventionnelle"}


def test_renaming_to_the_name_of_a_sibling_is_a_form_error(as_referent, cardiology, geriatrics):
    response = edit(as_referent, cardiology, name="gériatrie".replace("g", "G", 1))
    assert response.status_code == 200
    cardiology.refresh_from_db()
    assert cardiology.name == "Cardiologie"


def test_changing_only_the_case_of_its_own_name_is_allowed(as_referent, cardiology):
    assert edit(as_referent, cardiology, name="CARDIOLOGIE").status_code == 302
    cardiology.refresh_from_db()
    assert cardiology.name == "CARDIOLOGIE"


def test_saving_an_unchanged_unit_records_nothing(as_referent, cardiology):
    assert edit(as_referent, cardiology).status_code == 302
    assert not AuditEvent.objects.exists()


def test_a_stale_unit_form_is_refused(as_referent, establishment_referent, cardiology):
    version = services.row_version(cardiology.updated_at)
    services.unit_update(
        actor=establishment_referent, unit=cardiology, data={"phone": "0561000002"}
    )
    response = edit(as_referent, cardiology, version=version, name="Autre")
    assert response.status_code == 200
    cardiology.refresh_from_db()
    assert cardiology.name == "Cardiologie"


def test_a_unit_referent_edits_their_unit_name_and_contacts_but_not_its_code(
    client, unit_referent, cardiology
):
    cardiology.code = "UF1"
    cardiology.save()
    client.force_login(unit_referent)
    page = client.get(edit_url(cardiology)).content.decode()
    assert 'name="code"' not in page
    assert deactivate_url(cardiology) not in page
    response = edit(client, cardiology, name="Cardio", phone="05 61 00 00 03", code="HACK")
    assert response.status_code == 302
    cardiology.refresh_from_db()
    assert (cardiology.name, cardiology.phone, cardiology.code) == (
        "Cardio",
        "05 61 00 00 03",
        "UF1",
    )


def test_a_unit_referent_cannot_create_deactivate_or_touch_other_units(
    client, unit_referent, hospital, cardiology, geriatrics
):
    client.force_login(unit_referent)
    assert client.get(create_url(hospital)).status_code == 404
    assert client.post(create_url(hospital), {"name": "Nouvelle"}).status_code == 404
    assert client.post(deactivate_url(cardiology)).status_code == 404
    assert client.get(edit_url(geriatrics)).status_code == 404
    assert edit(client, geriatrics, name="Autre").status_code == 404
    page = client.get(detail(hospital)).content.decode()
    assert "Cardiologie" in page
    assert "Gériatrie" not in page
    assert hospital.units.count() == 2
    assert Unit.objects.filter(is_active=True).count() == 2


@pytest.mark.parametrize("person", ["agent", "director", "other_referent"])
def test_outsiders_get_404_on_our_units(client, request, hospital, cardiology, person):
    client.force_login(request.getfixturevalue(person))
    assert client.get(edit_url(cardiology)).status_code == 404
    assert edit(client, cardiology, name="Pirate").status_code == 404
    assert client.post(deactivate_url(cardiology)).status_code == 404
    assert client.post(create_url(hospital), {"name": "Pirate"}).status_code == 404
    cardiology.refresh_from_db()
    assert cardiology.name == "Cardiologie"
    assert cardiology.is_active


def test_a_unit_reached_through_another_establishment_is_404(
    client, other_referent, other_hospital, cardiology
):
    client.force_login(other_referent)
    url = reverse("administration:unit_edit", args=[other_hospital.pk, cardiology.pk])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("start", "end"),
    [(today() - days(10), today() + days(10)), (today() + days(5), today() + days(50))],
    ids=["active", "future"],
)
def test_a_unit_with_open_habilitations_cannot_be_deactivated(
    as_referent, make, cardiology, start, end
):
    first = make.habilitation(make.user(last_name="Alpha"), cardiology, start=start, end=end)
    second = make.habilitation(make.user(last_name="Bravo"), cardiology, start=start, end=end)
    response = as_referent.post(deactivate_url(cardiology), follow=True)
    assert response.status_code == 200
    message = next(iter(response.context["messages"]))
    assert message.level_tag == "error"
    assert "2 habilitations actives ou à venir" in message.message
    # The page the refusal comes back to says which rights, with links to the people.
    page = response.content.decode()
    for right in (first, second):
        assert reverse("administration:person", args=[right.user_id]) in page
        assert right.profile.name in page
    assert page.index("ALPHA") < page.index("BRAVO")
    cardiology.refresh_from_db()
    assert cardiology.is_active
    assert not AuditEvent.objects.exists()


def test_a_unit_with_many_rights_lists_the_first_ones_and_counts_them_all(
    as_referent, make, cardiology, monkeypatch
):
    monkeypatch.setattr("administration.views.establishments.OPEN_RIGHTS_SHOWN", 2)
    for name in ("Alpha", "Bravo", "Charlie"):
        make.habilitation(make.user(last_name=name), cardiology)
    page = as_referent.get(edit_url(cardiology)).content.decode()
    assert "3 habilitations actives ou à venir" in page
    assert "ALPHA" in page
    assert "BRAVO" in page
    assert "CHARLIE" not in page
    assert "Les 2 premières sur 3 sont listées." in page


def test_a_unit_whose_rights_have_ended_can_be_deactivated_then_reactivated(
    as_referent, establishment_referent, make, cardiology
):
    make.habilitation(make.user(), cardiology, start=today() - days(100), end=today() - days(1))
    ended = make.habilitation(make.user(), cardiology)
    ended.ended_at = ended.created_at
    ended.save()
    assert as_referent.get(deactivate_url(cardiology)).status_code == 405
    assert as_referent.post(deactivate_url(cardiology)).status_code == 302
    cardiology.refresh_from_db()
    assert not cardiology.is_active
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.UNIT_EDITED
    assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})
    page = as_referent.get(detail(cardiology.establishment)).content.decode()
    assert "Cardiologie" in page

    assert as_referent.post(reactivate_url(cardiology)).status_code == 302
    cardiology.refresh_from_db()
    assert cardiology.is_active
    assert AuditEvent.objects.count() == 2


def test_a_platform_admin_manages_units_anywhere(client, platform_admin, other_hospital):
    client.force_login(platform_admin)
    response = client.post(create_url(other_hospital), {"name": "Pédiatrie"})
    assert response.status_code == 302
    assert other_hospital.units.get().name == "Pédiatrie"
