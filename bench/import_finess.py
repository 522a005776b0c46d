"""Benchmark of the FINESS import on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/viareferents_bench \\
        .venv/bin/python bench/import_finess.py [--rows 100000]

DATABASE_URL must point at a *scratch* PostgreSQL database (its name must contain "bench"): the
script creates and migrates it if missing, then empties its establishments, legal entities and
everything that refers to them. It generates a realistic legacy CSV extract (cs1100507 layout,
with geolocalisation lines) in bench/out/, then times, through the real service:

1. the first import into empty tables,
2. a second import of the same file (idempotent: everything unchanged),
3. an import of the same file with every establishment's datemaj changed (the update path),

and compares them with a raw ``COPY`` of the file's structureet lines into a scratch table.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "viareferents.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from structures import finess_import as services  # noqa: E402
from structures.categories import CATEGORIES  # noqa: E402
from structures.finess import with_check_digit  # noqa: E402
from structures.finess_import import finess_import  # noqa: E402
from structures.geography import DEPARTEMENTS  # noqa: E402
from structures.models import Establishment, LegalEntity  # noqa: E402

OUT = ROOT / "bench" / "out"

# FINESS prefixes of the overseas départements (the number does not start with the code).
OVERSEAS_PREFIX = {
    "9A": "9701",
    "9B": "9702",
    "9C": "9703",
    "9D": "9704",
    "9E": "9750",
    "9F": "9760",
    "9J": "9860",
}
OVERSEAS_POSTCODE = {
    "9A": "971",
    "9B": "972",
    "9C": "973",
    "9D": "974",
    "9E": "975",
    "9F": "976",
    "9J": "986",
}
UTM_ZONE = {"9A": "20", "9B": "20", "9C": "22", "9D": "40", "9E": "21", "9F": "38", "9J": "01"}
KINDS = [
    ("EHPAD", "500", "4401"),
    ("CENTRE HOSPITALIER", "355", "1102"),
    ("CLINIQUE", "365", "1109"),
    ("IME", "183", "4101"),
    ("SESSAD", "182", "4106"),
    ("SSIAD", "354", "4403"),
    ("MAS", "255", "4301"),
    ("FAM", "437", "4301"),
    ("ESAT", "246", "4302"),
    ("CMPP", "189", "4106"),
    ("CENTRE DE SANTÉ", "425", "2206"),
    ("RÉSIDENCE AUTONOMIE", "202", "4401"),
    ("FOYER DE VIE", "382", "4301"),
    ("CENTRE DE DIALYSE", "698", "1206"),
]
NAMES = [
    "LES ÉRABLES",
    "SAINTE-THÉRÈSE",
    "LA CHÂTAIGNERAIE",
    "NOTRE-DAME DE L'ESPÉRANCE",
    "DU LAC",
    "L'ÉTOILE DU BERGER",
    "LES TILLEULS",
    "SAINT-JOSEPH",
    "LE CLOS FLEURI",
    "JEAN JAURÈS",
    "LES GENÊTS D'OR",
    "MARIE CURIE",
    "LA FORÊT",
    "CÔTE D'ÉMERAUDE",
    "LES ŒILLETS",
]
CITIES = [
    "SAINT-ÉTIENNE",
    "BÉZIERS",
    "FONTAINE",
    "CHÂTEAUNEUF",
    "L'ISLE-SUR-LA-SORGUE",
    "VILLENEUVE",
    "MONTAGNE",
    "ÉVRY",
    "LA ROCHE",
    "BELLEVUE",
]
STREETS = [("R", "DE LA RÉPUBLIQUE"), ("AV", "JEAN MOULIN"), ("BD", "DES ÉTATS-UNIS")]
STREETS += [("CHE", "DES VIGNES"), ("PL", "DE L'ÉGLISE"), ("RTE", "DE LYON"), ("IMP", "DES LILAS")]


def _day(rng: random.Random, start: int, end: int) -> str:
    first = datetime.date(start, 1, 1).toordinal()
    last = datetime.date(end, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(first, last)).isoformat()


def generate(path: Path, rows: int, *, seed: int = 2026, datemaj: str | None = None) -> None:
    """A cs1100507-like file: `rows` establishments, about 2 per legal entity, all départements."""
    rng = random.Random(seed)
    codes = list(DEPARTEMENTS)
    serials = dict.fromkeys(codes, 0)
    geolocalisations = []
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=";", lineterminator="\n")
        file.write("finess;etalab;111;2026-11-26\n")
        legal_entity = ""
        for index in range(rows):
            code = codes[index % len(codes)]
            serials[code] += 1
            serial = serials[code]
            if code in OVERSEAS_PREFIX:
                finess = with_check_digit(f"{OVERSEAS_PREFIX[code]}{serial:04d}")
                postcode = f"{OVERSEAS_POSTCODE[code]}{rng.randint(0, 99):02d}"
            else:
                finess = with_check_digit(f"{code}{serial * 2:06d}")
                prefix = "20" if code in {"2A", "2B"} else code
                postcode = f"{prefix}{rng.randint(0, 999):03d}"
            if index % 2 == 0:
                # The legal entity's number: the next serial of the same département.
                serials[code] += 1
                if code in OVERSEAS_PREFIX:
                    legal_entity = with_check_digit(f"{OVERSEAS_PREFIX[code]}{serials[code]:04d}")
                else:
                    legal_entity = with_check_digit(f"{code}{serials[code] * 2:06d}")
            kind, category, aggregate = rng.choice(KINDS)
            name = f"{kind} {rng.choice(NAMES)}"
            city = rng.choice(CITIES)
            if index % 50 == 0:
                name = f'{name} "ANNEXE"'  # quoted, with "" inside
            if index % 97 == 0:
                name = f"{name}; SITE {index % 7}"  # a ; inside a quoted field
            street_type, street = rng.choice(STREETS)
            cedex = " CEDEX" if index % 40 == 0 else ""
            writer.writerow(
                [
                    "structureet",
                    finess,
                    legal_entity,
                    name[:60],
                    f"{name} DE {city}",
                    "BÂTIMENT B" if index % 9 == 0 else "",
                    "",
                    str(rng.randint(1, 300)),
                    street_type,
                    street,
                    "B" if index % 23 == 0 else "",
                    "BP 12" if index % 31 == 0 else "",
                    f"{rng.randint(1, 700):03d}",
                    code,
                    DEPARTEMENTS[code][0].upper(),
                    f"{postcode} {city}{cedex}",
                    f"0{rng.randint(100000000, 999999999)}",
                    "",
                    category,
                    CATEGORIES.get(category, ("", ""))[0],
                    aggregate,
                    "",
                    f"{rng.randint(10**13, 10**14 - 1)}",
                    "8710A",
                    "03",
                    "ARS",
                    "1",
                    "Etablissement public de santé",
                    _day(rng, 1970, 2020),
                    _day(rng, 1970, 2020),
                    datemaj or _day(rng, 2021, 2026),
                    "",
                ]
            )
            if code in OVERSEAS_PREFIX:
                source = f"1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N{UTM_ZONE[code]}"
                x, y = rng.uniform(400000, 700000), rng.uniform(1500000, 1800000)
            else:
                source = "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,LAMBERT_93"
                x, y = rng.uniform(200000, 1000000), rng.uniform(6250000, 7050000)
            geolocalisations.append(
                ["geolocalisation", finess, f"{x:.1f}", f"{y:.1f}", source, "2026-01-01"]
            )
        writer.writerows(geolocalisations)


def ensure_database() -> None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("DATABASE_URL must point at a PostgreSQL scratch database (see the docstring).")
    if "bench" not in database["NAME"]:
        sys.exit(
            f"Refusing to empty {database['NAME']!r}: use a scratch database whose name "
            "contains 'bench', e.g. postgres://postgres@127.0.0.1:5432/viareferents_bench"
        )
    params = {
        "host": database["HOST"] or None,
        "port": database["PORT"] or None,
        "user": database["USER"] or None,
        "password": database["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        found = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database["NAME"]]
        ).fetchone()
        if not found:
            print(f"Creating database {database['NAME']}")
            admin.execute(f'CREATE DATABASE "{database["NAME"]}"')
    call_command("migrate", verbosity=0)


def empty_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE structures_establishment, structures_legalentity RESTART IDENTITY CASCADE"
        )
        cursor.execute("VACUUM ANALYZE")


def raw_copy(path: Path) -> float:
    """Seconds to COPY the structureet lines into an unindexed scratch table."""
    columns = ", ".join(f"c{i} text" for i in range(32))
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_finess_copy")
        cursor.execute(f"CREATE UNLOGGED TABLE bench_finess_copy ({columns})")
        start = time.perf_counter()
        raw = cursor.connection.cursor()
        with (
            raw.copy("COPY bench_finess_copy FROM STDIN (FORMAT csv, DELIMITER ';')") as copy,
            path.open("rb") as file,
        ):
            for line in file:
                if line.startswith(b"structureet;"):
                    copy.write(line)
        elapsed = time.perf_counter() - start
        cursor.execute("DROP TABLE bench_finess_copy")
    return elapsed


def timed_import(label: str, path: Path, rows: int) -> float:
    start = time.perf_counter()
    result = finess_import(path=path)
    elapsed = time.perf_counter() - start
    counts = result.establishments
    print(
        f"{label:<28} {elapsed:7.2f} s  {rows / elapsed:9,.0f} rows/s  "
        f"created {counts.created}, updated {counts.updated}, unchanged {counts.unchanged}, "
        f"rejected {len(result.rejections)}"
    )
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--generic-writer",
        action="store_true",
        help="write with bulk_create/executemany instead of COPY, for comparison",
    )
    arguments = parser.parse_args()
    rows = arguments.rows
    if arguments.generic_writer:
        services._writer = services._RowWriter
        print("Writer: generic (bulk_create + executemany)")

    ensure_database()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"etalab-cs1100507-bench-{rows}.csv"
    changed = OUT / f"etalab-cs1100507-bench-{rows}-changed.csv"
    start = time.perf_counter()
    generate(path, rows)
    generate(changed, rows, datemaj="2026-11-26")
    print(f"Generated 2 files of {rows:,} establishments in {time.perf_counter() - start:.1f} s")

    empty_tables()
    copy_seconds = raw_copy(path)
    print(
        f"{'raw COPY of structureet':<28} {copy_seconds:7.2f} s  {rows / copy_seconds:9,.0f} rows/s"
    )
    first = timed_import("import into empty tables", path, rows)
    second = timed_import("same file again (no-op)", path, rows)
    third = timed_import("every row changed", changed, rows)
    print(
        f"Ratio to raw COPY: first {first / copy_seconds:.1f}x, second "
        f"{second / copy_seconds:.1f}x, update {third / copy_seconds:.1f}x"
    )
    print(
        f"Rows now: {Establishment.objects.count():,} establishments, "
        f"{LegalEntity.objects.count():,} legal entities"
    )


if __name__ == "__main__":
    main()
