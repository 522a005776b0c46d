"""Journal: the audit trail of a référent's structures, filtered, paged and exported as CSV."""

import csv
import datetime
import io
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import charter as charters
from accounts import lockout
from accounts import services as account_services
from accounts.models import Charter, Profile
from administration import services as structure_services
from audit.models import AuditEvent
from audit.trail import record
from reviews import services as review_services

URL = reverse("administration:journal")
EXPORT = reverse("administration:journal_export")
Action = AuditEvent.Action


def at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


def event(**fields):
    """An event at a chosen time (audit.record always writes "now")."""
    fields.setdefault("action", Action.HABILITATION_GRANTED)
    if fields.get("unit") is not None and fields.get("establishment") is None:
        fields["establishment"] = fields["unit"].establishment
    return AuditEvent.objects.create(**fields)


@pytest.fixture
def trail(agent, establishment_referent, hospital, cardiology, geriatrics, other_hospital):
    """One event per structure, each naming a different person."""
    return {
        "hospital": event(
            action=Action.SHEET_EDITED,
            actor=establishment_referent,
            establishment=hospital,
            before={"phone": ""},
            after={"phone": "05 61 23 45 67"},
            created_at=at(2026, 1, 10, 9, 0),
        ),
        "cardiology": event(
            actor=establishment_referent,
            target_user=agent,
            unit=cardiology,
            after={"profile": "infirmier"},
            created_at=at(2026, 1, 15, 23, 30),
        ),
        "geriatrics": event(
            action=Action.UNIT_EDITED,
            actor=establishment_referent,
            unit=geriatrics,
            before={"name": "Geriatrie"},
            after={"name": "Gériatrie"},
            created_at=at(2026, 1, 20, 8, 0),
        ),
        "other": event(
            action=Action.UNIT_CREATED,
            establishment=other_hospital,
            after={"name": "Événement secret"},
            created_at=at(2026, 1, 12, 8, 0),
        ),
        "signin": event(action=Action.SIGNIN_FAILED, created_at=at(2026, 1, 11, 8, 0)),
    }


def page(client, **params) -> str:
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_anonymous_people_are_sent_to_sign_in(client):
    for url in (URL, EXPORT):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize("person", ["agent", "director"])
def test_staff_and_directors_get_404(db, client, request, person):
    # `db` named here: pytest-django orders tests by the fixtures they name, and the person
    # fixtures, reached through getfixturevalue, need the reference data of the migrations.
    client.force_login(request.getfixturevalue(person))
    assert client.get(URL).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_an_establishment_referent_sees_the_events_of_their_establishment_and_units(
    client, establishment_referent, trail
):
    client.force_login(establishment_referent)
    html = page(client)
    assert "05 61 23 45 67" in html  # the sheet edit, with its change
    assert "Cardiologie" in html
    assert "Gériatrie" in html
    assert "Événement secret" not in html
    assert "3 events" in html or "3 évén" in html


def test_a_unit_referent_sees_only_their_unit(client, unit_referent, trail):
    client.force_login(unit_referent)
    html = page(client)
    assert "MARTIN Léa" in html  # the person concerned by the cardiology event
    assert "05 61 23 45 67" not in html
    assert "Geriatrie" not in html


def test_another_referent_sees_none_of_ours(client, other_referent, trail):
    client.force_login(other_referent)
    html = page(client)
    assert "Événement secret" in html
    assert "Cardiologie" not in html
    assert "MARTIN" not in html


def test_a_platform_admin_sees_everything(client, platform_admin, trail):
    client.force_login(platform_admin)
    html = page(client)
    assert "Événement secret" in html
    assert "05 61 23 45 67" in html
    assert 'name="structure"' not in html


def test_changes_show_before_and_after_of_the_changed_keys(client, establishment_referent, trail):
    client.force_login(establishment_referent)
    html = page(client, action=Action.UNIT_EDITED)
    assert "Geriatrie" in html
    assert "→" in html
    assert "05 61 23 45 67" not in html


def test_filter_by_person_name_or_email(client, establishment_referent, trail):
    client.force_login(establishment_referent)
    html = page(client, person="martin")
    assert "MARTIN Léa" in html
    assert "Geriatrie" not in html
    assert "MARTIN Léa" in page(client, person="agent@example")
    assert "MARTIN Léa" not in page(client, person="nobody")


