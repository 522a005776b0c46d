"""Comptes utilisateurs > Import a file: upload, preview, apply or cancel, report; the
template and the export of the accounts in the file's columns.

Each person has one import at a time (``ImportBatch``): the preview and the apply read it from
the database, never from the browser. Every page asks for the référent's scope (404 otherwise)
and the apply goes through ``accounts.services`` for each row.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.access import SignedInRequest, referent_scope
from accounts.models import Habilitation
from administration.forms.imports import ImportConfirmForm, ImportUploadForm
from administration.forms.people import PeopleFilterForm
from administration.imports import batches
from administration.imports import rows as rowlib
from administration.imports.files import XLSX_CONTENT_TYPE, ImportFileError, xlsx_bytes
from administration.views.people import _filter_people
from core.csv import csv_response
from structures.models import Establishment, Unit

# Rows of each kind shown on the preview; all of them are in the report (CSV).
SHOWN_ROWS = 200


def people_import(request: SignedInRequest) -> HttpResponse:
    """The upload form (GET), reading and classifying the file (POST)."""
    scope = referent_scope(request)
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid() and form.table is not None:
            try:
                batches.batch_prepare(
                    actor=request.user,
                    scope=scope,
                    table=form.table,
                    filename=form.cleaned_data["file"].name or "",
                )
            except ImportFileError as error:
                form.add_error("file", error.message)
            else:
                return redirect("administration:import_preview")
    else:
        form = ImportUploadForm()
    return render(
        request,
        "administration/imports/upload.html",
        {
            "form": form,
            "batch": batches.current_batch(request.user),
            "columns": _columns_help(),
            "profiles": scope.grantable_profiles(),
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_mb": max(1, round(settings.IMPORT_MAX_BYTES / (1024 * 1024))),
        },
    )


def _columns_help() -> list[dict]:
    helps = {
        "last_name": _("Needed for a new account; an existing account keeps its own."),
        "first_name": _("Needed for a new account; an existing account keeps its own."),
        "email": _(
            "The person's login. When the address already has an account, the right is added to it."
        ),
        "phone": _("Optional."),
        "job_title": _("Optional."),
        "profile": _("The profile's name, as in the list below."),
        "finess": _("The establishment's FINESS number (9 characters)."),
        "unit": _("The unit's name or code; left empty: the whole establishment."),
        "start": _("DD/MM/YYYY; left empty: today."),
        "end": _("DD/MM/YYYY; left empty: one year after the start date."),
    }
    return [
        {"name": name, "required": column.required, "help": helps[column.key]}
        for column, name in zip(rowlib.COLUMNS, rowlib.header(), strict=True)
    ]


def _group_label(status: str, count: int, applied: bool) -> str:
    if status == rowlib.ERROR:
        label = (
            ngettext("%(count)s row not imported", "%(count)s rows not imported", count)
            if applied
            else ngettext("%(count)s row with errors", "%(count)s rows with errors", count)
        )
    elif status == rowlib.NEW:
        label = (
            ngettext("%(count)s account created", "%(count)s accounts created", count)
            if applied
            else ngettext("%(count)s new account", "%(count)s new accounts", count)
        )
    elif status == rowlib.ADD:
        label = (
            ngettext("%(count)s right added", "%(count)s rights added", count)
            if applied
            else ngettext(
                "%(count)s right added to an existing account",
                "%(count)s rights added to existing accounts",
                count,
            )
        )
    else:
        label = ngettext(
            "%(count)s right already there, unchanged",
            "%(count)s rights already there, unchanged",
            count,
        )
    return label % {"count": count}


def import_preview(request: SignedInRequest) -> HttpResponse:
    """The file classified, before the apply; its outcome, after."""
    referent_scope(request)
    batch = batches.current_batch(request.user)
    if batch is None:
        return redirect("administration:people_import")
    rows = batches.batch_rows(batch)
    counts = rowlib.counts(rows)
    applied = batch.status == batch.Status.APPLIED
    shown = {
        status: [row for row in rows if row.status == status][:SHOWN_ROWS]
        for status in rowlib.STATUSES
    }
    names = _structure_names([row for members in shown.values() for row in members])
    groups = [
        {
            "status": status,
            "label": _group_label(status, counts[status], applied),
            "rows": [_shown_row(row, names) for row in shown[status]],
            "more": counts[status] > SHOWN_ROWS,
        }
        for status in rowlib.STATUSES
        if counts[status]
    ]
    summary = [
        {
            "label": _group_label(status, counts[status], applied),
            "anchor": f"rows-{status}" if counts[status] else "",
        }
        for status in rowlib.STATUSES
    ]
    return render(
        request,
        "administration/imports/preview.html",
        {
            "batch": batch,
            "applied": applied,
            "counts": counts,
            "valid": counts[rowlib.NEW] + counts[rowlib.ADD],
            "summary": summary,
            "groups": groups,
            "form": ImportConfirmForm(),
            "shown_rows": SHOWN_ROWS,
        },
    )


def _structure_names(rows: list[rowlib.Row]) -> dict[tuple[str, int], str]:
    """The names of the rows' structures, in two queries."""
    establishments = Establishment.objects.filter(
        pk__in={row.establishment_id for row in rows if row.establishment_id}
    ).only("pk", "name")
    units = Unit.objects.filter(pk__in={row.unit_id for row in rows if row.unit_id}).only(
        "pk", "name"
    )
    return {
        **{("e", establishment.pk): establishment.name for establishment in establishments},
        **{("u", unit.pk): unit.name for unit in units},
    }


