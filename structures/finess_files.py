"""Readers for the two FINESS extract formats: plain records out, no database access.

``open_finess_file(path)`` recognises the format from the content, not from the file name:

- the legacy CSV extract (etalab cs1100507 / cs1100502): first line ``finess;etalab;<flux>;<date>``,
  then ``structureet`` lines and, in cs1100507, ``geolocalisation`` lines in Lambert-93;
- the current JSON flow ("FINESS - Structures"): ``pmej`` legal entities, each with its ``ege``
  establishments.

Iterating ``FinessFile.records()`` yields ``LegalEntityRecord``, ``EstablishmentRecord`` and
``Rejection`` objects in file order; a legal entity always comes before its establishments. A file
that is not a FINESS extract at all raises ``FinessFileError``: the caller refuses it whole.
"""

from __future__ import annotations

import csv
import datetime
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from structures.categories import label_for, sector_for
from structures.finess import departement_code, is_valid_finess
from structures.geography import DEPARTEMENTS

CSV = "csv"
JSON = "json"

# Establishment fields every format carries (names of ``Establishment`` fields, except that the
# reader gives the legal entity and the département as codes).
_COMMON_FIELDS = (
    "legal_entity",
    "name",
    "long_name",
    "address",
    "postcode",
    "city",
    "departement",
    "finess_phone",
    "category_code",
    "category_label",
    "sector",
    "opened_on",
    "finess_updated_on",
    "closed_on",
    "is_active",
)
_CSV_FIELDS = (*_COMMON_FIELDS, "address_extra", "siret", "authorised_on")
_GEO_FIELDS = ("latitude", "longitude")

STRUCTUREET_FIELDS = 32
GEOLOCALISATION_FIELDS = 6
_PEEK_BYTES = 4096
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_POSTCODE_CITY = re.compile(r"^(\d{5})\s+(.+)$")
_SIX_PLACES = Decimal("0.000001")


class FinessFileError(Exception):
    """The file is not a FINESS extract (or cannot be read): refuse it whole."""


@dataclass(slots=True)
class Rejection:
    location: str  # "line 12" (CSV) or "pmej[3].ege[1]" (JSON)
    reason: str
    finess: str = ""
    kind: str = "establishment"  # or "legal_entity", "geolocation"


@dataclass(slots=True)
class LegalEntityRecord:
    location: str
    finess: str
    name: str
    long_name: str
    siren: str
    is_active: bool
    closed_on: datetime.date | None


@dataclass(slots=True)
class EstablishmentRecord:
    """One establishment as the register describes it; attribute names follow the model's."""

    location: str
    finess: str
    legal_entity_finess: str  # "" when the file names no legal entity
    name: str
    long_name: str
    address: str
    address_extra: str
    postcode: str
    city: str
    departement: str  # register code: 01-95, 2A, 2B, 9A-9J
    finess_phone: str
    category_code: str
    category_label: str
    sector: str
    siret: str
    opened_on: datetime.date | None
    authorised_on: datetime.date | None
    finess_updated_on: datetime.date | None
    closed_on: datetime.date | None
    is_active: bool
    latitude: Decimal | None
    longitude: Decimal | None


Record = LegalEntityRecord | EstablishmentRecord | Rejection


class InvalidRecordError(Exception):
    """Raised while building one record; becomes a ``Rejection`` of that record only."""


class FinessFile:
    """A recognised FINESS extract. Subclasses read one format."""

    format: str = ""
    # The establishment fields this file carries: an import writes these and leaves the others
    # alone, so that e.g. a file without coordinates does not erase the ones a previous file gave.
    establishment_fields: tuple[str, ...] = ()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self.metadata: dict[str, str] = {}

    @property
    def fraction_read(self) -> float:  # pragma: no cover - overridden
        return 0.0

    def records(self) -> Iterator[Record]:  # pragma: no cover - overridden
        raise NotImplementedError


