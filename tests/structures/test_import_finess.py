"""The FINESS import: ``manage.py import_finess`` and ``structures.finess_import.finess_import``.

Every test writes its own small extract to ``tmp_path``: the legacy CSV through ``structureet``
and ``csv_file``, the JSON flow through ``pmej``/``ege`` and ``json_file``.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.models import AuditEvent
from structures import finess_import as services
from structures.finess import with_check_digit
from structures.finess_files import (
    EstablishmentRecord,
    FinessFileError,
    LegalEntityRecord,
    Rejection,
    lambert93_to_wgs84,
    open_finess_file,
)
from structures.finess_import import finess_import
from structures.models import Establishment, LegalEntity

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    # The command speaks the site's language (French by default); assertions read the msgids.
    with translation.override("en"):
        yield


EJ = with_check_digit("31000001")
ET1 = with_check_digit("31000002")
ET2 = with_check_digit("31000003")
ET3 = with_check_digit("34000004")
CORSICA_ET = with_check_digit("2A000005")
PARIS_ET = with_check_digit("75000006")
GUADELOUPE_ET = with_check_digit("97010007")
BAD_CHECK_DIGIT = ET1[:-1] + str((int(ET1[-1]) + 1) % 10)

STRUCTUREET = [
    "structureet",
    "nofinesset",
    "nofinessej",
    "rs",
    "rslongue",
    "complrs",
    "compldistrib",
    "numvoie",
    "typvoie",
    "voie",
    "compvoie",
    "lieuditbp",
    "commune",
    "departement",
    "libdepartement",
    "ligneacheminement",
    "telephone",
    "telecopie",
    "categetab",
    "libcategetab",
    "categagretab",
    "libcategagretab",
    "siret",
    "codeape",
    "codemft",
    "libmft",
    "codesph",
    "libsph",
    "dateouv",
    "dateautor",
    "datemaj",
    "numuai",
]


def structureet(finess: str, **fields: str) -> list[str]:
    """A structureet line as a list of 32 fields; keyword arguments override the defaults."""
    values = {
        "structureet": "structureet",
        "nofinesset": finess,
        "nofinessej": EJ,
        "rs": f"EHPAD {finess}",
        "rslongue": f"EHPAD {finess} DE TOULOUSE",
        "numvoie": "12",
        "typvoie": "R",
        "voie": "DE LA PAIX",
        "commune": "555",
        "departement": finess[:2],
        "libdepartement": "HAUTE GARONNE",
        "ligneacheminement": "31000 TOULOUSE",
        "telephone": "0561000000",
        "categetab": "500",
        "libcategetab": "Etablissement d'hébergement pour personnes âgées dépendantes",
        "categagretab": "4401",
        "libcategagretab": "Etablissements d'Hébergement pour Personnes Âgées",
        "siret": "26310000000012",
        "dateouv": "1990-01-01",
        "dateautor": "1989-06-01",
        "datemaj": "2025-01-01",
    }
    values.update(fields)
    return [values.get(name, "") for name in STRUCTUREET]


def geolocalisation(finess: str, x: str, y: str, source: str = "LAMBERT_93") -> list[str]:
    return ["geolocalisation", finess, x, y, f"1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,{source}", ""]


def csv_file(
    tmp_path: Path,
    rows: list[list[str]],
    *,
    encoding: str = "utf-8",
    name: str = "etalab-cs1100507-stock.csv",
) -> Path:
    buffer = io.StringIO()
    buffer.write("finess;etalab;111;2026-05-12\n")
    csv.writer(buffer, delimiter=";", lineterminator="\n").writerows(rows)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def ege(finess: str, **fields: Any) -> dict[str, Any]:
    general = {"numFinessEge": finess, "nomEgeCourt": f"CH {finess}", "nomEgeLong": f"CH {finess}"}
    general["dateOuverture"] = "1990-01-01"
    general.update(fields.pop("general", {}))
    return {
        "informationsGeneralesEGE": general,
        "categorieentiteGeographiqueExercice": "355",
        "adresse": [
            {
                "numeroVoie": "122",
                "typeVoie": "AV  ",
                "libelleVoie": "DU DOCTEUR ROUX   ",
                "cogCommune": "31555",
                "ligneAcheminement": "TOULOUSE ",
                "codePostal": "31000",
                "coordonneesGeographique": {
                    "directionLatitude": "43.625720",
                    "directionLongitude": "1.065529",
                },
            }
        ],
        "contact": [{"telecom": {"telephone": "0501767377 "}}],
        "etatObjet": "A",
        "dateDerniereMaj": "2025-02-11 00:00:00",
        **fields,
    }


def pmej(finess: str, establishments: list[dict[str, Any]], **general: Any) -> dict[str, Any]:
    return {
        "informationsGeneralesPMEJ": {
            "numFinessPm": finess,
            "denominationPm": f"CH {finess}",
            "denominationLonguePmSmsse": f"CENTRE HOSPITALIER {finess}",
            "siren": "263100000",
            **general,
        },
        "ege": establishments,
        "etatObjet": "A",
    }


def json_file(tmp_path: Path, entities: list[dict[str, Any]], name: str = "flux.json") -> Path:
    path = tmp_path / name
    document = {"schemaVersion": "v1.0.0", "generatedAt": "2026-11-01T05:00:00Z", "pmej": entities}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def run(path: Path, *options: str) -> str:
    out = io.StringIO()
    call_command("import_finess", str(path), *options, stdout=out)
    return out.getvalue()


def snapshot() -> list[dict[str, Any]]:
    """Everything an import may change, to compare the database before and after."""
    establishments = list(Establishment.objects.order_by("finess").values())
    legal_entities = list(LegalEntity.objects.order_by("finess").values())
    return [*establishments, *legal_entities, {"audit": AuditEvent.objects.count()}]


@pytest.fixture(params=["native", "generic"])
def writer(request, monkeypatch) -> str:
    """Run a test with the backend's writer (COPY on PostgreSQL) and with the generic one."""
    if request.param == "generic":
        monkeypatch.setattr(services, "_writer", services._RowWriter)
    return request.param


