"""Benchmark of the staff file import (Comptes utilisateurs > Import a file) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_import_bench \\
        .venv/bin/python bench/import_staff.py [--rows 5000] [--background 20000]

DATABASE_URL must point at a *scratch* PostgreSQL database (its name must contain "bench"): the
script creates and migrates it if missing, then empties its people, rights, audit trail and
structures. It builds a teaching hospital (300 units, 3,000 people with a right each, a
référent of the whole establishment) among ``--background`` other people, and a staff file of
``--rows`` rows in French Excel's CSV (UTF-8 with BOM, ";") and in xlsx: about half new people
(some with two rows), a third new rights for people who have an account, a tenth rights
already there, and errors (bad e-mail, unknown unit, end before start). Then, as the référent,
through Django's test client and the real views:

1. reading the file alone (CSV and xlsx);
2. the preview: the upload (read, classify, keep) and the preview page, for each format;
3. the apply: one ``account_create`` per valid row in one transaction, then the e-mails after
   the commit (locmem backend: the time to build them, not a mail relay's).

Each step prints its time and its SQL queries; the preview is also run on a file of a tenth of
the rows, to show its queries do not grow with the rows.
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
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "viareferents.settings")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core import mail as django_mail  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts import services  # noqa: E402
from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User  # noqa: E402
from administration.imports import batches, files  # noqa: E402
from administration.imports import rows as rowlib  # noqa: E402
from core import csv as core_csv  # noqa: E402
from structures.finess import with_check_digit  # noqa: E402
from structures.models import Departement, Establishment, Sector, Unit  # noqa: E402

OUT = ROOT / "bench" / "out"
REFERENT = "bench-import-referent@bench.test"
UNITS = 300
EXISTING = 3000


def ensure_database() -> None:
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("DATABASE_URL must point at a PostgreSQL scratch database (see the docstring).")
    if "bench" not in database["NAME"]:
        sys.exit(
            f"Refusing to empty {database['NAME']!r}: use a scratch database whose name "
            "contains 'bench', e.g. postgres://postgres@127.0.0.1:5432/vr_import_bench"
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
            "TRUNCATE accounts_user, accounts_habilitation, accounts_auditevent, "
            "structures_unit, structures_establishment, structures_legalentity "
            "RESTART IDENTITY CASCADE"
        )


def _user(email: str, last: str, first: str) -> User:
    user = User(email=email, last_name=last, first_name=first)
    user.set_unusable_password()
    user.search_name = user.build_search_name()
    return user


def build_world(background: int, rng: random.Random) -> dict:
    """The hospital, its référent and its 3,000 people, among ``background`` others."""
    empty_tables()
    hospital = Establishment.objects.create(
        finess=with_check_digit("31900001"),
        name="CHU DE BENCHVILLE",
        departement=Departement.objects.get(code="31"),
        city="TOULOUSE",
        postcode="31000",
        sector=Sector.SANITAIRE,
    )
    Unit.objects.bulk_create(
        [
            Unit(establishment=hospital, name=f"Unité {index:03d}", code=f"U{index:03d}")
            for index in range(UNITS)
        ]
    )
    units = list(Unit.objects.filter(establishment=hospital).order_by("pk"))
    referent = User.objects.create_user(email=REFERENT, last_name="Référent", first_name="Bench")
    profiles = {profile.code: profile for profile in Profile.objects.all()}
    today = timezone.localdate()
    Habilitation.objects.create(
        user=referent,
        profile=profiles[Profile.REFERENT],
        establishment=hospital,
        start_date=today - datetime.timedelta(days=30),
        end_date=today + datetime.timedelta(days=300),
    )
    charter, _created = Charter.objects.get_or_create(
        version=1, defaults={"title": "Charte", "body": "…"}
    )
    CharterAcceptance.objects.create(user=referent, charter=charter)
    User.objects.bulk_create(
        [
            _user(f"other{index}@elsewhere.test", f"Autre{index}", "Personne")
            for index in range(background)
        ],
        batch_size=5000,
    )
    User.objects.bulk_create(
        [
            _user(f"staff{index}@chu-bench.test", f"Agent{index}", "Existant")
            for index in range(EXISTING)
        ],
        batch_size=5000,
    )
    existing = list(User.objects.filter(email__endswith="@chu-bench.test").order_by("pk"))
    nurse = profiles["infirmier"]
    rights = [
        Habilitation(
            user=user,
            profile=nurse,
            establishment=hospital,
            unit=units[index % UNITS],
            start_date=today - datetime.timedelta(days=60),
            end_date=today + datetime.timedelta(days=200),
            granted_by=referent,
        )
        for index, user in enumerate(existing)
    ]
    Habilitation.objects.bulk_create(rights, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"hospital": hospital, "units": units, "existing": existing, "rng": rng}


def file_rows(world: dict, count: int) -> list[list[object]]:
    """``count`` rows: new people, new rights of existing people, rights already there,
    errors; shuffled."""
    rng: random.Random = world["rng"]
    hospital, units, existing = world["hospital"], world["units"], world["existing"]
    grantable = ["Médecin", "Secrétaire médicale", "Cadre de santé / coordinateur de soins"]
    rows: list[list[object]] = []
    n_new = count * 50 // 100
    n_add = count * 33 // 100
    n_same = count * 10 // 100
    n_error = count - n_new - n_add - n_same
    start = timezone.localdate().strftime("%d/%m/%Y")
    end = (timezone.localdate() + datetime.timedelta(days=180)).strftime("%d/%m/%Y")
    for index in range(n_new):
        person = index if index % 10 else index - 1  # every tenth: a second row, same person
        unit = units[(index * 7) % UNITS]
        rows.append(
            [
                f"Nouveau{person}",
                "Interne",
                f"new{person}@chu-bench.test",
                "+33 6 12 34 56 78",
                "Interne",
                grantable[index % len(grantable)] if index % 10 else "Infirmier(e)",
                hospital.finess,
                unit.name,
                start,
                end,
            ]
        )
    for index in range(n_add):
        user = existing[index % len(existing)]
        rows.append(
            [
                user.last_name,
                user.first_name,
                user.email,
                "",
                "",
                grantable[index % len(grantable)],
                hospital.finess,
                units[(index * 13 + 5) % UNITS].code,
                "",
                "",
            ]
        )
    for index in range(n_same):
        number = (len(existing) - 1 - index) % len(existing)
        user = existing[number]
        rows.append(
            [
                user.last_name,
                user.first_name,
                user.email,
                "",
                "",
                "Infirmier(e)",
                hospital.finess,
                units[number % UNITS].name,
                "",
                "",
            ]
        )
    for index in range(n_error):
        kind = index % 3
        rows.append(
            [
                f"Erreur{index}",
                "Ligne",
                f"erreur{index}.chu-bench.test" if kind == 0 else f"err{index}@chu-bench.test",
                "",
                "",
                "Médecin",
                hospital.finess,
                "Unité inconnue" if kind == 1 else units[index % UNITS].name,
                "31/12/2026" if kind == 2 else "",
                "01/01/2026" if kind == 2 else "",
            ]
        )
    rng.shuffle(rows)
    return rows


def csv_bytes(rows: list[list[object]]) -> bytes:
    lines = core_csv.csv_lines(rowlib.header("fr"), rows)
    return "".join(lines).encode("utf-8")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    return files.xlsx_bytes([("Personnes", rowlib.header("fr"), rows)])


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(message)


def timed(label: str, work, *, queries: bool = True):
    """Run ``work``, print its time, its SQL queries and their time (sent to PostgreSQL until
    the answer is read); return (result, seconds, queries)."""
    count, in_sql = [0], [0.0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            in_sql[0] += time.perf_counter() - start

    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - start
    shown = f", {count[0]:>6} queries ({in_sql[0]:.2f} s)" if queries else ""
    print(f"  {label:<46} {elapsed:7.2f} s{shown}")
    return result, elapsed, count[0]


def preview(client: Client, data: bytes, name: str) -> tuple[float, int]:
    upload = SimpleUploadedFile(name, data)
    response, upload_s, upload_q = timed(
        f"upload {name} (read, classify, keep)",
        lambda: client.post("/administration/comptes/import/", {"file": upload}),
    )
    check(response.status_code == 302, f"the upload was refused: {response.content[:2000]!r}")
    response, page_s, page_q = timed(
        "preview page", lambda: client.get("/administration/comptes/import/apercu/")
    )
    check(response.status_code == 200, "the preview page failed")
    return upload_s + page_s, upload_q + page_q


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--background", type=int, default=20000)
    arguments = parser.parse_args()
    ensure_database()
    setup_test_environment()  # locmem e-mail backend, "testserver" allowed
    settings.IMPORT_MAX_ROWS = max(settings.IMPORT_MAX_ROWS, arguments.rows)
    rng = random.Random(2026)
    print(f"Building the world ({arguments.background} other people)…")
    world = build_world(arguments.background, rng)
    rows = file_rows(world, arguments.rows)
    OUT.mkdir(exist_ok=True)
    data_csv, data_xlsx = csv_bytes(rows), xlsx_bytes(rows)
    (OUT / "staff-import.csv").write_bytes(data_csv)
    (OUT / "staff-import.xlsx").write_bytes(data_xlsx)
    print(
        f"File: {len(rows)} rows, CSV {len(data_csv) / 1e6:.2f} MB, "
        f"xlsx {len(data_xlsx) / 1e6:.2f} MB"
    )

    client = Client()
    client.force_login(User.objects.get(email=REFERENT))
    limits = {"max_bytes": 10**9, "max_rows": arguments.rows}
    print("Reading the file alone")
    timed("CSV", lambda: files.read_table(data_csv, "f.csv", **limits), queries=False)
    timed("xlsx", lambda: files.read_table(data_xlsx, "f.xlsx", **limits), queries=False)

    small = rows[: max(1, len(rows) // 10)]
    print(f"Preview of {len(small)} rows (CSV), for the query count")
    _s, small_queries = preview(client, csv_bytes(small), "small.csv")
    print(f"Preview of {len(rows)} rows")
    xlsx_s, _q = preview(client, data_xlsx, "staff.xlsx")
    csv_s, big_queries = preview(client, data_csv, "staff.csv")
    referent = User.objects.get(email=REFERENT)
    previewed = batches.current_batch(referent)
    check(previewed is not None, "no file previewed")
    assert previewed is not None  # noqa: S101 - for the type checker
    counts = rowlib.counts(batches.batch_rows(previewed))
    print(f"  classified: {counts}")
    print(
        f"  preview total: CSV {csv_s:.2f} s, xlsx {xlsx_s:.2f} s; queries {small_queries} for "
        f"{len(small)} rows, {big_queries} for {len(rows)} rows"
    )

    email_time = [0.0]
    send = services.mail.send

    def timed_send(*args, **kwargs) -> None:
        start = time.perf_counter()
        send(*args, **kwargs)
        email_time[0] += time.perf_counter() - start

    services.mail.send = timed_send  # type: ignore[assignment]
    django_mail.outbox = []
    print("Apply")
    response, apply_s, apply_q = timed(
        "apply (services, commit, e-mails)",
        lambda: client.post("/administration/comptes/import/appliquer/"),
    )
    check(response.status_code == 302, "the apply failed")
    services.mail.send = send  # type: ignore[assignment]
    batch = batches.current_batch(referent)
    check(batch is not None and batch.status == batch.Status.APPLIED, "the apply was refused")
    assert batch is not None  # noqa: S101 - for the type checker
    outcomes: dict[str, int] = {}
    for row in batches.batch_rows(batch):
        outcomes[row.outcome] = outcomes.get(row.outcome, 0) + 1
    applied = outcomes.get("created", 0) + outcomes.get("added", 0)
    print(f"  outcomes: {outcomes}; e-mails sent: {len(django_mail.outbox)}")
    print(
        f"  apply total {apply_s:.2f} s, of which e-mails {email_time[0]:.2f} s; "
        f"{apply_q} queries, {apply_q / max(1, applied):.1f} per applied row"
    )
    report = client.get("/administration/comptes/import/rapport.csv")
    timed("report CSV", lambda: b"".join(report.streaming_content), queries=False)


if __name__ == "__main__":
    main()
