"""What the rows of a staff file mean: its columns, and each row classified before anything
changes.

A row asks for one right (a profile on an establishment, or on one of its units) for one person
named by their e-mail address. Classified without writing anything, it is one of:

- ``new``: the address has no account yet, one is created with this right;
- ``add``: the right is added to the account of that address (existing, or created by an
  earlier row of the file);
- ``unchanged``: the person already holds this right (no dates given, or the same dates);
- ``error``: nothing will be done, for the reasons given.

The rules are the services' own: each row goes through ``accounts.services.check_grant`` (scope,
own rights, the profile's capabilities, dates, open structure) and ``overlapping_right`` over the
person's open rights, and the apply runs ``account_create``, which checks everything again. What
the rows need from the database (people by address, their open rights, profiles, structures)
is loaded at once for the whole file, a few queries per thousand rows.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import services
from accounts.models import Habilitation, Profile, User, normalize_email
from accounts.scope import Scope
from administration.forms.people import AccountCreateForm
from administration.imports.files import Cell, ImportFileError, Table
from core.csv import FORMULA_START
from core.forms import DateField
from structures.finess import fold, is_valid_finess
from structures.models import Establishment, Unit

NEW = "new"
ADD = "add"
UNCHANGED = "unchanged"
ERROR = "error"
STATUSES = (ERROR, NEW, ADD, UNCHANGED)  # the preview's order: errors first

# Rows whose ids are looked up in one query.
CHUNK = 1000
# Longest text kept of a cell shown with an error (the rest is never needed).
SHOWN_CELL = 200


@dataclass(frozen=True)
class Column:
    key: str
    french: str
    english: str
    required: bool
    # Other headers read as this column, accent- and case-folded (structures.finess.fold).
    aliases: tuple[str, ...] = ()

    def names(self) -> set[str]:
        return {fold(self.french), fold(self.english), *self.aliases}


# The file's columns. Files are written with the headers of the person's language (French or
# English); both are read, whatever the language, with the aliases.
COLUMNS: tuple[Column, ...] = (
    Column("last_name", "nom", "last name", True, ("nom de famille", "lastname", "surname")),
    Column("first_name", "prénom", "first name", True, ("firstname", "given name")),
    Column(
        "email",
        "e-mail",
        "e-mail",
        True,
        ("email", "mail", "courriel", "adresse e mail", "adresse mail", "e mail address"),
    ),
    Column("phone", "téléphone", "phone", False, ("tel", "phone number")),
    Column("job_title", "fonction", "job title", False, ("poste",)),
    Column("profile", "profil", "profile", True),
    Column("finess", "FINESS", "FINESS", True, ("n finess", "numero finess", "finess et")),
    Column("unit", "unité", "unit", False, ("code unite", "unite fonctionnelle")),
    Column("start", "début", "start", False, ("date de debut", "start date")),
    Column("end", "fin", "end", False, ("date de fin", "end date")),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)
_BY_NAME = {name: column.key for column in COLUMNS for name in column.names()}


def header(language: str | None = None) -> list[str]:
    """The header row of the files written for a person in ``language`` (the active one)."""
    french = (language or translation.get_language() or "fr").startswith("fr")
    return [column.french if french else column.english for column in COLUMNS]


def column_name(key: str) -> str:
    return next(name for column, name in zip(COLUMNS, header(), strict=True) if column.key == key)


def map_header(names: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """The position of each of our columns in the file's header, and the headers ignored.

    ``ImportFileError`` when a required column is missing or a column is named twice.
    """
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(names):
        key = _BY_NAME.get(fold(name.lstrip("\ufeff").strip(" *")))
        if key is None:
            if name.strip():
                ignored.append(_shown(name))
            continue
        if key in positions:
            raise ImportFileError(
                _("The column “%(column)s” appears twice in the first row.")
                % {"column": _shown(name)}
            )
        positions[key] = index
    missing = [column_name(c.key) for c in COLUMNS if c.required and c.key not in positions]
    if missing:
        raise ImportFileError(
            _(
                "The first row must name the columns; missing: %(missing)s. Start from the "
                "template: %(columns)s."
            )
            % {"missing": ", ".join(missing), "columns": ", ".join(header())}
        )
    return positions, ignored


# --- Cells


# Control characters (NUL, which PostgreSQL cannot store, among them), lone surrogates and the
# bidirectional overrides that make a name read otherwise than it is written.
_BAD_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def _shown(text: str) -> str:
    """A text as it may be stored and shown: control characters replaced, cut when long."""
    text = _BAD_CHARACTERS.sub("\ufffd", text)
    return text if len(text) <= SHOWN_CELL else text[:SHOWN_CELL] + "…"


def cell_text(value: Cell) -> str:
    """A cell as text: spaces folded; dates DD/MM/YYYY; whole numbers without ".0"; the
    apostrophe our own files put before a formula-looking text removed (core.csv)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() else value
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = " ".join(str(value).split())
    if len(text) > 1 and text[0] == "'" and text[1:].startswith(FORMULA_START):
        text = text[1:]
    return text


