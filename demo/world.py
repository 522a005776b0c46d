"""The demo world loaded by ``manage.py seed_demo``: two regions, ~50 establishments, ~300 people.

Everything is invented: names, addresses, phone numbers, e-mail addresses (``demo.test``,
``example.test``). Cities and postcodes are real so that search and the regional support desks
behave as with real data. FINESS numbers are valid (Luhn check digit) and carry ``99``
(establishments) or ``98`` (legal entities) after the département code, so a demo row is easy to
tell from an imported one.

Two properties matter more than realism:

- Deterministic: one ``random.Random(SEED)`` draws the whole world *before* the database is read,
  so the draws never depend on what is already stored.
- Idempotent: rows are found by natural key (FINESS, (establishment, unit name), e-mail, charter
  version, and (person, profile, establishment, unit) for habilitations). Dates are relative to
  ``today`` but never part of a key, so a run on another day finds the same rows and changes
  nothing.
"""

from __future__ import annotations

import datetime
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.db import transaction
from django.utils import timezone

from accounts.models import Charter, CharterAcceptance, Habilitation, Profile, User
from audit.models import AuditEvent
from audit.trail import record
from mfa.models import Factor
from structures.categories import CATEGORIES, GRAND_AGE, HANDICAP, SANITAIRE
from structures.finess import fold, with_check_digit
from structures.models import Departement, Establishment, LegalEntity, Region, Unit

SEED = 20260101
# Published on purpose: the command refuses to run with DEBUG off unless forced.
DEFAULT_PASSWORD = "demo-referents-2026"  # noqa: S105
DOMAIN = "demo.test"

REFERENT_EMAIL = f"referent@{DOMAIN}"
AGENT_EMAIL = f"agent@{DOMAIN}"
DIRECTOR_EMAIL = f"directeur@{DOMAIN}"
ADMIN_EMAIL = f"admin@{DOMAIN}"
KEY_ACCOUNTS = (REFERENT_EMAIL, AGENT_EMAIL, DIRECTOR_EMAIL, ADMIN_EMAIL)

# Occitanie ("76") already has the desk of the user document, loaded by a migration.
OTHER_REGION_CODE = "75"
OTHER_REGION_SUPPORT = {
    "support_name": "Centre de services e-santé Nouvelle-Aquitaine",
    "support_email": "assistance@nouvelle-aquitaine.example.test",
    "support_url": "https://support.nouvelle-aquitaine.example.test/",
    "support_phone": "05 55 00 12 34",
}

# Profile codes (accounts/migrations/0002_seed_profiles.py).
REFERENT = Profile.REFERENT
DIRECTOR = Profile.DIRECTOR
DOCTOR = "medecin"
SECRETARY = "secretaire-medicale"
SOCIAL_WORKER = "assistant-social"
CARE_MANAGER = "cadre-de-sante"
BED_MANAGER = "gestionnaire-de-lits"
NURSE = "infirmier"


# --- The establishments ------------------------------------------------------------------------


@dataclass(frozen=True)
class LegalEntitySpec:
    number: int
    departement: str
    name: str
    long_name: str = ""

    @property
    def finess(self) -> str:
        return with_check_digit(f"{self.departement}98{self.number:04d}")


@dataclass(frozen=True)
class EstablishmentSpec:
    number: int
    category: str
    name: str
    long_name: str
    address: str
    postcode: str
    city: str
    # Key of GROUPS when a legal entity runs several establishments...
    group: str = ""
    # ...otherwise the name of its own legal entity (default: the establishment's long name).
    owner: str = ""
    closed: bool = False

    @property
    def departement(self) -> str:
        # Mainland postcodes outside Corsica start with the département code.
        return self.postcode[:2]

    @property
    def finess(self) -> str:
        return with_check_digit(f"{self.departement}99{self.number:04d}")

    @property
    def sector(self) -> str:
        return CATEGORIES[self.category][1]

    @property
    def legal_entity(self) -> LegalEntitySpec:
        if self.group:
            return GROUPS[self.group]
        return LegalEntitySpec(self.number, self.departement, self.owner or self.long_name)


GROUPS: dict[str, LegalEntitySpec] = {
    "garonne": LegalEntitySpec(
        901, "31", "CH GARONNE-LAURAGAIS", "CENTRE HOSPITALIER GARONNE-LAURAGAIS"
    ),
    "deux-rives": LegalEntitySpec(
        902, "31", "CHU DES DEUX-RIVES", "CENTRE HOSPITALIER UNIVERSITAIRE DES DEUX-RIVES"
    ),
    "horizons": LegalEntitySpec(
        903, "33", "SAS SANTÉ HORIZONS", "SOCIÉTÉ PAR ACTIONS SIMPLIFIÉE SANTÉ HORIZONS"
    ),
    "elan": LegalEntitySpec(
        904, "34", "ASSOCIATION L'ÉLAN OCCITAN", "ASSOCIATION L'ÉLAN OCCITAN POUR L'INCLUSION"
    ),
    "aines": LegalEntitySpec(905, "40", "ASSOCIATION LES AÎNÉS DE GASCOGNE"),
    "passerelle": LegalEntitySpec(
        906, "86", "ASSOCIATION LA PASSERELLE", "ASSOCIATION LA PASSERELLE - ENFANCE ET HANDICAP"
    ),
}

