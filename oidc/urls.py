from django.urls import path

from oidc import views

app_name = "oidc"

urlpatterns = [
    path("connexion/oidc/<slug:provider>/", views.sign_in_start, name="sign_in"),
    path("connexion/oidc/<slug:provider>/retour/", views.callback, name="callback"),
    path("mon-compte/identites/<slug:provider>/lier/", views.link_start, name="link"),
    path("mon-compte/identites/<id:pk>/delier/", views.unlink, name="unlink"),
]
