"""The référents' back office, mounted at /administration/ (the Administration menu)."""

from django.urls import path

from administration.views import charter, establishments, journal, people

app_name = "administration"

urlpatterns = [
    # Comptes utilisateurs
    path("comptes/", people.people, name="people"),
    path("comptes/nouveau/", people.person_create, name="person_create"),
    path("comptes/<id:pk>/", people.person, name="person"),
    path(
        "comptes/<id:pk>/habilitations/ajouter/",
        people.habilitation_grant,
        name="habilitation_grant",
    ),
    path("comptes/<id:pk>/debloquer/", people.person_unblock, name="person_unblock"),
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