E = EstablishmentSpec
ESTABLISHMENTS: list[EstablishmentSpec] = [
    # Occitanie - Sanitaire
    E(1, "355", "CH GARONNE-LAURAGAIS", "CENTRE HOSPITALIER GARONNE-LAURAGAIS",
      "18 avenue Pierre-Paul Riquet", "31320", "CASTANET-TOLOSAN", group="garonne"),
    E(2, "101", "CHU DES DEUX-RIVES - SITE SAINT-CYPRIEN",
      "CENTRE HOSPITALIER UNIVERSITAIRE DES DEUX-RIVES - SITE SAINT-CYPRIEN",
      "7 rue du Pont-Vieux", "31300", "TOULOUSE", group="deux-rives"),
    E(3, "101", "CHU DES DEUX-RIVES - SITE DE LARDENNE",
      "CENTRE HOSPITALIER UNIVERSITAIRE DES DEUX-RIVES - SITE DE LARDENNE",
      "220 chemin de Lardenne", "31300", "TOULOUSE", group="deux-rives"),
    E(4, "128", "CLINIQUE SAINTE-GERMAINE", "CLINIQUE CHIRURGICALE SAINTE-GERMAINE",
      "9 boulevard des Pyrénées", "34000", "MONTPELLIER", group="horizons"),
    E(5, "109", "CENTRE SSR DU CAUSSE", "CENTRE DE SOINS DE SUITE ET DE RÉADAPTATION DU CAUSSE",
      "Route de Séverac", "12100", "MILLAU", owner="SAS CLINIQUE DU CAUSSE"),
    E(6, "292", "CHS MARGUERITE-CAZALIS", "CENTRE HOSPITALIER SPÉCIALISÉ MARGUERITE-CAZALIS",
      "115 route de Millau", "81000", "ALBI"),
    E(7, "106", "CH DE LA VALLÉE DU CÉLÉ", "CENTRE HOSPITALIER DE LA VALLÉE DU CÉLÉ",
      "Place du Foirail", "46100", "FIGEAC"),
    E(8, "122", "CLINIQUE OBSTÉTRICALE DU CANIGOU",
      "CLINIQUE OBSTÉTRICALE ET GYNÉCOLOGIQUE DU CANIGOU",
      "21 avenue du Roussillon", "66000", "PERPIGNAN", group="horizons"),
    E(9, "698", "CENTRE DE DIALYSE DES COSTIÈRES", "CENTRE D'HÉMODIALYSE DES COSTIÈRES",
      "4 impasse des Vignerons", "30900", "NÎMES",
      owner="ASSOCIATION POUR LA DIALYSE EN COSTIÈRES"),
    E(10, "127", "HAD GASCOGNE-BIGORRE", "HOSPITALISATION À DOMICILE GASCOGNE-BIGORRE",
      "17 rue du Pic-du-Midi", "65000", "TARBES", owner="ASSOCIATION HAD GASCOGNE-BIGORRE"),
    E(11, "355", "CH DES CORBIÈRES", "CENTRE HOSPITALIER DES CORBIÈRES",
      "2 avenue des Vendanges", "11100", "NARBONNE"),
    E(12, "131", "CENTRE JULIETTE-MAZEL", "CENTRE DE LUTTE CONTRE LE CANCER JULIETTE-MAZEL",
      "47 rue de la Croix-Verte", "34090", "MONTPELLIER"),
    E(13, "362", "USLD LES TERRASSES DU TARN",
      "UNITÉ DE SOINS DE LONGUE DURÉE LES TERRASSES DU TARN",
      "8 quai de l'Écluse", "82000", "MONTAUBAN", owner="CH DE MONTAUBAN-SUR-TARN"),
    # Occitanie - Grand Âge
    E(14, "500", "EHPAD LES JARDINS DU CANAL", "EHPAD LES JARDINS DU CANAL",
      "5 allée des Platanes", "31290", "VILLEFRANCHE-DE-LAURAGAIS", group="garonne"),
    E(15, "354", "SSIAD DU LAURAGAIS", "SERVICE DE SOINS INFIRMIERS À DOMICILE DU LAURAGAIS",
      "18 avenue Pierre-Paul Riquet", "31320", "CASTANET-TOLOSAN", group="garonne"),
    E(16, "500", "EHPAD LA BASTIDE DES TILLEULS", "EHPAD LA BASTIDE DES TILLEULS",
      "3 rue des Tilleuls", "32000", "AUCH", owner="CCAS D'AUCH"),
    E(17, "500", "EHPAD SAINTE-THÉRÈSE", "RÉSIDENCE SAINTE-THÉRÈSE - EHPAD",
      "12 rue de la Cité", "11000", "CARCASSONNE",
      owner="CONGRÉGATION DES SŒURS DE SAINTE-THÉRÈSE"),
    E(18, "500", "EHPAD LES GENÊTS", "EHPAD LES GENÊTS",
      "7 rue du Ségala", "12000", "RODEZ", owner="CCAS DE RODEZ"),
    E(19, "500", "EHPAD L'OUSTAL", "RÉSIDENCE L'OUSTAL - EHPAD",
      "2 place de la Mairie", "48000", "MENDE", owner="ASSOCIATION L'OUSTAL LOZÉRIEN"),
    E(20, "202", "RÉSIDENCE AUTONOMIE LES CIGALES", "RÉSIDENCE AUTONOMIE LES CIGALES",
      "14 rue des Écoles", "30100", "ALÈS", owner="CCAS D'ALÈS"),
    E(21, "207", "ACCUEIL DE JOUR LES MIMOSAS", "ACCUEIL DE JOUR ALZHEIMER LES MIMOSAS",
      "9 avenue Jean-Jaurès", "66000", "PERPIGNAN", owner="ASSOCIATION LES MIMOSAS"),
    E(22, "500", "EHPAD LE CLOS SAINT-JACQUES", "EHPAD LE CLOS SAINT-JACQUES",
      "33 route de Toulouse", "09100", "PAMIERS", group="horizons"),
    E(23, "500", "EHPAD LES CHÊNES VERTS", "EHPAD LES CHÊNES VERTS",
      "15 avenue de Lourdes", "65100", "LOURDES"),
    # Occitanie - Handicap
    E(24, "183", "IME LES ÉCUREUILS", "INSTITUT MÉDICO-ÉDUCATIF LES ÉCUREUILS",
      "21 rue des Chênes", "34070", "MONTPELLIER", group="elan"),
    E(25, "182", "SESSAD L'ENVOL", "SERVICE D'ÉDUCATION SPÉCIALE ET DE SOINS À DOMICILE L'ENVOL",
      "21 rue des Chênes", "34070", "MONTPELLIER", group="elan"),
    E(26, "246", "ESAT LES ATELIERS DU LEZ",
      "ÉTABLISSEMENT ET SERVICE D'AIDE PAR LE TRAVAIL LES ATELIERS DU LEZ",
      "Zone artisanale des Prés", "34170", "CASTELNAU-LE-LEZ", group="elan"),
    E(27, "437", "FAM LE MAS DES OLIVIERS", "FOYER D'ACCUEIL MÉDICALISÉ LE MAS DES OLIVIERS",
      "1120 chemin des Oliviers", "34400", "LUNEL", group="elan"),
    E(28, "255", "MAS LA GARRIGUE", "MAISON D'ACCUEIL SPÉCIALISÉE LA GARRIGUE",
      "Route de Soubès", "34700", "LODÈVE", group="elan"),
    E(29, "186", "ITEP LE MOULIN", "INSTITUT THÉRAPEUTIQUE ÉDUCATIF ET PÉDAGOGIQUE LE MOULIN",
      "Lieu-dit Le Moulin", "81500", "LAVAUR", owner="ASSOCIATION LE MOULIN"),
    E(30, "190", "CAMSP DE TARN-ET-GARONNE",
      "CENTRE D'ACTION MÉDICO-SOCIALE PRÉCOCE DE TARN-ET-GARONNE",
      "4 rue Léon-Cladel", "82000", "MONTAUBAN",
      owner="ASSOCIATION POUR L'ENFANCE DE TARN-ET-GARONNE"),
    E(31, "382", "FOYER DE VIE LES CAMÉLIAS", "FOYER DE VIE POUR ADULTES HANDICAPÉS LES CAMÉLIAS",
      "10 rue de la Source", "09000", "FOIX", owner="ASSOCIATION ARIÉGEOISE POUR L'INSERTION"),
    E(32, "246", "ESAT LOU CAMIN", "ÉTABLISSEMENT ET SERVICE D'AIDE PAR LE TRAVAIL LOU CAMIN",
      "Zone artisanale de la Plaine", "30100", "ALÈS", owner="ASSOCIATION LOU CAMIN"),
    E(33, "500", "EHPAD LE VIEUX PRESBYTÈRE", "EHPAD LE VIEUX PRESBYTÈRE",
      "1 place de l'Église", "46000", "CAHORS", owner="CCAS DE CAHORS", closed=True),
    # Nouvelle-Aquitaine - Sanitaire
    E(34, "101", "CHU ATLANTIQUE - HÔPITAL DES BASTIDES",
      "CENTRE HOSPITALIER UNIVERSITAIRE ATLANTIQUE - HÔPITAL DES BASTIDES",
      "90 cours de l'Estuaire", "33000", "BORDEAUX", owner="CHU ATLANTIQUE"),
    E(35, "355", "CH DE LA NIVE", "CENTRE HOSPITALIER DE LA NIVE",
      "13 avenue de l'Adour", "64100", "BAYONNE"),
    E(36, "355", "CH DES DEUX-CHARENTES", "CENTRE HOSPITALIER DES DEUX-CHARENTES",
      "27 rue des Gabares", "16100", "COGNAC"),
    E(37, "128", "CLINIQUE DES BASTIDES PÉRIGOURDINES",
      "CLINIQUE CHIRURGICALE DES BASTIDES PÉRIGOURDINES",
      "2 rue des Truffières", "24100", "BERGERAC", group="horizons"),
    E(38, "109", "CENTRE SSR LES DUNES", "CENTRE DE SOINS DE SUITE ET DE RÉADAPTATION LES DUNES",
      "45 boulevard de l'Océan", "33120", "ARCACHON", owner="ASSOCIATION LES DUNES"),
    E(39, "161", "CLINIQUE LES TAMARIS", "MAISON DE SANTÉ PSYCHIATRIQUE LES TAMARIS",
      "8 allée des Tamaris", "17000", "LA ROCHELLE", owner="SAS CLINIQUE LES TAMARIS"),
    E(40, "106", "CH DES MONÉDIÈRES", "CENTRE HOSPITALIER DES MONÉDIÈRES",
      "5 route de Treignac", "19000", "TULLE"),
    # Nouvelle-Aquitaine - Grand Âge
    E(41, "500", "EHPAD LES AÎNÉS DU MARSAN", "EHPAD LES AÎNÉS DU MARSAN",
      "22 rue des Arènes", "40000", "MONT-DE-MARSAN", group="aines"),
    E(42, "500", "EHPAD LA MAISON DE L'ADOUR", "EHPAD LA MAISON DE L'ADOUR",
      "3 rue des Thermes", "40100", "DAX", group="aines"),
    E(43, "500", "EHPAD LES VIGNES DE GARONNE", "EHPAD LES VIGNES DE GARONNE",
      "11 chemin des Vignes", "47000", "AGEN", group="aines"),
    E(44, "500", "EHPAD SAINT-MARTIAL", "RÉSIDENCE SAINT-MARTIAL - EHPAD",
      "17 rue des Émailleurs", "87000", "LIMOGES", owner="FONDATION SAINT-MARTIAL"),
    E(45, "209", "SPASAD DU CLAIN", "SERVICE POLYVALENT D'AIDE ET DE SOINS À DOMICILE DU CLAIN",
      "6 place du Marché", "86000", "POITIERS", owner="ASSOCIATION D'AIDE À DOMICILE DU CLAIN"),
    E(46, "500", "EHPAD LE DOMAINE DES MARAIS", "EHPAD LE DOMAINE DES MARAIS",
      "Route de Coulon", "79000", "NIORT", group="horizons"),
    # Nouvelle-Aquitaine - Handicap
    E(47, "183", "IME LES CASTORS", "INSTITUT MÉDICO-ÉDUCATIF LES CASTORS",
      "2 rue du Moulin-Vert", "86100", "CHÂTELLERAULT", group="passerelle"),
    E(48, "182", "SESSAD LA PASSERELLE",
      "SERVICE D'ÉDUCATION SPÉCIALE ET DE SOINS À DOMICILE LA PASSERELLE",
      "14 rue de la Tranchée", "86000", "POITIERS", group="passerelle"),
    E(49, "255", "MAS LES HAUTS DE VÉZÈRE", "MAISON D'ACCUEIL SPÉCIALISÉE LES HAUTS DE VÉZÈRE",
      "Le Bourg", "19100", "BRIVE-LA-GAILLARDE", owner="ASSOCIATION CORRÉZIENNE DU HANDICAP"),
    E(50, "246", "ESAT LES ATELIERS DE LA GARTEMPE",
      "ÉTABLISSEMENT ET SERVICE D'AIDE PAR LE TRAVAIL LES ATELIERS DE LA GARTEMPE",
      "Zone d'activités Les Granges", "23000", "GUÉRET",
      owner="ASSOCIATION CREUSOISE D'AIDE PAR LE TRAVAIL"),
    E(51, "252", "FOYER D'HÉBERGEMENT LES ALIZÉS",
      "FOYER D'HÉBERGEMENT POUR TRAVAILLEURS HANDICAPÉS LES ALIZÉS",
      "3 rue des Mouettes", "17300", "ROCHEFORT", owner="ASSOCIATION LES ALIZÉS"),
    E(52, "446", "SAVS DU BÉARN", "SERVICE D'ACCOMPAGNEMENT À LA VIE SOCIALE DU BÉARN",
      "10 rue Montpensier", "64000", "PAU", owner="ASSOCIATION BÉARNAISE D'ACCOMPAGNEMENT"),
]  # fmt: skip

