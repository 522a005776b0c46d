"""Benchmark of the bulk actions (Comptes utilisateurs: Prolonger, Terminer) on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bulk_bench \\
        .venv/bin/python bench/bulk_rights.py [--rights 5000] [--background 20000]

DATABASE_URL must point at a *scratch* PostgreSQL database (its name must contain "bench"): the
script creates and migrates it if missing, then empties its people, rights, audit trail and
structures. It builds a teaching hospital (300 units, a référent of the whole establishment)
where ``--rights`` interns hold a right each ending within 30 days and 3,000 other people one
ending later, among ``--background`` people of another establishment. Then, as the référent,
through Django's test client and the real views:

1. Prolonger: the confirmation of "all N people" the filter "A right ends within 30 days"
   finds, then its POST (checks, one UPDATE, the audit events in batches, the result page);
2. Terminer: the same for "all N people" the search "promo" finds (the same interns);
3. for each, the e-mails, built and sent after the response (one per person, locmem backend:
   the time to build them, not a mail relay's), timed apart: the référent does not wait for
   them.

Each step prints its time and its SQL queries; the POSTs are also run on a tenth of the
rights, to show their queries do not grow with the rights.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "viareferents.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core import mail as django_mail  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402
from import_finess import ensure_database  # noqa: E402

from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User  # noqa: E402
from core import after_response  # noqa: E402
from structures.finess import with_check_digit  # noqa: E402
from structures.models import Departement, Establishment, Sector, Unit  # noqa: E402

REFERENT = "bench-bulk-referent@bench.test"
UNITS = 300
OTHERS = 3000


def empty_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE accounts_user, accounts_habilitation, accounts_auditevent, "
            "structures_unit, structures_establishment, structures_legalentity "
            "RESTART IDENTITY CASCADE"
        )


def _user(email: str, last: str, first: str) -> User:
    user = User(email=email, last_name=last, first_name=first, language="fr")
    user.set_unusable_password()
    user.search_name = user.build_search_name()
    return user


def _establishment(number: str, name: str) -> Establishment:
    return Establishment.objects.create(
        finess=with_check_digit(number),
        name=name,
        departement=Departement.objects.get(code=number[:2]),
        city="TOULOUSE",
        postcode="31000",
        sector=Sector.SANITAIRE,
    )


def build_world(rights: int, background: int, prefix: str) -> None:
    """The hospital, its référent, ``rights`` interns ending soon and 3,000 others, among
    ``background`` people of another establishment."""
    empty_tables()
    hospital = _establishment("31900001", "CHU DE BENCHVILLE")
    elsewhere = _establishment("31900002", "CLINIQUE DES AUTRES")
    Unit.objects.bulk_create(
        [
            Unit(establishment=hospital, name=f"Unité {index:03d}", code=f"U{index:03d}")
            for index in range(UNITS)
        ]
    )
    units = list(Unit.objects.filter(establishment=hospital).order_by("pk"))
    profiles = {profile.code: profile for profile in Profile.objects.all()}
    today = timezone.localdate()
    referent = User.objects.create_user(email=REFERENT, last_name="Référent", first_name="Bench")
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
    groups = [
        (prefix, rights, hospital, 20),
        ("staff", OTHERS, hospital, 200),
        ("other", background, elsewhere, 100),
    ]
    for name, count, establishment, ends_in in groups:
        User.objects.bulk_create(
            [
                _user(
                    f"{name}{index}@bench.test",
                    f"{name.title()}{index}",
                    "Promo" if name == prefix else "Agent",
                )
                for index in range(count)
            ],
            batch_size=5000,
        )
        people = User.objects.filter(email__startswith=name, email__endswith="@bench.test")
        Habilitation.objects.bulk_create(
            [
                Habilitation(
                    user_id=pk,
                    profile=profiles["infirmier"],
                    establishment=establishment,
                    unit=units[index % UNITS] if establishment == hospital else None,
                    start_date=today - datetime.timedelta(days=60),
                    end_date=today + datetime.timedelta(days=ends_in),
                )
                for index, pk in enumerate(people.order_by("pk").values_list("pk", flat=True))
            ],
            batch_size=5000,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def check(condition: bool, message: str) -> None:
    if not condition:
        sys.exit(message)


def timed(label: str, work):
    """Run ``work``, print its time and SQL queries; return (result, seconds, queries)."""
    count = [0]

    def counter(execute, sql, params, many, context):
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        result = work()
        elapsed = time.perf_counter() - start
    print(f"  {label:<58} {elapsed:7.2f} s, {count[0]:>5} queries")
    return result, elapsed, count[0]


def run(client: Client, kind: str, selection: dict, data: dict, expected: int) -> dict:
    """The confirmation, the POST and the deferred e-mails of one bulk action."""
    url = f"/administration/comptes/{'prolonger' if kind == 'extend' else 'terminer'}/"
    response, confirm_s, _queries = timed(
        f"{kind}: confirmation page", lambda: client.get(url, selection)
    )
    check(response.status_code == 200, f"the confirmation failed: {response.status_code}")
    count = response.context["summary"]["count"]
    check(count == expected, f"{count} rights selected, {expected} expected")
    deferred: list = []
    original = after_response._run
    after_response._run = lambda request, work: deferred.extend(work)  # type: ignore[assignment]
    try:
        response, post_s, post_q = timed(
            f"{kind}: POST (checks, UPDATE, audit, result page)",
            lambda: client.post(url, {**selection, **data, "expected": count}),
        )
    finally:
        after_response._run = original  # type: ignore[assignment]
    check(response.status_code == 200, f"the {kind} failed: {response.status_code}")
    result = response.context["result"]
    check(len(result.done) == expected, f"{len(result.done)} done, refused: {result.refused[:3]}")
    django_mail.outbox = []
    _result, mail_s, _queries = timed(
        f"{kind}: e-mails after the response",
        lambda: [work() for _language, work in deferred],
    )
    print(f"    {len(result.done)} rights, {len(django_mail.outbox)} e-mails")
    return {"confirm": confirm_s, "post": post_s, "post_queries": post_q, "mail": mail_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rights", type=int, default=5000)
    parser.add_argument("--background", type=int, default=20000)
    arguments = parser.parse_args()
    ensure_database()
    setup_test_environment()  # locmem e-mail backend, "testserver" allowed
    settings.BULK_MAX_RIGHTS = max(settings.BULK_MAX_RIGHTS, arguments.rights)
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    print(
        f"{platform.node()}: {os.cpu_count()} cores, {platform.platform()}, Python "
        f"{platform.python_version()}, PostgreSQL {version}, {timezone.localdate()}"
    )
    client = Client()
    figures = {}
    for rights in sorted({max(1, arguments.rights // 10), arguments.rights}):
        print(f"Building the world ({rights} rights, {arguments.background} other people)…")
        build_world(rights, arguments.background, prefix="interne")
        client.force_login(User.objects.get(email=REFERENT))
        new_end = (timezone.localdate() + datetime.timedelta(days=365)).isoformat()
        print(f"{rights} rights")
        figures[rights] = {
            "extend": run(
                client,
                "extend",
                {"all": "1", "ending_soon": "on"},
                {"end_date": new_end},
                rights,
            ),
            "end": run(
                client, "end", {"all": "1", "q": "promo"}, {"reason": "Fin de stage"}, rights
            ),
        }
    small, big = min(figures), max(figures)
    for kind in ("extend", "end"):
        print(
            f"{kind}: POST queries {figures[small][kind]['post_queries']} for {small} rights, "
            f"{figures[big][kind]['post_queries']} for {big}; "
            f"POST {figures[big][kind]['post']:.2f} s"
        )


if __name__ == "__main__":
    main()
