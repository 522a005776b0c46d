"""Journal: the audit trail of a référent's structures, filtered, paged and exported as CSV."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from audit.trail import record

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