DEMO_HOSPITAL = 1  # referent@, agent@ and directeur@ work here.
WITHOUT_REFERENT = 18  # Active, has a director, nobody manages accounts: the escalation case.
SECOND_WORKPLACE = 2  # The CHU site where the demo hospital's cardiologist also consults.
CLOSED_DAYS_AGO = 120
DAY = datetime.timedelta(days=1)

# The demo hospital's units, and which have a référent of their own: "active" (serves the unit),
# "expired" (the unit falls back to the establishment's référents, as those without one do).
DEMO_HOSPITAL_UNITS: list[tuple[str, str]] = [
    ("Urgences", ""),
    ("Cardiologie", "active"),
    ("Médecine polyvalente", ""),  # agent@'s unit: inherits referent@.
    ("Pneumologie", ""),
    ("Court séjour gériatrique", ""),
    ("Soins de suite et de réadaptation", "expired"),
    ("Maternité", "active"),
    ("Chirurgie orthopédique et traumatologique", ""),
    ("Bloc opératoire", ""),
    ("Unité de soins palliatifs", ""),
    ("Consultations externes", ""),
]
AGENT_UNIT = "Médecine polyvalente"

_HOSPITAL_UNITS = [
    "Urgences",
    "Cardiologie",
    "Pneumologie",
    "Médecine polyvalente",
    "Médecine interne",
    "Gastro-entérologie",
    "Neurologie",
    "Court séjour gériatrique",
    "Soins de suite et de réadaptation",
    "Maternité",
    "Pédiatrie",
    "Chirurgie viscérale et digestive",
    "Chirurgie orthopédique et traumatologique",
    "Réanimation polyvalente",
    "Unité de soins palliatifs",
    "Hôpital de jour de médecine",
    "Équipe mobile de gériatrie",
    "Addictologie",
]
# category code: (fewest, most, names to draw from). Categories not listed have no units.
UNIT_TEMPLATES: dict[str, tuple[int, int, list[str]]] = {
    "101": (4, 6, [*_HOSPITAL_UNITS, "Néphrologie", "Hématologie", "Endocrinologie-diabétologie"]),
    "355": (3, 4, _HOSPITAL_UNITS),
    "106": (2, 3, ["Médecine", "Soins de suite et de réadaptation",
                   "Unité de soins de longue durée"]),
    "128": (2, 4, ["Chirurgie orthopédique", "Chirurgie viscérale", "Chirurgie ambulatoire",
                   "Bloc opératoire", "Unité de surveillance continue", "Ophtalmologie"]),
    "109": (2, 3, ["SSR polyvalent", "SSR locomoteur", "SSR neurologique", "Hôpital de jour SSR"]),
    "122": (2, 3, ["Maternité", "Néonatologie", "Gynécologie", "Salle de naissance"]),
    "292": (3, 4, ["Unité d'admission adultes", "Psychiatrie générale – secteur 1",
                   "Psychiatrie générale – secteur 2", "Pédopsychiatrie",
                   "Unité de soins intensifs psychiatriques", "Hôpital de jour adultes"]),
    "161": (2, 2, ["Unité ouverte", "Réhabilitation psychosociale", "Hôpital de jour"]),
    "698": (1, 2, ["Hémodialyse en centre", "Unité d'autodialyse", "Dialyse péritonéale"]),
    "127": (2, 2, ["Antenne Nord", "Antenne Sud", "Coordination des admissions"]),
    "131": (2, 3, ["Oncologie médicale", "Radiothérapie", "Hôpital de jour d'oncologie",
                   "Soins de support"]),
    "362": (1, 2, ["Unité Les Glycines", "Unité Les Lavandes", "Unité cognitivo-comportementale"]),
    "500": (1, 2, ["Unité Alzheimer", "Pôle d'activités et de soins adaptés (PASA)",
                   "Unité d'hébergement renforcée (UHR)", "Hébergement temporaire",
                   "Accueil de jour"]),
    "183": (2, 2, ["Semi-internat", "Internat de semaine", "Unité d'enseignement externalisée",
                   "Section d'initiation et de première formation professionnelle"]),
    "186": (1, 2, ["Internat", "Semi-internat", "Dispositif d'accompagnement ambulatoire"]),
    "246": (2, 3, ["Atelier blanchisserie", "Atelier espaces verts", "Atelier restauration",
                   "Atelier conditionnement", "Atelier menuiserie"]),
    "255": (2, 2, ["Maisonnée Les Oliviers", "Maisonnée Les Tilleuls", "Maisonnée Les Cèdres"]),
    "437": (1, 2, ["Unité de vie Les Iris", "Unité de vie Les Lilas", "Accueil de jour"]),
    "382": (1, 1, ["Unité de vie Les Pins", "Accueil de jour"]),
    "252": (1, 1, ["Appartements extérieurs", "Foyer collectif"]),
}  # fmt: skip