def open_finess_file(path: str | Path, *, today: datetime.date | None = None) -> FinessFile:
    """Recognise the format of ``path`` from its content and return its reader.

    ``today`` decides whether a closure date has passed (JSON flow); it defaults to the local date.
    Raises ``FinessFileError`` for a missing, empty, binary or foreign file.
    """
    path = Path(path)
    try:
        with path.open("rb") as file:
            head = file.read(_PEEK_BYTES)
    except FileNotFoundError as error:
        raise FinessFileError(_("File not found: %(path)s") % {"path": path}) from error
    except OSError as error:
        raise FinessFileError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from error
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head:
        raise FinessFileError(_("The file is empty."))
    if head.startswith(b"{"):
        return JsonFinessFile(path, today=today)
    first_line = _decode(head.split(b"\n", 1)[0]).strip()
    fields = first_line.split(";")
    if len(fields) >= 2 and fields[0] == "finess" and fields[1] == "etalab":
        return CsvFinessFile(path, metadata=fields)
    raise FinessFileError(
        _(
            "Not a FINESS extract: the first line should be “finess;etalab;<flux>;<date>” "
            "(legacy CSV) or the file should be the JSON flow with “pmej”."
        )
    )


# --- Helpers shared by both formats -------------------------------------------------------


def _decode(raw: bytes) -> str:
    # Recent files are UTF-8, older ones Windows-1252. Decoding line by line means one stray
    # byte garbles at most its own line.
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    # PostgreSQL text cannot hold NUL: one in a damaged file would abort the whole import.
    return text.replace("\x00", "") if "\x00" in text else text


def _text(value: Any) -> str:
    """A field as a stripped string: the register pads many fields with spaces."""
    if value is None:
        return ""
    return str(value).replace("\x00", "").strip()


def _join(*parts: str, sep: str = " ") -> str:
    return sep.join(part for part in parts if part)


def _date(value: str, field: str) -> datetime.date | None:
    value = value.strip()
    if not value:
        return None
    # The JSON flow writes some dates as "YYYY-MM-DD hh:mm:ss": only the date matters.
    day = value[:10]
    if _ISO_DATE.match(day):
        try:
            return datetime.date.fromisoformat(day)
        except ValueError:
            pass
    raise InvalidRecordError(
        _("invalid date “%(value)s” in %(field)s") % {"value": value, "field": field}
    )


def _finess(value: str) -> str:
    number = value.strip().upper()
    if not number:
        raise InvalidRecordError(_("missing FINESS number"))
    if not is_valid_finess(number):
        raise InvalidRecordError(_("invalid FINESS number “%(value)s”") % {"value": number})
    return number


def _departement(code: str) -> str:
    if code not in DEPARTEMENTS:
        raise InvalidRecordError(_("unknown département “%(code)s”") % {"code": code})
    return code


def _coordinate(value: str, limit: int) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > limit:
        return None
    return number.quantize(_SIX_PLACES)


# --- Lambert-93 -> WGS84 ----------------------------------------------------------------------

# IGN's constants for Lambert-93 (RGF93, GRS80 ellipsoid), from the IGN algorithm notes ALG0004.
_L93_N = 0.7256077650
_L93_C = 11754255.426
_L93_XS = 700000.0
_L93_YS = 12655612.050
_L93_LON0 = math.radians(3.0)
_GRS80_E = 0.08181919106
# RGF93 and WGS84 differ by centimetres: no datum shift needed at this precision.


def lambert93_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """Latitude and longitude in degrees of a Lambert-93 point (inverse conformal conic)."""
    dx = x - _L93_XS
    dy = _L93_YS - y
    radius = math.hypot(dx, dy)
    gamma = math.atan2(dx, dy)
    longitude = _L93_LON0 + gamma / _L93_N
    isometric = -math.log(abs(radius / _L93_C)) / _L93_N
    # Latitude from the isometric latitude: fixed-point iteration, converges in a few steps.
    e = _GRS80_E
    latitude = 2 * math.atan(math.exp(isometric)) - math.pi / 2
    for _step in range(20):
        sin = e * math.sin(latitude)
        following = (
            2 * math.atan(((1 + sin) / (1 - sin)) ** (e / 2) * math.exp(isometric)) - math.pi / 2
        )
        if abs(following - latitude) < 1e-12:
            latitude = following
            break
        latitude = following
    return math.degrees(latitude), math.degrees(longitude)


def _is_metropolitan(departement: str) -> bool:
    return departement in {"2A", "2B"} or (departement.isdigit() and departement < "96")


# --- Legacy CSV -------------------------------------------------------------------------------


