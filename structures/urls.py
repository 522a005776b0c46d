from django.urls import path

from structures import views

app_name = "establishments"

urlpatterns = [
    path("", views.establishment_list, name="list"),
    path("<int:pk>/", views.establishment_detail, name="detail"),
    path("<int:pk>/unites/nouvelle/", views.unit_create, name="unit_create"),
    path("<int:pk>/unites/<int:unit_pk>/", views.unit_edit, name="unit_edit"),
    path(
        "<int:pk>/unites/<int:unit_pk>/desactiver/",
        views.unit_deactivate,
        name="unit_deactivate",
    ),
    path(
        "<int:pk>/unites/<int:unit_pk>/reactiver/",
        views.unit_reactivate,
        name="unit_reactivate",
    ),
]