# Landline prefixes by département, so that phone numbers look local.
PHONE_PREFIXES: dict[str, str] = {
    "09": "05 61", "11": "04 68", "12": "05 65", "30": "04 66", "31": "05 61", "32": "05 62",
    "34": "04 67", "46": "05 65", "48": "04 66", "65": "05 62", "66": "04 68", "81": "05 63",
    "82": "05 63", "16": "05 45", "17": "05 46", "19": "05 55", "23": "05 55", "24": "05 53",
    "33": "05 56", "40": "05 58", "47": "05 53", "64": "05 59", "79": "05 49", "86": "05 49",
    "87": "05 55",
}  # fmt: skip

SHEET_DESCRIPTIONS: dict[str, str] = {
    SANITAIRE: (
        "Établissement de santé assurant la prise en charge en hospitalisation complète, "
        "de jour et en consultations. Les admissions programmées se font par le secrétariat "
        "du service concerné."
    ),
    GRAND_AGE: (
        "Établissement accueillant des personnes âgées en hébergement permanent ou temporaire. "
        "Les demandes d'admission sont étudiées chaque semaine par la commission d'admission."
    ),
    HANDICAP: (
        "Établissement médico-social accompagnant des personnes en situation de handicap sur "
        "notification de la MDPH. L'équipe pluridisciplinaire élabore un projet personnalisé "
        "avec chaque personne et sa famille."
    ),
}
ACCESS_INFO = [
    "Parking visiteurs gratuit à l'entrée principale. Bus ligne 6, arrêt « Hôpital ».",
    "Accès par l'entrée principale ; accueil ouvert de 8 h à 19 h, y compris le week-end.",
    "Stationnement réservé aux ambulances devant le hall. Tramway ligne 1, arrêt « Santé ».",
]

# --- People ------------------------------------------------------------------------------------

FEMALE_FIRST_NAMES = [
    "Amélie", "Anaïs", "Anne", "Aurélie", "Camille", "Catherine", "Céline", "Chloé", "Claire",
    "Élodie", "Émilie", "Émma", "Estelle", "Fanny", "Gaëlle", "Hélène", "Inès", "Isabelle",
    "Jeanne", "Julie", "Laëtitia", "Laure", "Léa", "Lucie", "Maëlle", "Manon", "Marie",
    "Marion", "Mathilde", "Mélanie", "Nadia", "Nathalie", "Noémie", "Pauline", "Sandrine",
    "Sophie", "Sylvie", "Thérèse", "Valérie", "Véronique", "Yasmina", "Zoé",
]  # fmt: skip
MALE_FIRST_NAMES = [
    "Adrien", "Alexandre", "Antoine", "Arnaud", "Baptiste", "Benoît", "Bruno", "Cédric",
    "Christophe", "Damien", "David", "Éric", "Étienne", "Fabien", "François", "Frédéric",
    "Guillaume", "Hervé", "Hugo", "Jérôme", "Jean-Marc", "Joël", "Julien", "Karim", "Laurent",
    "Loïc", "Lucas", "Mathieu", "Maxime", "Mehdi", "Nicolas", "Olivier", "Pascal", "Philippe",
    "Pierre", "Raphaël", "Rémi", "Sébastien", "Stéphane", "Thomas", "Thierry", "Yannick",
]  # fmt: skip
LAST_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet",
    "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry",
    "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez",
    "Fontaine", "Chevalier", "Robin", "Fabre", "Vidal", "Bousquet", "Cazals", "Rouquette",
    "Castan", "Barthès", "Séguier", "Azéma", "Bonnafous", "Delmas", "Carrère", "Lacombe",
    "Laborde", "Peyrot", "Cabanès", "Marty", "Maurel", "Pujol", "Roques", "Teisseire",
    "Espinasse", "Gaubert", "Arnal", "Boyer", "Calmels", "Combes", "Galy", "Labat", "Lafon",
    "Mas", "Rouanet", "Sabatier", "Soulié", "Vergnes", "Daguerre", "Etchegaray", "Larrieu",
    "Lasserre", "Dufau", "Ducasse", "Lacoste", "Lalanne", "Laffitte", "Pélissier", "Bézian",
    "N'Diaye", "Nguyen", "Benali", "Haddad", "Ferreira", "Da Silva", "Le Gall", "Kerjean",
    "Dos Santos", "Mendès", "Chauvet", "Brunet", "Grimal", "Audouy", "Cassagne", "Puech",
    "Salles", "Bories", "Couderc", "Lavergne", "Rigal", "Taillefer", "Viguier", "Ollier",
]  # fmt: skip

# profile: [(masculine, feminine) job titles], per sector where it differs.
JOB_TITLES: dict[str, list[tuple[str, str]]] = {
    REFERENT: [
        ("Cadre de santé", "Cadre de santé"),
        ("Assistant de direction", "Assistante de direction"),
        ("Responsable qualité", "Responsable qualité"),
        ("Secrétaire de direction", "Secrétaire de direction"),
        ("Responsable du bureau des admissions", "Responsable du bureau des admissions"),
    ],
    DIRECTOR: [
        ("Directeur", "Directrice"),
        ("Directeur adjoint", "Directrice adjointe"),
        ("Directeur des soins", "Directrice des soins"),
    ],
    DOCTOR: [("Praticien hospitalier", "Praticienne hospitalière"), ("Médecin", "Médecin")],
    SECRETARY: [("Secrétaire médical", "Secrétaire médicale")],
    SOCIAL_WORKER: [("Assistant social", "Assistante sociale")],
    CARE_MANAGER: [("Cadre de santé", "Cadre de santé")],
    BED_MANAGER: [("Gestionnaire de lits", "Gestionnaire de lits")],
    NURSE: [
        ("Infirmier", "Infirmière"),
        ("Infirmier diplômé d'État", "Infirmière diplômée d'État"),
    ],
}
JOB_TITLES_BY_SECTOR: dict[tuple[str, str], list[tuple[str, str]]] = {
    (DOCTOR, GRAND_AGE): [("Médecin coordonnateur", "Médecin coordonnatrice")],
    (DOCTOR, HANDICAP): [("Médecin psychiatre", "Médecin psychiatre"), ("Médecin", "Médecin")],
    (CARE_MANAGER, GRAND_AGE): [("Infirmier coordinateur", "Infirmière coordinatrice")],
    (CARE_MANAGER, HANDICAP): [("Chef de service éducatif", "Cheffe de service éducatif")],
    (REFERENT, HANDICAP): [
        ("Chef de service", "Cheffe de service"),
        ("Assistant de direction", "Assistante de direction"),
    ],
    (REFERENT, GRAND_AGE): [
        ("Infirmier coordinateur", "Infirmière coordinatrice"),
        ("Assistant de direction", "Assistante de direction"),
    ],
}
# Profiles of the staff of each sector, with their weights.
STAFF_PROFILES: dict[str, list[tuple[str, int]]] = {
    SANITAIRE: [(NURSE, 35), (DOCTOR, 25), (SECRETARY, 15), (CARE_MANAGER, 8), (BED_MANAGER, 9),
                (SOCIAL_WORKER, 8)],
    GRAND_AGE: [(NURSE, 40), (DOCTOR, 15), (CARE_MANAGER, 20), (SOCIAL_WORKER, 10),
                (SECRETARY, 15)],
    HANDICAP: [(CARE_MANAGER, 25), (SOCIAL_WORKER, 25), (NURSE, 20), (DOCTOR, 15),
               (SECRETARY, 15)],
}  # fmt: skip
# A habilitation's state on the day of the run, with its weight for ordinary staff.
STATUS_WEIGHTS = [
    ("active", 66),
    ("ends_within_30_days", 9),
    ("ends_within_7_days", 5),
    ("expired", 8),
    ("ended", 7),
    ("future", 5),
]
END_REASONS = [
    "Départ de l'établissement",
    "Changement de service",
    "Fin de contrat",
    "Fin de remplacement",
    "Mutation",
    "Compte créé en double",
]
BLOCKED_REASON = "5 échecs de connexion consécutifs"

