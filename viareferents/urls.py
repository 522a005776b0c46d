from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView
from django.views.i18n import set_language

import core.converters  # noqa: F401  (registers <id:...>)
from core import views as core_views

urlpatterns = [
    path(
        "",
        login_not_required(RedirectView.as_view(pattern_name="referents:mine")),
        name="home",
    ),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Signing in, Mon compte, the charter to accept.
    path("", include("accounts.urls")),
    # Signing in with Pro Santé Connect (or another OpenID Connect provider), linking it.
    path("", include("oidc.urls")),
    # The second factor: the sign-in step, my factors, a référent's reset.
    path("", include("mfa.urls")),
    # Staff looking up their référents.
    path("referents/", include("referents.urls")),
    # The Administration menu: the référents' back office, then the directors' area.
    path("administration/", include("administration.urls")),
    path("administration/", include("reviews.urls")),
    # The language can be changed before signing in.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

# 503 with Retry-After while the database is unreachable, the 500 page otherwise.
handler500 = core_views.server_error
# The product's own pages for refused requests (with DEBUG off).
handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