class CsvFinessFile(FinessFile):
    """The legacy etalab CSV extract, read as a stream (two passes, see ``records``)."""

    format = CSV

    def __init__(self, path: Path, *, metadata: list[str]) -> None:
        super().__init__(path)
        self.metadata = {
            "flux": metadata[2].strip() if len(metadata) > 2 else "",
            "date": metadata[3].strip() if len(metadata) > 3 else "",
        }
        self._bytes_read = 0
        # Translated once: gettext on each of 100,000 lines costs seconds.
        self._line = _("line %(number)d")
        self._geolocations: dict[str, tuple[int, list[str]]] = {}
        self._geo_rejections: list[Rejection] = []
        self._scan_geolocations()
        fields = _CSV_FIELDS + (_GEO_FIELDS if self._geolocations else ())
        self.establishment_fields = fields

    @property
    def fraction_read(self) -> float:
        return self._bytes_read / self.size if self.size else 1.0

    def _lines(self) -> Iterator[str]:
        with self.path.open("rb") as file:
            for raw in file:
                self._bytes_read += len(raw)
                yield _decode(raw)

    def _scan_geolocations(self) -> None:
        # The geolocalisation lines come after all the structureet lines: a first, cheap pass
        # collects them so that the second pass can yield complete establishments as it goes.
        with self.path.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                if not raw.startswith(b"geolocalisation;"):
                    continue
                row = next(csv.reader([_decode(raw)], delimiter=";"))
                location = self._line % {"number": number}
                if len(row) == GEOLOCALISATION_FIELDS + 1 and not row[-1].strip():
                    row = row[:-1]
                finess = row[1].strip().upper() if len(row) > 1 else ""
                if len(row) != GEOLOCALISATION_FIELDS:
                    reason = _("wrong number of fields: %(count)d instead of %(expected)d") % {
                        "count": len(row),
                        "expected": GEOLOCALISATION_FIELDS,
                    }
                elif not is_valid_finess(finess):
                    reason = _("invalid FINESS number “%(value)s”") % {"value": finess}
                elif finess in self._geolocations:
                    reason = _("duplicate geolocation of %(finess)s") % {"finess": finess}
                else:
                    self._geolocations[finess] = (number, [field.strip() for field in row])
                    continue
                self._geo_rejections.append(Rejection(location, reason, finess, "geolocation"))

    def records(self) -> Iterator[Record]:
        reader = csv.reader(self._lines(), delimiter=";")
        try:
            for row in reader:
                if reader.line_num == 1 or not row or row == [""]:
                    continue  # the metadata line, blank lines
                location = self._line % {"number": reader.line_num}
                kind = row[0].strip()
                if kind == "geolocalisation":
                    continue  # read by the first pass
                if kind != "structureet":
                    reason = _("unknown record type “%(type)s”") % {"type": kind[:30]}
                    yield Rejection(location, reason, "")
                    continue
                yield from self._structureet(location, row)
        except csv.Error as error:
            raise FinessFileError(
                _("Malformed CSV at line %(number)d: %(error)s")
                % {"number": reader.line_num, "error": error}
            ) from error
        yield from self._geo_rejections

    def _structureet(self, location: str, row: list[str]) -> Iterator[Record]:
        # Lines end with ";": the last field (numuai) is usually empty, and a writer that adds
        # one more ";" gives a 33rd, empty field.
        if len(row) == STRUCTUREET_FIELDS + 1 and not row[-1].strip():
            row = row[:-1]
        finess = row[1].strip().upper() if len(row) > 1 else ""
        if len(row) != STRUCTUREET_FIELDS:
            reason = _("wrong number of fields: %(count)d instead of %(expected)d") % {
                "count": len(row),
                "expected": STRUCTUREET_FIELDS,
            }
            yield Rejection(location, reason, finess)
            return
        try:
            record = self._establishment(location, [field.strip() for field in row])
        except InvalidRecordError as error:
            yield Rejection(location, str(error), finess)
            return
        rejection = self._geolocate(record)
        if rejection is not None:
            yield rejection
        yield record

    def _establishment(self, location: str, f: list[str]) -> EstablishmentRecord:
        finess = _finess(f[1])
        legal_entity = f[2].upper()
        if legal_entity and not is_valid_finess(legal_entity):
            raise InvalidRecordError(
                _("invalid legal entity FINESS number “%(value)s”") % {"value": legal_entity}
            )
        name = f[3] or f[4]
        if not name:
            raise InvalidRecordError(_("missing name"))
        departement = _departement(f[13].upper() or departement_code(finess))
        postcode_city = _POSTCODE_CITY.match(f[15])
        postcode, city = postcode_city.groups() if postcode_city else ("", f[15])
        category = f[18]
        return EstablishmentRecord(
            location=location,
            finess=finess,
            legal_entity_finess=legal_entity,
            name=name,
            long_name=f[4],
            # compvoie (bis, ter...) completes the number: "12 B R DE LA PAIX".
            address=_join(f[7], f[10], f[8], f[9]),
            address_extra=_join(f[5], f[6], f[11], sep=", "),
            postcode=postcode,
            city=city.strip(),
            departement=departement,
            finess_phone=f[16],
            category_code=category,
            category_label=f[19] or label_for(category),
            sector=sector_for(category, f[20]),
            siret=f[22],
            opened_on=_date(f[28], "dateouv"),
            authorised_on=_date(f[29], "dateautor"),
            finess_updated_on=_date(f[30], "datemaj"),
            closed_on=None,  # the stock extract lists open establishments only
            is_active=True,
            latitude=None,
            longitude=None,
        )

    def _geolocate(self, record: EstablishmentRecord) -> Rejection | None:
        found = self._geolocations.get(record.finess)
        if found is None:
            return None
        number, (_type, _finess, x, y, source, _updated) = found
        # Lambert-93 covers metropolitan France only; overseas sources use local UTM zones,
        # which this reader does not convert.
        if "LAMBERT_93" not in source.upper() and not _is_metropolitan(record.departement):
            return None
        location = self._line % {"number": number}
        try:
            latitude, longitude = lambert93_to_wgs84(float(x), float(y))
        except (ValueError, ZeroDivisionError, OverflowError):
            reason = _("invalid coordinates “%(x)s”, “%(y)s”") % {"x": x, "y": y}
            return Rejection(location, reason, record.finess, "geolocation")
        if not (41.0 <= latitude <= 51.5 and -5.5 <= longitude <= 10.0):
            reason = _("coordinates outside metropolitan France: %(x)s, %(y)s") % {"x": x, "y": y}
            return Rejection(location, reason, record.finess, "geolocation")
        record.latitude = Decimal(f"{latitude:.6f}")
        record.longitude = Decimal(f"{longitude:.6f}")
        return None