CHARTER_VERSION = 1
CHARTER_TITLE = "Charte d'utilisation de la plateforme"
CHARTER_BODY = """\
La présente charte fixe les règles d'utilisation de la plateforme par les professionnels des \
établissements sanitaires et médico-sociaux. Elle s'applique à toute personne disposant d'un \
compte utilisateur, quel que soit son profil.

1. Compte personnel. Votre compte est strictement personnel. Vous ne communiquez jamais votre \
mot de passe, y compris à un collègue ou à votre hiérarchie, et vous ne laissez pas de session \
ouverte sur un poste partagé.

2. Habilitations. Vous utilisez la plateforme uniquement dans le cadre de vos missions et des \
habilitations attribuées par le référent structure de votre établissement. Signalez-lui tout \
changement de fonction ou tout départ afin que vos droits soient mis à jour.

3. Confidentialité. Les informations consultées sont couvertes par le secret professionnel \
(article L. 1110-4 du code de la santé publique) et par le règlement général sur la protection \
des données. Vous n'en faites aucun usage étranger à l'accompagnement des personnes.

4. Traçabilité. Les connexions et les actions d'administration sont enregistrées et conservées. \
Elles peuvent être contrôlées par la direction de l'établissement et par le support régional.

5. Incidents. Toute perte ou suspicion de compromission de vos identifiants est signalée sans \
délai au référent structure ou, en cas d'urgence, au support régional.

Le non-respect de la présente charte peut entraîner la suspension du compte, sans préjudice des \
sanctions disciplinaires ou pénales prévues par les textes en vigueur.
"""
CHARTER_PUBLISHED_DAYS_AGO = 180


# --- The plan: the world drawn from the seed, before the database is read ----------------------


@dataclass
class PersonPlan:
    email: str
    first_name: str
    last_name: str
    job_title: str = ""
    phone: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    has_password: bool = True
    blocked_days_ago: int | None = None
    accepted_days_ago: int | None = 30  # After the charter's publication; None: not accepted.
    joined_days_ago: int = 900
    last_login_days_ago: int | None = 2


@dataclass
class HabilitationPlan:
    email: str
    profile: str
    finess: str
    unit: str  # "" for the establishment itself
    start: datetime.date
    end: datetime.date
    granted_by: str
    ended_days_ago: int | None = None
    ended_by: str = ""
    end_reason: str = ""
    email_reminders: bool = True

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.email, self.profile, self.finess, self.unit)


@dataclass
class UnitPlan:
    name: str
    code: str = ""
    phone: str = ""


@dataclass
class WorldPlan:
    establishments: list[EstablishmentSpec]
    units: dict[str, list[UnitPlan]]  # by establishment FINESS
    people: dict[str, PersonPlan]  # by e-mail, in creation order
    habilitations: dict[tuple[str, str, str, str], HabilitationPlan]
    # Drawn establishment fields (dates, phones, directory sheet), by FINESS.
    establishment_fields: dict[str, dict[str, Any]] = field(default_factory=dict)


def _slug(text: str) -> str:
    return fold(text.replace("'", "").replace("’", "")).replace(" ", "-")


