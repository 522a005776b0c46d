"""Importing a staff file: each row classified before anything changes, the same rules as the
single forms, one transaction for the apply, its report; the template and the export.

Messages are checked in English (the pages are asked in English) unless a test says it reads
the French catalog.
"""

from __future__ import annotations

import csv
import datetime
import io

import openpyxl
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User
from accounts.scope import Scope
from administration.imports import rows as rowlib
from administration.imports.batches import batch_prepare, batch_rows
from administration.imports.files import read_table
from administration.models import ImportBatch
from audit.models import AuditEvent
from tests.factory import days, today

HEADER = ["nom", "prénom", "e-mail", "téléphone", "fonction", "profil", "FINESS", "unité"]
HEADER += ["début", "fin"]
KEYS = ["last_name", "first_name", "email", "phone", "job_title", "profile", "finess", "unit"]
KEYS += ["start", "end"]


@pytest.fixture(autouse=True)
def _charter(db):
    Charter.objects.create(version=1, title="Charte", body="…")


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


def row(hospital, **values) -> list[str]:
    """A row of the file: a nurse on the whole ``hospital`` unless told otherwise."""
    defaults = {
        "last_name": "Neuf",
        "first_name": "Interne",
        "email": "interne@example.test",
        "profile": "Infirmier(e)",
        "finess": hospital.finess,
    }
    defaults.update(values)
    return [str(defaults.get(key, "")) for key in KEYS]


def csv_bytes(rows, *, delimiter=";", encoding="utf-8-sig", header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def classify(actor, rows) -> list[rowlib.Row]:
    table = read_table(csv_bytes(rows), "f.csv", max_bytes=10**7, max_rows=10**4)
    positions, _ignored = rowlib.map_header(table.header)
    return rowlib.classify(
        rowlib.table_rows(table, positions), actor=actor, scope=Scope.for_user(actor)
    )


def signed_in(client, user):
    CharterAcceptance.objects.get_or_create(user=user, charter=Charter.objects.current())
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def upload(client, data: bytes, name: str = "staff.csv"):
    return client.post(
        reverse("administration:people_import"), {"file": SimpleUploadedFile(name, data)}
    )


@pytest.fixture
def referent_client(client, establishment_referent):
    return signed_in(client, establishment_referent)


# --- Classification


def test_a_new_address_is_a_new_account(establishment_referent, hospital):
    [result] = classify(establishment_referent, [row(hospital)])
    assert result.status == rowlib.NEW
    assert result.email == "interne@example.test"
    assert result.start_date == today().isoformat()
    assert result.end_date == (today() + days(settings.HABILITATION_DEFAULT_DAYS)).isoformat()


def test_an_existing_address_in_any_case_gets_the_right_added(
    establishment_referent, hospital, agent
):
    [result] = classify(
        establishment_referent, [row(hospital, email="AGENT@Example.TEST", last_name="Autre")]
    )
    assert result.status == rowlib.ADD
    assert result.user_id == agent.pk
    assert "MARTIN Léa" in result.notes[0]  # the account's own name is kept


def test_an_existing_account_needs_no_name(establishment_referent, hospital, agent):
    [result] = classify(
        establishment_referent, [row(hospital, email=agent.email, last_name="", first_name="")]
    )
    assert result.status == rowlib.ADD
    assert not result.notes


def test_a_second_row_of_a_new_person_adds_to_the_account_the_first_creates(
    establishment_referent, hospital, cardiology
):
    first, second = classify(
        establishment_referent,
        [row(hospital), row(hospital, profile="Médecin", unit="Cardiologie", last_name="")],
    )
    assert first.status == rowlib.NEW
    assert second.status == rowlib.ADD
    assert second.notes == ["To the account created by row 2."]
    assert second.unit_id == cardiology.pk


def test_a_right_already_held_is_unchanged(establishment_referent, hospital, cardiology, agent):
    right = agent.habilitations.get()
    same_dates = row(
        hospital,
        email=agent.email,
        unit="cardiologie",
        start=right.start_date.strftime("%d/%m/%Y"),
        end=right.end_date.strftime("%d/%m/%Y"),
    )
    no_dates = row(hospital, email=agent.email, unit="Cardiologie", profile="infirmier")
    other_dates = row(
        hospital, email=agent.email, unit="Cardiologie", start=today().strftime("%d/%m/%Y")
    )
    results = classify(establishment_referent, [same_dates])
    results += classify(establishment_referent, [no_dates])
    results += classify(establishment_referent, [other_dates])
    assert [r.status for r in results] == [rowlib.UNCHANGED, rowlib.UNCHANGED, rowlib.ERROR]
    assert results[0].notes[0].startswith("Already holds this right")
    assert "already holds this profile on this structure" in results[2].messages[0]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"email": "not-an-address"}, "e-mail: Enter a valid email address."),
        ({"email": ""}, "e-mail: This field is required."),
        ({"profile": "Chirurgien"}, "profile: unknown profile “Chirurgien”"),
        ({"profile": ""}, "profile: missing."),
        ({"finess": "123"}, "FINESS: “123” is not a valid FINESS number"),
        ({"finess": "310000021"}, "FINESS: no establishment has the number 310000021."),
        ({"finess": ""}, "FINESS: missing."),
        ({"unit": "Pédiatrie"}, "has no unit named “Pédiatrie”"),
        ({"start": "32/01/2026"}, "start: “32/01/2026” is not a date: write it DD/MM/YYYY."),
        ({"start": "02/02/2026", "end": "01/02/2026"}, "The end date must be on or after"),
        ({"last_name": ""}, "last name: This field is required."),
        ({"phone": "0" * 31}, "phone: Ensure this value has at most 30 characters"),
        ({"first_name": "Jean\x00"}, "first name: contains control or invisible characters."),
        ({"last_name": "Nom\u202eemoN"}, "last name: contains control or invisible characters."),
    ],
)
def test_each_error_has_its_reason(establishment_referent, hospital, values, message):
    [result] = classify(establishment_referent, [row(hospital, **values)])
    assert result.status == rowlib.ERROR
    assert any(message in text for text in result.messages), result.messages


