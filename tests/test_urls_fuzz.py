"""No request to any URL of the application produces a server error (property-based).

Every URL pattern of the project (the Django admin aside) has a row in ``URLS``: the objects
its path names, the query parameters its view reads and, when it accepts POST, its form
fields. Hypothesis then sends, as each kind of person, path arguments drawn from the world
(objects in and out of the person's scope) and from the pattern's converters (0, numbers too
large for the database, long, non-Latin and percent-encoded strings), those parameters and
unknown ones with hostile values (10,000 characters, CJK, Arabic, emoji, combining accents,
control characters, SQL and LIKE metacharacters, digits that are not ASCII, odd page numbers
and dates), and random form data. The answer may be a 404, a 400, a redirect or a page with
errors, never a 5xx. A URL added to the project without a row here fails
``test_every_url_is_fuzzed``.

Each example runs in a transaction rolled back afterwards, so the world stays as built and the
people stay signed in, whatever the previous example changed (or signed out).
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, converters, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts import people as people_services
from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User
from audit import trail
from audit.models import AuditEvent
from core.converters import IdConverter
from mfa.models import Factor
from oidc.models import LinkedIdentity
from reviews import selectors as review_selectors
from reviews import services as review_services
from reviews.models import ReviewCampaign, ReviewDecision
from structures.models import Sector
from tests.oidc.provider import Provider as OidcProvider

# More examples for a longer run: FUZZ_EXAMPLES=500 pytest tests/test_urls_fuzz.py
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


@dataclass(frozen=True)
class Fuzz:
    """What a URL takes: the world's objects its path names (a key of ``World.paths``), the
    query parameters its view reads, and its form fields when it accepts POST (else None).

    ``{decision}`` in a field name stands for each decision id of the world's campaigns.
    """

    objects: str | None = None
    params: tuple[str, ...] = ()
    fields: tuple[str, ...] | None = None


PERSON_FIELDS = ("last_name", "first_name", "email", "phone", "job_title")
GRANT_FIELDS = ("profile", "structure", "start_date", "end_date")
UNIT_FIELDS = ("name", "code", "phone", "email", "version")
JOURNAL_PARAMS = ("action", "person", "date_from", "date_to", "structure", "page")
# Prolonger / Terminer: people or rights ticked, or "all" with the accounts list's filter.
BULK_SELECTION = (
    *("people", "rights", "all"),
    *("q", "blocked", "ending_soon", "charter_missing", "dormant"),
)
REVIEW_PARAMS = (
    *("etablissement", "statut", "fin", "profil", "unite", "dormant", "bloque", "charte"),
    *("tri", "page", "q"),
)

URLS: dict[str, Fuzz] = {
    "home": Fuzz(fields=()),  # a RedirectView answers every method
    "healthz": Fuzz(),
    "readyz": Fuzz(),
    "set_language": Fuzz(params=("next",), fields=("language", "next")),
    "accounts:sign_in": Fuzz(params=("next",), fields=("username", "password", "next")),
    "accounts:blocked_help": Fuzz(fields=("email",)),
    "accounts:sign_out": Fuzz(params=("next",), fields=("next",)),
    "accounts:password_reset": Fuzz(fields=("email",)),
    "accounts:password_reset_done": Fuzz(),
    "accounts:password_reset_confirm": Fuzz(
        "reset_link", fields=("new_password1", "new_password2")
    ),
    "accounts:password_reset_complete": Fuzz(),
    "accounts:my_account": Fuzz(),
    "accounts:set_reminders": Fuzz("right", fields=("email_reminders",)),
    "accounts:password_change": Fuzz(fields=("old_password", "new_password1", "new_password2")),
    "accounts:set_digest": Fuzz(fields=("receives_digest",)),
    "accounts:charter_accept": Fuzz(params=("next",), fields=("version", "next")),
    "oidc:sign_in": Fuzz("oidc_provider", params=("next",)),
    "oidc:callback": Fuzz("oidc_provider", params=("state", "code", "error")),
    "oidc:link": Fuzz("oidc_provider"),
    "oidc:unlink": Fuzz("linked_identity", fields=()),
    "mfa:verify": Fuzz(params=("next",), fields=("code", "credential", "next")),
    "mfa:enrol": Fuzz(params=("next",)),
    "mfa:enrol_totp": Fuzz(params=("next",), fields=("name", "code", "next")),
    "mfa:enrol_passkey": Fuzz(params=("next",), fields=("name", "credential", "next")),
    "mfa:confirm_password": Fuzz(params=("next",), fields=("password", "next")),
    "mfa:recovery_codes": Fuzz(params=("next",), fields=("next",)),
    "mfa:factor_remove": Fuzz("factor", fields=()),
    "mfa:person_reset": Fuzz("person", fields=()),
    "administration:charter_pending": Fuzz(params=("page",)),
    "administration:charter_remind": Fuzz(fields=("people", "page")),
    "referents:mine": Fuzz(),
    "referents:list": Fuzz(
        params=("q", "secteur", "page", "etablissement", "departement", "region", "upage")
    ),
    "referents:tree_children": Fuzz("tree_node", params=("secteur", "page")),
    "referents:establishment": Fuzz("establishment"),
    "referents:unit": Fuzz("unit"),
    "administration:people": Fuzz(
        params=("q", "blocked", "ending_soon", "charter_missing", "dormant", "page")
    ),
    "administration:person_create": Fuzz(fields=(*PERSON_FIELDS, *GRANT_FIELDS)),
    "administration:bulk_extend": Fuzz(
        params=BULK_SELECTION, fields=(*BULK_SELECTION, "end_date", "expected")
    ),
    "administration:bulk_end": Fuzz(
        params=BULK_SELECTION, fields=(*BULK_SELECTION, "reason", "expected")
    ),
    "administration:people_export": Fuzz(
        params=("q", "blocked", "ending_soon", "charter_missing", "dormant")
    ),
    # The file itself is fuzzed by tests/administration/test_import_fuzz.py.
    "administration:people_import": Fuzz(fields=("file",)),
    "administration:import_preview": Fuzz(),
    "administration:import_apply": Fuzz(fields=()),
    "administration:import_cancel": Fuzz(fields=()),
    "administration:import_report_csv": Fuzz(),
    "administration:import_template_csv": Fuzz(),
    "administration:import_template_xlsx": Fuzz(),
    "administration:person": Fuzz("person"),
    "administration:habilitation_grant": Fuzz("person", fields=GRANT_FIELDS),
    "administration:person_unblock": Fuzz("person", fields=()),
    "administration:person_details": Fuzz(
        "person", fields=("last_name", "first_name", "phone", "job_title", "national_id")
    ),
    "administration:person_email": Fuzz("person", fields=("email",)),
    "administration:person_depart": Fuzz("person", fields=("reason",)),
    "administration:person_activation_resend": Fuzz("person", fields=()),
    "accounts:email_confirm": Fuzz("email_change_link", fields=()),
    "administration:habilitation_extend": Fuzz("right", fields=("end_date",)),
    "administration:habilitation_modify": Fuzz(
        "right", fields=("profile", "unit", "start_date", "end_date")
    ),
    "administration:habilitation_end": Fuzz("right", fields=("reason", "confirmed")),
    "administration:establishments": Fuzz(params=("q", "secteur", "page")),
    "administration:establishment": Fuzz(
        "establishment",
        fields=("phone", "email", "website", "description", "access_info", "version"),
    ),
    "administration:unit_create": Fuzz("establishment", fields=UNIT_FIELDS),
    "administration:unit_edit": Fuzz("establishment_unit", fields=UNIT_FIELDS),
    "administration:unit_deactivate": Fuzz("establishment_unit", fields=()),
    "administration:unit_reactivate": Fuzz("establishment_unit", fields=()),
    "administration:journal": Fuzz(params=JOURNAL_PARAMS),
    "administration:journal_export": Fuzz(params=JOURNAL_PARAMS),
    "reviews:table": Fuzz(params=REVIEW_PARAMS),
    "reviews:export": Fuzz(params=REVIEW_PARAMS),
    "reviews:campaigns": Fuzz(params=("etablissement", "page")),
    "reviews:campaign_start": Fuzz(fields=("establishment",)),
    "reviews:campaign": Fuzz(
        "campaign",
        params=("filtre", "page"),
        fields=("decision_{decision}", "comment_{decision}", "version_{decision}"),
    ),
    "reviews:campaign_close": Fuzz("campaign", fields=()),
    "reviews:campaign_keep_undecided": Fuzz("campaign", fields=()),
    "reviews:campaign_report": Fuzz(
        "campaign", params=("page_removed", "page_undecided", "page_kept")
    ),
    "reviews:campaign_report_csv": Fuzz("campaign"),
    "reviews:uncovered": Fuzz(params=("region", "page", "situation")),
    "reviews:uncovered_export": Fuzz(params=("region", "page", "situation")),
}

ROLES = [
    "anonymous",
    "agent",
    "unit_referent",
    "establishment_referent",
    "director",
    "platform_admin",
]


# --- The URL patterns


@dataclass(frozen=True)
class Route:
    route: str  # the whole route, e.g. "administration/campagnes/<id:pk>/"
    converters: dict[str, object]  # by argument name, in the route's order


def project_routes() -> dict[str, Route]:
    """Every URL pattern of the project by qualified name, through includes; no Django admin."""
    routes: dict[str, Route] = {}

    def walk(patterns, prefix: str, namespace: str, found: dict[str, object]) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            found_here = {**found, **getattr(pattern.pattern, "converters", {})}
            if isinstance(pattern, URLResolver):
                inner = ":".join(part for part in (namespace, pattern.namespace) if part)
                if inner.split(":")[0] != "admin":
                    walk(pattern.url_patterns, route, inner, found_here)
            else:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name or route
                routes[name] = Route(route, found_here)

    walk(get_resolver().url_patterns, "", "", {})
    return routes


# --- Hostile values

_ALPHABETS = st.one_of(
    st.characters(codec="utf-8"),  # anything a browser can encode
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK
    st.characters(min_codepoint=0x0600, max_codepoint=0x06FF),  # Arabic (right to left)
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),  # emoji
    st.characters(min_codepoint=0x0300, max_codepoint=0x036F),  # combining accents
    st.characters(categories=["Cc", "Cf", "Zl", "Zp"]),  # control and invisible characters
)
TEXT = st.text(alphabet=_ALPHABETS, max_size=40)
# 10,000 characters: a repeated random piece (generating 10,000 random ones would be slow).
LONG = st.text(alphabet=_ALPHABETS, min_size=1, max_size=4).map(lambda s: (s * 10_000)[:10_000])
SPECIAL = st.sampled_from(
    [
        "",
        " ",
        "%",
        "_",
        "\\",
        "'",
        '"',
        "%%",
        "\\%",
        "a%b_c",
        "' OR 1=1 --",
        "'; DROP TABLE accounts_user; --",
        "[a-z]*",
        "(?i)",
        ".*",
        "<script>alert(1)</script>",
        "{{ request }}",
        "${7*7}",
        "\x00",
        "\r\nSet-Cookie: x=1",
    ]
)
# str.isdigit() is true for these, yet int() refuses them (or they are no ASCII digits).
ODD_DIGITS = st.sampled_from(["²", "1²", "١٢", "١", "１", "𝟙", "৩", "Ⅻ", "⑦"])
IDS = st.one_of(
    st.integers(min_value=-1, max_value=10**20).map(str),
    ODD_DIGITS,
    st.sampled_from(
        ["0", "00", "9" * 30, "9223372036854775808", "-0", "1.0", "1e3", " 1", "0x1", "+1"]
    ),
)
PAGES = st.one_of(
    st.integers().map(str),
    st.floats().map(str),
    ODD_DIGITS,
    st.sampled_from(["0", "-1", "1.5", "1e9", "9" * 30, "last", " 2", "0x10"]),
)
DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "2026-02-30",
            "2026-13-01",
            "0000-00-00",
            "2026-1-1",
            "20260101",
            "2026-01-01T25:00",
            "-2026-01-01",
            "99999-01-01",
            "31/12/9999",
            "yesterday",
        ]
    ),
    st.dates().map(str),
    st.dates().map(lambda day: f"{day.day:02d}/{day.month:02d}/{day.year}"),
)
URLS_TO_FOLLOW = st.sampled_from(
    [
        "/",
        "/referents/",
        "7",
        "referents:mine",
        "//evil.example/",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\\evil.example",
        "\\\\evil.example",
        "http://testserver/charte/",
        "/%0d%0aLocation:%20https://evil.example",
        "/" + "a" * 5000,
    ]
)
# Values by parameter or field name (or its part before "_": "page_kept", "version_12").
KINDS = {
    "page": PAGES,
    "upage": PAGES,
    "date": DATES,
    "start_date": DATES,
    "end_date": DATES,
    "next": URLS_TO_FOLLOW,
    "etablissement": IDS,
    "establishment": IDS,
    "profil": IDS,
    "profile": IDS,
    "unite": IDS,
    "unit": IDS,
    "people": IDS,
    "rights": IDS,
    "expected": IDS,
    "all": st.sampled_from(["1", "0", "on", "", "11", "١"]),
    "version": IDS,
    "structure": st.one_of(IDS, IDS.map("e:{}".format), IDS.map("u{}".format)),
}
UNKNOWN_KEYS = st.one_of(
    st.sampled_from(["page[]", "__proto__", "csrfmiddlewaretoken", "q\u202e", "é", "", "next"]),
    st.text(alphabet=_ALPHABETS, min_size=1, max_size=10),
)
# Appended to a query string or a urlencoded body as is: what no form encoder would produce.
RAW_SUFFIXES = st.sampled_from(
    ["", "", "", "&", "&=", "&page", "&q", "&%ff=%fe", "&q=%E0%A4%A", "&page=1&page=2", "&%zz=%"]
)

# Path segments, already percent-encoded, by converter: its own kind of value, and others
# (which the resolver refuses with a 404, or not: a str argument takes anything but "/").
ID_SEGMENTS = st.one_of(
    st.integers(min_value=0, max_value=10**18 - 1).map(str),
    st.sampled_from(
        ["0", "000000000000000001", "999999999999999999", "9223372036854775808", "9" * 30]
    ),
    st.one_of(IDS, SPECIAL).filter(bool).map(lambda s: quote(s, safe="")),
)
TEXT_SEGMENTS = st.one_of(
    st.one_of(TEXT, LONG, SPECIAL, IDS).filter(bool).map(lambda s: quote(s, safe="")),
    st.sampled_from(["%ff", "%C3%28", "%ZZ", "%2F", "%00", "..", "%2e%2e", "%252F", "%E2%80%AE"]),
)
SEGMENTS = {
    IdConverter: ID_SEGMENTS,
    converters.IntConverter: ID_SEGMENTS,
    converters.StringConverter: TEXT_SEGMENTS,
    converters.SlugConverter: TEXT_SEGMENTS,
    converters.PathConverter: TEXT_SEGMENTS,
    converters.UUIDConverter: TEXT_SEGMENTS,
}
_ARGUMENT = re.compile(r"<(?:[^>:]+:)?([^>]+)>")


def test_every_url_is_fuzzed():
    routes = project_routes()
    assert set(routes) == set(URLS), "add the new URL to URLS with the parameters it reads"
    unknown = {
        f"{name}: <{argument}>"
        for name, route in routes.items()
        for argument, converter in route.converters.items()
        if type(converter) not in SEGMENTS
    }
    assert not unknown, "add a strategy for the converter of these arguments to SEGMENTS"
    without_objects = {
        name for name, route in routes.items() if bool(route.converters) != bool(URLS[name].objects)
    }
    assert not without_objects, "name the world's objects for these paths (World.paths)"


# --- The world


@dataclass
class World:
    clients: dict[str, tuple[Client, object]]
    tokens: list[str]  # plausible values: ids, codes, choices, addresses
    # Path arguments naming real objects, in and out of each role's scope (see Fuzz.objects).
    paths: dict[str, list[tuple[str, ...]]]
    decisions: list[str]

    def client(self, role: str) -> Client:
        """The role's client, signed in again as at the start (cookies restored)."""
        client, cookies = self.clients[role]
        client.cookies = copy.deepcopy(cookies)
        return client


