from django.urls import path

from structures import views

app_name = "establishments"

urlpatterns = [
    path("", views.establishment_list, name="list"),
    path("<id:pk>/", views.establishment_detail, name="detail"),
    path("<id:pk>/unites/nouvelle/", views.unit_create, name="unit_create"),
    path("<id:pk>/unites/<id:unit_pk>/", views.unit_edit, name="unit_edit"),
    path(
        "<id:pk>/unites/<id:unit_pk>/desactiver/",
        views.unit_deactivate,
        name="unit_deactivate",
    ),
    path(
        "<id:pk>/unites/<id:unit_pk>/reactiver/",
        views.unit_reactivate,
        name="unit_reactivate",
    ),
]
