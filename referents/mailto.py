"""``mailto:`` links with a pre-filled subject and body."""

from urllib.parse import quote

from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import ReferentLookup


def mailto(address: str, subject: str, body: str = "") -> str:
    # RFC 6068: percent-encoding, spaces as %20 (mail clients show "+" literally).
    query = f"subject={quote(subject, safe='')}"
    if body:
        query += f"&body={quote(body, safe='')}"
    return f"mailto:{quote(address, safe='@')}?{query}"


def structure_label(lookup: ReferentLookup) -> str:
    establishment = lookup.establishment
    if lookup.unit is not None:
        return f"{lookup.unit.name} – {establishment.name} (FINESS {establishment.finess})"
    return f"{establishment.name} (FINESS {establishment.finess})"


def referent_subject(lookup: ReferentLookup) -> str:
    return _("ViaRéférents – %(structure)s") % {"structure": structure_label(lookup)}


def escalation_subject(lookup: ReferentLookup) -> str:
    return _("No referent identified – %(structure)s") % {"structure": structure_label(lookup)}


def escalation_body(lookup: ReferentLookup, person: User) -> str:
    return _(
        "Hello,\n\n"
        "No referent is identified for %(structure)s, so nobody can manage the "
        "accounts and rights of its staff.\n\n"
        "Could you help, or tell me whom to contact?\n\n"
        "%(name)s\n%(email)s\n%(phone)s"
    ) % {
        "structure": structure_label(lookup),
        "name": person.get_full_name(),
        "email": person.email,
        "phone": person.phone,
    }