@pytest.fixture
def local_provider(request):
    """The local OpenID Connect provider (tests/oidc/provider.py) as Pro Santé Connect."""
    provider = OidcProvider().start()
    request.getfixturevalue("settings").OIDC_PROVIDERS = {"psc": provider.settings()}
    yield provider
    provider.stop()


@pytest.fixture
def world(
    request,
    make,
    hospital,
    cardiology,
    geriatrics,
    other_hospital,
    agent,
    unit_referent,
    establishment_referent,
    other_referent,
    director,
    platform_admin,
    local_provider,
) -> World:
    """``hospital`` with a campaign under way, ``other_hospital`` with a closed one, people in
    and out of every role's scope, a pending charter acceptance and a few audit events."""
    today = timezone.localdate()
    charter = Charter.objects.create(version=1, title="Charte", body="…")
    signed_in = [agent, unit_referent, establishment_referent, other_referent, director]
    for user in [*signed_in, platform_admin]:
        CharterAcceptance.objects.create(user=user, charter=charter)
    nurse = make.user(email="nurse@example.test", blocked_at=timezone.now(), blocked_reason="x")
    make.habilitation(nurse, geriatrics, profile="infirmier")
    other_unit = make.unit(other_hospital, name="Urgences")
    far_nurse = make.user(email="far.nurse@example.test")  # has not accepted the charter
    make.habilitation(far_nurse, other_unit, profile="infirmier")
    closed_unit = make.unit(hospital, name="Fermée", is_active=False)
    for target, unit in [(nurse, geriatrics), (far_nurse, other_unit)]:
        trail.record(
            action=AuditEvent.Action.ACCOUNT_UPDATED,
            actor=establishment_referent,
            target_user=target,
            unit=unit,
            before={"end_date": str(today), "phone": ""},
            after={"end_date": str(today), "phone": "05 61 00 00 00", "note": "é字"},
        )
    campaign = review_services.campaign_start(actor=director, establishment=hospital)
    closed = review_services.campaign_start(actor=platform_admin, establishment=other_hospital)
    review_services.campaign_close(actor=platform_admin, campaign=closed)

    people = [nurse, far_nurse, agent, unit_referent, establishment_referent, director]
    people += [other_referent, platform_admin]
    establishments = [hospital, other_hospital]
    units = [cardiology, geriatrics, other_unit, closed_unit]
    rights = list(Habilitation.objects.order_by("pk"))
    decisions = [str(pk) for pk in ReviewDecision.objects.values_list("pk", flat=True)]
    departements = list(dict.fromkeys(e.departement for e in establishments))
    identities = [
        LinkedIdentity.objects.create(user=user, provider="psc", subject=f"sub-{user.pk}")
        for user in (agent, other_referent)
    ]
    token = default_token_generator.make_token(nurse)
    email_change = people_services.account_email_change_request(
        actor=establishment_referent, user=nurse, email="nurse.new@example.test"
    )
    # Second factors: an app and a passkey (whose key is no key) for the agent, an app for a
    # référent.
    factors = [
        Factor.objects.create(user=agent, kind="totp", name="App", totp_secret="JBSWY3DPEHPK3PXP"),
        Factor.objects.create(
            user=agent, kind="webauthn", name="Clé", credential_id="AAAA", public_key=b"\x00"
        ),
        Factor.objects.create(
            user=establishment_referent, kind="totp", name="App", totp_secret="JBSWY3DPEHPK3PXP"
        ),
    ]
    paths = {
        "person": [(str(user.pk),) for user in people],
        "factor": [(str(factor.pk),) for factor in factors],
        "right": [(str(right.pk),) for right in rights],
        "establishment": [(str(e.pk),) for e in establishments],
        "unit": [(str(unit.pk),) for unit in units],
        "establishment_unit": [
            *((str(unit.establishment_id), str(unit.pk)) for unit in units),
            (str(hospital.pk), str(other_unit.pk)),  # a unit of another establishment
        ],
        "campaign": [(str(campaign.pk),), (str(closed.pk),)],
        "tree_node": [
            *(("region", d.region.code) for d in departements),
            *(("departement", d.code) for d in departements),
            *(("etablissement", str(e.pk)) for e in establishments),
            ("unite", str(cardiology.pk)),
        ],
        "email_change_link": [
            (email_change,),
            (email_change[:-3] + "abc",),  # a signature that does not match
            (email_change.split(":")[0],),
        ],
        # A configured provider and an unknown one.
        "oidc_provider": [("psc",), ("unknown",)],
        "linked_identity": [(str(identity.pk),) for identity in identities],
        "reset_link": [
            (urlsafe_base64_encode(force_bytes(nurse.pk)), token),
            (urlsafe_base64_encode(force_bytes(nurse.pk)), "set-password"),
            (urlsafe_base64_encode(force_bytes(agent.pk)), token),
        ],
    }
    ids = {value for rows in paths.values() for row in rows for value in row}
    tokens = [
        *sorted(ids),
        *decisions,
        *(f"e:{e.pk}" for e in establishments),
        *(f"u:{unit.pk}" for unit in units),
        *(f"{prefix}{pk}" for prefix in "eu" for pk in (hospital.pk, cardiology.pk)),
        *(e.finess for e in establishments),
        *(user.email for user in people),
        *(d.code for d in departements),
        *(d.region.code for d in departements),
        *Sector.values,
        *review_selectors.STATUSES,
        *sorted(review_selectors.SORTS),
        *ReviewDecision.Decision.values,
        *list(AuditEvent.Action.values)[:4],
        *Profile.objects.values_list("code", flat=True),
        *("30", "60", "90", "a-decider", "modifiees", "fr", "en", "on", "true", "false"),
    ]

    clients: dict[str, tuple[Client, object]] = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(request.getfixturevalue(role))
        clients[role] = (client, copy.deepcopy(client.cookies))
    return World(clients, tokens, paths, decisions[:4])