def table_rows(table: Table, positions: dict[str, int]) -> list[tuple[int, dict[str, str]]]:
    """Each row of ``table`` as the text of each of our columns."""
    return [
        (
            number,
            {
                key: cell_text(cells[index]) if index < len(cells) else ""
                for key, index in positions.items()
            },
        )
        for number, cells in table.rows
    ]


_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S")


def parse_date(text: str) -> datetime.date | None:
    """A day written DD/MM/YYYY (or ISO), within the years a right may have; else None."""
    for pattern in _DATE_FORMATS:
        try:
            day = datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 - a day
        except ValueError:
            continue
        if DateField.first_day <= day <= DateField.last_day:
            return day
        return None
    return None


def finess_number(text: str) -> str:
    """The FINESS number of a cell: spaces dropped, and the leading zero Excel removes from a
    number put back ("10000024" is 010000024)."""
    number = "".join(text.split()).upper()
    if len(number) == 8 and number.isdigit() and is_valid_finess("0" + number):
        return "0" + number
    return number


# --- The rows


@dataclass
class Row:
    """One row of the file, classified; stored as JSON in the batch (``as_json``)."""

    number: int
    values: dict[str, str]
    status: str = ERROR
    messages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    email: str = ""
    user_id: int | None = None
    profile_id: int | None = None
    establishment_id: int | None = None
    unit_id: int | None = None
    start_date: str | None = None
    end_date: str | None = None
    # After the apply: "created", "added", "unchanged" or "error".
    outcome: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Row:
        return cls(**data)

    @property
    def is_valid(self) -> bool:
        return self.status in (NEW, ADD)

    def fail(self, message: str) -> None:
        self.status = ERROR
        self.messages.append(message)


@dataclass
class _Lookups:
    """What the rows need from the database, loaded once for the whole file."""

    profiles: dict[str, Profile]
    establishments: dict[str, Establishment]
    units: dict[int, _UnitIndex]
    users: dict[str, User]
    open_rights: dict[int, list[Habilitation]]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _lookups(rows: list[tuple[int, dict[str, str]]]) -> _Lookups:
    profiles: dict[str, Profile] = {}
    for profile in Profile.objects.all():
        profiles[fold(profile.name)] = profile
        profiles.setdefault(fold(profile.code), profile)
    numbers = sorted({finess_number(values.get("finess", "")) for _n, values in rows} - {""})
    numbers = [number for number in numbers if is_valid_finess(number)]
    establishments: dict[str, Establishment] = {}
    for chunk in _chunks(numbers):
        for establishment in Establishment.objects.filter(finess__in=chunk).only(
            "pk", "finess", "name", "is_active"
        ):
            establishments[establishment.finess] = establishment
    units_of: dict[int, list[Unit]] = {}
    wanted = any(values.get("unit") for _n, values in rows)
    ids = sorted(establishment.pk for establishment in establishments.values())
    for chunk in _chunks(ids if wanted else []):
        for unit in Unit.objects.filter(establishment_id__in=chunk).only(
            "pk", "establishment_id", "name", "code", "is_active"
        ):
            units_of.setdefault(unit.establishment_id, []).append(unit)
    units = {pk: _UnitIndex(members) for pk, members in units_of.items()}
    emails = sorted({normalize_email(values.get("email", "")) for _n, values in rows} - {""})
    users: dict[str, User] = {}
    for chunk in _chunks(emails):
        for user in User.objects.filter(email__in=chunk).only(
            "pk", "email", "last_name", "first_name", "is_staff", "is_superuser", "is_active"
        ):
            users[user.email] = user
    open_rights: dict[int, list[Habilitation]] = {}
    user_ids = sorted(user.pk for user in users.values())
    for chunk in _chunks(user_ids):
        for right in (
            Habilitation.objects.open_on()
            .filter(user_id__in=chunk)
            .only("user", "profile", "establishment", "unit", "start_date", "end_date")
        ):
            open_rights.setdefault(right.user_id, []).append(right)
    return _Lookups(profiles, establishments, units, users, open_rights)


