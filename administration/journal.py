"""How the Journal tells an audit event: names instead of ids, labels instead of keys.

The trail keeps what a change was as the services wrote it (``audit.trail.record``): ids of
people, structures and rights, profile codes, ISO dates, and a few keys of their own
(``account_exists``, ``campaign``...). A référent reads the profile's label, the unit's name,
a date in local time and the field's verbose name; keys that only mean something to the code
are left out (the export keeps the raw JSON beside the text). Rows written before a service
changed what it records, and the administration site's ``admin.changed`` rows, are told with the
same rules: an unknown key still shows, as a readable label and value.

The names are looked up for a whole page (or a chunk of the export) at once: ``EventNames``
makes one query per kind of name, however many events.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import Habilitation, Profile, User
from audit.models import AuditEvent
from mfa.models import Factor
from oidc.models import LinkedIdentity
from structures.models import Establishment, Unit

Action = AuditEvent.Action

SIGNIN_ACTIONS = (Action.SIGNIN_SUCCEEDED, Action.SIGNIN_FAILED)

# The models whose fields the keys of an action's before/after are, tried in order.
_MODELS_OF_ACTION: dict[str, tuple[type[models.Model], ...]] = {
    # account.updated records a right's e-mail reminders.
    "account": (User, Habilitation),
    "habilitation": (Habilitation,),
    "establishment": (Establishment,),
    "unit": (Unit,),
}

# Labels of the keys that are no model field. The review campaigns' keys are named here with
# the msgids of reviews.models, which this app may not import.
_LABELS = {
    "habilitation": gettext_lazy("habilitation"),
    "account_exists": gettext_lazy("Account"),
    "blocked": gettext_lazy("account blocked"),
    "reason": gettext_lazy("reason for blocking"),
    "version": gettext_lazy("charter version"),
    # charter.reminded names the version it reminded of.
    "charter": gettext_lazy("charter version"),
    "password": gettext_lazy("password"),
    "snapshot_date": gettext_lazy("snapshot date"),
    "rights": gettext_lazy("rights to review"),
    "decision": gettext_lazy("decision"),
    "comment": gettext_lazy("comment"),
    "kept": gettext_lazy("Kept"),
    "removed": gettext_lazy("Right removed"),
    "already_ended": gettext_lazy("Already ended before closing"),
    "undecided": gettext_lazy("Undecided: unchanged"),
    "file": gettext_lazy("file"),
    "establishments": gettext_lazy("establishments"),
    "legal_entities": gettext_lazy("legal entities"),
    "rejected_records": gettext_lazy("rejected records"),
    # The second factor's and the identity providers' events.
    "factor": gettext_lazy("second factor"),
    "factors": gettext_lazy("second factors"),
    "kind": gettext_lazy("Type"),
    "method": gettext_lazy("Second factor"),
    "unused_codes": gettext_lazy("unused recovery codes"),
    "recovery_codes_deleted": gettext_lazy("recovery codes deleted"),
    "enrolment_required": gettext_lazy("enrolment required"),
    "provider": gettext_lazy("provider"),
    "subject": gettext_lazy("identifier at the provider"),
    "how": gettext_lazy("linked"),
    "refused": gettext_lazy("Reason"),
}

# Codes some keys hold, and how they read.
_CODES: dict[str, dict[str, Any]] = {
    "kind": dict(Factor.Kind.choices),
    "method": {
        **dict(Factor.Kind.choices),
        "recovery": gettext_lazy("recovery code"),
    },
    "how": dict(LinkedIdentity.How.choices),
}

_DECISIONS = {
    "keep": pgettext_lazy("review decision", "Keep"),
    "remove": pgettext_lazy("review decision", "Remove"),
}

# Ids and markers for the code only: the event's columns, or the raw JSON of the export, say it.
_INTERNAL_KEYS = frozenset({"campaign", "model", "object", "operation", "label", "demo"})

# The keys naming a person or a structure by id, and the event column that may say the same.
_REFERENCE_COLUMNS = {
    "user": "target_user_id",
    "establishment": "establishment_id",
    "unit": "unit_id",
}

# Written instead of a secret's value (audit.admin.SECRET_FIELDS, the password page).
_HIDDEN_VALUE = "…"


@dataclass(frozen=True)
class Change:
    """One line of an event: a label, the value before (None: none to show) and after."""

    label: str
    before: str | None
    after: str

    def __str__(self) -> str:
        label = _("%(label)s:") % {"label": self.label}
        if self.before is None:
            return f"{label} {self.after}"
        return f"{label} {self.before} → {self.after}"


class EventNames:
    """The names of the people, structures, profiles and rights some events refer to by id.

    One query per kind of name found in the events' before/after, none for a kind absent.
    """

    def __init__(self, events: Iterable[AuditEvent]) -> None:
        ids: dict[str, set[Any]] = {key: set() for key in (*_REFERENCE_COLUMNS, "habilitation")}
        codes: set[str] = set()
        for event in events:
            if event.action == Action.ADMIN_CHANGED:
                continue  # its values are written as text already
            for side in (event.before, event.after):
                if not isinstance(side, dict):
                    continue
                for key, found in ids.items():
                    if _is_id(side.get(key)):
                        found.add(side[key])
                if isinstance(side.get("profile"), str):
                    codes.add(side["profile"])
        self.users: dict[int, str] = {
            user.pk: user.full_name
            for user in _fetch(User, ids["user"]).only("pk", "last_name", "first_name")
        }
        self.establishments: dict[int, str] = dict(
            _fetch(Establishment, ids["establishment"]).values_list("pk", "name")
        )
        self.units: dict[int, str] = dict(_fetch(Unit, ids["unit"]).values_list("pk", "name"))
        # A right is named by its profile: the event's columns say whose and where.
        self.habilitations: dict[int, str] = dict(
            _fetch(Habilitation, ids["habilitation"]).values_list("pk", "profile__name")
        )
        self.profiles: dict[str, str] = (
            dict(Profile.objects.filter(code__in=codes).values_list("code", "name"))
            if codes
            else {}
        )

    def of(self, key: str, value: Any) -> str | None:
        """The name of the thing ``key`` refers to by ``value``, None if it is no reference."""
        if key == "profile" and isinstance(value, str):
            return self.profiles.get(value, value)
        if not _is_id(value):
            return None
        known = {
            "user": self.users,
            "establishment": self.establishments,
            "unit": self.units,
            "habilitation": self.habilitations,
        }.get(key)
        if known is None:
            return None
        # An id that resolves to nothing (a row of another database, say) still shows.
        return known.get(value, f"#{value}")


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


M = TypeVar("M", bound=models.Model)


def _fetch(model: type[M], pks: set[Any]) -> models.QuerySet[M]:
    queryset = model._default_manager.filter(pk__in=pks)
    return queryset if pks else queryset.none()


# --- Labels and values


def _models_of(event: AuditEvent) -> tuple[type[models.Model], ...]:
    if event.action == Action.ADMIN_CHANGED:
        model = _admin_model(event)
        return (model,) if model is not None else ()
    return _MODELS_OF_ACTION.get(event.action.split(".", 1)[0], ())


def _admin_model(event: AuditEvent) -> type[models.Model] | None:
    label = event.after.get("model") if isinstance(event.after, dict) else None
    if not isinstance(label, str):
        return None
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _field(event: AuditEvent, key: str) -> models.Field | None:
    for model in _models_of(event):
        try:
            field = model._meta.get_field(key)
        except FieldDoesNotExist:
            continue
        if isinstance(field, models.Field):
            return field
    return None


def _label(event: AuditEvent, key: str) -> str:
    field = _field(event, key)
    return capfirst(str(field.verbose_name)) if field is not None else _key_label(key)


def _key_label(key: str) -> str:
    """The label of a key that is no model field: ours, or the key made readable."""
    return capfirst(str(_LABELS[key]) if key in _LABELS else key.replace("_", " ")) or key


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _blank(event: AuditEvent, key: str, value: Any) -> bool:
    """Whether a value says nothing; a right without a unit is on the whole establishment."""
    return _is_empty(value) and not (key == "unit" and event.action.startswith("habilitation."))


def _value(event: AuditEvent, key: str, value: Any, names: EventNames) -> str:
    if _is_empty(value):
        if key == "unit" and event.action.startswith("habilitation."):
            return _("The whole establishment")
        return "—"
    if value == _HIDDEN_VALUE:
        return _("changed (not shown)")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if event.action != Action.ADMIN_CHANGED:
        name = names.of(key, value)
        if name is not None:
            return name
        if key == "decision" and isinstance(value, str) and value in _DECISIONS:
            return str(_DECISIONS[value])
        if isinstance(value, str) and value in _CODES.get(key, {}):
            return str(_CODES[key][value])
        if isinstance(value, str) and key == "method" and value.startswith("oidc:"):
            return value.removeprefix("oidc:")
        if key == "factors" and isinstance(value, list):
            return ", ".join(_factor(item) for item in value) or "—"
    field = _field(event, key)
    if field is not None and field.choices and isinstance(value, str | int):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, str):
        return _moment(field, key, value) or value
    if isinstance(value, dict):
        return ", ".join(str(Change(_key_label(k), None, _plain(v))) for k, v in value.items())
    return _plain(value)


def _factor(item: Any) -> str:
    """A second factor of a reset's list: its name and its kind."""
    if not isinstance(item, dict):
        return _plain(item)
    code = str(item.get("kind") or "")
    kind = _CODES["kind"].get(code, code)
    return f"{item.get('name', '')} ({kind})" if kind else str(item.get("name", ""))