# --- The fuzz


def values(name: str, world: World) -> st.SearchStrategy[str]:
    """Hostile values for a parameter or field, and the values its view expects."""
    generic = [st.sampled_from(world.tokens), TEXT, LONG, SPECIAL, DATES, PAGES]
    kind = KINDS.get(name, KINDS.get(name.split("_")[0]))
    return st.one_of(generic) if kind is None else st.one_of(kind, st.one_of(generic))


def path_strategy(name: str, route: Route, world: World) -> st.SearchStrategy[str]:
    """The URL's path: with the world's objects, or each argument drawn on its own."""
    arguments = list(route.converters)
    if not arguments:
        return st.just("/" + route.route)
    rows = world.paths[URLS[name].objects]
    apart = st.tuples(
        *(
            st.one_of(
                st.sampled_from([quote(row[i], safe="") for row in rows]),
                SEGMENTS[type(route.converters[argument])],
            )
            for i, argument in enumerate(arguments)
        )
    )
    together = st.sampled_from([tuple(quote(value, safe="") for value in row) for row in rows])

    def build(row: tuple[str, ...]) -> str:
        drawn = dict(zip(arguments, row, strict=True))
        return "/" + _ARGUMENT.sub(lambda match: drawn[match.group(1)], route.route)

    return st.one_of(together, apart).map(build)


