from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from reviews.models import ReviewCampaign, ReviewDecision


@admin.register(ReviewCampaign)
class ReviewCampaignAdmin(ReadOnlyAdmin):
    list_display = ["establishment", "started_at", "started_by", "closed_at", "closed_by"]
    list_filter = [("closed_at", admin.EmptyFieldListFilter)]
    search_fields = ["establishment__name", "=establishment__finess"]
    list_select_related = ["establishment", "started_by", "closed_by"]
    date_hierarchy = "started_at"


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(ReadOnlyAdmin):
    list_display = ["campaign", "user", "snapshot_profile", "decision", "decided_by", "outcome"]
    list_filter = ["decision", "outcome"]
    search_fields = ["user__email", "user__last_name", "=campaign__establishment__finess"]
    list_select_related = [
        "campaign__establishment",
        "user",
        "snapshot_profile",
        "decided_by",
    ]
    raw_id_fields = ["campaign", "habilitation", "user", "decided_by"]
