"""No input to any form of the application produces a server error (property-based).

Hypothesis posts arbitrary values (empty, huge, non-Latin, control characters, dates in odd
formats, ids of nothing) for every field of each form, as a référent of ``hospital``; the
answer may be a page with errors or a redirect, never a 5xx.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Charter, CharterAcceptance

# Field values: what a browser could send, and what an attacker would.
ANY_TEXT = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "9" * 30,
            "e:1",
            "u:1",
            "e:abc",
            "u:-5",
            "2026-02-30",
            "31/12/2026",
            "1e9",
            "null",
            "<script>",
            "'; --",
            "%00",
            "x" * 5000,
        ]
    ),
    st.dates().map(str),
    st.integers().map(str),
)

FORMS = {
    "create": (
        "administration:person_create",
        None,
        [
            "last_name",
            "first_name",
            "email",
            "phone",
            "job_title",
            "profile",
            "structure",
            "start_date",
            "end_date",
        ],
    ),
    "grant": (
        "administration:habilitation_grant",
        "person",
        ["profile", "structure", "start_date", "end_date"],
    ),
    "extend": ("administration:habilitation_extend", "right", ["end_date"]),
    "modify": (
        "administration:habilitation_modify",
        "right",
        ["profile", "unit", "start_date", "end_date"],
    ),
    "end": ("administration:habilitation_end", "right", ["reason", "confirmed"]),
    "sheet": (
        "administration:establishment",
        "hospital",
        ["phone", "email", "website", "description", "access_info", "version"],
    ),
    "unit": ("administration:unit_create", "hospital", ["name", "code", "phone", "email"]),
    "sign_in": ("accounts:sign_in", None, ["username", "password", "next"]),
    "password_change": (
        "accounts:password_change",
        None,
        ["old_password", "new_password1", "new_password2"],
    ),
    "blocked_help": ("accounts:blocked_help", None, ["email"]),
    "reminders": ("administration:charter_remind", None, ["people"]),
    "details": (
        "administration:person_details",
        "person",
        ["last_name", "first_name", "phone", "job_title", "national_id"],
    ),
    "email_change": ("administration:person_email", "person", ["email"]),
    "departure": ("administration:person_depart", "person", ["reason"]),
    "bulk_extend": (
        "administration:bulk_extend",
        None,
        ["people", "rights", "all", "q", "ending_soon", "end_date", "expected"],
    ),
    "bulk_end": (
        "administration:bulk_end",
        None,
        ["people", "rights", "all", "q", "dormant", "reason", "expected"],
    ),
}


@pytest.fixture
def referent_client(client, make, hospital, cardiology, establishment_referent):
    charter = Charter.objects.create(version=1, title="Charte", body="…")
    CharterAcceptance.objects.create(user=establishment_referent, charter=charter)
    nurse = make.user()
    right = make.habilitation(nurse, cardiology)
    client.force_login(establishment_referent)
    client.targets = {"person": nurse.pk, "right": right.pk, "hospital": hospital.pk}
    return client


@pytest.mark.parametrize("form", sorted(FORMS))
def test_no_input_gives_a_server_error(referent_client, form):
    name, target, fields = FORMS[form]
    args = [referent_client.targets[target]] if target else []
    url = reverse(name, args=args)

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.fixed_dictionaries({}, optional=dict.fromkeys(fields, ANY_TEXT)))
    def post(data):
        response = referent_client.post(url, data)
        assert response.status_code < 500, (form, data)

    post()


@pytest.mark.parametrize(
    "name",
    [
        "administration:people",
        "administration:journal",
        "administration:journal_export",
        "administration:establishments",
        "administration:charter_pending",
        "referents:list",
    ],
)
def test_no_query_string_gives_a_server_error(referent_client, name):
    url = reverse(name)

    @settings(
        max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        st.dictionaries(
            st.sampled_from(
                [
                    "q",
                    "page",
                    "secteur",
                    "action",
                    "person",
                    "date_from",
                    "date_to",
                    "structure",
                    "blocked",
                    "ending_soon",
                    "dormant",
                    "charter_missing",
                    "region",
                    "departement",
                    "etablissement",
                    "upage",
                ]
            ),
            ANY_TEXT,
            max_size=5,
        )
    )
    def get(params):
        response = referent_client.get(url, params)
        assert response.status_code < 500, (name, params)

    get()


@pytest.mark.parametrize(
    "path",
    [
        "/administration/comptes/99999999999999999999999/",
        "/administration/comptes/habilitations/9223372036854775808/prolonger/",
        "/administration/etablissements/9223372036854775808/",
        "/referents/etablissements/99999999999999999999/",
        "/referents/unites/9223372036854775808/",
        "/referents/liste/?etablissement=99999999999999999999999",
        "/referents/liste/noeuds/etablissement/99999999999999999999999/",
    ],
)
def test_ids_too_large_for_the_database_are_404(referent_client, path):
    assert referent_client.get(path).status_code == 404


def test_a_nul_character_anywhere_is_a_clear_400(referent_client):
    assert referent_client.get("/referents/liste/", {"region": "7\x006"}).status_code == 400
    response = referent_client.post(reverse("accounts:blocked_help"), {"email": "a\x00@b.fr"})
    assert response.status_code == 400
