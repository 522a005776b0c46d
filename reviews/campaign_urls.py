from django.urls import path

from reviews import campaign_views as views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("lancer/", views.campaign_start, name="start"),
    path("<id:pk>/", views.campaign_detail, name="detail"),
    path("<id:pk>/cloturer/", views.campaign_close, name="close"),
    path("<id:pk>/rapport/", views.campaign_report, name="report"),
    path("<id:pk>/rapport.csv", views.campaign_report_csv, name="report_csv"),
]
