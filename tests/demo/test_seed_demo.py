"""manage.py seed_demo: a realistic demo world, four known accounts, and nothing twice."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User
from accounts.scope import Scope
from accounts.selectors import SupportDesk, referents_for
from audit.models import AuditEvent
from demo import world as demo
from structures.categories import CATEGORIES, GRAND_AGE, HANDICAP, SANITAIRE
from structures.finess import is_valid_finess
from structures.models import Establishment, LegalEntity, Region, Unit


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("structures", "accounts")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def debug(settings):
    # pytest-django runs tests with DEBUG off, which the command refuses without --force.
    settings.DEBUG = True


@pytest.fixture
def output(db, debug) -> str:
    return seed()


@pytest.fixture
def demo_hospital(output) -> Establishment:
    return Establishment.objects.get(name="CH GARONNE-LAURAGAIS")


def user(email: str) -> User:
    return User.objects.get(email=email)


def active_profiles(person: User) -> set[tuple[str, int, int | None]]:
    return set(
        Habilitation.objects.active_on()
        .filter(user=person)
        .values_list("profile__code", "establishment_id", "unit_id")
    )


# --- The four demo accounts


@pytest.mark.parametrize("email", demo.KEY_ACCOUNTS)
def test_each_demo_account_signs_in_with_the_default_password(output, email):
    assert authenticate(email=email, password=demo.DEFAULT_PASSWORD) == user(email)
    assert email in output
    assert demo.DEFAULT_PASSWORD in output


def test_the_demo_accounts_hold_the_right_rights(demo_hospital):
    referent, agent = user(demo.REFERENT_EMAIL), user(demo.AGENT_EMAIL)
    director, admin = user(demo.DIRECTOR_EMAIL), user(demo.ADMIN_EMAIL)

    assert (Profile.REFERENT, demo_hospital.pk, None) in active_profiles(referent)
    assert (Profile.DIRECTOR, demo_hospital.pk, None) in active_profiles(director)
    agent_rights = active_profiles(agent)
    assert {code for code, _, _ in agent_rights} == {"infirmier"}
    [(_, establishment_id, unit_id)] = agent_rights
    assert establishment_id == demo_hospital.pk
    assert unit_id is not None
    assert admin.is_superuser
    assert admin.is_staff
    assert not admin.habilitations.exists()
    assert not referent.is_staff
    assert not referent.is_superuser


def test_the_referents_scope_contains_the_agent(output):
    scope = Scope.for_user(user(demo.REFERENT_EMAIL))
    assert scope.people().filter(email=demo.AGENT_EMAIL).exists()


def test_the_agents_unit_inherits_the_establishments_referent(output):
    unit = user(demo.AGENT_EMAIL).habilitations.get().unit
    lookup = referents_for(unit)
    assert lookup.inherited
    assert demo.REFERENT_EMAIL in [h.user.email for h in lookup.referents]
    assert not Habilitation.objects.active_on().referents().filter(unit=unit).exists()


def test_the_demo_hospital_also_has_a_unit_with_its_own_referent(demo_hospital):
    lookups = [referents_for(unit) for unit in demo_hospital.units.all()]
    own = [lookup for lookup in lookups if lookup.found and not lookup.inherited]
    assert own
    assert all(demo.REFERENT_EMAIL not in [h.user.email for h in o.referents] for o in own)


# --- The escalation case and the support desks


def test_exactly_one_active_establishment_has_nobody_to_manage_accounts(output):
    unserved = [
        establishment
        for establishment in Establishment.objects.filter(is_active=True)
        if not referents_for(establishment).found
    ]
    assert len(unserved) == 1
    [establishment] = unserved
    assert not Habilitation.objects.referents().filter(establishment=establishment).exists()
    escalation = referents_for(establishment).escalation
    assert escalation.directors
    region = establishment.departement.region
    assert escalation.support == SupportDesk.for_region(region)
    assert escalation.support.email == region.support_email


def test_the_other_region_has_its_own_support_desk(output):
    occitanie = SupportDesk.for_region(Region.objects.get(code="76"))
    other = SupportDesk.for_region(Region.objects.get(code=demo.OTHER_REGION_CODE))
    assert other.email.endswith(".test")
    assert other.url.startswith("https://")
    assert other.phone
    assert other.email != occitanie.email
    assert Establishment.objects.filter(departement__region__code=demo.OTHER_REGION_CODE).count()


def test_a_support_desk_configured_by_hand_is_kept(db, debug):
    Region.objects.filter(code=demo.OTHER_REGION_CODE).update(support_email="real@desk.test")
    seed()
    assert Region.objects.get(code=demo.OTHER_REGION_CODE).support_email == "real@desk.test"


# --- The world


def test_the_world_has_the_expected_size_and_variety(output):
    assert 45 <= Establishment.objects.count() <= 55
    assert 270 <= User.objects.count() <= 330
    assert set(Establishment.objects.values_list("sector", flat=True)) == {
        SANITAIRE,
        GRAND_AGE,
        HANDICAP,
    }
    used = set(Habilitation.objects.values_list("profile__code", flat=True))
    assert used == set(Profile.objects.values_list("code", flat=True))
    assert LegalEntity.objects.annotate(n=Count("establishments")).filter(n__gte=3).exists()
    assert Establishment.objects.filter(is_active=False, closed_on__isnull=False).exists()
    # Référents at establishment level and at unit level.
    referents = Habilitation.objects.active_on().referents()
    assert referents.filter(unit__isnull=True).count() >= 40
    assert referents.filter(unit__isnull=False).count() >= 5
    # Units without a référent of their own, served by their establishment's.
    assert Unit.objects.exclude(habilitations__in=referents).count() > 50


def test_people_in_several_establishments_and_blocked_accounts_exist(output):
    several = User.objects.annotate(n=Count("habilitations__establishment", distinct=True)).filter(
        n__gte=2
    )
    assert several.exists()
    blocked = User.objects.filter(blocked_at__isnull=False)
    assert blocked.count() >= 3
    assert all(u.blocked_reason and u.failed_login_count == 5 for u in blocked)
    assert not blocked.filter(email__in=demo.KEY_ACCOUNTS).exists()


def test_habilitations_have_every_status(output):
    today = timezone.localdate()
    in_force = Habilitation.objects.active_on()
    assert (
        in_force.filter(
            end_date__lte=today + datetime.timedelta(days=30), email_reminders=True
        ).count()
        >= 5
    )
    assert in_force.filter(end_date__lte=today + datetime.timedelta(days=7)).exists()
    assert Habilitation.objects.filter(end_date__lt=today, ended_at__isnull=True).exists()
    assert Habilitation.objects.filter(start_date__gt=today).exists()
    ended = Habilitation.objects.filter(ended_at__isnull=False)
    assert ended.exists()
    assert all(h.ended_by_id and h.end_reason and h.ended_at <= timezone.now() for h in ended)
    statuses = {h.status for h in Habilitation.objects.all()}
    assert statuses == {"active", "future", "expired", "ended"}


def test_charter_v1_is_accepted_by_most_people_but_not_all(output):
    charter = Charter.objects.get(version=1)
    assert len(charter.body) > 500
    assert Charter.objects.current() == charter
    people = User.objects.count()
    accepted = CharterAcceptance.objects.filter(charter=charter).count()
    assert people / 2 < accepted < people
    for email in demo.KEY_ACCOUNTS:
        assert CharterAcceptance.objects.filter(charter=charter, user__email=email).exists()
    assert all(a.accepted_at >= charter.published_at for a in CharterAcceptance.objects.all())


def test_every_row_is_valid(output):
    # Field validators (FINESS, e-mail, URL, lengths); the database enforces the constraints.
    checks = {"validate_unique": False, "validate_constraints": False}
    for obj in [*LegalEntity.objects.all(), *Establishment.objects.all()]:
        assert is_valid_finess(obj.finess)
        obj.full_clean(**checks)
    for unit in Unit.objects.all():
        unit.full_clean(**checks)
    for establishment in Establishment.objects.all():
        label, sector = CATEGORIES[establishment.category_code]
        assert (establishment.category_label, establishment.sector) == (label, sector)
        assert establishment.departement.code == establishment.finess[:2]
        assert establishment.postcode.startswith(establishment.departement.code)
        assert establishment.search_text == establishment.build_search_text()
    for person in User.objects.all():
        assert person.email.endswith("@demo.test")
        person.full_clean(**checks)
    for habilitation in Habilitation.objects.select_related("unit"):
        habilitation.full_clean(**checks)


# --- Idempotence


def test_the_first_run_records_one_audit_event_with_the_counts(output):
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.DEMO_SEEDED)
    assert event.after["created"]["people"] == User.objects.count()
    assert event.after["created"]["establishments"] == Establishment.objects.count()


def test_a_second_run_days_later_changes_nothing(output):
    before = row_counts()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=4), tick=False):
        again = seed()
    assert row_counts() == before
    assert "nothing changed" in again
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DEMO_SEEDED).count() == 1


def test_the_world_is_the_same_whatever_the_day():
    first = demo.build_world(datetime.date(2026, 1, 15))
    later = demo.build_world(datetime.date(2026, 3, 2))
    assert first.people == later.people
    assert list(first.habilitations) == list(later.habilitations)
    assert demo.build_world(datetime.date(2026, 1, 15)) == first


def test_existing_passwords_are_kept_unless_one_is_given(output):
    new_password = "another-demo-pass-42"
    seed("--password", new_password)
    for email in demo.KEY_ACCOUNTS:
        assert authenticate(email=email, password=new_password) == user(email)
        assert authenticate(email=email, password=demo.DEFAULT_PASSWORD) is None
    before = row_counts()
    seed("--password", new_password)  # Already set: nothing to do.
    seed()  # Without --password, the accounts keep theirs.
    assert row_counts() == before
    assert authenticate(email=demo.AGENT_EMAIL, password=new_password) == user(demo.AGENT_EMAIL)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.DEMO_SEEDED).count() == 2


def test_a_weak_password_is_refused(db, debug):
    with pytest.raises(CommandError, match="12"):  # The minimum length, in any language.
        seed("--password", "demo")
    assert not User.objects.exists()


# --- Production guard


def test_refused_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not User.objects.exists()
    seed("--force")
    assert User.objects.filter(email=demo.ADMIN_EMAIL).exists()