def test_every_error_of_a_row_is_given(establishment_referent, hospital):
    [result] = classify(
        establishment_referent, [row(hospital, email="x", profile="?", start="hier")]
    )
    assert len(result.messages) == 3


def test_a_structure_outside_the_scope_is_an_error(
    establishment_referent, other_referent, hospital, other_hospital
):
    [outside] = classify(establishment_referent, [row(other_hospital)])
    assert outside.status == rowlib.ERROR
    assert outside.messages == ["CLINIQUE DES PINS is not among the structures you administer."]
    [mine] = classify(other_referent, [row(other_hospital)])
    assert mine.status == rowlib.NEW


def test_a_unit_referent_names_their_unit(unit_referent, hospital, cardiology, geriatrics):
    whole, other_unit, own_unit = classify(
        unit_referent,
        [
            row(hospital, email="a@example.test"),
            row(hospital, email="b@example.test", unit="Gériatrie"),
            row(hospital, email="c@example.test", unit="Cardiologie"),
        ],
    )
    assert "not the whole establishment" in whole.messages[0]
    assert other_unit.messages == ["Gériatrie is not among the structures you administer."]
    assert own_unit.status == rowlib.NEW


def test_a_profile_the_referent_may_not_give_is_an_error(unit_referent, hospital, cardiology):
    [result] = classify(unit_referent, [row(hospital, unit="Cardiologie", profile="Directeur")])
    assert result.status == rowlib.ERROR
    assert "You cannot give the “Directeur” profile on Cardiologie" in result.messages[0]


def test_nobody_imports_themselves(establishment_referent, hospital):
    [result] = classify(establishment_referent, [row(hospital, email=establishment_referent.email)])
    assert result.status == rowlib.ERROR
    assert "your own rights" in result.messages[0]


def test_a_platform_account_is_left_to_the_support_desk(
    establishment_referent, hospital, platform_admin
):
    [result] = classify(establishment_referent, [row(hospital, email=platform_admin.email)])
    assert "platform administrator" in result.messages[0]