def data_strategy(names: list[str], world: World) -> st.SearchStrategy[dict]:
    """Some of ``names`` and some unknown keys, each with one hostile value or several."""

    def one_or_more(name: str) -> st.SearchStrategy:
        value = values(name, world)
        return st.one_of(value, value, st.lists(value, min_size=2, max_size=3))

    known = st.fixed_dictionaries({}, optional={name: one_or_more(name) for name in names})
    unknown = st.dictionaries(UNKNOWN_KEYS, one_or_more(""), max_size=2)
    return st.builds(lambda a, b: {**b, **a}, known, unknown)


def field_names(fuzz: Fuzz, world: World) -> list[str]:
    names = []
    for field in fuzz.fields or ():
        if "{decision}" in field:
            names += [field.format(decision=pk) for pk in [*world.decisions, "9" * 20, "²"]]
        else:
            names.append(field)
    return names


def send(world: World, role: str, method: str, path: str, query: str, body: dict, raw: str | None):
    """One request, in a transaction rolled back afterwards; streamed content is read too.

    A POST body is multipart, or urlencoded followed by ``raw`` when it is not None.
    """
    url = f"{path}?{query}" if query else path
    client = world.client(role)
    with transaction.atomic():
        if method == "GET":
            response = client.get(url)
        elif raw is not None:
            encoded = urlencode(body, doseq=True) + raw
            response = client.post(url, encoded, "application/x-www-form-urlencoded")
        else:
            response = client.post(url, body)
        if response.streaming:
            b"".join(response.streaming_content)
        transaction.set_rollback(True)
    return response


