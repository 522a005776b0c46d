"""Fill a scratch PostgreSQL database with a France-sized dataset, for the page benchmarks.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/viareferents_national_bench \\
        .venv/bin/python bench/make_national_dataset.py [--scale 1.0]

About 100,000 establishments (every département, weighted by size, valid FINESS numbers),
300,000 units, 1,000,000 people and 2,000,000 habilitations at scale 1.0 (``--scale 0.01`` makes
a small copy for trying the script). The shape follows docs/domain.md:

- each open establishment has 1-3 référents, except 1% with none (nor a director, for some);
- 90% of units have a référent of their own, 10% inherit their establishment's;
- people work in 1 to 3 establishments; habilitations are active, expired, ended early or
  future in realistic proportions, and older rights stay as history;
- one large teaching hospital, "CHU BENCH", carries 50,000 habilitations (the CSV export and
  the tables of a large establishment).

Benchmark accounts (password ``bench-referents-2026``), printed at the end:
``bench-agent@bench.test`` (3 structures: an establishment, a unit with its own référent and a
unit that inherits), ``bench-referent@bench.test`` and ``bench-director@bench.test`` (CHU
BENCH), ``bench-admin@bench.test`` (platform administrator).

Rows are written with ``COPY``; secondary indexes and constraints are dropped first and built
again at the end (the FINESS import keeps its own path: see bench/import_finess.py). The
database name must contain "bench": everything in it is replaced.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "viareferents.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection  # noqa: E402
from import_finess import (  # noqa: E402
    CITIES,
    KINDS,
    NAMES,
    OVERSEAS_POSTCODE,
    OVERSEAS_PREFIX,
    ensure_database,
)

from accounts.models import Profile  # noqa: E402
from structures.categories import CATEGORIES, sector_for  # noqa: E402
from structures.finess import fold, with_check_digit  # noqa: E402
from structures.models import Departement  # noqa: E402

PASSWORD = "bench-referents-2026"  # noqa: S105 - a published benchmark password
TODAY = datetime.date(2026, 11, 26)
NOW = "2026-11-26 06:00:00+00"
SEED = 2026

BIG_DEPARTEMENTS = {
    "75": 3.0, "59": 3.0, "13": 2.5, "69": 2.5, "92": 2.0, "93": 2.0, "33": 2.0, "31": 2.0,
    "62": 2.0, "44": 1.8, "77": 1.7, "78": 1.7, "94": 1.7, "91": 1.6, "76": 1.6, "38": 1.6,
    "06": 1.5, "34": 1.5, "67": 1.5, "95": 1.5,
}  # fmt: skip
SAINTS = ["JEAN", "JOSEPH", "MARTIN", "LOUIS", "PIERRE", "LUC", "ROCH", "ANNE", "MARIE", "PAUL"]
SAINTS += ["JACQUES", "MICHEL", "VINCENT DE PAUL", "CAMILLE", "FRANÇOIS", "ÉLOI", "BLAISE"]
NAME_WORDS = NAMES + [f"SAINT-{saint}" for saint in SAINTS]
NAME_WORDS += [f"SAINTE-{saint}" for saint in ("ANNE", "MARIE", "THÉRÈSE", "CLAIRE", "FOY")]
NAME_WORDS += ["LES PINS", "LES CÈDRES", "LE PRIEURÉ", "LA ROSERAIE", "LES HORTENSIAS"]
NAME_WORDS += ["PASTEUR", "LOUIS ARAGON", "SIMONE VEIL", "VICTOR HUGO", "LA CHARMILLE"]
CITY_START = ["SAINT-", "VILLE", "MONT", "CHÂTEAU", "BOURG", "LA ", "LE ", "FONT", "BEAU"]
CITY_START += ["PONT-", "NEUF", "ROCHE", "VAL-", "BELLE", "CLAIR", "MARTI", "LAVAL"]
CITY_END = ["MARTIN", "NEUVE", "FORT", "BRUN", "MARCEL", "LAURENT", "PRÉ", "BOIS", "GÈRE"]
CITY_END += ["ROUX", "VIGNE", "ÈS", "AC", "IGNY", "ONNE", "ANGES", "ERRE", "OLLES", "Y"]
HOSPITAL_UNITS = ["Cardiologie", "Pneumologie", "Urgences", "Gériatrie", "Pédiatrie"]
HOSPITAL_UNITS += ["Neurologie", "Chirurgie viscérale", "Orthopédie", "Maternité", "Oncologie"]
HOSPITAL_UNITS += ["Soins de suite", "Médecine polyvalente", "Réanimation", "Psychiatrie"]
HOSPITAL_UNITS += ["Néphrologie", "Dermatologie", "Endocrinologie", "Hématologie", "ORL"]
OTHER_UNITS = ["Unité protégée", "Accueil de jour", "Aile Nord", "Aile Sud", "Hébergement"]
OTHER_UNITS += ["Pôle enfants", "Pôle adultes", "Atelier", "Service de soins", "Plateforme"]
FIRST_NAMES = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Emma", "Louise", "Jade"]
FIRST_NAMES += ["Thomas", "Lucas", "Hugo", "Nicolas", "Julien", "Maxime", "Antoine", "Kévin"]
FIRST_NAMES += ["Amélie", "Élodie", "Hélène", "Noémie", "Zoé", "Jérôme", "Stéphane", "Gaël"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]
LAST_NAMES += ["Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Roux"]
LAST_NAMES += ["Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau"]
LAST_NAMES += ["Vincent", "Müller", "Lefebvre", "Faure", "André", "Mercier", "Blanc", "Guérin"]
STAFF_PROFILES = ["medecin", "secretaire-medicale", "assistant-social", "cadre-de-sante"]
STAFF_PROFILES += ["gestionnaire-de-lits", "infirmier"]
# Units per establishment by kind: (mean, spread).
UNITS_BY_KIND = {"CENTRE HOSPITALIER": (24, 10), "CLINIQUE": (8, 4), "EHPAD": (1.5, 1.0)}

TABLES = [
    "structures_legalentity",
    "structures_establishment",
    "structures_unit",
    "accounts_user",
    "accounts_charter",
    "accounts_charteracceptance",
    "accounts_habilitation",
]


class Timer:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.last = self.start

    def step(self, label: str) -> None:
        now = time.perf_counter()
        print(f"  {label:<52} {now - self.last:7.1f} s")
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.start


def iso(day: datetime.date) -> str:
    return day.isoformat()


class World:
    """The generated rows, as lists of tuples in COPY column order."""

    def __init__(self, scale: float) -> None:
        self.rng = random.Random(SEED)
        self.scale = scale
        self.legal_entities: list[tuple] = []
        self.establishments: list[tuple] = []
        self.units: list[tuple] = []
        self.users: list[tuple] = []
        self.habilitations: list[tuple] = []
        # Working data.
        self.est_departement: list[str] = []  # index = establishment id - 1
        self.est_units: list[list[int]] = []  # unit ids of each establishment
        self.unit_establishment: dict[int, int] = {}
        self.inheriting_units: list[int] = []
        self.unserved: set[int] = set()
        self.profiles = dict(Profile.objects.values_list("code", "pk"))
        self.unusable_password = "!" + "x" * 40
        self.bench_password = make_password(PASSWORD)
        self.chu = 0

    # --- Structures

    def make_structures(self, count: int) -> None:
        rng = self.rng
        departements = dict(Departement.objects.values_list("code", "pk"))
        codes = sorted(departements)
        weights = [
            0.4 if code in OVERSEAS_PREFIX else BIG_DEPARTEMENTS.get(code, 1.0) for code in codes
        ]
        chosen = rng.choices(codes, weights, k=count)
        chosen.sort()
        serials = dict.fromkeys(codes, 0)
        cities = {code: self._cities(code) for code in codes}
        legal_entity_id = 0
        for index, code in enumerate(chosen):
            est_id = index + 1
            serials[code] += 1
            finess = self._finess(code, serials[code])
            if index % 2 == 0 or legal_entity_id == 0:
                serials[code] += 1
                legal_entity_id += 1
                name = f"ASSOCIATION {rng.choice(NAME_WORDS)} {legal_entity_id}"
                self.legal_entities.append(
                    (legal_entity_id, self._finess(code, serials[code]), name[:255], "", "", True)
                )
            kind, category, aggregate = rng.choice(KINDS)
            if est_id == 1:
                kind, category, aggregate = "CENTRE HOSPITALIER", "101", "1101"
                name, city, postcode = "CHU BENCH", "TOULOUSE", "31059"
                self.chu = est_id
            else:
                city, postcode = rng.choice(cities[code])
                name = f"{kind} {rng.choice(NAME_WORDS)}"
                if rng.random() < 0.3:
                    name = f"{name} {city}"
            long_name = f"{name} DE {city}" if rng.random() < 0.5 else ""
            active = rng.random() > 0.02
            self.establishments.append(
                (
                    est_id,
                    finess,
                    name[:255],
                    long_name[:255],
                    f"{rng.randint(1, 300)} RUE {rng.choice(NAME_WORDS)}",
                    postcode,
                    city,
                    f"0{rng.randint(100000000, 999999999)}",
                    category,
                    CATEGORIES.get(category, ("", ""))[0],
                    sector_for(category, aggregate),
                    active,
                    fold(f"{name} {long_name} {city} {postcode} {finess}"),
                    departements[code],
                    legal_entity_id,
                    None if active else iso(TODAY - datetime.timedelta(days=400)),
                )
            )
            self.est_departement.append(code)
            self.est_units.append([])
            if not active:
                continue
            mean, spread = UNITS_BY_KIND.get(kind, (0.8, 1.2))
            if est_id == self.chu:
                mean, spread = 1000, 0
            units = max(0, round(rng.gauss(mean, spread)))
            names = HOSPITAL_UNITS if kind in ("CENTRE HOSPITALIER", "CLINIQUE") else OTHER_UNITS
            for number in range(units):
                unit_id = len(self.units) + 1
                base = names[number % len(names)]
                unit_name = base if number < len(names) else f"{base} {number // len(names) + 1}"
                self.units.append((unit_id, unit_name, "", "", "", True, NOW, NOW, est_id))
                self.est_units[-1].append(unit_id)
                self.unit_establishment[unit_id] = est_id

    def _finess(self, code: str, serial: int) -> str:
        if code in OVERSEAS_PREFIX:
            return with_check_digit(f"{OVERSEAS_PREFIX[code]}{serial:04d}")
        return with_check_digit(f"{code}{serial:06d}")

    def _cities(self, code: str) -> list[tuple[str, str]]:
        rng = self.rng
        prefix = OVERSEAS_POSTCODE.get(code) or ("20" if code in {"2A", "2B"} else code)
        width = 5 - len(prefix)
        found = [(city, f"{prefix}{rng.randint(0, 10**width - 1):0{width}d}") for city in CITIES]
        for _ in range(60):
            city = f"{rng.choice(CITY_START)}{rng.choice(CITY_END)}".replace("- ", "-")
            found.append((city, f"{prefix}{rng.randint(0, 10**width - 1):0{width}d}"))
        return found

    # --- People and rights

    def person(self, email: str | None = None, password: str | None = None, **flags) -> int:
        rng = self.rng
        user_id = len(self.users) + 1
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        address = email or f"{fold(first)}.{fold(last)}.{user_id}@ght-bench.fr"
        self.users.append(
            (
                user_id,
                password or self.unusable_password,
                flags.get("superuser", False),
                address.replace(" ", "-"),
                last,
                first,
                flags.get("staff", False),
                NOW,
            )
        )
        return user_id

    def grant(
        self,
        user_id: int,
        profile: str,
        est_id: int,
        unit_id: int | None = None,
        state: str = "active",
    ) -> None:
        rng = self.rng
        ended_at = None
        end_reason = ""
        if state == "active":
            start = TODAY - datetime.timedelta(days=rng.randint(0, 330))
            end = start + datetime.timedelta(days=365)
        elif state == "future":
            start = TODAY + datetime.timedelta(days=rng.randint(1, 60))
            end = start + datetime.timedelta(days=365)
        elif state == "expired":
            start = TODAY - datetime.timedelta(days=rng.randint(400, 2000))
            end = start + datetime.timedelta(days=365)
        else:  # ended early
            start = TODAY - datetime.timedelta(days=rng.randint(30, 1500))
            end = start + datetime.timedelta(days=365)
            stop = start + datetime.timedelta(days=rng.randint(1, 25))
            ended_at = f"{iso(min(stop, TODAY))} 10:00:00+00"
            end_reason = "départ"
        self.habilitations.append(
            (
                len(self.habilitations) + 1,
                iso(start),
                iso(end),
                NOW,
                ended_at,
                end_reason,
                True,
                est_id,
                unit_id,
                user_id,
                self.profiles[profile],
            )
        )

    def make_people(self, people: int, habilitations: int) -> None:
        rng = self.rng
        active_est = [i + 1 for i, units in enumerate(self.est_units) if self._is_open(i + 1)]
        # 1% of open establishments have no référent (and a third of those no director).
        self.unserved = set(rng.sample(active_est[1:], k=max(1, len(active_est) // 100)))
        for est_id in active_est:
            if est_id not in self.unserved:
                for _ in range(rng.choice((1, 1, 2, 2, 3))):
                    self.grant(self.person(), "referent", est_id)
                if rng.random() < 0.3:
                    self.grant(self.person(), "referent", est_id, state="expired")
            elif rng.random() < 0.5:
                self.grant(self.person(), "referent", est_id, state="ended")
            if est_id not in self.unserved or rng.random() < 0.66:
                self.grant(self.person(), "directeur", est_id)
            for unit_id in self.est_units[est_id - 1]:
                if rng.random() < 0.9:
                    self.grant(self.person(), "referent", est_id, unit_id)
                else:
                    self.inheriting_units.append(unit_id)
        self._bench_accounts()

        # The large teaching hospital: 50,000 habilitations in all (its référents included).
        chu_units = self.est_units[self.chu - 1]
        chu_rights = sum(1 for h in self.habilitations if h[7] == self.chu)
        for _ in range(max(0, round(50_000 * min(1.0, self.scale * 10)) - chu_rights)):
            state = rng.choices(["active", "expired", "ended", "future"], [70, 15, 12, 3])[0]
            unit = rng.choice(chu_units) if chu_units and rng.random() < 0.8 else None
            self.grant(self.person(), rng.choice(STAFF_PROFILES), self.chu, unit, state)

        # Everybody else: staff in 1 to 3 establishments, nearby, with some history.
        sizes = [len(self.est_units[i - 1]) + 2 for i in active_est]
        remaining_people = max(0, people - len(self.users))
        remaining_rights = max(0, habilitations - len(self.habilitations))
        # 1.25 establishments per person on average, each with its history of older rights.
        history = max(0.0, remaining_rights / max(1, remaining_people) / 1.25 - 1)
        homes = rng.choices(active_est, sizes, k=remaining_people)
        for est_id in homes:
            user_id = self.person()
            places = [est_id]
            extra = rng.choices((0, 1, 2), (80, 15, 5))[0]
            places.extend(rng.choice(active_est) for _ in range(extra))
            for place in places:
                units = self.est_units[place - 1]
                unit = rng.choice(units) if units and rng.random() < 0.7 else None
                profile = rng.choice(STAFF_PROFILES)
                state = rng.choices(["active", "future"], [97, 3])[0]
                self.grant(user_id, profile, place, unit, state)
                while rng.random() < history / (1 + history):
                    self.grant(user_id, profile, place, unit, rng.choice(["expired", "ended"]))

    def _is_open(self, est_id: int) -> bool:
        return self.establishments[est_id - 1][11]

    def _bench_accounts(self) -> None:
        rng = self.rng
        password = self.bench_password
        agent = self.person("bench-agent@bench.test", password)
        own_unit = next(u for u in self.est_units[self.chu - 1] if u not in self.inheriting_units)
        inheriting = next(
            u
            for u in self.inheriting_units
            if self.unit_establishment[u] not in self.unserved
            and self.unit_establishment[u] != self.chu
        )
        other = rng.choice(
            [
                i
                for i in range(2, len(self.est_units))
                if self._is_open(i) and i not in self.unserved
            ]
        )
        self.grant(agent, "infirmier", self.unit_establishment[own_unit], own_unit)
        self.grant(agent, "infirmier", self.unit_establishment[inheriting], inheriting)
        self.grant(agent, "medecin", other)
        self.grant(self.person("bench-referent@bench.test", password), "referent", self.chu)
        self.grant(self.person("bench-director@bench.test", password), "directeur", self.chu)
        self.person("bench-admin@bench.test", password, superuser=True, staff=True)
        self.bench_inheriting_unit = inheriting


def drop_secondary(cursor) -> list[str]:
    """Drop the secondary indexes and constraints of TABLES; return the statements to rebuild."""
    tables = ", ".join(f"'{t}'::regclass" for t in TABLES)
    constraints = cursor.execute(
        f"SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), contype "  # noqa: S608
        f"FROM pg_constraint WHERE conrelid IN ({tables}) AND contype IN ('f', 'u', 'c') "
        "ORDER BY contype = 'f' DESC"
    ).fetchall()
    indexes = cursor.execute(
        f"SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "  # noqa: S608
        f"WHERE indrelid IN ({tables}) AND NOT indisprimary AND indexrelid NOT IN "
        "(SELECT conindid FROM pg_constraint WHERE contype IN ('u', 'p'))"
    ).fetchall()
    for table, name, _definition, _kind in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    rebuild = [definition for _name, definition in indexes]
    # Unique and check constraints first, foreign keys last (they need the unique ones).
    for table, name, definition, _kind in reversed(constraints):
        rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return rebuild


def national_id(user_id: int) -> str:
    """Four people in five are health professionals with an RPPS number (11 digits, unique)."""
    return f"1{user_id:010d}" if user_id % 5 else ""


def copy_rows(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def write(world: World, timer: Timer) -> None:
    raw = connection.connection
    with raw.cursor() as cursor:
        cursor.execute(
            "TRUNCATE reviews_reviewdecision, reviews_reviewcampaign, accounts_auditevent, "
            f"{', '.join(TABLES)} RESTART IDENTITY CASCADE"
        )
        rebuild = drop_secondary(cursor)
        raw.commit()
        timer.step("emptied tables, dropped secondary indexes")
        copy_rows(
            cursor,
            "structures_legalentity",
            "id, finess, name, long_name, siren, is_active",
            world.legal_entities,
        )
        copy_rows(
            cursor,
            "structures_establishment",
            "id, finess, name, long_name, address, postcode, city, finess_phone, category_code, "
            "category_label, sector, is_active, search_text, departement_id, legal_entity_id, "
            "closed_on, address_extra, siret, phone, email, website, description, access_info",
            [(*row, "", "", "", "", "", "", "") for row in world.establishments],
        )
        copy_rows(
            cursor,
            "structures_unit",
            "id, name, code, phone, email, is_active, created_at, updated_at, establishment_id",
            world.units,
        )
        timer.step(f"COPY {len(world.establishments):,} establishments, {len(world.units):,} units")
        copy_rows(
            cursor,
            "accounts_user",
            "id, password, is_superuser, email, last_name, first_name, is_staff, date_joined, "
            "phone, job_title, is_active, blocked_reason, failed_login_count, session_version, "
            "search_name, receives_digest, national_id, language",
            [
                (
                    *row,
                    *("", "", True, "", 0, 0),
                    fold(f"{row[4]} {row[5]} {row[3]} {national_id(row[0])}"),
                    True,
                    national_id(row[0]),
                    "",
                )
                for row in world.users
            ],
        )
        cursor.execute(
            "INSERT INTO accounts_charter (id, version, title, body, published_at) VALUES "
            "(1, 1, 'Charte d''utilisation', 'Texte de la charte.', '2026-01-01 00:00:00+00')"
        )
        copy_rows(
            cursor,
            "accounts_charteracceptance",
            "id, accepted_at, charter_id, user_id",
            [(user[0], NOW, 1, user[0]) for user in world.users],
        )
        timer.step(f"COPY {len(world.users):,} people and their charter acceptances")
        copy_rows(
            cursor,
            "accounts_habilitation",
            "id, start_date, end_date, created_at, ended_at, end_reason, email_reminders, "
            "establishment_id, unit_id, user_id, profile_id",
            world.habilitations,
        )
        raw.commit()
        timer.step(f"COPY {len(world.habilitations):,} habilitations")
        for statement in rebuild:
            cursor.execute(statement)
        for table in TABLES:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        raw.commit()
        timer.step(f"rebuilt {len(rebuild)} indexes and constraints")
        raw.autocommit = True
        cursor.execute("VACUUM ANALYZE")
        raw.autocommit = False
        timer.step("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = France (default)")
    arguments = parser.parse_args()
    scale = arguments.scale
    ensure_database()
    timer = Timer()
    world = World(scale)
    world.make_structures(round(100_000 * scale))
    world.make_people(round(1_000_000 * scale), round(2_000_000 * scale))
    timer.step("generated the rows in memory")
    connection.ensure_connection()
    write(world, timer)
    states = {"active": 0, "expired": 0, "ended": 0, "future": 0}
    for row in world.habilitations:
        if row[4] is not None:
            states["ended"] += 1
        elif row[1] > iso(TODAY):
            states["future"] += 1
        elif row[2] < iso(TODAY):
            states["expired"] += 1
        else:
            states["active"] += 1
    print(
        f"Loaded in {timer.total():.0f} s: {len(world.establishments):,} establishments "
        f"({len(world.unserved):,} open ones without a référent), {len(world.units):,} units "
        f"({len(world.inheriting_units):,} without a référent of their own), "
        f"{len(world.users):,} people, {len(world.habilitations):,} habilitations "
        + ", ".join(f"{count:,} {state}" for state, count in states.items())
    )
    print(f"Benchmark accounts (password {PASSWORD}): bench-agent@, bench-referent@, ")
    print(f"  bench-director@, bench-admin@bench.test; CHU BENCH is establishment {world.chu},")
    print(f"  unit {world.bench_inheriting_unit} inherits its establishment's référents.")


if __name__ == "__main__":
    main()
