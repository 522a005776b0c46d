"""Structures sans référent, mounted at /administration/sans-referent/."""

from django.urls import path

from reviews import uncovered_views as views

app_name = "uncovered"

urlpatterns = [
    path("", views.uncovered_list, name="list"),
    path("export.csv", views.uncovered_export, name="export"),
]
