"""The usage charter in the référents' area: who has not accepted the current version, and
reminders to them."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.access import SignedInRequest, referent_scope
from accounts.charter import charter_remind, people_pending
from accounts.forms import CharterRemindForm
from accounts.models import Charter
from core.paging import page_links


def charter_pending(request: SignedInRequest) -> HttpResponse:
    """People in my scope who have not accepted the current charter (référents only)."""
    scope = referent_scope(request)
    charter = Charter.objects.current()
    context: dict = {"charter": charter, "page": None, "links": {}}
    if charter is not None:
        page = Paginator(people_pending(scope, charter), settings.LIST_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context["page"] = page
        context["links"] = page_links(page)
    return render(request, "administration/charter/pending.html", context)


@require_POST
def charter_remind_view(request: SignedInRequest) -> HttpResponse:
    """E-mail a reminder to one person, or to everyone of one page of the pending list."""
    scope = referent_scope(request)
    charter = Charter.objects.current()
    if charter is None:
        raise Http404
    form = CharterRemindForm(request.POST, pending=people_pending(scope, charter))
    if not form.is_valid():
        # Someone outside the scope, or who accepted meanwhile: nothing to send to them.
        messages.error(request, _("These people are no longer waiting: nothing was sent."))
        return redirect(_pending_url(request))
    people = list(form.cleaned_data["people"])
    reminded = charter_remind(people=people, charter=charter, sent_by=request.user, request=request)
    if reminded:
        messages.success(
            request,
            ngettext(
                "Reminder sent to %(count)d person.",
                "Reminder sent to %(count)d people.",
                len(reminded),
            )
            % {"count": len(reminded)},
        )
    skipped = len(people) - len(reminded)
    if skipped:
        messages.info(
            request,
            ngettext(
                "%(count)d person already received a reminder in the last day.",
                "%(count)d people already received a reminder in the last day.",
                skipped,
            )
            % {"count": skipped},
        )
    return redirect(_pending_url(request))


def _pending_url(request: SignedInRequest) -> str:
    url = reverse("administration:charter_pending")
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() else url
