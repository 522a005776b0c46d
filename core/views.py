"""Probes for the load balancer (/healthz, /readyz) and the server error pages."""

import sys

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

# Errors of a database that cannot be reached or lost the connection: waiting is the only cure.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up. No database access: a database outage must not restart workers."""
    return JsonResponse({"status": "ok"})


@login_not_required
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers and every migration is applied; 503 otherwise."""
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return JsonResponse({"status": "unavailable", "database": False}, status=503)
    if pending:
        return JsonResponse({"status": "migrations pending", "database": True}, status=503)
    return JsonResponse({"status": "ok", "database": True})


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: 503 "try again shortly" when the database is unavailable, else the 500 page.

    Django calls it inside the ``except`` block of the failed request (with DEBUG off), so
    ``sys.exc_info()`` is the error. The pages render without the request: the context
    processors read ``request.user``, which needs the database.
    """
    context = {
        "request_id": getattr(request, "request_id", ""),
        "support_email": settings.SUPPORT_EMAIL,
    }
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE_ERRORS):
        response = HttpResponse(loader.render_to_string("503.html", context), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponseServerError(loader.render_to_string("500.html", context))


# --- The refused pages, in the product's layout and the person's language (DEBUG off)

_REFUSALS = {
    400: (
        gettext_lazy("Bad request"),
        gettext_lazy("The page could not read what was sent. Go back and try again."),
    ),
    403: (
        gettext_lazy("Access refused"),
        gettext_lazy("You may not open this page."),
    ),
    404: (
        gettext_lazy("Page not found"),
        gettext_lazy(
            "This page does not exist, or it is not in your structures. Check the address, "
            "or start again from your referents."
        ),
    ),
    405: (
        gettext_lazy("Action not possible"),
        gettext_lazy("This page cannot be used that way: start again from its form."),
    ),
    "csrf": (
        gettext_lazy("This form has expired"),
        gettext_lazy(
            "The page stayed open too long, or you signed in again meanwhile: nothing was "
            "saved. Go back, reload the page and send the form again."
        ),
    ),
}


def refusal(request: HttpRequest, status: int, kind: int | str | None = None) -> HttpResponse:
    title, message = _REFUSALS[kind if kind is not None else status]
    return render(request, "refusal.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refusal(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refusal(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return refusal(request, 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a stale form says so, instead of Django's technical page."""
    return refusal(request, 403, "csrf")