def test_a_row_twice_in_the_file_is_an_error(establishment_referent, hospital):
    rows = classify(
        establishment_referent,
        [row(hospital), row(hospital, email="Interne@example.test", start="01/01/2030")],
    )
    assert [r.status for r in rows] == [rowlib.NEW, rowlib.ERROR]
    assert rows[1].messages == ["Same person, profile and structure as row 2 of the file."]


def test_a_closed_structure_is_an_error(establishment_referent, hospital, make):
    make.unit(hospital, name="Fermée", is_active=False)
    [result] = classify(establishment_referent, [row(hospital, unit="Fermée")])
    assert "This structure is closed" in result.messages[0]


def test_units_by_code_or_name_accents_and_case_aside(establishment_referent, hospital, make):
    unit = make.unit(hospital, name="Soins de suite", code="SSR")
    make.unit(hospital, name="Réa")
    make.unit(hospital, name="REA nord", code="REA")
    results = classify(
        establishment_referent,
        [
            row(hospital, email="a@example.test", unit="ssr"),
            row(hospital, email="b@example.test", unit="SOINS DE SUITE"),
            row(hospital, email="c@example.test", unit="rea"),  # Réa's name beats REA's code
        ],
    )
    assert [r.unit_id for r in results[:2]] == [unit.pk, unit.pk]
    assert results[2].status == rowlib.NEW


def test_a_finess_number_excel_turned_into_a_number(establishment_referent, make):
    establishment = make.establishment(departement="01", finess="010000024")
    make.referent(establishment, email="ref.ain@example.test")
    referent = User.objects.get(email="ref.ain@example.test")
    [result] = classify(referent, [row(establishment, finess="10000024")])
    assert result.status == rowlib.NEW


def test_the_preview_queries_do_not_grow_with_the_rows(
    establishment_referent, hospital, cardiology, make
):
    people = [make.user(email=f"staff{n}@example.test") for n in range(80)]
    scope = Scope.for_user(establishment_referent)

    def queries(count: int) -> int:
        rows = [
            row(
                hospital,
                email=people[n].email if n % 2 else f"new{n}@example.test",
                unit="Cardiologie",
            )
            for n in range(count)
        ]
        table = read_table(csv_bytes(rows), "f.csv", max_bytes=10**7, max_rows=10**4)
        with CaptureQueriesContext(connection) as captured:
            batch_prepare(actor=establishment_referent, scope=scope, table=table, filename="f")
        return len(captured.captured_queries)

    queries(1)  # the person's first file creates their batch, the next ones replace it
    assert queries(4) == queries(80)


# --- The pages


def test_the_accounts_list_links_to_the_import(referent_client):
    page = referent_client.get(reverse("administration:people")).content.decode()
    assert reverse("administration:people_import") in page