class _WorldBuilder:
    """Draws the demo world. The order of the draws is the world: do not reorder casually."""

    def __init__(self, today: datetime.date) -> None:
        # Demo data must be reproducible, not secret: a seeded non-cryptographic generator.
        self.rng = random.Random(SEED)  # noqa: S311
        self.today = today
        self.units: dict[str, list[UnitPlan]] = {}
        self.people: dict[str, PersonPlan] = {}
        self.habilitations: dict[tuple[str, str, str, str], HabilitationPlan] = {}
        self.establishment_fields: dict[str, dict[str, Any]] = {}
        self.group_directors: dict[str, PersonPlan] = {}
        self.named: dict[str, PersonPlan] = {}

    def build(self) -> WorldPlan:
        for spec in ESTABLISHMENTS:
            self.establishment_fields[spec.finess] = self._establishment_fields(spec)
            self.units[spec.finess] = self._units(spec)
        self._named_people()
        for spec in ESTABLISHMENTS:
            self._staff(spec)
        return WorldPlan(
            establishments=ESTABLISHMENTS,
            units=self.units,
            people=self.people,
            habilitations=self.habilitations,
            establishment_fields=self.establishment_fields,
        )

    # --- Structures

    def _phone(self, departement: str) -> str:
        rng = self.rng
        pairs = " ".join(f"{rng.randint(0, 99):02d}" for _ in range(3))
        return f"{PHONE_PREFIXES[departement]} {pairs}"

    def _establishment_fields(self, spec: EstablishmentSpec) -> dict[str, Any]:
        rng = self.rng
        opened = datetime.date(rng.randint(1962, 2016), rng.randint(1, 12), rng.randint(1, 28))
        fields: dict[str, Any] = {
            "finess_phone": self._phone(spec.departement),
            "opened_on": opened,
            "authorised_on": opened - datetime.timedelta(days=rng.randint(90, 700)),
            "finess_updated_on": self.today - datetime.timedelta(days=rng.randint(30, 900)),
        }
        if spec.closed:
            fields.update(is_active=False, closed_on=self.today - CLOSED_DAYS_AGO * DAY)
        # The directory sheet: filled in by a référent for about a third of the establishments.
        if spec.number == DEMO_HOSPITAL or rng.random() < 0.35:
            slug = _slug(spec.name)
            fields.update(
                phone=fields["finess_phone"],
                email=f"accueil@{slug}.example.test",
                website=f"https://www.{slug}.example.test/",
                description=SHEET_DESCRIPTIONS[spec.sector],
                access_info=rng.choice(ACCESS_INFO),
                sheet_updated_days_ago=rng.randint(3, 300),
            )
        return fields

    def _units(self, spec: EstablishmentSpec) -> list[UnitPlan]:
        rng = self.rng
        if spec.number == DEMO_HOSPITAL:
            names = [name for name, _ in DEMO_HOSPITAL_UNITS]
        elif spec.category in UNIT_TEMPLATES:
            fewest, most, choices = UNIT_TEMPLATES[spec.category]
            names = rng.sample(choices, rng.randint(fewest, most))
        else:
            return []
        units = []
        for index, name in enumerate(names, start=1):
            # Hospitals number their units ("unités fonctionnelles"); others rarely do.
            code = f"UF{index:02d}{rng.randint(10, 99)}" if spec.sector == SANITAIRE else ""
            phone = self._phone(spec.departement) if rng.random() < 0.4 else ""
            units.append(UnitPlan(name, code, phone))
        return units

    # --- People

    def _person(
        self,
        profile: str,
        sector: str,
        *,
        email: str = "",
        first_name: str = "",
        last_name: str = "",
        gender: str = "",
        departement: str = "31",
    ) -> PersonPlan:
        rng = self.rng
        # Every person consumes the same draws whatever the caller overrides, so that naming a
        # person or changing their e-mail never shifts the people drawn after them.
        drawn_gender = rng.choice("FM")
        gender = gender or drawn_gender
        drawn_first = rng.choice(FEMALE_FIRST_NAMES if gender == "F" else MALE_FIRST_NAMES)
        drawn_last = rng.choice(LAST_NAMES)
        titles = JOB_TITLES_BY_SECTOR.get((profile, sector)) or JOB_TITLES[profile]
        masculine, feminine = rng.choice(titles)
        # Référents and directors are the people others must reach: they always have a phone.
        draw = rng.random()
        reachable = draw < 0.5 or profile in {REFERENT, DIRECTOR}
        phone = self._phone(departement) if reachable else ""
        has_password = rng.random() >= 0.04
        blocked = has_password and rng.random() < 0.03
        accepted = has_password and rng.random() < 0.9
        dormant = rng.random() < 0.08
        last_login = rng.randint(200, 500) if dormant else rng.randint(0, 45)
        person = PersonPlan(
            email="",
            first_name=first_name or drawn_first,
            last_name=last_name or drawn_last,
            job_title=feminine if gender == "F" else masculine,
            phone=phone,
            has_password=has_password,
            blocked_days_ago=rng.randint(0, 20) if blocked else None,
            accepted_days_ago=rng.randint(5, CHARTER_PUBLISHED_DAYS_AGO - 5) if accepted else None,
            joined_days_ago=rng.randint(600, 2500),
            # Accounts still waiting for their first password have never signed in.
            last_login_days_ago=last_login if has_password else None,
        )
        person.email = email or self._free_email(person.first_name, person.last_name)
        self.people[person.email] = person
        return person

    def _free_email(self, first_name: str, last_name: str) -> str:
        base = f"{_slug(first_name)}.{_slug(last_name)}"
        email, n = f"{base}@{DOMAIN}", 1
        while email in self.people:
            n += 1
            email = f"{base}{n}@{DOMAIN}"
        return email

    def _named_people(self) -> None:
        """The four demo accounts, and a few people the demo hospital's référent should meet."""
        named = [
            # key, profile, e-mail, first name, last name, gender, job title
            ("admin", REFERENT, ADMIN_EMAIL, "Nicolas", "Espinasse", "M",
             "Support régional e-santé"),
            ("director", DIRECTOR, DIRECTOR_EMAIL, "Hélène", "Barthès", "F", "Directrice"),
            ("referent", REFERENT, REFERENT_EMAIL, "Claire", "Rouquette", "F",
             "Cadre supérieure de santé"),
            ("agent", NURSE, AGENT_EMAIL, "Julien", "Castan", "M", "Infirmier"),
            # A nurse locked out after five attempts: referent@ can unblock her.
            ("blocked", NURSE, "", "Mathilde", "Cabanès", "F", ""),
            # A secretary who has not accepted the charter yet.
            ("pending", SECRETARY, "", "Inès", "Bonnafous", "F", ""),
            # A cardiologist who also consults at the CHU: two establishments, two référents.
            ("visiting", DOCTOR, "", "Antoine", "Delmas", "M", ""),
        ]  # fmt: skip
        for key, profile, email, first_name, last_name, gender, job_title in named:
            person = self._person(
                profile,
                SANITAIRE,
                email=email,
                first_name=first_name,
                last_name=last_name,
                gender=gender,
            )
            person.job_title = job_title or person.job_title
            # Each of them must be able to sign in: the demo is about what they see.
            person.has_password = True
            person.blocked_days_ago = None
            person.accepted_days_ago = 60
            person.last_login_days_ago = 1
            self.named[key] = person
        self.named["admin"].is_staff = self.named["admin"].is_superuser = True
        self.named["blocked"].blocked_days_ago = 1
        self.named["pending"].accepted_days_ago = None

    def _draw_status(self) -> str:
        statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
        return self.rng.choices(statuses, weights)[0]

    def _grant(
        self,
        person: PersonPlan,
        profile: str,
        spec: EstablishmentSpec,
        unit: str = "",
        *,
        by: str,
        status: str = "",
    ) -> None:
        rng = self.rng
        status = status or self._draw_status()
        day, year = DAY, 365 * DAY
        ended_days_ago: int | None = None
        reminders = rng.random() >= 0.15
        if status == "active":
            start = self.today - rng.randint(15, 320) * day
            end = start + year
        elif status == "ends_within_30_days":
            end = self.today + rng.randint(8, 30) * day
            start = end - year
            reminders = True
        elif status == "ends_within_7_days":
            end = self.today + rng.randint(0, 7) * day
            start = end - year
            reminders = True
        elif status == "expired":
            end = self.today - rng.randint(1, 240) * day
            start = end - year
        elif status == "ended":
            elapsed = rng.randint(60, 300)
            start = self.today - elapsed * day
            end = start + year
            ended_days_ago = rng.randint(1, elapsed - 1)
        elif status == "closed":
            start = self.today - rng.randint(CLOSED_DAYS_AGO + 30, 360) * day
            end = start + year
            ended_days_ago = CLOSED_DAYS_AGO
        else:  # future: a newcomer whose rights start on their first day.
            start = self.today + rng.randint(2, 45) * day
            end = start + year
        reason = ""
        if status == "ended":
            reason = rng.choice(END_REASONS)
        elif status == "closed":
            reason = "Fermeture de l'établissement"
        plan = HabilitationPlan(
            email=person.email,
            profile=profile,
            finess=spec.finess,
            unit=unit,
            start=start,
            end=end,
            granted_by=by,
            ended_days_ago=ended_days_ago,
            ended_by=by if ended_days_ago is not None else "",
            end_reason=reason,
            email_reminders=reminders,
        )
        self.habilitations.setdefault(plan.key, plan)

    def _staff_profile(self, sector: str) -> str:
        profiles, weights = zip(*STAFF_PROFILES[sector], strict=True)
        return self.rng.choices(profiles, weights)[0]

    def _staff(self, spec: EstablishmentSpec) -> None:
        rng = self.rng
        sector, dept = spec.sector, spec.departement
        forced = "closed" if spec.closed else ""
        is_demo = spec.number == DEMO_HOSPITAL

        # Référents of the establishment: one always in force (except in the escalation case).
        referents: list[PersonPlan] = []
        if is_demo:
            referents.append(self.named["referent"])
            referents.append(self._person(REFERENT, sector, departement=dept))
        elif spec.number != WITHOUT_REFERENT:
            count = 1 if rng.random() < 0.7 else 2
            referents.extend(self._person(REFERENT, sector, departement=dept) for _ in range(count))
        for index, referent in enumerate(referents):
            status = forced or ("active" if index == 0 else "")
            if is_demo and index == 1:
                status = "ends_within_30_days"  # Shows a référent's own reminder.
            self._grant(referent, REFERENT, spec, by=ADMIN_EMAIL, status=status)
            if rng.random() < 0.5:
                job = CARE_MANAGER if sector != HANDICAP else SOCIAL_WORKER
                self._grant(referent, job, spec, by=ADMIN_EMAIL, status=forced or "active")
        manager = referents[0].email if referents else ADMIN_EMAIL

        # The direction. One director runs all the EHPADs of the "aines" association.
        if is_demo:
            director = self.named["director"]
        elif spec.group == "aines" and "aines" in self.group_directors:
            director = self.group_directors["aines"]
        else:
            director = self._person(DIRECTOR, sector, departement=dept)
            if spec.group == "aines":
                self.group_directors["aines"] = director
        self._grant(director, DIRECTOR, spec, by=ADMIN_EMAIL, status=forced or "active")

        units = self.units[spec.finess]
        demo_unit_referents = dict(DEMO_HOSPITAL_UNITS) if is_demo else {}
        for unit in units:
            unit_manager = manager
            own = demo_unit_referents.get(unit.name, "")
            if not is_demo and spec.number != WITHOUT_REFERENT and rng.random() < 0.15:
                own = "active"
            if own:
                # Usually the unit's cadre de santé (or its equivalent outside hospitals).
                unit_referent = self._person(CARE_MANAGER, sector, departement=dept)
                self._grant(
                    unit_referent, REFERENT, spec, unit.name, by=manager, status=forced or own
                )
                self._grant(
                    unit_referent, CARE_MANAGER, spec, unit.name, by=manager, status=forced or own
                )
                if own == "active":
                    unit_manager = unit_referent.email
            for _ in range(rng.randint(1, 2)):
                profile = self._staff_profile(sector)
                person = self._person(profile, sector, departement=dept)
                self._grant(person, profile, spec, unit.name, by=unit_manager, status=forced)
        if not units:
            for _ in range(rng.randint(1, 3)):
                profile = self._staff_profile(sector)
                person = self._person(profile, sector, departement=dept)
                self._grant(person, profile, spec, by=manager, status=forced)

        if is_demo:
            self._demo_hospital_people(spec, manager)
        elif spec.number == SECOND_WORKPLACE:
            doctor = self.named["visiting"]
            self._grant(doctor, DOCTOR, spec, units[0].name, by=manager, status="active")

    def _demo_hospital_people(self, spec: EstablishmentSpec, manager: str) -> None:
        cardiology_referent = next(
            h.email
            for h in self.habilitations.values()
            if h.finess == spec.finess and h.unit == "Cardiologie" and h.profile == REFERENT
        )
        grants = [
            ("agent", NURSE, AGENT_UNIT, manager),
            ("blocked", NURSE, "Urgences", manager),
            ("pending", SECRETARY, AGENT_UNIT, manager),
            ("visiting", DOCTOR, "Cardiologie", cardiology_referent),
        ]
        for key, profile, unit, by in grants:
            self._grant(self.named[key], profile, spec, unit, by=by, status="active")


