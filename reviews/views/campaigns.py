"""Campagnes de revue: a director reviews every active right of their establishment.

Directors of the whole establishment (any of them: one starts, another may decide) and platform
administrators open these pages (a director of one unit does not); anybody else gets 404, and
so does a campaign of another establishment. Every change goes through ``reviews.services``.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.access import SignedInRequest, campaign_scope
from accounts.models import Habilitation
from accounts.scope import Scope
from core.converters import parse_id
from core.csv import csv_response
from core.paging import page_links
from reviews import services
from reviews.campaign_forms import CampaignStartForm, DecisionPageForm, submitted_ids
from reviews.models import ReviewCampaign, ReviewDecision

# Rights granted after the snapshot shown on the campaign page (the count gives the rest).
NEW_RIGHTS_SHOWN = 50
FILTERS = {"a-decider": Q(decision=""), "modifiees": None}

D = ReviewDecision.Decision
O = ReviewDecision.Outcome  # noqa: E741


# --- Access helpers


def _campaigns(scope: Scope) -> QuerySet[ReviewCampaign]:
    campaigns = ReviewCampaign.objects.all()
    if scope.is_platform_admin:
        return campaigns
    return campaigns.filter(establishment_id__in=scope.reviewed_establishment_ids)


def _campaign_or_404(request: SignedInRequest, pk: int) -> tuple[Scope, ReviewCampaign]:
    scope = campaign_scope(request)
    campaign = get_object_or_404(
        _campaigns(scope).select_related("establishment", "started_by", "closed_by"), pk=pk
    )
    return scope, campaign


# --- Reading helpers


def _with_counts(campaigns: QuerySet[ReviewCampaign]) -> QuerySet[ReviewCampaign]:
    return campaigns.annotate(
        total=Count("decisions"),
        decided=Count("decisions", filter=~Q(decisions__decision="")),
        to_keep=Count("decisions", filter=Q(decisions__decision=D.KEEP)),
        to_remove=Count("decisions", filter=Q(decisions__decision=D.REMOVE)),
        removed=Count("decisions", filter=Q(decisions__outcome=O.REMOVED)),
        already_ended=Count("decisions", filter=Q(decisions__outcome=O.ALREADY_ENDED)),
    )


def _counts(campaign: ReviewCampaign) -> dict[str, int]:
    counts = campaign.decisions.aggregate(
        total=Count("pk"),
        decided=Count("pk", filter=~Q(decision="")),
        to_keep=Count("pk", filter=Q(decision=D.KEEP)),
        to_remove=Count("pk", filter=Q(decision=D.REMOVE)),
        removed=Count("pk", filter=Q(outcome=O.REMOVED)),
        already_ended=Count("pk", filter=Q(outcome=O.ALREADY_ENDED)),
    )
    counts["undecided"] = counts["total"] - counts["decided"]
    return counts


def _rows(campaign: ReviewCampaign) -> QuerySet[ReviewDecision]:
    return campaign.decisions.select_related(
        "user",
        "snapshot_profile",
        "snapshot_unit",
        "decided_by",
        "habilitation__profile",
        "habilitation__unit",
    ).order_by("user__last_name", "user__first_name", "snapshot_profile__order", "pk")


def _differs(field: str, snapshot_field: str) -> Q:
    # Two comparisons rather than a negation: NULL on either side compares as "no change".
    return Q(**{f"{field}__lt": F(snapshot_field)}) | Q(**{f"{field}__gt": F(snapshot_field)})


def _changed() -> Q:
    """Rows whose right changed since the snapshot (ended, expired, dates, profile, unit)."""
    return (
        Q(habilitation__ended_at__isnull=False)
        | Q(habilitation__end_date__lt=timezone.localdate())
        | _differs("habilitation__end_date", "snapshot_end_date")
        | _differs("habilitation__start_date", "snapshot_start_date")
        | _differs("habilitation__profile_id", "snapshot_profile_id")
        | _differs("habilitation__unit_id", "snapshot_unit_id")
        | Q(habilitation__unit__isnull=True, snapshot_unit__isnull=False)
        | Q(habilitation__unit__isnull=False, snapshot_unit__isnull=True)
    )


def _present(rows: list[ReviewDecision], request: SignedInRequest) -> list[dict[str, Any]]:
    """Each row with its hints (dormant, blocked) and the changes since the snapshot."""
    dormant_since = timezone.now() - datetime.timedelta(days=settings.DORMANT_DAYS)
    today = timezone.localdate()
    return [
        {
            "row": row,
            "dormant": row.user.last_login is None or row.user.last_login < dormant_since,
            "blocked": row.user.is_blocked,
            "changes": row.changes_since_snapshot(today),
            "own": row.user_id == request.user.pk,
        }
        for row in rows
    ]


def _new_rights(campaign: ReviewCampaign) -> QuerySet[Habilitation]:
    """Rights of the establishment granted after the snapshot: not decided in this campaign."""
    rights = Habilitation.objects.filter(
        establishment_id=campaign.establishment_id, created_at__gt=campaign.started_at
    ).exclude(Exists(ReviewDecision.objects.filter(campaign=campaign, habilitation=OuterRef("pk"))))
    if campaign.closed_at is not None:
        rights = rights.filter(created_at__lte=campaign.closed_at)
    return rights.select_related("user", "profile", "unit", "granted_by").order_by(
        "user__last_name", "user__first_name", "pk"
    )


def _filter(request: SignedInRequest) -> str:
    value = request.GET.get("filtre", "")
    return value if value in FILTERS else ""


def _detail_page(
    request: SignedInRequest,
    campaign: ReviewCampaign,
    form: DecisionPageForm | None = None,
    rows: list[ReviewDecision] | None = None,
) -> HttpResponse:
    chosen = _filter(request)
    queryset = _rows(campaign)
    if chosen == "a-decider":
        queryset = queryset.filter(decision="")
    elif chosen == "modifiees":
        queryset = queryset.filter(_changed())
    page = Paginator(queryset, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    if rows is None:
        rows = list(page.object_list)
    if form is None and campaign.is_open:
        form = DecisionPageForm(rows=[row for row in rows if row.user_id != request.user.pk])
    items = _present(rows, request)
    if form is not None:
        for item in items:
            if item["own"]:
                continue
            pk = item["row"].pk
            item["decision_field"] = form[f"decision_{pk}"]
            item["comment_field"] = form[f"comment_{pk}"]
            item["version_field"] = form[f"version_{pk}"]
    new_rights = _new_rights(campaign)
    params = {"filtre": chosen} if chosen else {}
    return render(
        request,
        "reviews/campaigns/detail.html",
        {
            "campaign": campaign,
            "counts": _counts(campaign),
            "page": page,
            "items": items,
            "form": form,
            "links": page_links(page, **params),
            "filter": chosen,
            "new_rights": list(new_rights[:NEW_RIGHTS_SHOWN]),
            "new_rights_count": new_rights.count(),
            "dormant_days": settings.DORMANT_DAYS,
        },
    )


# --- Views


def _list_page(
    request: SignedInRequest, scope: Scope, start_form: CampaignStartForm
) -> HttpResponse:
    # The open campaigns first, then the closed ones, latest first.
    campaigns = (
        _with_counts(_campaigns(scope))
        .select_related("establishment", "started_by", "closed_by")
        .order_by(F("closed_at").desc(nulls_first=True), "-started_at", "-pk")
    )
    establishment = request.GET.get("etablissement", "")
    if parse_id(establishment) is not None:
        campaigns = campaigns.filter(establishment_id=int(establishment))
    else:
        establishment = ""
    page = Paginator(campaigns, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    params = {"etablissement": establishment} if establishment else {}
    return render(
        request,
        "reviews/campaigns/list.html",
        {
            "page": page,
            "links": page_links(page, **params),
            "start_form": start_form,
            "several_establishments": scope.is_platform_admin
            or len(scope.reviewed_establishment_ids) > 1,
        },
        status=400 if start_form.is_bound else 200,
    )


def campaign_list(request: SignedInRequest) -> HttpResponse:
    """Campagnes de revue: the open campaign first, then the closed ones with their counts."""
    scope = campaign_scope(request)
    return _list_page(request, scope, CampaignStartForm(scope=scope))


@require_POST
def campaign_start(request: SignedInRequest) -> HttpResponse:
    scope = campaign_scope(request)
    form = CampaignStartForm(request.POST, scope=scope)
    if form.is_valid():
        establishment = form.cleaned_data["establishment"]
        try:
            campaign = services.campaign_start(
                actor=request.user, establishment=establishment, request=request, scope=scope
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            total = campaign.decisions.count()
            messages.success(
                request,
                ngettext(
                    "Review started: %(count)s right to decide on.",
                    "Review started: %(count)s rights to decide on.",
                    total,
                )
                % {"count": total},
            )
            return redirect("reviews:campaign", pk=campaign.pk)
    return _list_page(request, scope, form)


def campaign_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """The rights of the campaign, 50 a page, each with its decision (saved page by page)."""
    scope, campaign = _campaign_or_404(request, pk)
    if request.method != "POST":
        return _detail_page(request, campaign)
    if not campaign.is_open:
        messages.error(
            request, _("This campaign is closed: its decisions can no longer be changed.")
        )
        return redirect("reviews:campaign_report", pk=campaign.pk)
    ids = submitted_ids(request.POST, campaign.decisions.all(), settings.LIST_PAGE_SIZE)
    rows = list(_rows(campaign).filter(pk__in=ids).exclude(user=request.user))
    form = DecisionPageForm(request.POST, rows=rows)
    if not form.is_valid():
        return _detail_page(request, campaign, form=form, rows=rows)
    try:
        result = services.campaign_decide(
            actor=request.user,
            campaign=campaign,
            changes=form.changes(),
            request=request,
            scope=scope,
        )
    except services.CampaignClosedError as error:
        messages.error(request, error.messages[0])
        return redirect("reviews:campaign_report", pk=campaign.pk)
    if result.saved:
        messages.success(
            request,
            ngettext("%(count)s decision saved.", "%(count)s decisions saved.", len(result.saved))
            % {"count": len(result.saved)},
        )
    elif not result.conflicts:
        messages.info(request, _("Nothing changed on this page."))
    if result.conflicts:
        messages.error(
            request,
            _(
                "Another director changed the decision on %(names)s meanwhile: yours was not "
                "saved. Check it below."
            )
            % {"names": ", ".join(row.user.full_name for row in result.conflicts)},
        )
    return redirect(request.get_full_path())


def campaign_keep_undecided(request: SignedInRequest, pk: int) -> HttpResponse:
    """Conserver tous les droits non décidés: a confirmation with the count, then one action."""
    scope, campaign = _campaign_or_404(request, pk)
    if not campaign.is_open:
        messages.error(request, _("This campaign is already closed."))
        return redirect("reviews:campaign_report", pk=campaign.pk)
    if request.method == "POST":
        try:
            kept = services.campaign_keep_undecided(
                actor=request.user, campaign=campaign, request=request, scope=scope
            )
        except services.CampaignClosedError:
            messages.error(request, _("This campaign is already closed."))
            return redirect("reviews:campaign_report", pk=campaign.pk)
        messages.success(
            request,
            ngettext(
                "%(count)s undecided right marked “keep”.",
                "%(count)s undecided rights marked “keep”.",
                kept,
            )
            % {"count": kept},
        )
        return redirect("reviews:campaign", pk=campaign.pk)
    undecided = campaign.decisions.filter(decision="")
    return render(
        request,
        "reviews/campaigns/keep_undecided.html",
        {
            "campaign": campaign,
            "count": undecided.exclude(user=request.user).count(),
            "own": undecided.filter(user=request.user).count(),
        },
    )


def campaign_close(request: SignedInRequest, pk: int) -> HttpResponse:
    """Clôturer: a confirmation page, then every "remove" decision ends its right."""
    scope, campaign = _campaign_or_404(request, pk)
    if not campaign.is_open:
        messages.error(request, _("This campaign is already closed."))
        return redirect("reviews:campaign_report", pk=campaign.pk)
    if request.method == "POST":
        try:
            campaign = services.campaign_close(
                actor=request.user, campaign=campaign, request=request, scope=scope
            )
        except services.CampaignClosedError:
            messages.error(request, _("This campaign is already closed."))
        else:
            counts = _counts(campaign)
            messages.success(
                request,
                ngettext(
                    "Campaign closed: %(count)s right removed.",
                    "Campaign closed: %(count)s rights removed.",
                    counts["removed"],
                )
                % {"count": counts["removed"]},
            )
        return redirect("reviews:campaign_report", pk=campaign.pk)
    to_remove = campaign.decisions.filter(decision=D.REMOVE)
    return render(
        request,
        "reviews/campaigns/close.html",
        {
            "campaign": campaign,
            "counts": _counts(campaign),
            "already_ended": to_remove.filter(
                Q(habilitation__ended_at__isnull=False)
                | Q(habilitation__end_date__lt=timezone.localdate())
            ).count(),
        },
    )


REPORT_SECTIONS = [
    ("removed", Q(decision=D.REMOVE), gettext_lazy("Rights removed")),
    ("undecided", Q(decision=""), gettext_lazy("Undecided rights (unchanged)")),
    ("kept", Q(decision=D.KEEP), gettext_lazy("Rights kept")),
]


def campaign_report(request: SignedInRequest, pk: int) -> HttpResponse:
    """The report: who decided what and when, the undecided rights, the rights removed."""
    _scope, campaign = _campaign_or_404(request, pk)
    sections = []
    for key, condition, title in REPORT_SECTIONS:
        param = f"page_{key}"
        page: Page = Paginator(_rows(campaign).filter(condition), settings.LIST_PAGE_SIZE).get_page(
            request.GET.get(param)
        )
        others = {
            f"page_{other}": request.GET.get(f"page_{other}", "")
            for other, _c, _t in REPORT_SECTIONS
            if other != key and request.GET.get(f"page_{other}", "").isdigit()
        }
        sections.append(
            {
                "key": key,
                "title": title
                if key != "removed" or not campaign.is_open
                else _("Rights to remove (removed when the campaign is closed)"),
                "page": page,
                "items": _present(list(page.object_list), request),
                "links": page_links(page, anchor=f"section-{key}", param=param, **others),
            }
        )
    return render(
        request,
        "reviews/campaigns/report.html",
        {
            "campaign": campaign,
            "counts": _counts(campaign),
            "sections": sections,
            "dormant_days": settings.DORMANT_DAYS,
        },
    )


def _decision_label(row: ReviewDecision) -> str:
    return row.get_decision_display() if row.decision else _("Not decided")


def _changes_text(row: ReviewDecision) -> str:
    texts = []
    for change in row.changes_since_snapshot():
        kind = change["kind"]
        after = change["after"]
        before: Any = change.get("before")  # set for the date changes
        if kind == "ended":
            texts.append(
                _("ended on %(date)s") % {"date": date_format(timezone.localtime(after), "d/m/Y")}
            )
        elif kind == "expired":
            texts.append(_("expired on %(date)s") % {"date": after.strftime("%d/%m/%Y")})
        elif kind in ("end_date", "start_date"):
            label = _("end date") if kind == "end_date" else _("start date")
            texts.append(
                _("%(what)s moved from %(before)s to %(after)s")
                % {
                    "what": label,
                    "before": before.strftime("%d/%m/%Y"),
                    "after": after.strftime("%d/%m/%Y"),
                }
            )
        else:
            label = _("profile") if kind == "profile" else _("unit")
            texts.append(
                _("%(what)s changed from %(before)s to %(after)s")
                % {"what": label, "before": before or "—", "after": after or "—"}
            )
    return "; ".join(texts)


def _csv_rows(campaign: ReviewCampaign) -> Iterator[list[object]]:
    for row in _rows(campaign).iterator(chunk_size=2000):
        yield [
            row.user.full_name,
            row.user.email,
            row.snapshot_profile.name,
            row.snapshot_unit.name if row.snapshot_unit else "",
            row.snapshot_start_date,
            row.snapshot_end_date,
            _decision_label(row),
            row.comment,
            row.decided_by.full_name if row.decided_by else "",
            row.decided_at,
            row.get_outcome_display() if row.outcome else "",
            _changes_text(row),
        ]


def campaign_report_csv(request: SignedInRequest, pk: int) -> HttpResponseBase:
    """The report as a CSV file for French Excel (every row, streamed)."""
    _scope, campaign = _campaign_or_404(request, pk)
    header = [
        gettext_lazy("Person"),
        gettext_lazy("E-mail"),
        gettext_lazy("Profile"),
        gettext_lazy("Unit"),
        gettext_lazy("Start date"),
        gettext_lazy("End date"),
        gettext_lazy("Decision"),
        gettext_lazy("Comment"),
        gettext_lazy("Decided by"),
        gettext_lazy("Decided at"),
        gettext_lazy("Outcome"),
        gettext_lazy("Changed since the campaign started"),
    ]
    filename = f"revue-{campaign.establishment.finess}-{campaign.started_at:%Y-%m-%d}.csv"
    return csv_response(header=header, rows=_csv_rows(campaign), filename=filename)