# --- Legacy CSV ---------------------------------------------------------------------------


def test_csv_creates_establishments_and_legal_entities(tmp_path, writer):
    path = csv_file(
        tmp_path,
        [
            structureet(
                ET1,
                compvoie="B",
                complrs="BATIMENT A",
                lieuditbp="BP 12",
                ligneacheminement="31059 TOULOUSE CEDEX 9",
            ),
            structureet(ET2, nofinessej=EJ, categetab="355", categagretab="1102", libcategetab=""),
        ],
    )
    output = run(path)

    assert "2 created, 0 updated, 0 unchanged, 0 deactivated, 0 rejected" in output
    first = Establishment.objects.get(finess=ET1)
    assert first.name == f"EHPAD {ET1}"
    assert first.long_name == f"EHPAD {ET1} DE TOULOUSE"
    assert first.address == "12 B R DE LA PAIX"
    assert first.address_extra == "BATIMENT A, BP 12"
    assert (first.postcode, first.city) == ("31059", "TOULOUSE CEDEX 9")
    assert first.departement.code == "31"
    assert first.finess_phone == "0561000000"
    assert first.category_code == "500"
    assert first.sector == "grand_age"
    assert first.siret == "26310000000012"
    assert first.opened_on == datetime.date(1990, 1, 1)
    assert first.authorised_on == datetime.date(1989, 6, 1)
    assert first.finess_updated_on == datetime.date(2025, 1, 1)
    assert first.is_active
    assert first.imported_at is not None
    assert first.search_text == first.build_search_text()
    assert "toulouse" in first.search_text
    second = Establishment.objects.get(finess=ET2)
    # No label in the line: the known label of the category.
    assert second.category_label == "Centre Hospitalier (C.H.)"
    assert second.sector == "sanitaire"
    # The CSV gives the legal entity's number only: created with the number as its name.
    entity = LegalEntity.objects.get(finess=EJ)
    assert entity.name == EJ
    assert first.legal_entity == entity == second.legal_entity
    assert "Legal entities: 1 created" in output


