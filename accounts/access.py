"""Who may open a page: the one gate of every view over the scope.

A view asks for the scope its area needs (``referent_scope``, ``reviewer_scope``,
``campaign_scope``); a person without it gets 404, as if the area did not exist. Objects are
then loaded through the scope's querysets (``scope.people()``, ``scope.habilitations()``...)
with ``get_object_or_404``, so an object outside the scope is 404 too. A service that refuses an
actor raises ``accounts.services.NotAllowed``, itself a 404: a view that lets it through still
reveals nothing.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest

from accounts.models import User
from accounts.scope import Scope


class SignedInRequest(HttpRequest):
    """The request of a signed-in person, for the type checker: every view but the few public
    ones (``LoginRequiredMiddleware``) gets one."""

    user: User


def scope_of(request: HttpRequest) -> Scope:
    """The signed-in person's scope, computed at most once per request."""
    if not hasattr(request, "_scope"):
        request._scope = Scope.for_user(request.user)  # type: ignore[attr-defined, arg-type]
    return request._scope  # type: ignore[attr-defined]


def remember_scope(request: HttpRequest, scope: Scope) -> None:
    """For a page that computed the person's scope from rights it loaded anyway."""
    request._scope = scope  # type: ignore[attr-defined]


def referent_scope(request: HttpRequest) -> Scope:
    """The scope of a référent or a platform administrator; anybody else gets 404."""
    scope = scope_of(request)
    if not scope.administers_anything:
        raise Http404
    return scope


def reviewer_scope(request: HttpRequest) -> Scope:
    """The scope of a director (of an establishment or a unit) or a platform administrator."""
    scope = scope_of(request)
    if not scope.reviews_anything:
        raise Http404
    return scope


def campaign_scope(request: HttpRequest) -> Scope:
    """The scope of a director of a whole establishment or a platform administrator: a review
    campaign covers a whole establishment, so a unit's director has none."""
    scope = scope_of(request)
    if not scope.reviews_whole_establishments:
        raise Http404
    return scope