def _day(iso: str | None) -> str:
    return date_format(datetime.date.fromisoformat(iso), "SHORT_DATE_FORMAT") if iso else ""


def _shown_row(row: rowlib.Row, names: dict[tuple[str, int], str]) -> dict:
    values = row.values
    if row.establishment_id:
        structure = names.get(("e", row.establishment_id), "")
        if row.unit_id:
            structure = f"{names.get(('u', row.unit_id), '')} – {structure}"
        dates = f"{_day(row.start_date)} – {_day(row.end_date)}"
    else:
        structure = " – ".join(part for part in (values["finess"], values["unit"]) if part)
        dates = " – ".join(part for part in (values["start"], values["end"]) if part)
    return {
        "number": row.number,
        "person": " ".join(
            part for part in (values["last_name"].upper(), values["first_name"]) if part
        ),
        "email": values["email"],
        "profile": values["profile"],
        "structure": structure,
        "dates": dates,
        "messages": row.messages,
        "notes": row.notes,
    }


def import_apply(request: SignedInRequest) -> HttpResponse:
    """Apply the valid rows of the person's file (POST)."""
    scope = referent_scope(request)
    batch = batches.current_batch(request.user)
    if request.method != "POST" or batch is None:
        return redirect("administration:import_preview")
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():  # pragma: no cover - the form has no field
        return redirect("administration:import_preview")
    if batch.status == batch.Status.APPLIED:
        return redirect("administration:import_preview")
    try:
        batch = batches.batch_apply(actor=request.user, scope=scope, batch=batch, request=request)
    except batches.BatchRefreshed as refused:
        messages.error(
            request,
            _(
                "Row %(row)s can no longer be applied: %(reason)s Nothing was changed: the "
                "file was checked again, see below."
            )
            % {"row": refused.row.number, "reason": refused.message},
        )
        return redirect("administration:import_preview")
    rows = batches.batch_rows(batch)
    created = sum(1 for row in rows if row.outcome == "created")
    added = sum(1 for row in rows if row.outcome == "added")
    messages.success(
        request,
        _("File applied: %(created)s, %(added)s; the people are told by e-mail.")
        % {
            "created": _group_label(rowlib.NEW, created, applied=True),
            "added": _group_label(rowlib.ADD, added, applied=True),
        },
    )
    return redirect("administration:import_preview")


def import_cancel(request: SignedInRequest) -> HttpResponse:
    """Forget the person's file (POST): nothing of it was applied, or it is done with."""
    referent_scope(request)
    if request.method != "POST":
        return redirect("administration:import_preview")
    batch = batches.current_batch(request.user)
    form = ImportConfirmForm(request.POST)
    if form.is_valid() and batch is not None:
        pending = batch.status == batch.Status.PENDING
        batches.batch_cancel(actor=request.user)
        if pending:
            messages.success(request, _("Import cancelled: nothing was changed."))
    return redirect("administration:people_import")


def import_report_csv(request: SignedInRequest) -> HttpResponseBase:
    """Each row of the file with its outcome (or, before the apply, its classification)."""
    referent_scope(request)
    batch = batches.current_batch(request.user)
    if batch is None:
        return redirect("administration:people_import")
    day = timezone.localdate().isoformat()
    return csv_response(
        header=batches.report_header(),
        rows=batches.report_rows(batch),
        filename=_("import-report-%(day)s.csv") % {"day": day},
    )


def import_template_csv(request: SignedInRequest) -> HttpResponseBase:
    referent_scope(request)
    return csv_response(header=rowlib.header(), rows=iter(()), filename=_("accounts-template.csv"))


def import_template_xlsx(request: SignedInRequest) -> HttpResponse:
    """The template as a workbook: the sheet to fill, then the profiles the person may give
    and the structures they administer, to copy from."""
    scope = referent_scope(request)
    profiles, structures = batches.help_rows(scope)
    sheets = [
        (_("People"), rowlib.header(), []),
        (_("Profiles"), [_("Profile")], profiles),
    ]
    if structures:
        sheets.append(
            (
                _("Structures"),
                ["FINESS", _("Establishment"), _("Unit"), _("Unit code")],
                structures,
            )
        )
    response = HttpResponse(xlsx_bytes(sheets), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = (
        content_disposition_header(True, _("accounts-template.xlsx")) or "attachment"
    )
    return response


def people_export(request: SignedInRequest) -> HttpResponseBase:
    """The open rights of the accounts list (same filters, same scope) in the file's columns:
    export, edit, import again."""
    scope = referent_scope(request)
    form = PeopleFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    people = _filter_people(scope, scope.people(), filters)
    rights = (
        scope.habilitations(Habilitation.objects.open_on())
        .filter(user__in=people)
        .order_by(
            "user__last_name",
            "user__first_name",
            "user_id",
            "establishment__name",
            "unit__name",
            "profile__order",
            "pk",
        )
    )
    day = timezone.localdate().isoformat()
    return csv_response(
        header=rowlib.header(),
        rows=batches.export_rows(rights),
        filename=_("accounts-%(day)s.csv") % {"day": day},
    )