def test_windows_1252_file_is_read(tmp_path):
    path = csv_file(
        tmp_path,
        [structureet(ET1, rs="RÉSIDENCE LES ÉRABLES", ligneacheminement="31000 SAINT-GAUDENS")],
        encoding="cp1252",
    )
    assert b"\xc9" in path.read_bytes()  # É in Windows-1252
    run(path)
    assert Establishment.objects.get(finess=ET1).name == "RÉSIDENCE LES ÉRABLES"


def test_quoted_field_with_doubled_quotes_and_a_semicolon(tmp_path):
    name = 'SESSAD LA ROSERAIE "ANNEXE"; SITE 2'
    path = csv_file(tmp_path, [structureet(ET1, rs=name)])
    assert '"SESSAD LA ROSERAIE ""ANNEXE""; SITE 2"' in path.read_text()
    run(path)
    assert Establishment.objects.get(finess=ET1).name == name


def test_corsican_2a_number(tmp_path):
    path = csv_file(
        tmp_path,
        [structureet(CORSICA_ET, departement="2A", ligneacheminement="20000 AJACCIO")],
    )
    run(path)
    establishment = Establishment.objects.get(finess=CORSICA_ET)
    assert establishment.departement.code == "2A"
    assert establishment.departement.region.name == "Corse"


def test_departement_falls_back_to_the_finess_number(tmp_path):
    run(csv_file(tmp_path, [structureet(GUADELOUPE_ET, departement="")]))
    assert Establishment.objects.get(finess=GUADELOUPE_ET).departement.code == "9A"


def test_trailing_spaces_are_stripped_in_csv(tmp_path):
    line = structureet(f" {ET1} ", departement="31 ", rs="EHPAD LES PINS   ", voie="DU LAC  ")
    run(csv_file(tmp_path, [line]))
    establishment = Establishment.objects.get(finess=ET1)
    assert establishment.name == "EHPAD LES PINS"
    assert establishment.address == "12 R DU LAC"


def test_a_33rd_empty_field_is_accepted(tmp_path):
    run(csv_file(tmp_path, [[*structureet(ET1), ""]]))
    assert Establishment.objects.filter(finess=ET1).exists()


def test_geolocalisation_lambert93_is_converted_to_wgs84(tmp_path):
    path = csv_file(
        tmp_path,
        [
            structureet(PARIS_ET, departement="75", ligneacheminement="75004 PARIS"),
            structureet(GUADELOUPE_ET, departement="9A", ligneacheminement="97100 BASSE TERRE"),
            geolocalisation(PARIS_ET, "652469.02", "6862035.26"),
            geolocalisation(GUADELOUPE_ET, "651000.0", "1774000.0", source="UTM_N20"),
        ],
    )
    run(path)
    paris = Establishment.objects.get(finess=PARIS_ET)
    assert abs(paris.latitude - Decimal("48.8566")) < Decimal("0.01")
    assert abs(paris.longitude - Decimal("2.3522")) < Decimal("0.01")
    # Overseas coordinates are in a local UTM zone: not converted.
    guadeloupe = Establishment.objects.get(finess=GUADELOUPE_ET)
    assert guadeloupe.latitude is None
    assert guadeloupe.longitude is None


def test_lambert93_conversion_formula():
    latitude, longitude = lambert93_to_wgs84(652469.02, 6862035.26)
    assert latitude == pytest.approx(48.8566, abs=0.001)
    assert longitude == pytest.approx(2.3522, abs=0.001)
    # The projection's origin: 46.5° N, 3° E.
    assert lambert93_to_wgs84(700000, 6600000) == pytest.approx((46.5, 3.0), abs=1e-6)


def test_a_file_without_geolocalisation_keeps_known_coordinates(tmp_path):
    run(
        csv_file(
            tmp_path,
            [structureet(PARIS_ET), geolocalisation(PARIS_ET, "652469.02", "6862035.26")],
            name="cs1100507.csv",
        )
    )
    output = run(csv_file(tmp_path, [structureet(PARIS_ET)], name="cs1100502.csv"))
    assert "0 created, 0 updated, 1 unchanged" in output
    assert Establishment.objects.get(finess=PARIS_ET).latitude is not None


# --- JSON flow ----------------------------------------------------------------------------


