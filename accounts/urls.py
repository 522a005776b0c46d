from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("connexion/", views.SignInView.as_view(), name="sign_in"),
    path("connexion/compte-bloque/", views.blocked_help, name="blocked_help"),
    path(
        "deconnexion/",
        auth_views.LogoutView.as_view(next_page=reverse_lazy("accounts:sign_in")),
        name="sign_out",
    ),
    path("mot-de-passe/oubli/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "mot-de-passe/oubli/envoye/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/fait/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    # The link sent to a new login address (a référent asked for the change).
    path("adresse/confirmer/<str:token>/", views.email_confirm, name="email_confirm"),
    path("mon-compte/", views.my_account, name="my_account"),
    path("mon-compte/mot-de-passe/", views.password_change_page, name="password_change"),
    path("mon-compte/synthese/", views.set_digest, name="set_digest"),
    path(
        "mon-compte/habilitations/<id:pk>/rappels/",
        views.set_reminders,
        name="set_reminders",
    ),
]

urlpatterns += [
    path("charte/", views.charter_accept_page, name="charter_accept"),
]
