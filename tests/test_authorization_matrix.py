"""Every URL of the Administration area against every kind of person.

Out-of-scope objects answer 404, forbidden areas 404, anonymous people are sent to sign in;
nothing forbidden ever answers 200. A URL added to the area without a row here fails
``test_every_administration_url_has_a_row``.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User
from reviews.models import ReviewCampaign

AREA_NAMESPACES = {"administration", "reviews"}
# Outside the area, but behind the same gate: the charter every signed-in person accepts.
ALSO_CHECKED = {"accounts:charter_accept", "accounts:password_change", "accounts:set_digest"}
# The person page's "reset the second factor", in the second factor's own app.
ALSO_CHECKED |= {"mfa:person_reset"}
ROLES = [
    "anonymous",
    "agent",
    "unit_referent",
    "other_referent",
    "director",
    # A director of the cardiology unit only: reviews that unit, never the establishment.
    "unit_director",
    # A référent of the cardiology unit who is also its director.
    "unit_referent_director",
    "establishment_referent",
    "platform_admin",
]
EVERY_REFERENT = {
    "unit_referent",
    "unit_referent_director",
    "other_referent",
    "establishment_referent",
    "platform_admin",
}
HOSPITAL_WIDE = {"establishment_referent", "platform_admin"}
EVERYONE_SIGNED_IN = set(ROLES) - {"anonymous"}
# Campaigns cover a whole establishment: its directors run them.
DIRECTORS = {"director", "platform_admin"}
# The review table and the structures without référent: a unit's director sees their unit.
EVERY_REVIEWER = DIRECTORS | {"unit_director", "unit_referent_director"}

# URL name -> (how to build its arguments from the world, who may open it, method)
MATRIX: dict[str, tuple[str | None, set[str], str]] = {
    "administration:people": (None, EVERY_REFERENT, "GET"),
    "administration:person_create": (None, EVERY_REFERENT, "GET"),
    # Prolonger / Terminer what is ticked: the selection is read through the scope.
    "administration:bulk_extend": (None, EVERY_REFERENT, "GET"),
    "administration:bulk_end": (None, EVERY_REFERENT, "GET"),
    # The staff file import: each référent their own file (the preview, report, apply and
    # cancel of a person without one send back to the upload form).
    "administration:people_import": (None, EVERY_REFERENT, "GET"),
    "administration:import_preview": (None, EVERY_REFERENT, "GET"),
    "administration:import_apply": (None, EVERY_REFERENT, "POST"),
    "administration:import_cancel": (None, EVERY_REFERENT, "POST"),
    "administration:import_report_csv": (None, EVERY_REFERENT, "GET"),
    "administration:import_template_csv": (None, EVERY_REFERENT, "GET"),
    "administration:import_template_xlsx": (None, EVERY_REFERENT, "GET"),
    "administration:people_export": (None, EVERY_REFERENT, "GET"),
    "administration:person": ("nurse", HOSPITAL_WIDE, "GET"),
    "administration:habilitation_grant": ("nurse", HOSPITAL_WIDE, "GET"),
    "administration:person_unblock": ("nurse", HOSPITAL_WIDE, "GET"),
    "mfa:person_reset": ("nurse", HOSPITAL_WIDE, "GET"),
    "administration:person_details": ("nurse", HOSPITAL_WIDE, "GET"),
    "administration:person_email": ("nurse", HOSPITAL_WIDE, "GET"),
    "administration:person_depart": ("nurse", HOSPITAL_WIDE, "GET"),
    "administration:person_activation_resend": ("nurse", HOSPITAL_WIDE, "POST"),
    "administration:habilitation_extend": ("nurse_right", HOSPITAL_WIDE, "GET"),
    "administration:habilitation_modify": ("nurse_right", HOSPITAL_WIDE, "GET"),
    "administration:habilitation_end": ("nurse_right", HOSPITAL_WIDE, "GET"),
    "administration:establishments": (None, EVERY_REFERENT, "GET"),
    # A unit référent reads their establishment's sheet (read-only) and manages their unit.
    "administration:establishment": (
        "hospital",
        HOSPITAL_WIDE | {"unit_referent", "unit_referent_director"},
        "GET",
    ),
    "administration:unit_create": ("hospital", HOSPITAL_WIDE, "GET"),
    "administration:unit_edit": ("geriatrics", HOSPITAL_WIDE, "GET"),
    "administration:unit_deactivate": ("geriatrics", HOSPITAL_WIDE, "POST"),
    "administration:unit_reactivate": ("geriatrics", HOSPITAL_WIDE, "POST"),
    "administration:journal": (None, EVERY_REFERENT, "GET"),
    "administration:journal_export": (None, EVERY_REFERENT, "GET"),
    "accounts:charter_accept": (None, EVERYONE_SIGNED_IN, "GET"),
    # Mon compte: each person their own password and digest preference.
    "accounts:password_change": (None, EVERYONE_SIGNED_IN, "GET"),
    "accounts:set_digest": (None, EVERYONE_SIGNED_IN, "POST"),
    "administration:charter_pending": (None, EVERY_REFERENT, "GET"),
    "administration:charter_remind": (None, EVERY_REFERENT, "POST"),
    "reviews:table": (None, EVERY_REVIEWER, "GET"),
    "reviews:export": (None, EVERY_REVIEWER, "GET"),
    "reviews:campaigns": (None, DIRECTORS, "GET"),
    "reviews:campaign_start": (None, DIRECTORS, "POST"),
    "reviews:campaign": ("campaign", DIRECTORS, "GET"),
    "reviews:campaign_close": ("campaign", DIRECTORS, "GET"),
    "reviews:campaign_keep_undecided": ("campaign", DIRECTORS, "GET"),
    "reviews:campaign_report": ("campaign", DIRECTORS, "GET"),
    "reviews:campaign_report_csv": ("campaign", DIRECTORS, "GET"),
    "reviews:uncovered": (None, EVERY_REVIEWER, "GET"),
    "reviews:uncovered_export": (None, EVERY_REVIEWER, "GET"),
}


def area_url_names() -> set[str]:
    names: set[str] = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and namespace in AREA_NAMESPACES:
                names.add(f"{namespace}:{pattern.name}")

    walk(get_resolver().url_patterns, None)
    return names


def test_every_administration_url_has_a_row():
    assert area_url_names() | ALSO_CHECKED == set(MATRIX)


@pytest.fixture
def unit_director(make, cardiology):
    user = make.user(email="dir.cardio@example.test", last_name="Lambert")
    make.habilitation(user, cardiology, profile=Profile.DIRECTOR)
    return user


@pytest.fixture
def unit_referent_director(make, cardiology):
    user = make.referent(cardiology, email="ref.dir.cardio@example.test", last_name="Garnier")
    make.habilitation(user, cardiology, profile=Profile.DIRECTOR)
    return user


@pytest.fixture
def world(make, hospital, geriatrics, platform_admin):
    """A blocked nurse on the geriatrics unit of ``hospital`` (not the unit référent's unit)."""
    Charter.objects.create(version=1, title="Charte", body="…")  # so that reminders make sense
    nurse = make.user(email="nurse@example.test", blocked_at=timezone.now(), blocked_reason="x")
    right = make.habilitation(nurse, geriatrics, profile="infirmier")
    campaign = ReviewCampaign.objects.create(
        establishment=hospital, started_by=platform_admin, snapshot_date=timezone.localdate()
    )
    return {
        "campaign": campaign.pk,
        "nurse": nurse.pk,
        "nurse_right": right.pk,
        "hospital": hospital.pk,
        "geriatrics": (hospital.pk, geriatrics.pk),
    }


def url_for(name: str, world: dict) -> str:
    key = MATRIX[name][0]
    if key is None:
        return reverse(name)
    args = world[key]
    return reverse(name, args=list(args) if isinstance(args, tuple) else [args])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_access(client, request, world, role, name):
    if role != "anonymous":
        user = request.getfixturevalue(role)
        CharterAcceptance.objects.create(user=user, charter=Charter.objects.current())
        client.force_login(user)
    _key, allowed, method = MATRIX[name]
    url = url_for(name, world)
    response = client.post(url) if method == "POST" else client.get(url)
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:sign_in"))
    elif role in allowed:
        # An empty POST may be refused as a bad request; never as not found or forbidden.
        expected = {200, 302, 400} if method == "POST" else {200, 302}
        assert response.status_code in expected, response.status_code
        if response.status_code == 302:
            assert not response["Location"].startswith(reverse("accounts:sign_in"))
    else:
        assert response.status_code == 404, response.status_code


@pytest.mark.parametrize(
    "role",
    [
        "unit_referent",
        "other_referent",
        "agent",
        "director",
        "unit_director",
        "unit_referent_director",
    ],
)
def test_forbidden_posts_change_nothing(client, request, world, role, geriatrics):
    user = request.getfixturevalue(role)
    CharterAcceptance.objects.create(user=user, charter=Charter.objects.current())
    client.force_login(user)
    nurse_right = world["nurse_right"]
    for name, data in [
        ("administration:habilitation_end", {"reason": "départ", "confirm": "1"}),
        ("administration:habilitation_extend", {"end_date": "2099-01-01"}),
        ("administration:person_unblock", {}),
        ("mfa:person_reset", {}),
        ("administration:person_details", {"last_name": "X", "first_name": "Y"}),
        ("administration:person_email", {"email": "volee@example.test"}),
        ("administration:person_depart", {"reason": "départ"}),
        ("administration:person_activation_resend", {}),
        ("administration:unit_deactivate", {}),
    ]:
        response = client.post(url_for(name, world), data)
        assert response.status_code == 404, name
    right = Habilitation.objects.get(pk=nurse_right)
    assert right.ended_at is None
    assert right.end_date.year < 2099
    nurse = User.objects.get(pk=world["nurse"])
    assert nurse.is_blocked
    assert nurse.is_active
    assert nurse.last_name != "X"
    assert not mail.outbox
    geriatrics.refresh_from_db()
    assert geriatrics.is_active