def test_filter_by_dates_in_local_time(client, establishment_referent, trail):
    client.force_login(establishment_referent)
    # 15 January 23:30 UTC is 16 January in Paris.
    html = page(client, date_from="2026-01-16", date_to="2026-01-16")
    assert "MARTIN Léa" in html
    assert "Geriatrie" not in html
    assert "MARTIN Léa" not in page(client, date_to="2026-01-15")
    assert "MARTIN Léa" in page(client, date_from="16/01/2026")


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-45"},
        {"date_to": "yesterday"},
        {"date_from": "2026-02-01", "date_to": "2026-01-01"},
        {"action": "not.an.action"},
    ],
)
def test_bad_filters_are_form_errors_not_500(client, establishment_referent, trail, params):
    client.force_login(establishment_referent)
    html = page(client, **params)
    assert "field--error" in html
    assert "Geriatrie" not in html
    response = client.get(EXPORT, params)
    assert response.status_code == 302
    assert response.url.startswith(URL)


def test_filter_by_structure_in_scope_only(
    client, establishment_referent, trail, geriatrics, other_hospital
):
    client.force_login(establishment_referent)
    html = page(client, structure=f"u{geriatrics.pk}")
    assert "Geriatrie" in html
    assert "MARTIN Léa" not in html
    html = page(client, structure=f"e{other_hospital.pk}")
    assert "field--error" in html
    assert "Événement secret" not in html


def test_events_are_paged_50_at_a_time(client, establishment_referent, hospital):
    for n in range(55):
        event(
            establishment=hospital, after={"n": f"event-{n:03d}"}, created_at=at(2026, 1, 1, 0, n)
        )
    client.force_login(establishment_referent)
    html = page(client)
    assert "event-054" in html
    assert "event-004" not in html
    assert "page=2" in html
    html = page(client, page="2")
    assert "event-004" in html
    assert "event-005" not in html or "event-054" not in html


def test_query_count_does_not_grow_with_the_number_of_events(
    client, establishment_referent, make, hospital, cardiology
):
    client.force_login(establishment_referent)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            page(client)
        return len(queries)

    def add(n):
        for _ in range(n):
            person = make.user()
            record(
                action=Action.HABILITATION_GRANTED,
                actor=make.user(),
                target_user=person,
                unit=cardiology,
                after={"profile": "infirmier"},
            )

    add(3)
    small = count_queries()
    add(60)
    assert count_queries() == small


def test_csv_export_for_french_excel(client, establishment_referent, trail, hospital):
    client.force_login(establishment_referent)
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="journal-')
    assert disposition.endswith('.csv"')
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    text = body.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    assert len(lines) == 1 + 3 + 1  # header, three events, the final line break
    assert ";" in lines[0]
    # Newest first; 15 January 23:30 UTC is 16/01/2026 00:30 in Paris.
    assert lines[2].startswith("16/01/2026 00:30;DURAND ")
    assert "MARTIN Léa" in lines[2]
    assert hospital.finess in lines[2]
    assert lines[1].startswith("20/01/2026 09:00;")
    assert "Geriatrie → Gériatrie" in lines[1]
    assert "Événement secret" not in text


