"""A plain factory for test data: valid FINESS numbers, people, habilitations.

Every method takes the fields a test cares about and fills the rest with valid values.
"""

from __future__ import annotations

import datetime
import itertools

from django.utils import timezone

from accounts.models import Habilitation, Profile, User
from structures.finess import with_check_digit
from structures.models import Departement, Establishment, LegalEntity, Sector, Unit

_counter = itertools.count(1)


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


class Factory:
    def finess(self, departement: str = "31") -> str:
        return with_check_digit(f"{departement}{next(_counter):06d}")

    def legal_entity(self, **fields) -> LegalEntity:
        fields.setdefault("finess", self.finess())
        fields.setdefault("name", f"Entité juridique {fields['finess']}")
        return LegalEntity.objects.create(**fields)

    def establishment(self, departement: str = "31", **fields) -> Establishment:
        fields.setdefault("departement", Departement.objects.get(code=departement))
        fields.setdefault("finess", self.finess(departement))
        fields.setdefault("name", f"Établissement {fields['finess']}")
        fields.setdefault("city", "TOULOUSE")
        fields.setdefault("postcode", "31000")
        fields.setdefault("sector", Sector.SANITAIRE)
        return Establishment.objects.create(**fields)

    def unit(self, establishment: Establishment, **fields) -> Unit:
        fields.setdefault("name", f"Unité {next(_counter)}")
        return Unit.objects.create(establishment=establishment, **fields)

    def user(self, **fields) -> User:
        n = next(_counter)
        fields.setdefault("email", f"person{n}@example.test")
        fields.setdefault("last_name", f"Nom{n}")
        fields.setdefault("first_name", f"Prénom{n}")
        return User.objects.create_user(**fields)

    def profile(self, code: str) -> Profile:
        return Profile.objects.get(code=code)

    def habilitation(
        self,
        user: User,
        structure: Establishment | Unit,
        profile: str = "infirmier",
        start: datetime.date | None = None,
        end: datetime.date | None = None,
        **fields,
    ) -> Habilitation:
        if isinstance(structure, Unit):
            fields.update(establishment=structure.establishment, unit=structure)
        else:
            fields.update(establishment=structure)
        start = start or today() - days(30)
        end = end or start + days(365)
        return Habilitation.objects.create(
            user=user,
            profile=self.profile(profile),
            start_date=start,
            end_date=end,
            **fields,
        )

    def referent(self, structure: Establishment | Unit, **fields) -> User:
        user = self.user(**fields)
        self.habilitation(user, structure, profile=Profile.REFERENT)
        return user

    def director(self, establishment: Establishment, **fields) -> User:
        user = self.user(**fields)
        self.habilitation(user, establishment, profile=Profile.DIRECTOR)
        return user
