"""Review campaigns: a director reviews every active right of their establishment at once.

Starting a campaign takes a snapshot of the establishment's active habilitations: one
``ReviewDecision`` per habilitation, with a copy of what is being reviewed (profile, unit, dates),
so that a change made afterwards (extended, modified, ended) can be shown next to the decision.
Closing the campaign ends every right decided "remove" (see ``reviews.services``).
"""

from __future__ import annotations

import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import Habilitation, Profile, User
from structures.models import Establishment, Unit


class ReviewCampaign(models.Model):
    """One review of an establishment's rights, open until a director closes it."""

    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.PROTECT,
        related_name="review_campaigns",
        verbose_name=_("establishment"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    started_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    # The day whose active rights were snapshotted.
    snapshot_date = models.DateField(_("snapshot date"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        ordering = [models.F("closed_at").desc(nulls_first=True), "-started_at", "-pk"]
        verbose_name = _("review campaign")
        verbose_name_plural = _("review campaigns")
        constraints = [
            # Two open reviews of the same rights would contradict each other.
            models.UniqueConstraint(
                fields=["establishment"],
                condition=Q(closed_at__isnull=True),
                name="review_campaign_one_open_per_establishment",
            ),
            models.CheckConstraint(
                condition=Q(closed_by__isnull=True) | Q(closed_at__isnull=False),
                name="review_campaign_closed_by_needs_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.establishment} – {self.started_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class ReviewDecision(models.Model):
    """The decision on one habilitation of a campaign, with a copy of what was reviewed."""

    class Decision(models.TextChoices):
        # "Conserver" / "Retirer" in French: a context keeps them apart from other "Remove"s.
        KEEP = "keep", pgettext_lazy("review decision", "Keep")
        REMOVE = "remove", pgettext_lazy("review decision", "Remove")

    class Outcome(models.TextChoices):
        # Set when the campaign closes.
        KEPT = "kept", _("Kept")
        REMOVED = "removed", _("Right removed")
        ALREADY_ENDED = "already_ended", _("Already ended before closing")
        UNDECIDED = "undecided", _("Undecided: unchanged")

    campaign = models.ForeignKey(
        ReviewCampaign,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("campaign"),
    )
    habilitation = models.ForeignKey(
        Habilitation,
        on_delete=models.PROTECT,
        related_name="review_decisions",
        verbose_name=_("habilitation"),
    )
    # --- What was reviewed, as it was when the campaign started.
    user = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("person")
    )
    snapshot_profile = models.ForeignKey(
        Profile, on_delete=models.PROTECT, related_name="+", verbose_name=_("profile")
    )
    snapshot_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("unit"),
    )
    snapshot_start_date = models.DateField(_("start date"))
    snapshot_end_date = models.DateField(_("end date"))
    # --- The decision.
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    decided_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Raised on every change: a page saved from stale data does not overwrite a newer decision.
    version = models.PositiveIntegerField(default=0, editable=False)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["campaign", "pk"]
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "habilitation"], name="review_decision_once_per_campaign"
            ),
            models.CheckConstraint(
                condition=Q(decision="", decided_at__isnull=True, decided_by__isnull=True)
                | (~Q(decision="") & Q(decided_at__isnull=False)),
                name="review_decision_decided_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "decision"], name="review_decision_campaign"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} – {self.habilitation_id} – {self.decision or '?'}"

    def changes_since_snapshot(self, today: datetime.date | None = None) -> list[dict]:
        """What happened to the right since the campaign started (``habilitation`` loaded).

        Each change is a dict: ``kind`` (ended, expired, end_date, start_date, profile, unit)
        with ``before`` and ``after`` values, for the template to word.
        """
        today = today or timezone.localdate()
        current = self.habilitation
        changes: list[dict] = []
        if current.ended_at is not None:
            changes.append(
                {"kind": "ended", "after": current.ended_at, "reason": current.end_reason}
            )
        if current.end_date != self.snapshot_end_date:
            changes.append(
                {"kind": "end_date", "before": self.snapshot_end_date, "after": current.end_date}
            )
        if current.ended_at is None and current.end_date < today:
            changes.append({"kind": "expired", "after": current.end_date})
        if current.start_date != self.snapshot_start_date:
            changes.append(
                {
                    "kind": "start_date",
                    "before": self.snapshot_start_date,
                    "after": current.start_date,
                }
            )
        if current.profile_id != self.snapshot_profile_id:
            changes.append(
                {"kind": "profile", "before": self.snapshot_profile, "after": current.profile}
            )
        if current.unit_id != self.snapshot_unit_id:
            changes.append({"kind": "unit", "before": self.snapshot_unit, "after": current.unit})
        return changes