def build_world(today: datetime.date) -> WorldPlan:
    """The demo world as plain data, dates relative to ``today``. Reads no database."""
    return _WorldBuilder(today).build()


# --- Writing it --------------------------------------------------------------------------------


# What the run reports, in this order.
_KINDS = (
    "legal_entities",
    "establishments",
    "units",
    "people",
    "habilitations",
    "charters",
    "charter_acceptances",
)


@dataclass(frozen=True)
class DemoResult:
    # Rows created by this run, by kind.
    created: dict[str, int]
    # Size of the demo world (found or created), by kind.
    totals: dict[str, int]
    passwords_reset: int
    support_desks_set: int
    password: str
    # Whether the four demo accounts' password is known to be ``password`` after this run.
    password_applied: bool

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or self.passwords_reset or self.support_desks_set)


def _days_ago(now: datetime.datetime, days: int | None) -> datetime.datetime | None:
    return None if days is None else now - datetime.timedelta(days=days)


@transaction.atomic
def demo_seed(
    *,
    password: str = DEFAULT_PASSWORD,
    reset_passwords: bool = False,
    today: datetime.date | None = None,
) -> DemoResult:
    """Create the demo world, or complete it: existing rows are found by natural key and kept.

    New accounts get ``password`` (hashed once and shared, which keeps the run fast). Existing
    accounts keep theirs unless ``reset_passwords``. Records one ``demo.seeded`` audit event
    when anything changed, none otherwise.
    """
    now = timezone.now()
    today = today or timezone.localdate(now)
    world = build_world(today)
    created: Counter[str] = Counter()

    support_desks_set = _set_support_desk()
    establishments = _ensure_establishments(world, now, created)
    units = _ensure_units(world, establishments, created)
    users, new_emails = _ensure_people(world, now, password, created)
    passwords_reset = _reset_passwords(world, password) if reset_passwords else 0
    _ensure_habilitations(world, now, establishments, units, users, created)
    _record_account_creations(world, now, establishments, users, new_emails)
    _ensure_charter(world, now, users, created)

    result = DemoResult(
        created={kind: created[kind] for kind in _KINDS},
        totals={
            "legal_entities": len({spec.legal_entity.finess for spec in world.establishments}),
            "establishments": len(world.establishments),
            "units": sum(len(u) for u in world.units.values()),
            "people": len(world.people),
            "habilitations": len(world.habilitations),
            "charters": 1,
            "charter_acceptances": sum(
                p.accepted_days_ago is not None for p in world.people.values()
            ),
        },
        passwords_reset=passwords_reset,
        support_desks_set=support_desks_set,
        password=password,
        password_applied=reset_passwords or new_emails.issuperset(KEY_ACCOUNTS),
    )
    if result.changed:
        record(
            action=AuditEvent.Action.DEMO_SEEDED,
            after={
                "created": result.created,
                "passwords_reset": passwords_reset,
                "support_desks_set": support_desks_set,
            },
        )
    return result


def _record_account_creations(
    world: WorldPlan,
    now: datetime.datetime,
    establishments: dict[str, int],
    users: dict[str, int],
    new_emails: set[str],
) -> None:
    """Each new account was created by the référent who granted its first right, as the
    account creation page records it: that référent may then unblock it (the rule of
    ``accounts.services.holds_authority_over``), and the Journal tells who created whom."""
    first_rights: dict[str, HabilitationPlan] = {}
    for plan in sorted(world.habilitations.values(), key=lambda plan: plan.start):
        if plan.email in new_emails and plan.granted_by and plan.granted_by != plan.email:
            first_rights.setdefault(plan.email, plan)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action=AuditEvent.Action.ACCOUNT_CREATED,
            actor_id=users[plan.granted_by],
            target_user_id=users[email],
            establishment_id=establishments[plan.finess],
            created_at=now - datetime.timedelta(days=world.people[email].joined_days_ago),
            after={"user": users[email], "email": email},
        )
        for email, plan in sorted(first_rights.items())
    )


def _set_support_desk() -> int:
    """Give the other region its invented desk, unless someone configured a real one."""
    region = Region.objects.get(code=OTHER_REGION_CODE)
    if region.support_email:
        return 0
    for name, value in OTHER_REGION_SUPPORT.items():
        setattr(region, name, value)
    region.save(update_fields=list(OTHER_REGION_SUPPORT))
    return 1


def _ensure_establishments(
    world: WorldPlan, now: datetime.datetime, created: Counter[str]
) -> dict[str, int]:
    """Legal entities and establishments by FINESS; returns establishment ids by FINESS."""
    legal_specs = {spec.legal_entity.finess: spec.legal_entity for spec in world.establishments}
    existing = set(
        LegalEntity.objects.filter(finess__in=legal_specs).values_list("finess", flat=True)
    )
    new_entities = [
        LegalEntity(finess=finess, name=spec.name, long_name=spec.long_name)
        for finess, spec in legal_specs.items()
        if finess not in existing
    ]
    LegalEntity.objects.bulk_create(new_entities)
    created["legal_entities"] += len(new_entities)
    entity_ids = dict(
        LegalEntity.objects.filter(finess__in=legal_specs).values_list("finess", "id")
    )

    finesses = [spec.finess for spec in world.establishments]
    existing = set(
        Establishment.objects.filter(finess__in=finesses).values_list("finess", flat=True)
    )
    departements = dict(Departement.objects.values_list("code", "id"))
    new_establishments = []
    for spec in world.establishments:
        if spec.finess in existing:
            continue
        drawn = dict(world.establishment_fields[spec.finess])
        sheet_days = drawn.pop("sheet_updated_days_ago", None)
        establishment = Establishment(
            finess=spec.finess,
            legal_entity_id=entity_ids[spec.legal_entity.finess],
            name=spec.name,
            long_name=spec.long_name,
            address=spec.address,
            postcode=spec.postcode,
            city=spec.city,
            departement_id=departements[spec.departement],
            category_code=spec.category,
            category_label=CATEGORIES[spec.category][0],
            sector=spec.sector,
            sheet_updated_at=_days_ago(now, sheet_days),
            **drawn,
        )
        # bulk_create skips save(), which keeps the search text.
        establishment.search_text = establishment.build_search_text()
        new_establishments.append(establishment)
    Establishment.objects.bulk_create(new_establishments)
    created["establishments"] += len(new_establishments)
    return dict(Establishment.objects.filter(finess__in=finesses).values_list("finess", "id"))


