"""The audit trail: who did what, to whom, where, when, before and after.

Every app writes to it, so it sits low, just above ``core``: its links to people and structures
are named by string, and nothing here imports the apps that write to it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs):
        raise AppendOnlyError("The audit trail is append-only.")

    def delete(self):
        raise AppendOnlyError("The audit trail is append-only.")


class AuditEvent(models.Model):
    """One administrative change: who did what, to whom, where, before and after.

    Append-only: the model refuses updates and deletes, and on PostgreSQL a trigger does too.
    Write events through ``audit.trail.record`` in the same transaction as the change.
    """

    class Action(models.TextChoices):
        ACCOUNT_CREATED = "account.created", _("account created")
        ACCOUNT_UPDATED = "account.updated", _("account updated")
        ACCOUNT_BLOCKED = "account.blocked", _("account blocked")
        ACCOUNT_UNBLOCKED = "account.unblocked", _("account unblocked")
        ACCOUNT_EMAIL_CHANGE_REQUESTED = (
            "account.email_change_requested",
            _("e-mail address change requested"),
        )
        ACCOUNT_EMAIL_CHANGED = "account.email_changed", _("e-mail address changed")
        ACCOUNT_DEPARTED = "account.departed", _("departure recorded")
        ACCOUNT_REACTIVATED = "account.reactivated", _("account reactivated")
        ACCOUNT_ACTIVATION_RESENT = "account.activation_resent", _("activation link sent again")
        HABILITATION_GRANTED = "habilitation.granted", _("habilitation granted")
        HABILITATION_EXTENDED = "habilitation.extended", _("habilitation extended")
        HABILITATION_MODIFIED = "habilitation.modified", _("habilitation modified")
        HABILITATION_ENDED = "habilitation.ended", _("habilitation ended")
        CHARTER_ACCEPTED = "charter.accepted", _("charter accepted")
        CHARTER_REMINDED = "charter.reminded", _("reminded to accept the charter")
        SHEET_EDITED = "establishment.sheet_edited", _("directory sheet edited")
        UNIT_CREATED = "unit.created", _("unit created")
        UNIT_EDITED = "unit.edited", _("unit edited")
        SIGNIN_SUCCEEDED = "signin.succeeded", _("sign-in succeeded")
        SIGNIN_FAILED = "signin.failed", _("sign-in failed")
        FINESS_IMPORTED = "finess.imported", _("FINESS import")
        DEMO_SEEDED = "demo.seeded", _("demo data loaded")
        REVIEW_STARTED = "review.started", _("review campaign started")
        REVIEW_DECIDED = "review.decided", _("review decision")
        REVIEW_CLOSED = "review.closed", _("review campaign closed")
        PASSWORD_SET = "account.password_set", _("password chosen")
        MFA_ENROLLED = "mfa.enrolled", _("second factor added")
        MFA_REMOVED = "mfa.removed", _("second factor removed")
        MFA_VERIFIED = "mfa.verified", _("second factor given")
        MFA_RECOVERY_CODES = "mfa.recovery_codes", _("recovery codes generated")
        MFA_RESET = "mfa.reset", _("second factor reset")
        ADMIN_CHANGED = "admin.changed", _("change in the administration site")
        IDENTITY_LINKED = "identity.linked", _("identity provider linked")
        IDENTITY_UNLINKED = "identity.unlinked", _("identity provider unlinked")

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    target_user = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
        verbose_name=_("person concerned"),
    )
    establishment = models.ForeignKey(
        "structures.Establishment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("establishment"),
    )
    unit = models.ForeignKey(
        "structures.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # The id of the request that made the change (its log line, its X-Request-ID header);
    # empty for management commands.
    request_id = models.CharField(_("request ID"), max_length=64, blank=True, default="")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # The table kept its name when the model moved here from ``accounts``.
        db_table = "accounts_auditevent"
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        indexes = [
            models.Index(fields=["establishment", "-created_at"], name="audit_est_time"),
            models.Index(fields=["target_user", "-created_at"], name="audit_target_time"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("The audit trail is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The audit trail is append-only.")
