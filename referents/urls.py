from django.urls import path

from referents import views

app_name = "referents"

urlpatterns = [
    path("", views.mine, name="mine"),
    path("liste/", views.referent_list, name="list"),
    path("liste/noeuds/<str:kind>/<str:key>/", views.tree_children, name="tree_children"),
    path("etablissements/<id:pk>/", views.establishment_referents, name="establishment"),
    path("unites/<id:pk>/", views.unit_referents, name="unit"),
]
