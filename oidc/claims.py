"""What the application reads in a provider's claims: the person's RPPS or ADELI number, and
the FINESS numbers of the establishments where they work (Pro Santé Connect's
``SubjectRefPro``). Nothing else of the claims is kept or gives any right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from oidc.providers import Provider

# Pro Santé Connect gives the "identifiant national" of a professional: the RPPS number after
# an "8" (12 characters), or the ADELI number after a "0" (10 characters).
_PREFIXED_RPPS = re.compile(r"8([0-9]{11})")
_PREFIXED_ADELI = re.compile(r"0([0-9]{9}|2[AB][0-9]{7})", re.IGNORECASE)
_RPPS_OR_ADELI = re.compile(r"[0-9]{11}|[0-9]{9}|2[AB][0-9]{7}", re.IGNORECASE)
_FINESS = re.compile(r"[0-9][0-9AB][0-9]{7}", re.IGNORECASE)


def national_id(provider: Provider, claims: dict[str, Any]) -> str:
    """The RPPS (11 digits) or ADELI (9 characters) number in the provider's claims, as
    ``User.national_id`` stores it; "" when none of the configured claims holds one."""
    for name in provider.national_id_claims:
        value = "".join(str(claims.get(name) or "").split()).upper()
        for pattern in (_PREFIXED_RPPS, _PREFIXED_ADELI):
            match = pattern.fullmatch(value)
            if match:
                return match.group(1)
        if _RPPS_OR_ADELI.fullmatch(value):
            return value
    return ""


@dataclass(frozen=True)
class Workplaces:
    """The FINESS numbers of the person's activities: sites, and legal entities."""

    sites: tuple[str, ...]
    legal_entities: tuple[str, ...]


def workplaces(claims: dict[str, Any]) -> Workplaces:
    """``SubjectRefPro.exercices[].activities[]``: ``numeroFinessSite`` and
    ``numeroFinessetablissementJuridique``, each once, in order; malformed values left out."""
    sites: dict[str, None] = {}
    entities: dict[str, None] = {}
    ref_pro = claims.get("SubjectRefPro")
    exercices = ref_pro.get("exercices") if isinstance(ref_pro, dict) else None
    for exercice in exercices if isinstance(exercices, list) else []:
        activities = exercice.get("activities") if isinstance(exercice, dict) else None
        for activity in activities if isinstance(activities, list) else []:
            if not isinstance(activity, dict):
                continue
            for key, found in (
                ("numeroFinessSite", sites),
                ("numeroFinessetablissementJuridique", entities),
            ):
                value = str(activity.get(key) or "").strip().upper()
                if _FINESS.fullmatch(value):
                    found[value] = None
    return Workplaces(tuple(sites), tuple(entities))