def test_csv_export_keeps_the_filters(client, establishment_referent, trail):
    client.force_login(establishment_referent)
    response = client.get(EXPORT, {"person": "martin"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(text.split("\r\n")) == 3
    assert "MARTIN Léa" in text


def test_csv_quotes_separators_and_neutralises_formulas(
    client, establishment_referent, hospital, make
):
    unit = make.unit(hospital, name='=HYPERLINK("x");Soins "A"')
    event(unit=unit, after={"name": unit.name}, created_at=at(2026, 3, 1, 12, 0))
    client.force_login(establishment_referent)
    response = client.get(EXPORT)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    row = text.split("\r\n")[1]
    assert "01/03/2026 13:00;" in row
    assert '"\'=HYPERLINK(""x"");Soins ""A"""' in row


# --- What the changes read like


def english(client, **params):
    """The page in English: the msgids, readable before the French translations are compiled."""
    response = client.get(URL, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def lines_of(response) -> dict[str, list[str]]:
    """Each row's changes as text, by action code (the last row of an action wins)."""
    return {
        row["event"].action: [str(change) for change in row["changes"]]
        for row in reversed(response.context["rows"])
    }


def csv_table(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


START = timezone.localdate()
END = START + datetime.timedelta(days=30)
EXTENDED = START + datetime.timedelta(days=60)


@pytest.fixture
def bed_manager(establishment_referent, hospital, cardiology, geriatrics):
    """Zoé BERNARD's account, created as bed manager in cardiology, moved to geriatrics as a
    nurse, then extended: what the référent did, through the services."""
    person, right, _ = account_services.account_create(
        actor=establishment_referent,
        last_name="Bernard",
        first_name="Zoé",
        email="zoe.bernard@example.test",
        profile=Profile.objects.get(code="gestionnaire-de-lits"),
        establishment=hospital,
        unit=cardiology,
        start_date=START,
        end_date=END,
    )
    account_services.habilitation_modify(
        actor=establishment_referent,
        habilitation=right,
        profile=Profile.objects.get(code="infirmier"),
        unit=geriatrics,
        start_date=right.start_date,
        end_date=right.end_date,
    )
    right.refresh_from_db()
    account_services.habilitation_extend(
        actor=establishment_referent, habilitation=right, end_date=EXTENDED
    )
    return person


def test_rights_read_with_the_profile_label_unit_names_and_dates(
    client, establishment_referent, bed_manager
):
    client.force_login(establishment_referent)
    lines = lines_of(english(client))
    assert lines[Action.ACCOUNT_CREATED] == [
        "E-mail address: zoe.bernard@example.test",
        "Last name: Bernard",
        "First name: Zoé",
    ]
    assert lines[Action.HABILITATION_GRANTED] == [
        "Profile: Gestionnaire de lits",
        f"Start date: {START:%m/%d/%Y}",
        f"End date: {END:%m/%d/%Y}",
    ]
    assert lines[Action.HABILITATION_MODIFIED] == [
        "Profile: Gestionnaire de lits → Infirmier(e)",
        "Unit: Cardiologie → Gériatrie",
    ]
    assert lines[Action.HABILITATION_EXTENDED] == [
        "Habilitation: Infirmier(e)",
        f"End date: {END:%m/%d/%Y} → {EXTENDED:%m/%d/%Y}",
    ]

    html = page(client)  # French
    assert "Gestionnaire de lits" in html
    assert "gestionnaire-de-lits" not in html
    assert f"{START:%d/%m/%Y}" in html
    assert f"{EXTENDED:%d/%m/%Y}" in html
    assert EXTENDED.isoformat() not in html
    assert 'Cardiologie <span aria-hidden="true">→</span>' in html


def test_the_french_page_labels_each_change(client, establishment_referent, bed_manager):
    # Needs the French translations of the Journal (the label's colon, "Habilitation").
    client.force_login(establishment_referent)
    html = page(client)
    assert "Profil\u00a0: Gestionnaire de lits" in html
    assert "Unité\u00a0: Cardiologie" in html
    assert f"Date de fin\u00a0: {END:%d/%m/%Y}" in html
    assert "Habilitation\u00a0: Infirmier(e)" in html


def test_times_are_local_times(client, establishment_referent, agent, cardiology):
    right = agent.habilitations.get()
    event(
        action=Action.HABILITATION_ENDED,
        actor=establishment_referent,
        target_user=agent,
        unit=cardiology,
        before={"habilitation": right.pk, "ended_at": None, "end_reason": ""},
        after={
            "habilitation": right.pk,
            "ended_at": "2026-01-11T08:00:00+00:00",
            "end_reason": "départ",
            "profile": "infirmier",
            "establishment": cardiology.establishment_id,
            "unit": cardiology.pk,
        },
        created_at=at(2026, 1, 11, 8, 0),
    )
    client.force_login(establishment_referent)
    html = page(client)
    # 08:00 UTC is 09:00 in Paris, in the time column and in the change.
    assert '<time datetime="2026-01-11T09:00:00+01:00">11/01/2026 09:00</time>' in html
    assert "11/01/2026 09:00</li>" in html
    assert "08:00" not in html
    assert lines_of(english(client))[Action.HABILITATION_ENDED] == [
        "Profile: Infirmier(e)",
        "Ended early at: 01/11/2026 9 a.m.",
        "Reason for ending: départ",
    ]


def test_every_action_reads_without_ids_codes_or_keys(
    client, platform_admin, establishment_referent, director, agent, hospital, bed_manager
):
    referent = establishment_referent
    account_services.habilitation_end(
        actor=referent, habilitation=agent.habilitations.get(), reason="départ"
    )
    structure_services.establishment_sheet_update(
        actor=referent, establishment=hospital, data={"phone": "05 61 23 45 67"}
    )
    unit = structure_services.unit_create(
        actor=referent, establishment=hospital, data={"name": "Pédiatrie", "code": "PED"}
    )
    structure_services.unit_deactivate(actor=referent, unit=unit)
    charter = Charter.objects.create(version=3, title="Charte", body="…")
    charters.charter_accept(user=bed_manager, charter=charter, request=None)
    charters.charter_accept(user=platform_admin, charter=charter, request=None)
    for _ in range(5):
        lockout.signin_fail(user=bed_manager, request=None)
    bed_manager.refresh_from_db()
    account_services.account_unblock(actor=referent, user=bed_manager)
    campaign = review_services.campaign_start(actor=director, establishment=hospital)
    decision = campaign.decisions.get(user=bed_manager)
    review_services.campaign_decide(
        actor=director,
        campaign=campaign,
        changes=[review_services.DecisionChange(decision.pk, "keep", "vue", decision.version)],
    )
    review_services.campaign_close(actor=director, campaign=campaign)

    client.force_login(platform_admin)
    lines = lines_of(english(client))
    assert lines[Action.HABILITATION_ENDED] == [
        "Profile: Infirmier(e)",
        lines[Action.HABILITATION_ENDED][1],  # now, in local time
        "Reason for ending: départ",
    ]
    assert lines[Action.SHEET_EDITED] == ["Phone: 05 61 23 45 67"]
    assert lines[Action.UNIT_EDITED] == ["Active: yes → no"]
    assert lines[Action.UNIT_CREATED] == ["Name: Pédiatrie", "Code: PED"]
    assert lines[Action.CHARTER_ACCEPTED] == ["Charter version: 3"]
    assert lines[Action.ACCOUNT_BLOCKED] == [
        "Account blocked: no → yes",
        "Reason for blocking: 5 échecs de connexion",
        "Consecutive failed sign-ins: 5",
    ]
    assert lines[Action.ACCOUNT_UNBLOCKED][1:] == [
        "Reason for blocking: 5 échecs de connexion → —",
        "Consecutive failed sign-ins: 5 → 0",
    ]
    assert lines[Action.REVIEW_DECIDED] == [
        "Habilitation: Infirmier(e)",
        "Decision: Keep",
        "Comment: vue",
    ]
    assert lines[Action.REVIEW_CLOSED][0] == "Kept: 1"
    every_line = " | ".join(line for text in lines.values() for line in text)
    for internal in ("account_exists", "campaign", "_", "#", "infirmier", "T0", "+00:00"):
        assert internal not in every_line


def test_old_rows_and_unknown_keys_still_show(client, platform_admin, hospital, cardiology):
    event(action="something.retired", establishment=hospital, before="text", after=[1, 2])
    event(
        action=Action.HABILITATION_MODIFIED,
        unit=cardiology,
        before={"profile": "gone-profile", "unit": 987654, "odd_key": None},
        after={"profile": "infirmier", "unit": cardiology.pk, "odd_key": {"a": [1, "b"]}},
    )
    event(
        action=Action.ADMIN_CHANGED,
        unit=cardiology,
        before={"model": "structures.unit", "object": cardiology.pk, "phone": ""},
        after={
            "model": "structures.unit",
            "object": cardiology.pk,
            "label": "Cardiologie",
            "operation": "changed",
            "phone": "05 00 00 00 00",
        },
    )
    event(
        action=Action.ADMIN_CHANGED,
        after={"model": "no.such_model", "label": "Chose", "operation": "added", "x": True},
    )
    event(action=Action.ACCOUNT_UPDATED, before=None, after=None)
    client.force_login(platform_admin)
    rows = english(client).context["rows"]
    changes = [[str(change) for change in row["changes"]] for row in rows]
    assert changes[0] == []  # no before nor after
    assert changes[1] == ["Object: Chose (created)", "X: yes"]
    assert changes[2] == ["Unit: Cardiologie", "Phone: 05 00 00 00 00"]
    assert changes[3] == [
        "Profile: gone-profile → Infirmier(e)",
        "Unit: #987654 → Cardiologie",
        "Odd key: A: 1, b",
    ]
    assert changes[4] == []  # neither before nor after is a dict
    html = page(client)
    assert "05 00 00 00 00" in html
    assert "structures.unit" not in html


# --- Sign-ins


SIGNIN_PASSWORD = "correct horse battery staple"


@pytest.fixture
def sign_ins(agent):
    """Léa MARTIN mistypes her password, then signs in; somebody tries an unknown address."""
    agent.set_password(SIGNIN_PASSWORD)
    agent.save()
    browser = Client()
    sign_in = reverse("accounts:sign_in")
    browser.post(sign_in, {"username": agent.email, "password": "wrong"})
    browser.post(sign_in, {"username": "nobody@example.test", "password": "wrong"})
    assert browser.post(sign_in, {"username": agent.email, "password": SIGNIN_PASSWORD}).url
    return AuditEvent.objects.filter(action__in=(Action.SIGNIN_FAILED, Action.SIGNIN_SUCCEEDED))


def test_a_sign_in_names_the_person_as_its_actor(sign_ins, agent):
    assert sign_ins.get(action=Action.SIGNIN_SUCCEEDED).actor == agent
    # Whoever typed a wrong password is not known: no actor is recorded.
    assert all(event.actor is None for event in sign_ins.filter(action=Action.SIGNIN_FAILED))


def test_sign_ins_are_not_among_the_changes(client, establishment_referent, sign_ins, trail):
    client.force_login(establishment_referent)
    response = client.get(URL)
    actions = {row["event"].action for row in response.context["rows"]}
    assert actions == {Action.SHEET_EDITED, Action.HABILITATION_GRANTED, Action.UNIT_EDITED}
    html = response.content.decode()
    assert '<option value="signin">' in html
    assert "account_exists" not in html
    text = b"".join(client.get(EXPORT).streaming_content).decode("utf-8-sig")
    assert "signin." not in text


def test_the_sign_ins_filter_shows_them_with_the_person_as_actor(
    client, establishment_referent, sign_ins
):
    client.force_login(establishment_referent)
    response = client.get(URL, {"action": "signin"})
    rows = response.context["rows"]
    # The unknown address is nobody of this référent's structures.
    assert [(row["event"].action, row["actor"]) for row in rows] == [
        (Action.SIGNIN_SUCCEEDED, "MARTIN Léa"),
        (Action.SIGNIN_FAILED, "MARTIN Léa"),
    ]
    html = response.content.decode()
    assert '<td data-label="Auteur">MARTIN Léa</td>' in html
    assert "Système" not in html
    assert "account_exists" not in html
    assert "05 61 23 45 67" not in html
    table = csv_table(client.get(EXPORT, {"action": "signin"}))
    assert [row[1] for row in table[1:]] == ["MARTIN Léa", "MARTIN Léa"]


def test_sign_ins_written_without_an_actor_name_the_person(client, establishment_referent, agent):
    # Rows written before sign-ins named their actor.
    event(action=Action.SIGNIN_SUCCEEDED, target_user=agent, after={"account_exists": True})
    client.force_login(establishment_referent)
    (row,) = client.get(URL, {"action": "signin"}).context["rows"]
    assert row["actor"] == "MARTIN Léa"
    assert row["changes"] == []


def test_a_platform_admin_sees_the_unknown_address_as_before(client, platform_admin, sign_ins):
    client.force_login(platform_admin)
    rows = english(client, action=Action.SIGNIN_FAILED).context["rows"]
    unknown = next(row for row in rows if row["event"].target_user is None)
    assert unknown["actor"] == "System"
    assert [str(change) for change in unknown["changes"]] == ["Account: unknown address"]


def test_sign_ins_of_other_structures_stay_out_of_scope(client, other_referent, sign_ins):
    client.force_login(other_referent)
    assert client.get(URL, {"action": "signin"}).context["rows"] == []
    assert "MARTIN" not in page(client, action="signin")


# --- Query counts and the export's columns


def test_names_are_looked_up_once_per_page(
    client, establishment_referent, make, hospital, cardiology, geriatrics
):
    client.force_login(establishment_referent)

    def count_queries(url: str) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
            if response.streaming:
                b"".join(response.streaming_content)
        return len(queries)

    def add(n):
        for _ in range(n):
            person = make.user()
            right = make.habilitation(person, cardiology)
            unit = make.unit(hospital)
            record(
                action=Action.HABILITATION_MODIFIED,
                actor=make.user(),
                target_user=person,
                unit=unit,
                before={"habilitation": right.pk, "profile": "infirmier", "unit": cardiology.pk},
                after={"habilitation": right.pk, "profile": "medecin", "unit": unit.pk},
            )
            record(
                action=Action.ACCOUNT_UPDATED,
                actor=person,
                target_user=person,
                unit=geriatrics,
                before={"email_reminders": True},
                after={"email_reminders": False, "habilitation": right.pk, "user": person.pk},
            )

    add(2)
    small_page, small_export = count_queries(URL), count_queries(EXPORT)
    add(30)
    assert count_queries(URL) == small_page
    assert count_queries(EXPORT) == small_export


def test_csv_has_readable_columns_and_the_ids(
    client, establishment_referent, bed_manager, hospital, geriatrics
):
    client.force_login(establishment_referent)
    header, *rows = csv_table(client.get(EXPORT, HTTP_ACCEPT_LANGUAGE="en"))
    assert header == [
        "Date",
        "Actor",
        "Actor's e-mail",
        "Action",
        "Person concerned",
        "E-mail of the person concerned",
        "Establishment",
        "FINESS number",
        "Unit",
        "Changes",
        "Event ID",
        "Action code",
        "Actor ID",
        "Person ID",
        "Establishment ID",
        "Unit ID",
        "Before (JSON)",
        "After (JSON)",
        "Request ID",
    ]
    modified = AuditEvent.objects.get(action=Action.HABILITATION_MODIFIED)
    (row,) = (row for row in rows if row[11] == Action.HABILITATION_MODIFIED)
    assert row[1] == "DURAND Prénom" + row[1].removeprefix("DURAND Prénom")
    assert row[4] == "BERNARD Zoé"
    assert row[6:9] == [hospital.name, hospital.finess, "Gériatrie"]
    assert row[9] == "Profile: Gestionnaire de lits → Infirmier(e) | Unit: Cardiologie → Gériatrie"
    assert row[10:16] == [
        str(modified.pk),
        "habilitation.modified",
        str(establishment_referent.pk),
        str(bed_manager.pk),
        str(hospital.pk),
        str(geriatrics.pk),
    ]
    assert json.loads(row[16]) == modified.before
    assert json.loads(row[17]) == modified.after


def test_the_french_csv_reads_in_french(client, establishment_referent, bed_manager):
    # Needs the French translations of the Journal (the new column titles, the colon).
    client.force_login(establishment_referent)
    header, *rows = csv_table(client.get(EXPORT))
    assert header[:3] == ["Date", "Auteur", "E-mail de l’auteur"]
    assert header[10] != "Event ID"
    assert header[-1] == "Identifiant de requête"
    texts = [row[9] for row in rows]
    assert (
        "Profil\u00a0: Gestionnaire de lits → Infirmier(e) | Unité\u00a0: Cardiologie → Gériatrie"
        in texts
    )


def test_second_factor_and_identity_events_read_in_words(client, platform_admin, agent):
    from mfa.models import Factor
    from mfa.services import recovery_codes_generate
    from oidc.models import LinkedIdentity

    factor = Factor.objects.create(
        user=agent, name="Téléphone pro", kind=Factor.Kind.TOTP, totp_secret="JBSWY3DPEHPK3PXP"
    )
    record(
        action=Action.MFA_ENROLLED, actor=agent, target_user=agent,
        after={"factor": factor.name, "kind": "totp", "demo": True},
    )  # fmt: skip
    recovery_codes_generate(user=agent, request=None)
    record(
        action=Action.MFA_RESET, actor=platform_admin, target_user=agent,
        before={"factors": [{"name": "Téléphone pro", "kind": "totp"}], "unused_codes": 10},
        after={"factors": [], "unused_codes": 0, "enrolment_required": True},
    )  # fmt: skip
    record(
        action=Action.IDENTITY_LINKED, actor=agent, target_user=agent,
        after={"provider": "psc", "subject": "f:abc", "how": LinkedIdentity.How.choices[0][0]},
    )  # fmt: skip
    client.force_login(platform_admin)
    lines = lines_of(english(client))
    assert lines[Action.MFA_ENROLLED] == ["Second factor: Téléphone pro", "Type: Authenticator app"]
    assert lines[Action.MFA_RESET][0] == ("Second factors: Téléphone pro (Authenticator app) → —")
    assert "Unused recovery codes: 10 → 0" in lines[Action.MFA_RESET]
    assert lines[Action.IDENTITY_LINKED][0] == "Provider: psc"
    assert lines[Action.IDENTITY_LINKED][2] == f"Linked: {LinkedIdentity.How.choices[0][1]}"
    page = client.get(URL).content.decode()
    assert "Type\u00a0: Application d’authentification" in page
    assert "totp" not in page
    assert "Demo" not in page
