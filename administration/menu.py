"""The Administration menu (a context processor): its entries depend on the person's rights."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from accounts.access import scope_of


def _menu(request: HttpRequest) -> list[dict[str, str]]:
    entries = [{"label": _("My referents"), "url": reverse("referents:mine")}]
    scope = scope_of(request)
    if scope.administers_anything:
        entries += [
            {"label": _("User accounts"), "url": reverse("administration:people")},
            {"label": _("Establishments"), "url": reverse("administration:establishments")},
            {"label": _("Usage charter"), "url": reverse("administration:charter_pending")},
            {"label": _("Audit trail"), "url": reverse("administration:journal")},
        ]
    if scope.reviews_anything:
        entries.append({"label": _("Review of habilitations"), "url": reverse("reviews:table")})
        if scope.reviews_whole_establishments:
            entries.append({"label": _("Review campaigns"), "url": reverse("reviews:campaigns")})
        entries.append(
            {"label": _("Structures without a referent"), "url": reverse("reviews:uncovered")}
        )
    if scope.is_platform_admin:
        entries.append({"label": _("Administration site"), "url": reverse("admin:index")})
    return entries


def navigation(request: HttpRequest) -> dict:
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {"admin_menu": []}
    return {"admin_menu": SimpleLazyObject(lambda: _menu(request))}
