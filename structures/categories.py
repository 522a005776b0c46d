"""FINESS establishment categories: their labels and the sector each belongs to.

The legacy CSV carries the category label and its aggregate (``categagretab``); the JSON flow
carries only the category code, so the labels of the common categories are kept here. A category
not listed falls back to its aggregate, then to "other".
"""

SANITAIRE = "sanitaire"
GRAND_AGE = "grand_age"
HANDICAP = "handicap"
ASSURANCE_MALADIE = "assurance_maladie"
OTHER = "autre"

# code: (label, sector)
CATEGORIES: dict[str, tuple[str, str]] = {
    "101": ("Centre Hospitalier Régional (C.H.R.)", SANITAIRE),
    "106": ("Centre hospitalier, ex Hôpital local", SANITAIRE),
    "109": ("Etablissement de santé privé autorisé en SSR", SANITAIRE),
    "114": ("Hôpital des armées", SANITAIRE),
    "122": ("Etablissement de Soins Obstétriques Chirurgico-Gynécologiques", SANITAIRE),
    "128": ("Etablissement de Soins Chirurgicaux", SANITAIRE),
    "129": ("Etablissement de Soins Médicaux", SANITAIRE),
    "131": ("Centre de Lutte Contre Cancer", SANITAIRE),
    "156": ("Centre Médico-Psychologique (C.M.P.)", SANITAIRE),
    "161": ("Maison de Santé pour Maladies Mentales", SANITAIRE),
    "292": ("Centre Hospitalier Spécialisé lutte Maladies Mentales", SANITAIRE),
    "355": ("Centre Hospitalier (C.H.)", SANITAIRE),
    "362": ("Etablissement de Soins Longue Durée", SANITAIRE),
    "365": ("Etablissement de Soins Pluridisciplinaire", SANITAIRE),
    "366": ("Atelier Thérapeutique", SANITAIRE),
    "412": ("Appartement de Coordination Thérapeutique (A.C.T.)", SANITAIRE),
    "425": ("Centre de Santé Polyvalent", SANITAIRE),
    "696": ("Groupement de coopération sanitaire de moyens", SANITAIRE),
    "697": ("Groupement de coopération sanitaire - Etablissement de santé", SANITAIRE),
    "698": ("Centre de dialyse", SANITAIRE),
    "127": ("Hospitalisation à Domicile", SANITAIRE),
    "182": ("Service d'Éducation Spéciale et de Soins à Domicile", HANDICAP),
    "183": ("Institut Médico-Educatif (I.M.E.)", HANDICAP),
    "186": ("Institut Thérapeutique Educatif et Pédagogique (I.T.E.P.)", HANDICAP),
    "188": ("Etablissement pour Enfants ou Adolescents Polyhandicapés", HANDICAP),
    "189": ("Centre Médico-Psycho-Pédagogique (C.M.P.P.)", HANDICAP),
    "190": ("Centre Action Médico-Sociale Précoce (C.A.M.S.P.)", HANDICAP),
    "192": ("Etablissement pour Déficient Moteur", HANDICAP),
    "194": ("Institut pour Déficients Visuels", HANDICAP),
    "195": ("Institut pour Déficients Auditifs", HANDICAP),
    "246": ("Etablissement et Service d'Aide par le Travail (E.S.A.T.)", HANDICAP),
    "252": ("Foyer Hébergement Adultes Handicapés", HANDICAP),
    "253": ("Foyer d'Accueil Polyvalent pour Adultes Handicapés", HANDICAP),
    "255": ("Maison d'Accueil Spécialisée (M.A.S.)", HANDICAP),
    "382": ("Foyer de Vie pour Adultes Handicapés", HANDICAP),
    "437": ("Foyer d'Accueil Médicalisé pour Adultes Handicapés (F.A.M.)", HANDICAP),
    "445": ("Service d'Accompagnement Médico-Social Adultes Handicapés", HANDICAP),
    "446": ("Service d'Accompagnement à la Vie Sociale (S.A.V.S.)", HANDICAP),
    "448": ("Etablissement d'Accueil Médicalisé en tout ou partie personnes handicapées", HANDICAP),
    "449": ("Etablissement d'Accueil Non Médicalisé pour personnes handicapées", HANDICAP),
    "200": ("Maison de Retraite", GRAND_AGE),
    "202": ("Résidence autonomie", GRAND_AGE),
    "207": ("Centre de Jour pour Personnes Agées", GRAND_AGE),
    "209": ("Service Polyvalent Aide et Soins à Domicile (S.P.A.S.A.D.)", GRAND_AGE),
    "354": ("Service de Soins Infirmiers A Domicile (S.S.I.A.D)", GRAND_AGE),
    "381": ("Etablissement d'Hébergement pour Personnes Âgées (E.H.P.A.)", GRAND_AGE),
    "500": ("Etablissement d'hébergement pour personnes âgées dépendantes", GRAND_AGE),
    "501": ("EHPA ne percevant pas des crédits d'assurance maladie", GRAND_AGE),
    "502": ("EHPA percevant des crédits d'assurance maladie", GRAND_AGE),
    "115": ("Caisse Primaire d'Assurance Maladie (C.P.A.M.)", ASSURANCE_MALADIE),
    "116": ("Service médical de l'Assurance Maladie", ASSURANCE_MALADIE),
}


def sector_for(category_code: str, aggregate_code: str = "") -> str:
    """The sector (Sanitaire, Grand Âge, Handicap, Assurance Maladie, other) of a category."""
    known = CATEGORIES.get((category_code or "").strip())
    if known:
        return known[1]
    aggregate = (aggregate_code or "").strip()
    if aggregate.startswith("44"):
        return GRAND_AGE
    if aggregate.startswith(("41", "42", "43")):
        return HANDICAP
    if aggregate.startswith(("1", "2")):
        return SANITAIRE
    return OTHER


def label_for(category_code: str) -> str:
    known = CATEGORIES.get((category_code or "").strip())
    return known[0] if known else ""