class _UnitIndex:
    """The units of one establishment by name and code, to find them in constant time."""

    def __init__(self, units: list[Unit]) -> None:
        self.by_name: dict[str, list[Unit]] = {}
        self.by_code: dict[str, list[Unit]] = {}
        self.by_folded: dict[str, list[Unit]] = {}
        for unit in units:
            self.by_name.setdefault(unit.name.lower(), []).append(unit)
            if unit.code:
                self.by_code.setdefault(unit.code.lower(), []).append(unit)
            self.by_folded.setdefault(fold(unit.name), []).append(unit)

    def find(self, text: str) -> tuple[Unit | None, bool]:
        """The unit named ``text``: its name or code, case aside, then its name, accents
        aside. (None, True) when several units answer to it."""
        for matches in (
            self.by_name.get(text.lower()),
            self.by_code.get(text.lower()),
            self.by_folded.get(fold(text)),
        ):
            if matches:
                return (matches[0], False) if len(matches) == 1 else (None, True)
        return None, False


# The single form's fields check the person's details: same limits, same messages.
_DETAIL_FIELDS = ("last_name", "first_name", "email", "phone", "job_title")


def _field_errors(key: str, value: str) -> list[str]:
    form_field = cast(forms.Field, AccountCreateForm.base_fields[key])
    try:
        form_field.clean(value)
    except ValidationError as error:
        return list(error.messages)
    return []


def _in_column(key: str, message: str) -> str:
    return _("%(column)s: %(message)s") % {"column": column_name(key), "message": message}


def _messages(error: ValidationError) -> list[str]:
    return list(error.messages)


def classify(rows: list[tuple[int, dict[str, str]]], *, actor: User, scope: Scope) -> list[Row]:
    """Every row of the file classified (``NEW``, ``ADD``, ``UNCHANGED`` or ``ERROR``), in the
    file's order, without writing anything."""
    found = _lookups(rows)
    today = timezone.localdate()
    grantable = ", ".join(profile.name for profile in scope.grantable_profiles())
    seen: dict[tuple[str, int, int, int | None], int] = {}
    created_by: dict[str, int] = {}  # address -> row creating its account
    result = []
    for number, values in rows:
        row = Row(number=number, values={key: _shown(values.get(key, "")) for key in COLUMN_KEYS})
        result.append(row)
        _classify_row(row, values, found, actor, scope, today, grantable, seen, created_by)
    return result


