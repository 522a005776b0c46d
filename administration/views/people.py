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
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import people as people_services
from accounts import services
from accounts.access import SignedInRequest, referent_scope
from accounts.models import (
    Charter,
    CharterAcceptance,
    Habilitation,
    User,
    normalize_email,
)
from accounts.scope import Scope
from accounts.selectors import people_matching
from administration.forms.people import (
    AccountCreateForm,
    ActivationResendForm,
    DepartureForm,
    EmailChangeForm,
    HabilitationEndForm,
    HabilitationExtendForm,
    HabilitationGrantForm,
    HabilitationModifyForm,
    PeopleFilterForm,
    PersonDetailsForm,
    UnblockForm,
)
from core.paging import CountedPaginator, page_links

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
    # From an index on PostgreSQL: a 50,000-person establishment answers in milliseconds.
    people = people_matching(people, filters.get("q") or "")
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
    authority = services.holds_authority_over(actor=request.user, user=user, scope=scope)
    is_self = user.pk == request.user.pk
    platform_account = services.is_platform_account(user)
    return render(
        request,
        "administration/people/person.html",
        {
            "person": user,
            "habilitations": habilitations,
            "charter": charter,
            "charter_accepted": accepted,
            "is_self": is_self,
            "authority": authority,
            "platform_account": platform_account,
            # Why the details and the address cannot be changed here (None: they can).
            "change_refusal": people_services.change_refusal(
                actor=request.user, user=user, scope=scope
            ),
            "pending_email": people_services.pending_email_change(user),
            "departure_offered": not is_self
            and not platform_account
            and any(habilitation.is_open for habilitation in habilitations),
            "activation_offered": not is_self
            and not platform_account
            and user.is_active
            and not user.has_usable_password(),
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


# --- The person's details and leavers


def person_details(request: SignedInRequest, pk: int) -> HttpResponse:
    """Change a person's name, phone, job title and RPPS/ADELI number."""
    scope, user = _person_or_404(request, pk)
    refusal = people_services.change_refusal(actor=request.user, user=user, scope=scope)
    form = PersonDetailsForm(_data(request) if refusal is None else None, person=user)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            changed = people_services.account_details_update(
                actor=request.user, user=user, request=request, scope=scope, **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if changed:
                messages.success(
                    request, _("%(name)s’s details are saved.") % {"name": user.full_name}
                )
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect("administration:person", pk=user.pk)
    return render(
        request,
        "administration/people/person_details.html",
        {"form": form, "person": user, "refusal": refusal},
    )


def person_email(request: SignedInRequest, pk: int) -> HttpResponse:
    """Change the login address: a link to the new address, the change when it is followed."""
    scope, user = _person_or_404(request, pk)
    refusal = people_services.change_refusal(actor=request.user, user=user, scope=scope)
    form = EmailChangeForm(_data(request) if refusal is None else None)
    if request.method == "POST" and refusal is None and form.is_valid():
        new = form.cleaned_data["email"]
        try:
            people_services.account_email_change_request(
                actor=request.user, user=user, email=new, request=request, scope=scope
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "A link to confirm the new address was sent to %(email)s. The account keeps "
                    "its current address until the person follows it."
                )
                % {"email": normalize_email(new)},
            )
            return redirect("administration:person", pk=user.pk)
    return render(
        request,
        "administration/people/person_email.html",
        {
            "form": form,
            "person": user,
            "refusal": refusal,
            "pending_email": people_services.pending_email_change(user),
        },
    )


def person_depart(request: SignedInRequest, pk: int) -> HttpResponse:
    """Départ: the rights that will end and what stays, then all of them end with one reason."""
    scope, user = _person_or_404(request, pk)
    form = DepartureForm(_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            done = people_services.account_depart(
                actor=request.user,
                user=user,
                reason=form.cleaned_data["reason"],
                request=request,
                scope=scope,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            if done.deactivates:
                text = ngettext(
                    "Departure recorded: %(count)s right ended; %(name)s has no right left, "
                    "the account is deactivated and signed out.",
                    "Departure recorded: %(count)s rights ended; %(name)s has no right left, "
                    "the account is deactivated and signed out.",
                    len(done.ending),
                )
            else:
                text = ngettext(
                    "Departure recorded: %(count)s right ended.",
                    "Departure recorded: %(count)s rights ended.",
                    len(done.ending),
                )
            messages.success(request, text % {"count": len(done.ending), "name": user.full_name})
            return redirect("administration:person", pk=user.pk)
    return render(
        request,
        "administration/people/person_depart.html",
        {
            "form": form,
            "person": user,
            "is_self": user.pk == request.user.pk,
            "platform_account": services.is_platform_account(user),
            "departure": people_services.departure_preview(
                actor=request.user, user=user, scope=scope
            ),
        },
    )


@require_POST
def person_activation_resend(request: SignedInRequest, pk: int) -> HttpResponse:
    """Send the link to choose a password again, to an account never activated."""
    scope, user = _person_or_404(request, pk)
    form = ActivationResendForm(request.POST)
    if form.is_valid():
        try:
            people_services.account_activation_resend(
                actor=request.user, user=user, request=request, scope=scope
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The link to choose a password was sent again to %(email)s.")
                % {"email": user.email},
            )
    return redirect("administration:person", pk=user.pk)