def _plain(value: Any) -> str:
    if _is_empty(value):
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value)
    return str(value)


def _moment(field: models.Field | None, key: str, value: str) -> str | None:
    """An ISO date or time as the person reads it (local time), None if ``value`` is none."""
    if isinstance(field, models.DateTimeField) or (field is None and key.endswith("_at")):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return None
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    if isinstance(field, models.DateField) or (field is None and key.endswith("_date")):
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return None
        return formats.date_format(day, "SHORT_DATE_FORMAT")
    return None


# --- An event's lines


def event_changes(event: AuditEvent, names: EventNames) -> list[Change]:
    """What an event says, line by line: the keys that changed, and what a référent needs
    to read them (the right concerned; the object of an administration-site change)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    changes = _admin_object(event, after)
    keys = _in_reading_order(event, [*after, *(key for key in before if key not in after)])
    if "profile" in keys and "habilitation" in keys:
        keys.remove("habilitation")  # the profile names the right already
    for key in keys:
        change = _change(event, key, before, after, names)
        if change is not None:
            changes.append(change)
    return changes


def _in_reading_order(event: AuditEvent, keys: list[str]) -> list[str]:
    """The keys in an order that does not depend on the database (PostgreSQL's jsonb sorts
    them its own way): ours first (the right concerned, then as listed in ``_LABELS``), then
    the model's fields as declared, then the unknown ones as stored."""
    labels = list(_LABELS)

    def rank(item: tuple[int, str]) -> tuple[int, int]:
        position, key = item
        field = _field(event, key)
        if field is not None:
            return (1, field.creation_counter)
        if key in _LABELS:
            return (0, labels.index(key))
        return (2, position)

    return [key for _position, key in sorted(enumerate(keys), key=rank)]


