"""Comptes utilisateurs: what a référent does every week, limited to their scope.

Every view loads its objects through the Scope (out of scope: 404, and 404 for people who
administer nothing), and every change goes through ``accounts.services``.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, F, OrderBy, OuterRef, Prefetch, Q, QuerySet
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import services
from accounts.access import SignedInRequest, referent_scope
from accounts.models import Charter, CharterAcceptance, Habilitation, User
from accounts.scope import Scope
from administration.forms.people import (
    AccountCreateForm,
    HabilitationEndForm,
    HabilitationExtendForm,
    HabilitationGrantForm,
    HabilitationModifyForm,
    PeopleFilterForm,
    UnblockForm,
)
from core.paging import CountedPaginator, page_links
from core.search import matching_every_word
from structures.finess import fold

# --- Access helpers


def _person_or_404(request: SignedInRequest, pk: int) -> tuple[Scope, User]:
    scope = referent_scope(request)
    return scope, get_object_or_404(scope.people(), pk=pk)


def _habilitation_or_404(request: SignedInRequest, pk: int) -> tuple[Scope, Habilitation]:
    """An open right of the scope: extending, modifying or ending an ended or expired one is
    404 before its form is shown (the person page offers no such link)."""
    scope = referent_scope(request)
    habilitation = get_object_or_404(
        scope.habilitations(Habilitation.objects.open_on()).select_related(
            "user", "profile", "establishment", "unit"
        ),
        pk=pk,
    )
    return scope, habilitation


def _data(request: SignedInRequest):
    """The submitted data, so that a POST without fields still gives a bound form."""
    return request.POST if request.method == "POST" else None


def _add_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form (on the field when the form has it)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _rights_in_scope(scope: Scope) -> QuerySet[Habilitation]:
    """Current and future rights in scope, for the compact column of the list."""
    return (
        scope.habilitations(Habilitation.objects.open_on())
        .select_related("profile", "establishment", "unit")
        .order_by("establishment__name", "unit__name", "profile__order")
    )


# --- The list


def _filter_people(scope: Scope, people: QuerySet[User], filters: dict) -> QuerySet[User]:
    words = fold(filters.get("q") or "").split()[:10]
    if words:
        # Each word starts a word of the name or the e-mail ("hel lef" finds Hélène Lefèvre),
        # from an index on PostgreSQL: a 50,000-person establishment answers in milliseconds.
        people = matching_every_word(people, "search_name", words)
    if filters.get("blocked"):
        people = people.filter(blocked_at__isnull=False)
    if filters.get("ending_soon"):
        ending = scope.habilitations(
            Habilitation.objects.ending_within(settings.ENDING_SOON_DAYS).filter(
                user=OuterRef("pk")
            )
        )
        people = people.filter(Exists(ending))
    if filters.get("charter_missing"):
        charter = Charter.objects.current()
        if charter is not None:
            accepted = CharterAcceptance.objects.filter(user=OuterRef("pk"), charter=charter)
            people = people.exclude(Exists(accepted))
        else:
            people = people.none()
    if filters.get("dormant"):
        since = timezone.now() - datetime.timedelta(days=settings.DORMANT_DAYS)
        people = people.filter(Q(last_login__isnull=True) | Q(last_login__lt=since))
    return people


def _by_name(*, searching: bool) -> OrderBy:
    """People by last name. When searching, written so that PostgreSQL cannot use the name
    index: it would walk the million people in name order testing each against the search
    (2.3 s for "martin" at the national scale) instead of sorting the few matches found by the
    search index (25 ms). Last names are never NULL: NULLS FIRST changes no order."""
    return F("last_name").asc(nulls_first=True) if searching else F("last_name").asc()


def people(request: SignedInRequest) -> HttpResponse:
    """Comptes utilisateurs: the people holding a right in my structures."""
    scope = referent_scope(request)
    form = PeopleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = (
        _filter_people(scope, scope.people(), filters)
        .prefetch_related(Prefetch("habilitations", _rights_in_scope(scope), to_attr="rights"))
        .order_by(_by_name(searching=bool(filters.get("q"))), "first_name", "pk")
    )
    params = {k: v for k, v in filters.items() if v}
    if params or scope.is_platform_admin:
        paginator = Paginator(queryset, settings.LIST_PAGE_SIZE)
    else:
        # Unfiltered: the same people, counted from the rights' (establishment, person) index.
        in_scope = scope.habilitations().values("user_id").distinct()
        paginator = CountedPaginator(queryset, settings.LIST_PAGE_SIZE, in_scope.count)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "administration/people/people.html",
        {
            "form": form,
            "page": page,
            "links": page_links(page, **params),
            "filtered": bool(params),
        },
    )


# --- Creating an account


def person_create(request: SignedInRequest) -> HttpResponse:
    scope = referent_scope(request)
    form = AccountCreateForm(_data(request), scope=scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, _habilitation, created = services.account_create(
                actor=request.user,
                last_name=data["last_name"],
                first_name=data["first_name"],
                email=data["email"],
                phone=data["phone"],
                job_title=data["job_title"],
                profile=data["profile"],
                establishment=data["establishment"],
                unit=data["unit"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                request=request,
                scope=scope,
            )
        except services.NotAllowed:
            form.add_error("structure", _("Choose a structure from the list."))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if created:
                messages.success(
                    request,
                    _(
                        "Account created for %(name)s: an e-mail with a link to choose a "
                        "password was sent to %(email)s."
                    )
                    % {"name": user.full_name, "email": user.email},
                )
            else:
                messages.success(
                    request,
                    _(
                        "%(email)s already had an account: the right was added to the account "
                        "of %(name)s, who was told by e-mail."
                    )
                    % {"name": user.full_name, "email": user.email},
                )
            return redirect("administration:person", pk=user.pk)
    return render(request, "administration/people/person_create.html", {"form": form})


# --- One person


def person(request: SignedInRequest, pk: int) -> HttpResponse:
    scope, user = _person_or_404(request, pk)
    habilitations = (
        scope.habilitations()
        .filter(user=user)
        .select_related("profile", "establishment", "unit", "granted_by", "ended_by")
        .order_by(F("ended_at").asc(nulls_first=True), "-end_date", "pk")
    )
    charter = Charter.objects.current()
    accepted = (
        charter is not None
        and CharterAcceptance.objects.filter(user=user, charter=charter).exists()
    )
    return render(
        request,
        "administration/people/person.html",
        {
            "person": user,
            "habilitations": habilitations,
            "charter": charter,
            "charter_accepted": accepted,
            "is_self": user.pk == request.user.pk,
            "authority": services.holds_authority_over(actor=request.user, user=user, scope=scope),
            "platform_account": services.is_platform_account(user),
        },
    )


def habilitation_grant(request: SignedInRequest, pk: int) -> HttpResponse:
    scope, user = _person_or_404(request, pk)
    form = HabilitationGrantForm(_data(request), scope=scope)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.habilitation_grant(
                actor=request.user,
                user=user,
                profile=data["profile"],
                establishment=data["establishment"],
                unit=data["unit"],
                start_date=data["start_date"],
                end_date=data["end_date"],
                request=request,
                scope=scope,
            )
        except services.NotAllowed:
            form.add_error("structure", _("Choose a structure from the list."))
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Right granted to %(name)s.") % {"name": user.full_name})
            return redirect("administration:person", pk=user.pk)
    return render(
        request,
        "administration/people/habilitation_form.html",
        {
            "form": form,
            "person": user,
            "habilitation": None,
            "title": _("Add a right"),
            "submit": _("Grant the right"),
        },
    )


def _habilitation_action(
    request: SignedInRequest,
    habilitation: Habilitation,
    form: Form,
    title: str,
    submit: str,
    action,
    success: str,
) -> HttpResponse:
    """The common shape of the actions on one right: form, service, redirect or errors."""
    if request.method == "POST" and form.is_valid():
        try:
            action(form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, success)
            return redirect("administration:person", pk=habilitation.user_id)
    return render(
        request,
        "administration/people/habilitation_form.html",
        {
            "form": form,
            "person": habilitation.user,
            "habilitation": habilitation,
            "title": title,
            "submit": submit,
        },
    )


def habilitation_extend(request: SignedInRequest, pk: int) -> HttpResponse:
    """Prolonger."""
    scope, habilitation = _habilitation_or_404(request, pk)
    form = HabilitationExtendForm(_data(request), habilitation=habilitation)
    return _habilitation_action(
        request,
        habilitation,
        form,
        _("Extend a right"),
        _("Extend"),
        lambda data: services.habilitation_extend(
            actor=request.user,
            habilitation=habilitation,
            end_date=data["end_date"],
            request=request,
            scope=scope,
        ),
        _("Right extended."),
    )


def habilitation_modify(request: SignedInRequest, pk: int) -> HttpResponse:
    scope, habilitation = _habilitation_or_404(request, pk)
    form = HabilitationModifyForm(_data(request), habilitation=habilitation, scope=scope)
    return _habilitation_action(
        request,
        habilitation,
        form,
        _("Modify a right"),
        _("Save"),
        lambda data: services.habilitation_modify(
            actor=request.user,
            habilitation=habilitation,
            profile=data["profile"],
            unit=data["unit"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            request=request,
            scope=scope,
        ),
        _("Right modified."),
    )


def habilitation_end(request: SignedInRequest, pk: int) -> HttpResponse:
    """End a right; when it leaves its structure without référent, confirm first."""
    scope, habilitation = _habilitation_or_404(request, pk)
    form = HabilitationEndForm(_data(request))
    if request.method == "POST" and form.is_valid() and not form.cleaned_data["confirmed"]:
        after = services.referents_after_ending(habilitation)
        if after is not None:
            return render(
                request,
                "administration/people/habilitation_end_confirm.html",
                {
                    "person": habilitation.user,
                    "habilitation": habilitation,
                    "reason": form.cleaned_data["reason"],
                    "after": after,
                },
            )
    return _habilitation_action(
        request,
        habilitation,
        form,
        _("End a right"),
        _("End the right"),
        lambda data: services.habilitation_end(
            actor=request.user,
            habilitation=habilitation,
            reason=data["reason"],
            request=request,
            scope=scope,
        ),
        _("Right ended."),
    )


def person_unblock(request: SignedInRequest, pk: int) -> HttpResponse:
    """Débloquer (a GET shows the confirmation form)."""
    scope, user = _person_or_404(request, pk)
    form = UnblockForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.account_unblock(actor=request.user, user=user, request=request, scope=scope)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("%(name)s’s account is unblocked; they were told by e-mail.")
                % {"name": user.full_name},
            )
        return redirect("administration:person", pk=user.pk)
    return render(request, "administration/people/unblock.html", {"form": form, "person": user})
