"""The project's URLs plus /bench/floor/: a page that goes through every middleware and does
no database work, the ceiling any page of the application can reach (bench/pages.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from viareferents.urls import *  # noqa: F403
from viareferents.urls import urlpatterns as project_urlpatterns


def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/floor/", floor), *project_urlpatterns]