# --- Current JSON flow ------------------------------------------------------------------------


class JsonFinessFile(FinessFile):
    """The JSON flow: ``pmej`` legal entities with their ``ege`` establishments.

    The standard library has no streaming JSON parser, so the document is loaded whole; the
    records are still produced one at a time.
    """

    format = JSON
    # The flow has no address complement, SIRET or authorisation date for establishments.
    establishment_fields = (*_COMMON_FIELDS, *_GEO_FIELDS)

    def __init__(self, path: Path, *, today: datetime.date | None = None) -> None:
        super().__init__(path)
        self.today = today or timezone.localdate()
        try:
            document = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as error:
            raise FinessFileError(
                _("Not a FINESS extract: invalid JSON (%(error)s).") % {"error": error}
            ) from error
        if not isinstance(document, dict) or not isinstance(document.get("pmej"), list):
            raise FinessFileError(_("Not a FINESS extract: the JSON has no “pmej” list."))
        self._entities: list[Any] = document["pmej"]
        self._done = 0
        self.metadata = {
            "schema": _text(document.get("schemaVersion")),
            "date": _text(document.get("generatedAt")),
        }

    @property
    def fraction_read(self) -> float:
        return self._done / len(self._entities) if self._entities else 1.0

    def records(self) -> Iterator[Record]:
        for index, entity in enumerate(self._entities):
            yield from self._legal_entity(f"pmej[{index}]", entity)
            self._done = index + 1

    def _legal_entity(self, location: str, entity: Any) -> Iterator[Record]:
        if not isinstance(entity, dict):
            yield Rejection(location, _("not an object"), "", "legal_entity")
            return
        general = _object(entity.get("informationsGeneralesPMEJ"))
        raw_number = _text(general.get("numFinessPm")).upper()
        try:
            number = _finess(raw_number)
        except InvalidRecordError as error:
            # Its establishments cannot be attached to anything: reject them with it.
            yield Rejection(location, str(error), raw_number, "legal_entity")
            for index, _establishment in enumerate(_list(entity.get("ege"))):
                reason = _("its legal entity is rejected (%(error)s)") % {"error": error}
                yield Rejection(f"{location}.ege[{index}]", reason, "")
            return
        try:
            yield self._legal_entity_record(location, number, entity, general)
        except InvalidRecordError as error:
            # The number is sound: the establishments still refer to it.
            yield Rejection(location, str(error), number, "legal_entity")
        for index, establishment in enumerate(_list(entity.get("ege"))):
            ege_location = f"{location}.ege[{index}]"
            general_ege = _object(_object(establishment).get("informationsGeneralesEGE"))
            try:
                yield self._establishment(ege_location, number, _object(establishment))
            except InvalidRecordError as error:
                finess = _text(general_ege.get("numFinessEge")).upper()
                yield Rejection(ege_location, str(error), finess)

    def _state(self, state: str, closed_on: datetime.date | None) -> bool:
        if state not in {"", "A", "I"}:
            raise InvalidRecordError(_("unknown etatObjet “%(value)s”") % {"value": state})
        closed = closed_on is not None and closed_on <= self.today
        return state != "I" and not closed

    def _legal_entity_record(
        self, location: str, number: str, entity: dict[str, Any], general: dict[str, Any]
    ) -> LegalEntityRecord:
        name = _text(general.get("denominationPm"))
        long_name = _text(general.get("denominationLonguePmSmsse"))
        if not (name or long_name):
            raise InvalidRecordError(_("missing name"))
        closed_on = _date(_text(general.get("dateFermeture")), "dateFermeture")
        return LegalEntityRecord(
            location=location,
            finess=number,
            name=name or long_name,
            long_name=long_name,
            siren=_text(general.get("siren")),
            is_active=self._state(_text(entity.get("etatObjet")).upper(), closed_on),
            closed_on=closed_on,
        )

    def _establishment(
        self, location: str, legal_entity: str, ege: dict[str, Any]
    ) -> EstablishmentRecord:
        general = _object(ege.get("informationsGeneralesEGE"))
        finess = _finess(_text(general.get("numFinessEge")))
        name = _text(general.get("nomEgeCourt")) or _text(general.get("nomEgeLong"))
        if not name:
            raise InvalidRecordError(_("missing name"))
        addresses = _list(ege.get("adresse"))
        address = _object(addresses[0]) if addresses else {}
        departement = _departement(departement_code(finess, _text(address.get("cogCommune"))))
        coordinates = _object(address.get("coordonneesGeographique"))
        closed_on = _date(_text(general.get("dateFermeture")), "dateFermeture")
        category = _text(ege.get("categorieentiteGeographiqueExercice"))
        latitude = _coordinate(_text(coordinates.get("directionLatitude")), 90)
        longitude = _coordinate(_text(coordinates.get("directionLongitude")), 180)
        if latitude is None or longitude is None:
            latitude = longitude = None
        return EstablishmentRecord(
            location=location,
            finess=finess,
            legal_entity_finess=legal_entity,
            name=name,
            long_name=_text(general.get("nomEgeLong")),
            address=_join(
                _text(address.get("numeroVoie")),
                _text(address.get("typeVoie")),
                _text(address.get("libelleVoie")),
            ),
            address_extra="",
            postcode=_text(address.get("codePostal")),
            city=_text(address.get("ligneAcheminement")),
            departement=departement,
            finess_phone=_phone(ege),
            category_code=category,
            category_label=label_for(category),
            sector=sector_for(category),
            siret="",
            opened_on=_date(_text(general.get("dateOuverture")), "dateOuverture"),
            authorised_on=None,
            finess_updated_on=_date(_text(ege.get("dateDerniereMaj")), "dateDerniereMaj"),
            closed_on=closed_on,
            is_active=self._state(_text(ege.get("etatObjet")).upper(), closed_on),
            latitude=latitude,
            longitude=longitude,
        )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _phone(ege: dict[str, Any]) -> str:
    for contact in _list(ege.get("contact")):
        phone = _text(_object(_object(contact).get("telecom")).get("telephone"))
        if phone:
            return phone
    return ""