def test_preview_counts_at_the_top_errors_first(referent_client, hospital, agent):
    data = csv_bytes([row(hospital), row(hospital, email="bad"), row(hospital, email=agent.email)])
    response = upload(referent_client, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("administration:import_preview")
    page = referent_client.get(response["Location"]).content.decode()
    for label in (
        "1 row with errors",
        "1 new account",
        "1 right added to an existing account",
        "0 rights already there, unchanged",
        "Apply 2 rows",
    ):
        assert label in page
    assert page.index('id="rows-error"') < page.index('id="rows-new"')
    assert "Enter a valid email address." in page
    assert not User.objects.filter(email="interne@example.test").exists()


def test_apply_creates_accounts_grants_rights_audits_and_mails_after_commit(
    referent_client,
    establishment_referent,
    hospital,
    cardiology,
    agent,
    django_capture_on_commit_callbacks,
):
    data = csv_bytes(
        [
            row(hospital, phone="+33 6 12 34 56 78", job_title="Interne", unit="Cardiologie"),
            row(hospital, profile="Médecin"),
            row(hospital, email=agent.email, profile="Médecin"),
            row(hospital, email="faux"),
        ]
    )
    upload(referent_client, data)
    events = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        response = referent_client.post(reverse("administration:import_apply"))
        assert mail.outbox == []  # nothing leaves before the commit
    assert response.status_code == 302
    person = User.objects.get(email="interne@example.test")
    assert (person.phone, person.job_title) == ("+33 6 12 34 56 78", "Interne")
    assert not person.has_usable_password()
    assert set(person.habilitations.values_list("profile__code", "unit_id")) == {
        ("infirmier", cardiology.pk),
        ("medecin", None),
    }
    right = agent.habilitations.get(profile__code="medecin")
    assert right.granted_by == establishment_referent
    actions = list(
        AuditEvent.objects.order_by("pk")[events:].values_list("action", "actor", "target_user")
    )
    referent = establishment_referent.pk
    assert actions == [
        (AuditEvent.Action.ACCOUNT_CREATED, referent, person.pk),
        (AuditEvent.Action.HABILITATION_GRANTED, referent, person.pk),
        (AuditEvent.Action.HABILITATION_GRANTED, referent, person.pk),
        (AuditEvent.Action.HABILITATION_GRANTED, referent, agent.pk),
    ]
    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mail.outbox) == [
        agent.email,
        "interne@example.test",
        "interne@example.test",
    ]
    batch = ImportBatch.objects.get(owner=establishment_referent)
    assert batch.status == ImportBatch.Status.APPLIED
    assert [r.outcome for r in batch_rows(batch)] == ["created", "added", "added", "error"]
    page = referent_client.get(reverse("administration:import_preview")).content.decode()
    assert "1 account created" in page
    assert "2 rights added" in page
    assert "1 row not imported" in page