def test_json_flow(tmp_path, writer):
    closed_ej = with_check_digit("2A000008")
    path = json_file(
        tmp_path,
        [
            pmej(
                EJ,
                [
                    ege(ET1, general={"nomEgeCourt": "CH NORD   "}),
                    ege(
                        ET2,
                        general={"dateFermeture": "2019-06-30"},
                        etatObjet="I",
                    ),
                ],
                denominationLonguePmSmsse='ASSOCIATION "LES AMIS"   ',
            ),
            pmej(
                closed_ej,
                [
                    ege(
                        CORSICA_ET,
                        general={"dateFermeture": "2021-12-31 "},
                        etatObjet="I",
                        adresse=[{"cogCommune": "2A004", "ligneAcheminement": "AJACCIO"}],
                    )
                ],
                dateFermeture="2021-12-31",
            ),
        ],
    )
    output = run(path)

    assert "Establishments: 3 created" in output
    north = Establishment.objects.get(finess=ET1)
    assert north.name == "CH NORD"
    assert north.address == "122 AV DU DOCTEUR ROUX"
    assert (north.postcode, north.city) == ("31000", "TOULOUSE")
    assert north.finess_phone == "0501767377"
    assert north.category_code == "355"
    assert north.category_label == "Centre Hospitalier (C.H.)"
    assert north.sector == "sanitaire"
    assert north.latitude == Decimal("43.625720")
    assert north.longitude == Decimal("1.065529")
    assert north.finess_updated_on == datetime.date(2025, 2, 11)
    assert north.is_active
    assert north.search_text == north.build_search_text()
    closed = Establishment.objects.get(finess=ET2)
    assert not closed.is_active
    assert closed.closed_on == datetime.date(2019, 6, 30)
    corsican = Establishment.objects.get(finess=CORSICA_ET)
    assert corsican.departement.code == "2A"
    assert not corsican.is_active
    entity = LegalEntity.objects.get(finess=EJ)
    assert entity.name == f"CH {EJ}"
    assert entity.long_name == 'ASSOCIATION "LES AMIS"'
    assert entity.siren == "263100000"
    assert north.legal_entity == entity
    closed_entity = LegalEntity.objects.get(finess=closed_ej)
    assert not closed_entity.is_active
    assert closed_entity.closed_on == datetime.date(2021, 12, 31)


def test_json_closure_marks_an_active_establishment_inactive(tmp_path, writer):
    run(json_file(tmp_path, [pmej(EJ, [ege(ET1)])], name="before.json"))
    closing = ege(ET1, general={"dateFermeture": "2026-01-31"}, etatObjet="I")
    output = run(json_file(tmp_path, [pmej(EJ, [closing])], name="after.json"))

    assert "0 created, 0 updated, 0 unchanged, 1 deactivated" in output
    establishment = Establishment.objects.get(finess=ET1)
    assert not establishment.is_active
    assert establishment.closed_on == datetime.date(2026, 1, 31)


def test_establishments_absent_from_the_file_are_left_alone(tmp_path, make):
    elsewhere = make.establishment(name="CLINIQUE HORS FICHIER")
    before = Establishment.objects.filter(pk=elsewhere.pk).values().get()
    run(json_file(tmp_path, [pmej(EJ, [ege(ET1)])]))
    assert Establishment.objects.filter(pk=elsewhere.pk).values().get() == before


def test_a_placeholder_legal_entity_gets_its_name_from_json_and_keeps_it(tmp_path):
    run(csv_file(tmp_path, [structureet(ET1)]))
    assert LegalEntity.objects.get(finess=EJ).name == EJ

    run(json_file(tmp_path, [pmej(EJ, [ege(ET1)])]))
    assert LegalEntity.objects.get(finess=EJ).name == f"CH {EJ}"

    output = run(csv_file(tmp_path, [structureet(ET1)], name="again.csv"))
    assert LegalEntity.objects.get(finess=EJ).name == f"CH {EJ}"
    assert "Legal entities: 0 created, 0 updated, 1 unchanged" in output


