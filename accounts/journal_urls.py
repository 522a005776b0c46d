from django.urls import path

from accounts import journal_views

app_name = "journal"

urlpatterns = [
    path("", journal_views.events, name="events"),
    path("export.csv", journal_views.export, name="export"),
]