def test_the_report_csv_has_each_row_and_what_became_of_it(referent_client, hospital):
    upload(
        referent_client,
        csv_bytes([row(hospital, last_name="=1+1", phone="+33 6"), row(hospital, email="x")]),
    )
    referent_client.post(reverse("administration:import_apply"))
    response = referent_client.get(reverse("administration:import_report_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0] == ["Row", *rowlib.header("en"), "Result", "Reason or note"]
    assert lines[1][:2] == ["2", "'=1+1"]  # a formula-looking cell written back escaped
    assert lines[1][4] == "'+33 6"
    assert lines[1][-2] == "Account created"
    assert lines[2][-2:] == ["Not imported", "e-mail: Enter a valid email address."]
    # Stored as the text it is.
    assert User.objects.get(email="interne@example.test").last_name == "=1+1"


def test_applying_twice_changes_nothing_more(referent_client, hospital):
    upload(referent_client, csv_bytes([row(hospital)]))
    referent_client.post(reverse("administration:import_apply"))
    events = AuditEvent.objects.count()
    response = referent_client.post(reverse("administration:import_apply"))
    assert response.status_code == 302
    assert AuditEvent.objects.count() == events
    assert Habilitation.objects.filter(user__email="interne@example.test").count() == 1


def test_a_row_refused_at_the_apply_leaves_the_whole_file_out(
    referent_client, establishment_referent, hospital, agent, make
):
    upload(
        referent_client,
        csv_bytes([row(hospital), row(hospital, email=agent.email, profile="Médecin")]),
    )
    # Meanwhile, somebody else gives the agent that very right.
    make.habilitation(agent, hospital, profile="medecin", start=today())
    rights, users = Habilitation.objects.count(), User.objects.count()
    response = referent_client.post(reverse("administration:import_apply"), follow=True)
    assert (Habilitation.objects.count(), User.objects.count()) == (rights, users)
    page = response.content.decode()
    assert "Row 3 can no longer be applied" in page
    assert "Nothing was changed" in page
    batch = ImportBatch.objects.get(owner=establishment_referent)
    assert batch.status == ImportBatch.Status.PENDING
    # Checked again: the agent holds that right now.
    assert [r.status for r in batch_rows(batch)] == [rowlib.NEW, rowlib.UNCHANGED]
    # Applied again: the rest goes through.
    referent_client.post(reverse("administration:import_apply"))
    assert User.objects.filter(email="interne@example.test").exists()


def test_cancel_discards_the_file(referent_client, establishment_referent, hospital):
    upload(referent_client, csv_bytes([row(hospital)]))
    response = referent_client.post(reverse("administration:import_cancel"), follow=True)
    assert "Import cancelled: nothing was changed." in response.content.decode()
    assert not ImportBatch.objects.filter(owner=establishment_referent).exists()
    assert not User.objects.filter(email="interne@example.test").exists()
    assert referent_client.post(reverse("administration:import_apply")).status_code == 302
    assert not User.objects.filter(email="interne@example.test").exists()


def test_apply_and_cancel_are_posts(referent_client, hospital):
    upload(referent_client, csv_bytes([row(hospital)]))
    for name in ("administration:import_apply", "administration:import_cancel"):
        assert referent_client.get(reverse(name)).status_code == 302
    assert ImportBatch.objects.get().status == ImportBatch.Status.PENDING
    assert not User.objects.filter(email="interne@example.test").exists()


@pytest.mark.parametrize(
    ("data", "name", "message", "limits"),
    [
        (b"%PDF-1.4", "staff.pdf", "Choose a CSV file", {}),
        (b"nom;prenom;profil\nA;B;C\n", "staff.csv", "missing: e-mail, FINESS", {}),
        (
            "\n".join([";".join(HEADER)] + ["a"] * 4).encode(),
            "staff.csv",
            "more than 3",
            {"rows": 3},
        ),
        (b"x" * 2048, "staff.csv", "larger than 1 MB", {"bytes": 1024}),
        (";".join(HEADER).encode(), "staff.csv", "no row under its first row", {}),
        (b"", "staff.csv", "The submitted file is empty.", {}),
    ],
    ids=["not-csv", "columns", "rows", "size", "header-only", "empty"],
)
def test_a_bad_file_gets_a_clear_error_and_changes_nothing(
    referent_client, establishment_referent, hospital, settings, data, name, message, limits
):
    settings.IMPORT_MAX_ROWS = limits.get("rows", settings.IMPORT_MAX_ROWS)
    settings.IMPORT_MAX_BYTES = limits.get("bytes", settings.IMPORT_MAX_BYTES)
    upload(referent_client, csv_bytes([row(hospital, email="avant@example.test")]))
    users = User.objects.count()
    response = upload(referent_client, data, name)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert User.objects.count() == users
    # The file read before is still there, untouched.
    assert batch_rows(ImportBatch.objects.get(owner=establishment_referent))[0].email == (
        "avant@example.test"
    )


def test_an_xlsx_file_is_imported(referent_client, hospital, cardiology):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append(
        [
            *("Neuf", "Interne", "interne@example.test", None, None, "Infirmier(e)"),
            *(int(hospital.finess), "Cardiologie", datetime.date(2026, 1, 1), None),
        ]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload(referent_client, buffer.getvalue(), "équipe.xlsx")
    referent_client.post(reverse("administration:import_apply"))
    right = Habilitation.objects.get(user__email="interne@example.test")
    assert (right.unit, right.start_date) == (cardiology, datetime.date(2026, 1, 1))


def test_each_person_has_their_own_import(
    client, referent_client, other_referent, establishment_referent, hospital
):
    upload(referent_client, csv_bytes([row(hospital)]))
    other = signed_in(client.__class__(), other_referent)
    assert other.get(reverse("administration:import_preview")).status_code == 302
    other.post(reverse("administration:import_apply"))
    other.post(reverse("administration:import_cancel"))
    assert ImportBatch.objects.filter(owner=establishment_referent).exists()
    assert not User.objects.filter(email="interne@example.test").exists()


def test_an_expired_import_is_gone(referent_client, establishment_referent, hospital):
    upload(referent_client, csv_bytes([row(hospital)]))
    ImportBatch.objects.update(created_at=timezone.now() - datetime.timedelta(days=2))
    assert referent_client.get(reverse("administration:import_preview")).status_code == 302
    referent_client.post(reverse("administration:import_apply"))
    assert not User.objects.filter(email="interne@example.test").exists()


def test_people_without_a_referent_right_get_404(client, agent, director):
    for person in (agent, director):
        signed_in(client, person)
        for name in ("people_import", "import_template_xlsx", "people_export"):
            assert client.get(reverse(f"administration:{name}")).status_code == 404


# --- Template and export


def test_the_templates_have_the_french_columns(referent_client, hospital, cardiology):
    referent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = referent_client.get(reverse("administration:import_template_csv"))
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text == "\ufeff" + ";".join(HEADER) + "\r\n"
    response = referent_client.get(reverse("administration:import_template_xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    people, profiles, structures = workbook.worksheets
    assert [cell.value for cell in next(people.iter_rows())] == HEADER
    assert "Directeur" in [r[0] for r in profiles.iter_rows(min_row=2, values_only=True)]
    listed = list(structures.iter_rows(min_row=2, values_only=True))
    assert (hospital.finess, hospital.name, "Cardiologie", None) in listed


def test_the_english_template_has_english_columns_read_as_well(referent_client, hospital):
    text = b"".join(
        referent_client.get(reverse("administration:import_template_csv")).streaming_content
    ).decode("utf-8-sig")
    header = text.strip().split(";")
    assert header[:3] == ["last name", "first name", "e-mail"]
    assert rowlib.map_header(header)[0] == {key: n for n, key in enumerate(KEYS)}


def test_the_export_is_the_scope_s_open_rights_in_the_file_s_columns(
    referent_client, hospital, cardiology, other_hospital, make, agent
):
    User.objects.filter(pk=agent.pk).update(phone="+33 6 00 00 00 00")
    far = make.user(email="far@example.test")
    make.habilitation(far, other_hospital)
    ended = make.user(email="ended@example.test")
    make.habilitation(ended, hospital, ended_at=timezone.now())
    referent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = referent_client.get(reverse("administration:people_export"))
    assert response["Content-Disposition"].startswith("attachment")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert lines[0] == HEADER
    emails = [line[2] for line in lines[1:]]
    assert agent.email in emails
    assert "far@example.test" not in emails
    assert "ended@example.test" not in emails
    agent_line = lines[1 + emails.index(agent.email)]
    assert agent_line[3] == "'+33 6 00 00 00 00"
    assert agent_line[5:8] == ["Infirmier(e)", hospital.finess, "Cardiologie"]


def test_the_export_follows_the_list_s_filters(referent_client, hospital, agent, make):
    make.referent(hospital, email="zz@example.test", last_name="Zorro")
    response = referent_client.get(reverse("administration:people_export"), {"q": "zorro"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "zz@example.test" in text
    assert agent.email not in text


def test_an_exported_file_imported_again_changes_nothing(
    referent_client, establishment_referent, hospital, cardiology, agent, director
):
    export = b"".join(
        referent_client.get(reverse("administration:people_export")).streaming_content
    )
    rights = Habilitation.objects.count()
    upload(referent_client, export)
    batch = ImportBatch.objects.get(owner=establishment_referent)
    # The référent's own right among them: there already, nothing asked.
    assert {r.status for r in batch_rows(batch)} == {rowlib.UNCHANGED}
    assert len(batch.rows) == 3
    referent_client.post(reverse("administration:import_apply"))
    assert Habilitation.objects.count() == rights


# --- In French (these need the French catalog compiled)


def test_the_import_pages_in_french(client, establishment_referent, hospital):
    signed_in(client, establishment_referent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("administration:people")).content.decode()
    assert "Importer un fichier" in page
    upload(client, csv_bytes([row(hospital, email="faux")]))
    page = client.get(reverse("administration:import_preview")).content.decode()
    assert "1 ligne en erreur" in page
    assert "e-mail\u00a0: Saisissez une adresse de courriel valide." in page


def test_unknown_profile_is_named_with_the_profiles_one_may_give(
    unit_referent, hospital, cardiology
):
    [result] = classify(unit_referent, [row(hospital, unit="Cardiologie", profile="Chef")])
    profiles = [p.name for p in Profile.objects.filter(reviews_habilitations=False)]
    assert result.messages[0].endswith(", ".join(profiles) + ".")