def test_json_does_not_erase_what_only_the_csv_gives(tmp_path):
    run(csv_file(tmp_path, [structureet(ET1, complrs="BATIMENT A")]))
    run(json_file(tmp_path, [pmej(EJ, [ege(ET1)])]))
    establishment = Establishment.objects.get(finess=ET1)
    assert establishment.siret == "26310000000012"
    assert establishment.address_extra == "BATIMENT A"
    assert establishment.authorised_on == datetime.date(1989, 6, 1)


# --- Idempotence and the directory sheet -------------------------------------------------


def test_second_run_changes_nothing_and_writes_nothing(tmp_path, monkeypatch, writer):
    path = csv_file(
        tmp_path,
        [
            structureet(ET1),
            structureet(PARIS_ET, departement="75"),
            geolocalisation(PARIS_ET, "652469.02", "6862035.26"),
        ],
    )
    run(path)
    before = snapshot()

    writes_requested = []
    for writer_class in (services._RowWriter, services._CopyWriter):
        monkeypatch.setattr(
            writer_class, "insert", lambda self, rows: writes_requested.append(rows)
        )
        monkeypatch.setattr(
            writer_class, "update", lambda self, rows: writes_requested.append(rows)
        )
    with CaptureQueriesContext(connection) as queries:
        output = run(path)

    assert "Establishments: 0 created, 0 updated, 2 unchanged, 0 deactivated, 0 rejected" in output
    assert "Legal entities: 0 created, 0 updated, 1 unchanged" in output
    writes = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "COPY"))
        and "accounts_auditevent" not in query["sql"]
    ]
    assert writes == []
    assert writes_requested == []
    after = snapshot()
    assert after[:-1] == before[:-1]  # imported_at included: not bumped
    assert after[-1]["audit"] == before[-1]["audit"] + 1


def test_second_json_run_is_unchanged(tmp_path):
    path = json_file(tmp_path, [pmej(EJ, [ege(ET1), ege(ET2, etatObjet="I")])])
    run(path)
    before = snapshot()
    output = run(path)
    assert "Establishments: 0 created, 0 updated, 2 unchanged" in output
    assert snapshot()[:-1] == before[:-1]


def test_sheet_fields_survive_a_reimport_that_changes_finess_fields(tmp_path, writer):
    run(csv_file(tmp_path, [structureet(ET1)], name="first.csv"))
    sheet = {
        "phone": "05 61 11 22 33",
        "email": "accueil@ehpad.example",
        "website": "https://ehpad.example",
        "description": "Accueil de jour le mardi.",
        "access_info": "Bus 12, arrêt Mairie.",
    }
    Establishment.objects.filter(finess=ET1).update(**sheet)
    imported_at = Establishment.objects.get(finess=ET1).imported_at

    output = run(
        csv_file(
            tmp_path,
            [structureet(ET1, rs="EHPAD LES CHÊNES", telephone="0562000000")],
            name="second.csv",
        )
    )

    assert "0 created, 1 updated, 0 unchanged" in output
    establishment = Establishment.objects.get(finess=ET1)
    assert establishment.name == "EHPAD LES CHÊNES"
    assert establishment.finess_phone == "0562000000"
    assert "chenes" in establishment.search_text
    assert establishment.imported_at > imported_at
    assert {name: getattr(establishment, name) for name in sheet} == sheet


# --- Rejections, strict mode, dry run ----------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (structureet(BAD_CHECK_DIGIT), "invalid FINESS number"),
        (structureet(ET2, rs="", rslongue=""), "missing name"),
        (structureet(ET2)[:20], "wrong number of fields: 20 instead of 32"),
        ([*structureet(ET2), "X"], "wrong number of fields: 33 instead of 32"),
        (structureet(ET2, departement="99"), "unknown département"),
        (structureet(ET2, dateouv="2025-02-30"), "invalid date “2025-02-30” in dateouv"),
        (structureet(ET2, datemaj="01/02/2025"), "invalid date"),
        (structureet(ET2, nofinessej="123"), "invalid legal entity FINESS number"),
        (["autrechose", ET2], "unknown record type"),
    ],
)
def test_invalid_record_is_rejected_with_its_line_and_the_rest_imported(tmp_path, line, reason):
    path = csv_file(tmp_path, [structureet(ET1), line, structureet(ET3, departement="34")])
    output = run(path)

    assert "Establishments: 2 created, 0 updated, 0 unchanged, 0 deactivated, 1 rejected" in output
    assert "Rejected records: 1" in output
    assert "  line 3" in output
    assert reason in output
    assert set(Establishment.objects.values_list("finess", flat=True)) == {ET1, ET3}