def _classify_row(
    row: Row,
    values: dict[str, str],
    found: _Lookups,
    actor: User,
    scope: Scope,
    today: datetime.date,
    grantable: str,
    seen: dict[tuple[str, int, int, int | None], int],
    created_by: dict[str, int],
) -> None:
    for key, text in values.items():
        if _BAD_CHARACTERS.search(text):
            row.fail(_in_column(key, _("contains control or invisible characters.")))
    if row.messages:
        return
    email = normalize_email(values.get("email", ""))
    row.email = email
    user = found.users.get(email)
    new_account = user is None and email not in created_by
    for key in _DETAIL_FIELDS:
        value = values.get(key, "")
        if not value and key in ("last_name", "first_name") and not new_account:
            continue  # an existing account keeps its details
        row.messages.extend(_in_column(key, message) for message in _field_errors(key, value))

    profile = found.profiles.get(fold(values.get("profile", "")))
    if not values.get("profile"):
        row.messages.append(_in_column("profile", _("missing.")))
    elif profile is None:
        row.messages.append(
            _in_column(
                "profile",
                _("unknown profile “%(profile)s”; the profiles you may give: %(profiles)s.")
                % {"profile": _shown(values["profile"]), "profiles": grantable},
            )
        )

    establishment, unit = _structure(row, values, found)

    start_text, end_text = values.get("start", ""), values.get("end", "")
    start = parse_date(start_text) if start_text else today
    end = parse_date(end_text) if end_text else None
    for key, text, day in (("start", start_text, start), ("end", end_text, end)):
        if text and day is None:
            row.messages.append(
                _in_column(
                    key,
                    _("“%(value)s” is not a date: write it DD/MM/YYYY.") % {"value": _shown(text)},
                )
            )
    if row.messages or profile is None or establishment is None or start is None:
        row.status = ERROR
        return
    end = end or services.default_end_date(start)
    same = (email, profile.pk, establishment.pk, unit.pk if unit else None)
    if same in seen:
        row.fail(
            _("Same person, profile and structure as row %(row)s of the file.")
            % {"row": seen[same]}
        )
        return
    seen[same] = row.number

    # A right already there asks for nothing, so no rule applies to it (a référent's own
    # rights in a re-imported export): only the scope, which keeps other structures' rights
    # unseen.
    existing = None
    if user is not None and scope.administers(establishment.pk, unit.pk if unit else None):
        existing = services.overlapping_right(
            found.open_rights.get(user.pk, []),
            profile=profile,
            establishment=establishment,
            unit=unit,
            start_date=start,
            end_date=end,
        )
        dated = bool(start_text or end_text)
        if existing is not None and (
            not dated or (existing.start_date, existing.end_date) == (start, end)
        ):
            row.status = UNCHANGED
            row.notes.append(
                _("Already holds this right, from %(start)s to %(end)s.")
                % {
                    "start": date_format(existing.start_date, "SHORT_DATE_FORMAT"),
                    "end": date_format(existing.end_date, "SHORT_DATE_FORMAT"),
                }
            )
            return
    try:
        services.check_grant(
            actor=actor,
            scope=scope,
            user=user,
            profile=profile,
            establishment=establishment,
            unit=unit,
            start_date=start,
            end_date=end,
        )
    except services.NotAllowed:
        row.fail(_outside_scope(scope, establishment, unit))
        return
    except ValidationError as error:
        for message in _messages(error):
            row.fail(message)
        return
    if existing is not None:
        row.fail(_messages(services.duplicate_error(existing))[0])
        return

    row.profile_id, row.establishment_id = profile.pk, establishment.pk
    row.unit_id = unit.pk if unit else None
    row.start_date, row.end_date = start.isoformat(), end.isoformat()
    if user is not None:
        row.user_id = user.pk
        row.status = ADD
        named = fold(f"{values.get('last_name', '')} {values.get('first_name', '')}")
        if named and named != fold(f"{user.last_name} {user.first_name}"):
            row.notes.append(
                _("The account exists under the name %(name)s: its details are left as they are.")
                % {"name": user.full_name}
            )
        return
    if email in created_by:
        row.status = ADD
        row.notes.append(_("To the account created by row %(row)s.") % {"row": created_by[email]})
        return
    row.status = NEW
    created_by[email] = row.number


def _structure(
    row: Row, values: dict[str, str], found: _Lookups
) -> tuple[Establishment | None, Unit | None]:
    """The establishment of the FINESS column and the unit of the unit column (errors added
    to ``row``)."""
    text = values.get("finess", "")
    if not text:
        row.messages.append(_in_column("finess", _("missing.")))
        return None, None
    number = finess_number(text)
    if not is_valid_finess(number):
        row.messages.append(
            _in_column(
                "finess",
                _("“%(value)s” is not a valid FINESS number (9 characters, valid check digit).")
                % {"value": _shown(text)},
            )
        )
        return None, None
    establishment = found.establishments.get(number)
    if establishment is None:
        row.messages.append(
            _in_column(
                "finess", _("no establishment has the number %(finess)s.") % {"finess": number}
            )
        )
        return None, None
    unit_text = values.get("unit", "")
    if not unit_text:
        return establishment, None
    index = found.units.get(establishment.pk)
    unit, ambiguous = index.find(unit_text) if index is not None else (None, False)
    if ambiguous:
        row.messages.append(
            _in_column(
                "unit",
                _("several units of %(establishment)s answer to “%(unit)s”: use its code.")
                % {"establishment": establishment.name, "unit": _shown(unit_text)},
            )
        )
    elif unit is None:
        row.messages.append(
            _in_column(
                "unit",
                _("%(establishment)s has no unit named “%(unit)s”.")
                % {"establishment": establishment.name, "unit": _shown(unit_text)},
            )
        )
    return establishment, unit


def _outside_scope(scope: Scope, establishment: Establishment, unit: Unit | None) -> str:
    if unit is None and establishment.pk in scope.unit_establishment_ids:
        return _(
            "You administer some units of %(establishment)s, not the whole establishment: name "
            "the unit in the “%(column)s” column."
        ) % {"establishment": establishment.name, "column": column_name("unit")}
    return _("%(structure)s is not among the structures you administer.") % {
        "structure": unit.name if unit else establishment.name
    }


def counts(rows: Iterable[Row]) -> dict[str, int]:
    """Rows by status, every status present."""
    result = dict.fromkeys(STATUSES, 0)
    for row in rows:
        result[row.status] += 1
    return result