@pytest.mark.parametrize("name", sorted(URLS))
def test_no_request_gives_a_server_error(world, name):
    route = project_routes()[name]
    fuzz = URLS[name]
    methods = ["GET"] if fuzz.fields is None else ["GET", "POST"]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    @given(
        role=st.sampled_from(ROLES),
        method=st.sampled_from(methods),
        path=path_strategy(name, route, world),
        params=data_strategy(list(fuzz.params), world),
        suffix=RAW_SUFFIXES,
        body=data_strategy(field_names(fuzz, world), world),
        raw=st.one_of(st.none(), RAW_SUFFIXES),
    )
    def one_request(role, method, path, params, suffix, body, raw):
        query = (urlencode(params, doseq=True) + suffix).lstrip("&")
        response = send(world, role, method, path, query, body, raw)
        assert response.status_code < 500, (role, method, path, query, body)

    one_request()


# --- Inputs the fuzz found, each once a server error


@pytest.mark.parametrize(
    "path",
    [
        "/referents/liste/?etablissement=%C2%B2",  # "²".isdigit(), but int("²") fails
        "/referents/liste/noeuds/etablissement/%E2%91%A6/",  # ⑦
        "/referents/liste/noeuds/etablissement/" + "0" * 10_000 + "/",  # beyond int()'s limit
    ],
)
def test_an_establishment_id_that_is_no_number_is_404(world, path):
    assert world.client("agent").get(path).status_code == 404


