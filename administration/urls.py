"""The référents' back office, mounted at /administration/ (the Administration menu)."""

from django.urls import path

from administration.views import bulk, charter, establishments, imports, journal, people

app_name = "administration"

urlpatterns = [
    # Comptes utilisateurs
    path("comptes/", people.people, name="people"),
    path("comptes/nouveau/", people.person_create, name="person_create"),
    # Prolonger, Terminer: the rights of the people (or the rights) ticked, in one action
    path("comptes/prolonger/", bulk.bulk_extend, name="bulk_extend"),
    path("comptes/terminer/", bulk.bulk_end, name="bulk_end"),
    path("comptes/export.csv", imports.people_export, name="people_export"),
    # Importer un fichier: people and their rights from a staff file
    path("comptes/import/", imports.people_import, name="people_import"),
    path("comptes/import/apercu/", imports.import_preview, name="import_preview"),
    path("comptes/import/appliquer/", imports.import_apply, name="import_apply"),
    path("comptes/import/annuler/", imports.import_cancel, name="import_cancel"),
    path("comptes/import/rapport.csv", imports.import_report_csv, name="import_report_csv"),
    path("comptes/import/modele.csv", imports.import_template_csv, name="import_template_csv"),
    path("comptes/import/modele.xlsx", imports.import_template_xlsx, name="import_template_xlsx"),
    path("comptes/<id:pk>/", people.person, name="person"),
    path(
        "comptes/<id:pk>/habilitations/ajouter/",
        people.habilitation_grant,
        name="habilitation_grant",
    ),
    path("comptes/<id:pk>/debloquer/", people.person_unblock, name="person_unblock"),
    path("comptes/<id:pk>/coordonnees/", people.person_details, name="person_details"),
    path("comptes/<id:pk>/adresse/", people.person_email, name="person_email"),
    path("comptes/<id:pk>/depart/", people.person_depart, name="person_depart"),
    path(
        "comptes/<id:pk>/activation/",
        people.person_activation_resend,
        name="person_activation_resend",
    ),
    path(
        "comptes/habilitations/<id:pk>/prolonger/",
        people.habilitation_extend,
        name="habilitation_extend",
    ),
    path(
        "comptes/habilitations/<id:pk>/modifier/",
        people.habilitation_modify,
        name="habilitation_modify",
    ),
    path(
        "comptes/habilitations/<id:pk>/terminer/",
        people.habilitation_end,
        name="habilitation_end",
    ),
    # Établissements: the directory sheets and their units
    path("etablissements/", establishments.establishment_list, name="establishments"),
    path("etablissements/<id:pk>/", establishments.establishment_detail, name="establishment"),
    path("etablissements/<id:pk>/unites/nouvelle/", establishments.unit_create, name="unit_create"),
    path(
        "etablissements/<id:pk>/unites/<id:unit_pk>/",
        establishments.unit_edit,
        name="unit_edit",
    ),
    path(
        "etablissements/<id:pk>/unites/<id:unit_pk>/desactiver/",
        establishments.unit_deactivate,
        name="unit_deactivate",
    ),
    path(
        "etablissements/<id:pk>/unites/<id:unit_pk>/reactiver/",
        establishments.unit_reactivate,
        name="unit_reactivate",
    ),
    # Journal
    path("journal/", journal.events, name="journal"),
    path("journal/export.csv", journal.export, name="journal_export"),
    # Charte d'utilisation: who has not accepted it
    path("charte/en-attente/", charter.charter_pending, name="charter_pending"),
    path("charte/en-attente/rappel/", charter.charter_remind_view, name="charter_remind"),
]
