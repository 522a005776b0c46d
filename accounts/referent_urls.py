"""The référents' administration area, mounted at /administration/."""

from django.urls import path

from accounts import referent_views as views

app_name = "administration"

urlpatterns = [
    path("comptes/", views.people, name="people"),
    path("comptes/nouveau/", views.person_create, name="person_create"),
    path("comptes/<id:pk>/", views.person, name="person"),
    path(
        "comptes/<id:pk>/habilitations/ajouter/",
        views.habilitation_grant,
        name="habilitation_grant",
    ),
    path("comptes/<id:pk>/debloquer/", views.person_unblock, name="person_unblock"),
    path(
        "comptes/habilitations/<id:pk>/prolonger/",
        views.habilitation_extend,
        name="habilitation_extend",
    ),
    path(
        "comptes/habilitations/<id:pk>/modifier/",
        views.habilitation_modify,
        name="habilitation_modify",
    ),
    path(
        "comptes/habilitations/<id:pk>/terminer/",
        views.habilitation_end,
        name="habilitation_end",
    ),
]