def test_duplicate_establishment_is_rejected(tmp_path):
    output = run(csv_file(tmp_path, [structureet(ET1), structureet(ET1, rs="AUTRE")]))
    assert "duplicate establishment (first at line 2)" in output
    assert Establishment.objects.get(finess=ET1).name == f"EHPAD {ET1}"


def test_json_rejections_name_the_record_path(tmp_path):
    path = json_file(
        tmp_path,
        [
            pmej(EJ, [ege(ET1), ege(BAD_CHECK_DIGIT), ege(ET2, general={"nomEgeCourt": ""})]),
            pmej("123", [ege(ET3)]),
        ],
    )
    # ET2 still has its long name; strip it too to make it nameless.
    document = json.loads(path.read_text())
    document["pmej"][0]["ege"][2]["informationsGeneralesEGE"]["nomEgeLong"] = "   "
    path.write_text(json.dumps(document))

    output = run(path)

    assert f"pmej[0].ege[1] [{BAD_CHECK_DIGIT}]: invalid FINESS number" in output
    assert f"pmej[0].ege[2] [{ET2}]: missing name" in output
    assert "pmej[1] [123]: invalid FINESS number" in output
    assert "pmej[1].ege[0]: its legal entity is rejected" in output
    assert set(Establishment.objects.values_list("finess", flat=True)) == {ET1}


def test_rejected_list_is_capped(tmp_path):
    bad = [structureet(BAD_CHECK_DIGIT, rs=f"N{i}") for i in range(60)]
    output = run(csv_file(tmp_path, [structureet(ET1), *bad]))
    assert "Rejected records: 60 (first 50 below)" in output
    assert output.count("invalid FINESS number") == 50


def test_strict_rejects_the_whole_file(tmp_path, make):
    run(csv_file(tmp_path, [structureet(ET1)], name="first.csv"))
    before = snapshot()
    path = csv_file(
        tmp_path,
        [structureet(ET1, rs="RENAMED"), structureet(BAD_CHECK_DIGIT), structureet(ET2)],
        name="second.csv",
    )
    out = io.StringIO()
    with pytest.raises(CommandError, match="1 rejected records"):
        call_command("import_finess", str(path), "--strict", stdout=out)
    assert "line 3" in out.getvalue()
    assert snapshot() == before


def test_strict_imports_a_clean_file(tmp_path):
    run(csv_file(tmp_path, [structureet(ET1)]), "--strict")
    assert Establishment.objects.filter(finess=ET1).exists()


def test_dry_run_prints_the_summary_and_writes_nothing(tmp_path):
    run(csv_file(tmp_path, [structureet(ET1)], name="first.csv"))
    before = snapshot()
    path = csv_file(
        tmp_path,
        [structureet(ET1, rs="RENAMED"), structureet(ET2, nofinessej=with_check_digit("31000009"))],
        name="second.csv",
    )
    output = run(path, "--dry-run")

    assert "Establishments: 1 created, 1 updated, 0 unchanged" in output
    assert "Legal entities: 1 created, 0 updated, 1 unchanged" in output
    assert "Dry run: nothing was written." in output
    assert snapshot() == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"nofinesset;rs\n310000021;EHPAD\n", "Not a FINESS extract"),
        (b'{"gcc": []}', "no “pmej” list"),
        (b"[1, 2]", "Not a FINESS extract"),
        (b'{"pmej": [', "invalid JSON"),
        (bytes(range(256)) * 4, "Not a FINESS extract"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Not a FINESS extract"),
    ],
)
def test_a_file_that_is_not_a_finess_extract_is_refused(tmp_path, make, content, message):
    make.establishment()
    before = snapshot()
    path = tmp_path / "extract.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run(path)
    assert snapshot() == before


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        run(tmp_path / "nowhere.csv")


