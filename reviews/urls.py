"""The directors' area: the review table, the campaigns and the structures without référent."""

from django.urls import path

from reviews.views import campaigns, table, uncovered

app_name = "reviews"

urlpatterns = [
    # Revue des habilitations
    path("revue/", table.table, name="table"),
    path("revue/export.csv", table.export, name="export"),
    # Campagnes de revue
    path("campagnes/", campaigns.campaign_list, name="campaigns"),
    path("campagnes/lancer/", campaigns.campaign_start, name="campaign_start"),
    path("campagnes/<id:pk>/", campaigns.campaign_detail, name="campaign"),
    path("campagnes/<id:pk>/cloturer/", campaigns.campaign_close, name="campaign_close"),
    path(
        "campagnes/<id:pk>/conserver/",
        campaigns.campaign_keep_undecided,
        name="campaign_keep_undecided",
    ),
    path("campagnes/<id:pk>/rapport/", campaigns.campaign_report, name="campaign_report"),
    path(
        "campagnes/<id:pk>/rapport.csv",
        campaigns.campaign_report_csv,
        name="campaign_report_csv",
    ),
    # Structures sans référent
    path("sans-referent/", uncovered.uncovered_list, name="uncovered"),
    path("sans-referent/export.csv", uncovered.uncovered_export, name="uncovered_export"),
]
