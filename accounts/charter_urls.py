from django.urls import path

from accounts import charter_views

app_name = "charter"

urlpatterns = [
    path("", charter_views.accept, name="accept"),
    path("en-attente/", charter_views.pending, name="pending"),
    path("en-attente/rappel/", charter_views.remind, name="remind"),
]