def _ensure_units(
    world: WorldPlan, establishments: dict[str, int], created: Counter[str]
) -> dict[tuple[int, str], int]:
    """Units by (establishment id, lower-cased name), as the unique constraint compares them."""

    def by_key() -> dict[tuple[int, str], int]:
        rows = Unit.objects.filter(establishment_id__in=establishments.values()).values_list(
            "establishment_id", "name", "id"
        )
        return {(establishment_id, name.lower()): pk for establishment_id, name, pk in rows}

    existing = by_key()
    new_units = [
        Unit(establishment_id=establishments[finess], name=u.name, code=u.code, phone=u.phone)
        for finess, planned in world.units.items()
        for u in planned
        if (establishments[finess], u.name.lower()) not in existing
    ]
    Unit.objects.bulk_create(new_units)
    created["units"] += len(new_units)
    return by_key() if new_units else existing


def _ensure_people(
    world: WorldPlan, now: datetime.datetime, password: str, created: Counter[str]
) -> tuple[dict[str, int], set[str]]:
    """Accounts by e-mail; returns user ids by e-mail, and the e-mails created now."""
    emails = list(world.people)
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    missing = [p for p in world.people.values() if p.email not in existing]
    # One hash for every new account: hashing 300 times with Argon2 would take most of a minute.
    shared_hash = make_password(password) if missing else ""
    new_users = []
    for p in missing:
        blocked_at = _days_ago(now, p.blocked_days_ago)
        new_users.append(
            User(
                email=p.email,
                first_name=p.first_name,
                last_name=p.last_name,
                job_title=p.job_title,
                phone=p.phone,
                is_staff=p.is_staff,
                is_superuser=p.is_superuser,
                # Not yet activated accounts have never chosen a password.
                password=shared_hash if p.has_password else make_password(None),
                date_joined=now - datetime.timedelta(days=p.joined_days_ago),
                last_login=_days_ago(now, p.last_login_days_ago),
                blocked_at=blocked_at,
                blocked_reason=BLOCKED_REASON if blocked_at else "",
                failed_login_count=5 if blocked_at else 0,
            )
        )
    for user in new_users:  # bulk_create does not call save()
        user.search_name = user.build_search_name()
    User.objects.bulk_create(new_users)
    created["people"] += len(new_users)
    ids = dict(User.objects.filter(email__in=emails).values_list("email", "id"))
    return ids, {p.email for p in missing}


def _reset_passwords(world: WorldPlan, password: str) -> int:
    """Give ``password`` to the demo accounts that have another one; returns how many changed.

    Accounts that never chose a password stay so, except the four demo accounts. Each distinct
    hash is checked once: accounts created together share one.
    """
    rows = User.objects.filter(email__in=list(world.people)).values_list("id", "email", "password")
    candidates = [
        (pk, encoded)
        for pk, email, encoded in rows
        if email in KEY_ACCOUNTS or is_password_usable(encoded)
    ]
    matching = {
        encoded
        for encoded in dict.fromkeys(encoded for _, encoded in candidates)
        if check_password(password, encoded)
    }
    stale = [pk for pk, encoded in candidates if encoded not in matching]
    if stale:
        User.objects.filter(pk__in=stale).update(password=make_password(password))
    return len(stale)


def _ensure_habilitations(
    world: WorldPlan,
    now: datetime.datetime,
    establishments: dict[str, int],
    units: dict[tuple[int, str], int],
    users: dict[str, int],
    created: Counter[str],
) -> None:
    """Habilitations by (person, profile, establishment, unit): never by their dates."""
    profiles = dict(Profile.objects.values_list("code", "id"))
    existing = set(
        Habilitation.objects.filter(user_id__in=users.values()).values_list(
            "user_id", "profile_id", "establishment_id", "unit_id"
        )
    )
    new_habilitations = []
    for h in world.habilitations.values():
        establishment_id = establishments[h.finess]
        unit_id = units[(establishment_id, h.unit.lower())] if h.unit else None
        key = (users[h.email], profiles[h.profile], establishment_id, unit_id)
        if key in existing:
            continue
        new_habilitations.append(
            Habilitation(
                user_id=key[0],
                profile_id=key[1],
                establishment_id=establishment_id,
                unit_id=unit_id,
                start_date=h.start,
                end_date=h.end,
                granted_by_id=users[h.granted_by],
                ended_at=_days_ago(now, h.ended_days_ago),
                ended_by_id=users[h.ended_by] if h.ended_by else None,
                end_reason=h.end_reason,
                email_reminders=h.email_reminders,
            )
        )
    Habilitation.objects.bulk_create(new_habilitations)
    created["habilitations"] += len(new_habilitations)


def _ensure_charter(
    world: WorldPlan, now: datetime.datetime, users: dict[str, int], created: Counter[str]
) -> None:
    """Charter version 1, accepted by most people but not all."""
    published_at = now - datetime.timedelta(days=CHARTER_PUBLISHED_DAYS_AGO)
    charter, was_created = Charter.objects.get_or_create(
        version=CHARTER_VERSION,
        defaults={"title": CHARTER_TITLE, "body": CHARTER_BODY, "published_at": published_at},
    )
    created["charters"] += int(was_created)
    accepted = set(
        CharterAcceptance.objects.filter(charter=charter, user_id__in=users.values()).values_list(
            "user_id", flat=True
        )
    )
    new_acceptances = [
        CharterAcceptance(
            user_id=users[p.email],
            charter=charter,
            accepted_at=max(
                charter.published_at,
                now - datetime.timedelta(days=p.accepted_days_ago),
            ),
            # Documentation range (RFC 5737): plausible, and obviously not a real client.
            ip_address=f"192.0.2.{index % 250 + 1}",
        )
        for index, p in enumerate(world.people.values())
        if p.accepted_days_ago is not None and users[p.email] not in accepted
    ]
    CharterAcceptance.objects.bulk_create(new_acceptances)
    created["charter_acceptances"] += len(new_acceptances)


# --- The demo accounts' second factor

# Published on purpose, like the password: every demo account has an authenticator app with
# this secret (``manage.py demo_code EMAIL`` prints its current code).
DEMO_TOTP_SECRET = "VIAREFERENTSDEMOSECONDFACTORTOTP"  # noqa: S105
DEMO_FACTOR_NAME = "Application de démonstration"


def demo_second_factors() -> int:
    """Give each demo account its authenticator app (``DEMO_TOTP_SECRET``) unless it has one
    by that name; the number added."""
    added = 0
    for person in User.objects.filter(email__in=KEY_ACCOUNTS):
        _factor, created = Factor.objects.get_or_create(
            user=person,
            name=DEMO_FACTOR_NAME,
            defaults={"kind": Factor.Kind.TOTP, "totp_secret": DEMO_TOTP_SECRET},
        )
        if created:
            added += 1
            record(
                action=AuditEvent.Action.MFA_ENROLLED,
                target_user=person,
                after={"factor": DEMO_FACTOR_NAME, "kind": "totp", "demo": True},
            )
    return added
