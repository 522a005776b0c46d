from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("", views.table, name="table"),
    path("export.csv", views.export, name="export"),
]