def test_an_odd_establishment_filter_of_the_campaigns_is_left_out(world):
    response = world.client("director").get("/administration/campagnes/?etablissement=%C2%B2")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 1  # the director's campaign


def test_a_decision_field_named_after_no_number_is_ignored(world):
    campaign = ReviewCampaign.objects.get(closed_at__isnull=True)
    client = world.client("director")
    response = client.post(reverse("reviews:campaign", args=[campaign.pk]), {"version_²": "1"})
    assert response.status_code == 302
    assert not campaign.decisions.exclude(decision="").exists()


@pytest.mark.parametrize("name", ["administration:journal", "administration:journal_export"])
@pytest.mark.parametrize("dates", [{"date_to": "9999-12-31"}, {"date_from": "0001-01-01"}])
def test_a_journal_date_beyond_computing_is_an_invalid_filter(world, name, dates):
    response = world.client("establishment_referent").get(reverse(name), dates)
    if name == "administration:journal":
        assert response.status_code == 200
        assert not response.context["form"].is_valid()
    else:
        assert response.status_code == 302  # back to the list, to correct the filters


def test_a_right_starting_in_9999_is_refused_not_a_crash(world, hospital):
    nurse = User.objects.get(email="nurse@example.test")
    response = world.client("establishment_referent").post(
        reverse("administration:habilitation_grant", args=[nurse.pk]),
        {
            "profile": Profile.objects.get(code="infirmier").pk,
            "structure": f"e:{hospital.pk}",
            "start_date": "9999-12-31",
        },
    )
    assert response.status_code == 200
    assert "start_date" in response.context["form"].errors
    assert not nurse.habilitations.filter(establishment=hospital, unit=None).exists()


def test_a_next_that_is_no_path_leads_to_my_referents(world):
    response = world.client("agent").post(
        reverse("accounts:charter_accept"), {"version": 1, "next": "7"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referents:mine")
