from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

import core.converters  # noqa: F401  (registers <id:...>)
from core import views as core_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="referents:mine"), name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("", include("accounts.urls")),
    path("charte/", include("accounts.charter_urls")),
    path("referents/", include("referents.urls")),
    # The référents' administration area (Administration menu).
    path("administration/", include("accounts.referent_urls")),
    path("administration/etablissements/", include("structures.urls")),
    path("administration/journal/", include("accounts.journal_urls")),
    # The directors' area.
    path("administration/revue/", include("reviews.urls")),
    path("administration/campagnes/", include("reviews.campaign_urls")),
    path("administration/sans-referent/", include("reviews.uncovered_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# 503 with Retry-After while the database is unreachable, the 500 page otherwise.
handler500 = core_views.server_error
