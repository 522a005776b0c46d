"""The back office's own working data: a staff file between its preview and its apply."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User

# How long a file read stays there to be applied, or its report to be downloaded.
IMPORT_BATCH_LIFETIME = datetime.timedelta(hours=24)


class ImportBatch(models.Model):
    """A staff file, read and classified row by row, waiting for its référent.

    The rows are kept here, on the server, between the preview and the apply: the apply never
    trusts anything the browser sends back but the decision. One batch per person: a new file
    replaces the previous one. After the apply the batch keeps each row's outcome for the
    report, until the next file or IMPORT_BATCH_LIFETIME. It holds names and addresses: the
    expired ones are deleted whenever anybody reads a new file (``batch_prepare``).

    Kept in the database rather than in the session: a 5,000-row file is about 2 MB of JSON,
    too big for a cookie and too heavy to decode with the session on every page.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be applied")
        APPLIED = "applied", _("Applied")

    owner = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="+", verbose_name=_("referent")
    )
    filename = models.CharField(_("file name"), max_length=255)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    # Headers of the file that name no column of ours (shown on the preview).
    ignored_columns = models.JSONField(_("ignored columns"), default=list, blank=True)
    # One object per row of the file (administration.imports.rows.Row.as_json()).
    rows = models.JSONField(_("rows"), default=list, blank=True)

    class Meta:
        verbose_name = _("staff file import")
        verbose_name_plural = _("staff file imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def expires_at(self) -> datetime.datetime:
        return self.created_at + IMPORT_BATCH_LIFETIME

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at
