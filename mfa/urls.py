from django.urls import path

from mfa import views

app_name = "mfa"

urlpatterns = [
    # The sign-in step
    path("second-facteur/", views.verify, name="verify"),
    path("second-facteur/ajouter/", views.enrol, name="enrol"),
    path("second-facteur/ajouter/application/", views.enrol_totp, name="enrol_totp"),
    path("second-facteur/ajouter/cle/", views.enrol_passkey, name="enrol_passkey"),
    path("second-facteur/mot-de-passe/", views.confirm_password, name="confirm_password"),
    path("second-facteur/codes-de-secours/", views.recovery_codes, name="recovery_codes"),
    # Mon compte
    path("second-facteur/<id:pk>/supprimer/", views.factor_remove, name="factor_remove"),
    # A person's page in the back office
    path(
        "administration/comptes/<id:pk>/second-facteur/reinitialiser/",
        views.person_reset,
        name="person_reset",
    ),
]
