"""Named people and structures shared by the tests (docs/architecture.md).

The world: establishment ``hospital`` (Occitanie) with units ``cardiology`` and ``geriatrics``;
``other_hospital`` in another establishment of the same region.
"""

from __future__ import annotations

import importlib

import pytest
from django.core.cache import cache

from tests.factory import Factory


@pytest.fixture(autouse=True)
def _empty_cache():
    # Nothing cached by one test (a review summary) may show in another.
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests hash many passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _load_reference_data() -> None:
    from django.apps import apps

    for module, function in [
        ("structures.migrations.0002_load_regions_and_departements", "load"),
        ("accounts.migrations.0002_seed_profiles", "seed"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture
def reference_data(transactional_db) -> None:
    """Regions, départements and profiles, as the data migrations load them.

    Tests that need committed rows (live server, threads) use a transactional database, which
    Django empties after each test, data migrations included: load them again.
    """
    _load_reference_data()


@pytest.fixture
def make(db) -> Factory:
    # A transactional test that ran before on this worker (the suite runs on two) emptied the
    # tables the data migrations fill: fill them again.
    from structures.models import Departement

    if not Departement.objects.exists():
        _load_reference_data()
    return Factory()


@pytest.fixture
def hospital(db, make):
    return make.establishment(name="CENTRE HOSPITALIER SAINT-JEAN", city="TOULOUSE")


@pytest.fixture
def cardiology(make, hospital):
    return make.unit(hospital, name="Cardiologie")


@pytest.fixture
def geriatrics(make, hospital):
    return make.unit(hospital, name="Gériatrie")


@pytest.fixture
def other_hospital(db, make):
    return make.establishment(name="CLINIQUE DES PINS", departement="34", city="MONTPELLIER")


@pytest.fixture
def agent(make, cardiology):
    """Staff with a nurse's habilitation on the cardiology unit; not a référent."""
    user = make.user(email="agent@example.test", last_name="Martin", first_name="Léa")
    make.habilitation(user, cardiology, profile="infirmier")
    return user


@pytest.fixture
def establishment_referent(make, hospital):
    return make.referent(hospital, email="ref.etab@example.test", last_name="Durand")


@pytest.fixture
def unit_referent(make, cardiology):
    return make.referent(cardiology, email="ref.unite@example.test", last_name="Bernard")


@pytest.fixture
def other_referent(make, other_hospital):
    """Référent of another establishment: must see nothing of ``hospital``."""
    return make.referent(other_hospital, email="ref.autre@example.test", last_name="Petit")


@pytest.fixture
def director(make, hospital):
    return make.director(hospital, email="directeur@example.test", last_name="Moreau")


@pytest.fixture
def platform_admin(make):
    return make.user(
        email="admin@example.test", last_name="Admin", is_staff=True, is_superuser=True
    )
