"""FINESS numbers and the other codes of the national register.

A FINESS number is 9 characters, ``[0-9][0-9A-Z][0-9]{7}``, starting with the département code.
Its last digit is a Luhn check digit over the 9 characters, Corsica's ``2A``/``2B`` read as
``21``/``22`` first.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

FINESS_RE = re.compile(r"^[0-9][0-9AB][0-9]{7}$")
_CORSICA = {"2A": "21", "2B": "22"}


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_valid_finess(value: str) -> bool:
    if not isinstance(value, str) or not FINESS_RE.match(value):
        return False
    if value[1] in "AB":
        if value[0] != "2":
            return False
        value = _CORSICA[value[:2]] + value[2:]
    return luhn_ok(value)


def validate_finess(value: str) -> None:
    if not is_valid_finess(value):
        raise ValidationError(
            _("“%(value)s” is not a valid FINESS number (9 characters, valid check digit)."),
            code="invalid_finess",
            params={"value": value},
        )


def with_check_digit(first_eight: str) -> str:
    """Complete an 8-character FINESS prefix with its Luhn check digit."""
    digits = _CORSICA.get(first_eight[:2], first_eight[:2]) + first_eight[2:]
    for check in "0123456789":
        if luhn_ok(digits + check):
            return first_eight + check
    raise ValueError(first_eight)  # pragma: no cover - one digit always fits


# Overseas: INSEE commune codes start with 3 digits, FINESS numbers with 97x / 98x.
_OVERSEAS_BY_INSEE = {
    "971": "9A",
    "977": "9A",
    "978": "9A",
    "972": "9B",
    "973": "9C",
    "974": "9D",
    "975": "9E",
    "976": "9F",
    "986": "9J",
}
_OVERSEAS_BY_FINESS = {
    "9701": "9A",
    "9702": "9B",
    "9703": "9C",
    "9704": "9D",
    "9750": "9E",
    "9760": "9F",
    "9860": "9J",
}


def departement_code(finess: str = "", commune: str = "") -> str:
    """The register's département code (01-95, 2A, 2B, 9A-9J) of an establishment.

    Taken from the INSEE commune code when there is one, otherwise from the FINESS number.
    Returns "" when neither says.
    """
    commune = (commune or "").strip().upper()
    if len(commune) == 5:
        if commune[:2] in {"97", "98"}:
            return _OVERSEAS_BY_INSEE.get(commune[:3], "")
        return commune[:2]
    finess = (finess or "").strip().upper()
    if len(finess) >= 4:
        if finess[:2] in {"97", "98"}:
            return _OVERSEAS_BY_FINESS.get(finess[:4], _OVERSEAS_BY_INSEE.get(finess[:3], ""))
        return finess[:2]
    return ""


def fold(text: str) -> str:
    """Accent- and case-insensitive form used for search: "Hôpital St-Jean" -> "hopital st jean"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    words = re.findall(r"[0-9a-z]+", stripped.lower())
    return " ".join(words)
