"""The usage charter: the acceptance page, and the référents' list of people who have not
accepted the current version, with reminders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.charter import charter_accept, charter_remind, people_pending
from accounts.forms import CharterAcceptForm, CharterRemindForm
from accounts.models import Charter, CharterAcceptance
from accounts.scope import Scope
from core.context_processors import scope_of
from referents.tree import page_links

PER_PAGE = 50


def _next_url(request: HttpRequest) -> str:
    """Where to go after accepting: the page first asked, if it is one of ours.

    Only a path (the middleware sends ``get_full_path()``): ``redirect()`` would take a bare
    word such as "7" for a URL name, and fail on it.
    """
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


@login_required
def accept(request: HttpRequest) -> HttpResponse:
    """The current charter, and the "I accept" button while it is not accepted."""
    charter = Charter.current()
    acceptance = (
        CharterAcceptance.objects.filter(user=request.user, charter=charter).first()
        if charter is not None
        else None
    )
    next_url = _next_url(request)
    if request.method == "POST" and charter is None:
        return redirect(next_url or "referents:mine")
    if request.method == "POST":
        form = CharterAcceptForm(request.POST)
        if form.is_valid() and form.cleaned_data["version"] == charter.version:
            if acceptance is None:
                charter_accept(user=request.user, charter=charter, request=request)
                messages.success(request, _("Thank you: you have accepted the usage charter."))
            return redirect(next_url or "referents:mine")
        # A newer version was published while the page was open: read that one first.
        messages.warning(request, _("The charter has changed: please read this version."))
        return redirect(request.get_full_path())
    return render(
        request,
        "accounts/charter/accept.html",
        {
            "charter": charter,
            "acceptance": acceptance,
            "form": CharterAcceptForm(initial={"version": charter.version}) if charter else None,
            "next": next_url,
        },
    )


def _referent_scope(request: HttpRequest) -> Scope:
    scope = scope_of(request)
    if not scope.administers_anything:
        raise Http404
    return scope


@login_required
def pending(request: HttpRequest) -> HttpResponse:
    """People in my scope who have not accepted the current charter (référents only)."""
    scope = _referent_scope(request)
    charter = Charter.current()
    context: dict = {"charter": charter, "page": None, "links": {}}
    if charter is not None:
        page = Paginator(people_pending(scope, charter), PER_PAGE).get_page(request.GET.get("page"))
        context["page"] = page
        context["links"] = page_links(page)
    return render(request, "accounts/charter/pending.html", context)


@login_required
@require_POST
def remind(request: HttpRequest) -> HttpResponse:
    """E-mail a reminder to one person, or to everyone of one page of the pending list."""
    scope = _referent_scope(request)
    charter = Charter.current()
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


def _pending_url(request: HttpRequest) -> str:
    url = reverse("charter:pending")
    page = request.POST.get("page", "")
    return f"{url}?page={page}" if page.isdigit() else url