def test_the_format_comes_from_the_content_not_the_name(tmp_path):
    json_named_csv = json_file(tmp_path, [pmej(EJ, [ege(ET1)])], name="extract.csv")
    assert open_finess_file(json_named_csv).format == "json"
    csv_named_json = csv_file(tmp_path, [structureet(ET1)], name="extract.json")
    assert open_finess_file(csv_named_json).format == "csv"
    with pytest.raises(FinessFileError):
        open_finess_file(tmp_path)  # a directory


# --- Transaction and audit ----------------------------------------------------------------


def test_an_interrupted_import_leaves_the_database_as_before(tmp_path, monkeypatch, make, writer):
    run(csv_file(tmp_path, [structureet(ET1)], name="first.csv"))
    before = snapshot()
    flushes = []
    real_flush = services._FinessUpsert._flush

    def flush_then_interrupt(self):
        real_flush(self)  # the first batch reaches the database...
        flushes.append(1)
        if len(flushes) == 2:
            raise KeyboardInterrupt  # ...then the operator presses Ctrl-C

    monkeypatch.setattr(services._FinessUpsert, "_flush", flush_then_interrupt)
    rows = [structureet(ET1, rs="RENAMED")]
    rows += [structureet(with_check_digit(f"310001{i:02d}")) for i in range(6)]
    path = csv_file(tmp_path, rows, name="second.csv")

    with pytest.raises(KeyboardInterrupt):
        finess_import(path=path, batch_size=3)

    assert len(flushes) == 2
    assert snapshot() == before


def test_one_audit_event_per_real_import(tmp_path):
    path = csv_file(tmp_path, [structureet(ET1), structureet(BAD_CHECK_DIGIT)])
    run(path, "--dry-run")
    assert not AuditEvent.objects.exists()

    run(path)

    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.FINESS_IMPORTED
    assert event.actor is None
    assert event.after["file"] == path.name
    assert event.after["format"] == "csv"
    assert event.after["establishments"] == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "deactivated": 0,
        "rejected": 1,
    }
    assert event.after["legal_entities"]["created"] == 1
    assert event.after["rejected_records"] == 1


def test_no_progress_bar_when_output_is_not_a_terminal(tmp_path):
    output = run(csv_file(tmp_path, [structureet(ET1)]))
    assert "\r" not in output


def test_progress_is_reported_to_the_caller(tmp_path):
    seen: list[float] = []
    finess_import(path=csv_file(tmp_path, [structureet(ET1)]), progress=seen.append)
    assert seen[-1] == 1.0


# --- Untrusted input ----------------------------------------------------------------------

_FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _read_everything(path: Path) -> None:
    try:
        records = list(open_finess_file(path).records())
    except FinessFileError:
        return
    for record in records:
        assert isinstance(record, EstablishmentRecord | LegalEntityRecord | Rejection)


@_FUZZ
@given(body=st.binary(max_size=2000))
def test_csv_reader_survives_any_bytes_after_a_valid_first_line(tmp_path, body):
    path = tmp_path / "fuzz.csv"
    path.write_bytes(b"finess;etalab;111;2026-05-12\n" + body)
    _read_everything(path)


@_FUZZ
@given(
    lines=st.lists(
        st.lists(st.text(max_size=12), min_size=0, max_size=34).map(
            lambda fields: ["structureet", *fields]
        ),
        max_size=5,
    )
)
def test_csv_reader_survives_any_structureet_fields(tmp_path, lines):
    _read_everything(csv_file(tmp_path, lines, name="fuzz.csv"))


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "informationsGeneralesPMEJ",
                    "informationsGeneralesEGE",
                    "numFinessPm",
                    "numFinessEge",
                    "nomEgeCourt",
                    "ege",
                    "adresse",
                    "contact",
                    "etatObjet",
                    "dateFermeture",
                    "coordonneesGeographique",
                    "directionLatitude",
                ]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


@_FUZZ
@given(entities=st.lists(_JSON_VALUES, max_size=4))
def test_json_reader_survives_any_structure(tmp_path, entities):
    _read_everything(json_file(tmp_path, entities, name="fuzz.json"))