def _change(
    event: AuditEvent, key: str, before: dict, after: dict, names: EventNames
) -> Change | None:
    if key in _INTERNAL_KEYS or (key == "charter" and event.action == Action.CHARTER_ACCEPTED):
        return None
    old, new = before.get(key), after.get(key)
    label = _label(event, key)
    if key == "account_exists":
        # Only worth saying when there is no account: a sign-in names its person otherwise.
        return Change(label, None, _("unknown address")) if new is False else None
    if key == "habilitation" or new == _HIDDEN_VALUE:
        # The right concerned (the same before and after); a secret that changed.
        return Change(label, None, _value(event, key, new if key in after else old, names))
    if key not in after:
        return Change(label, _value(event, key, old, names), "—")
    if key in before:
        if old == new or (_blank(event, key, old) and _blank(event, key, new)):
            return None
        if _blank(event, key, old):
            return Change(label, None, _value(event, key, new, names))
        return Change(label, _value(event, key, old, names), _value(event, key, new, names))
    # Only after: a creation's values, or what the event is about.
    if _blank(event, key, new) or _says_a_column(event, key, new):
        return None
    return Change(label, None, _value(event, key, new, names))


def _says_a_column(event: AuditEvent, key: str, value: Any) -> bool:
    """Whether ``key`` names the person or structure the event's own columns show."""
    column = _REFERENCE_COLUMNS.get(key)
    return (
        column is not None
        and event.action != Action.ADMIN_CHANGED
        and (value is None or _is_id(value))
        and getattr(event, column) == value
    )


def _admin_object(event: AuditEvent, after: dict) -> list[Change]:
    """An administration-site change names the object first: "Profile: Infirmier(e)"."""
    if event.action != Action.ADMIN_CHANGED or "label" not in after:
        return []
    model = _admin_model(event)
    label = capfirst(str(model._meta.verbose_name)) if model is not None else _("Object")
    value = str(after["label"])
    if after.get("operation") == "added":
        value = _("%(object)s (created)") % {"object": value}
    return [Change(label, None, value)]


def actor_of(event: AuditEvent) -> User | None:
    """Who did it: the actor; for a sign-in, the person whose account it was."""
    if event.actor is not None:
        return event.actor
    if event.action in SIGNIN_ACTIONS:
        # Sign-ins written before they named their actor, and the failed ones: whoever typed
        # the password is not known, the account is.
        return event.target_user
    return None


def actor_name(event: AuditEvent) -> str:
    actor = actor_of(event)
    return actor.full_name if actor is not None else _("System")


def structure_name(event: AuditEvent) -> str:
    establishment = event.establishment.name if event.establishment is not None else ""
    if event.unit is not None:
        return f"{event.unit.name} – {establishment}"
    return establishment


def describe(events: Sequence[AuditEvent]) -> list[tuple[AuditEvent, list[Change]]]:
    """Each event with its lines, the names of the whole batch looked up at once."""
    names = EventNames(events)
    return [(event, event_changes(event, names)) for event in events]
