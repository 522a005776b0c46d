"""State changes of review campaigns: start, decide, close.

Every function is keyword-only, checks that the actor reviews the establishment (``NotAllowed``,
which the views turn into 404), runs in one transaction and locks the campaign row
(``select_for_update``) so that two directors deciding or closing at once stay consistent: a
decision saved while the campaign is being closed waits for the close, then sees it closed.
Ending the rights decided "remove" goes through ``accounts.services.habilitation_end`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import services as account_services
from accounts.models import Habilitation, User
from accounts.scope import Scope
from accounts.services import NotAllowed
from audit import trail
from audit.models import AuditEvent
from reviews.models import ReviewCampaign, ReviewDecision
from structures.models import Establishment

# The reason written on the rights a campaign ends (Habilitation.end_reason).
END_REASON = "revue"

__all__ = [
    "CLOSED_MESSAGE",
    "END_REASON",
    "CampaignClosedError",
    "DecisionChange",
    "DecisionResult",
    "NotAllowed",
    "campaign_close",
    "campaign_decide",
    "campaign_keep_undecided",
    "campaign_start",
]


CLOSED_MESSAGE = _("This campaign is closed: its decisions can no longer be changed.")


class CampaignClosedError(ValidationError):
    """The campaign is closed: it is read-only."""

    def __init__(self) -> None:
        super().__init__(CLOSED_MESSAGE)


@dataclass(frozen=True)
class DecisionChange:
    """One decision as submitted: ``decision`` is "keep", "remove" or "" (not decided).

    ``version`` is the version of the row the person saw: a row changed since by somebody else
    is not overwritten (it is reported as a conflict).
    """

    decision_id: int
    decision: str
    comment: str
    version: int


@dataclass
class DecisionResult:
    saved: list[ReviewDecision] = field(default_factory=list)
    # Rows changed by someone else since the page was shown: left as they are.
    conflicts: list[ReviewDecision] = field(default_factory=list)
    # The actor's own rights: another director decides on them.
    own: list[ReviewDecision] = field(default_factory=list)


def _reviewer_scope(actor: User, scope: Scope | None) -> Scope:
    return scope if scope is not None else Scope.for_user(actor)


def _lock_campaign(campaign: ReviewCampaign) -> ReviewCampaign:
    return (
        ReviewCampaign.objects.select_for_update(of=("self",))
        .select_related("establishment")
        .get(pk=campaign.pk)
    )


def campaign_start(
    *,
    actor: User,
    establishment: Establishment,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> ReviewCampaign:
    """Start a review of ``establishment``: snapshot its rights active today.

    One ``ReviewDecision`` (undecided) per active habilitation, with a copy of its profile, unit
    and dates. Only one campaign per establishment may be open (a database constraint too).
    """
    if not _reviewer_scope(actor, scope).reviews(establishment.pk):
        raise NotAllowed
    today = timezone.localdate()
    already_open = _("A review campaign is already open for this establishment: finish it first.")
    if ReviewCampaign.objects.filter(establishment=establishment, closed_at__isnull=True).exists():
        raise ValidationError(already_open)
    try:
        with transaction.atomic():
            campaign = ReviewCampaign.objects.create(
                establishment=establishment, started_by=actor, snapshot_date=today
            )
            rights = Habilitation.objects.active_on(today).filter(establishment=establishment)
            ReviewDecision.objects.bulk_create(
                [
                    ReviewDecision(
                        campaign=campaign,
                        habilitation_id=habilitation.pk,
                        user_id=habilitation.user_id,
                        snapshot_profile_id=habilitation.profile_id,
                        snapshot_unit_id=habilitation.unit_id,
                        snapshot_start_date=habilitation.start_date,
                        snapshot_end_date=habilitation.end_date,
                    )
                    for habilitation in rights.only(
                        "pk", "user_id", "profile_id", "unit_id", "start_date", "end_date"
                    ).order_by("pk")
                ],
                batch_size=500,
            )
            trail.record(
                action=AuditEvent.Action.REVIEW_STARTED,
                actor=actor,
                establishment=establishment,
                after={
                    "campaign": campaign.pk,
                    "snapshot_date": today.isoformat(),
                    "rights": campaign.decisions.count(),
                },
                request=request,
            )
    except IntegrityError as error:
        # Two directors starting at the same moment: the unique constraint decides.
        raise ValidationError(already_open) from error
    return campaign


def campaign_decide(
    *,
    actor: User,
    campaign: ReviewCampaign,
    changes: list[DecisionChange],
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> DecisionResult:
    """Record decisions (keep / remove / not decided) with their comments, while it is open.

    Only rows whose decision or comment differ from the stored ones are written, each with who
    and when, and one audit event. A row whose version moved since the person saw it (another
    director decided meanwhile) is left alone and returned in ``conflicts``. Nobody decides on
    their own right: another director (or the support desk) does.
    """
    if not _reviewer_scope(actor, scope).reviews(campaign.establishment_id):
        raise NotAllowed
    result = DecisionResult()
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if not campaign.is_open:
            raise CampaignClosedError
        wanted = {change.decision_id: change for change in changes}
        rows = (
            campaign.decisions.select_for_update(of=("self",))
            .filter(pk__in=wanted)
            .select_related("user", "snapshot_unit")
            .order_by("pk")
        )
        now = timezone.now()
        for row in rows:
            change = wanted[row.pk]
            decision = change.decision
            comment = change.comment.strip()
            if decision not in ReviewDecision.Decision.values:
                decision = ""
            if decision == row.decision and comment == row.comment:
                continue
            if row.version != change.version:
                result.conflicts.append(row)
                continue
            if row.user_id == actor.pk:
                # Nobody reviews their own right (the page offers no field for it).
                result.own.append(row)
                continue
            before = {"decision": row.decision, "comment": row.comment}
            row.decision = decision
            row.comment = comment
            row.decided_by = actor if decision else None
            row.decided_at = now if decision else None
            row.version += 1
            row.save(update_fields=["decision", "comment", "decided_by", "decided_at", "version"])
            trail.record(
                action=AuditEvent.Action.REVIEW_DECIDED,
                actor=actor,
                target_user=row.user,
                establishment=campaign.establishment,
                unit=row.snapshot_unit,
                before={"campaign": campaign.pk, "habilitation": row.habilitation_id, **before},
                after={
                    "campaign": campaign.pk,
                    "habilitation": row.habilitation_id,
                    "decision": decision,
                    "comment": comment,
                },
                request=request,
            )
            result.saved.append(row)
    return result


def campaign_keep_undecided(
    *,
    actor: User,
    campaign: ReviewCampaign,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> int:
    """Conserver tous les droits non décidés: every undecided row but the actor's own rights
    becomes "keep", decided by the actor now, each with its audit event. Returns how many.

    One UPDATE and the events in batches, whatever the number of rows (docs/benchmarks.md).
    """
    if not _reviewer_scope(actor, scope).reviews(campaign.establishment_id):
        raise NotAllowed
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if not campaign.is_open:
            raise CampaignClosedError
        rows = list(
            campaign.decisions.select_for_update(of=("self",))
            .filter(decision="")
            .exclude(user=actor)
            .values("pk", "habilitation_id", "user_id", "snapshot_unit_id", "comment")
            .order_by("pk")
        )
        if not rows:
            return 0
        now = timezone.now()
        ReviewDecision.objects.filter(pk__in=[row["pk"] for row in rows]).update(
            decision=ReviewDecision.Decision.KEEP,
            decided_by=actor,
            decided_at=now,
            version=F("version") + 1,
        )
        trail.record_many(
            [
                {
                    "action": AuditEvent.Action.REVIEW_DECIDED,
                    "actor": actor,
                    "target_user_id": row["user_id"],
                    "establishment_id": campaign.establishment_id,
                    "unit_id": row["snapshot_unit_id"],
                    "before": {
                        "campaign": campaign.pk,
                        "habilitation": row["habilitation_id"],
                        "decision": "",
                        "comment": row["comment"],
                    },
                    "after": {
                        "campaign": campaign.pk,
                        "habilitation": row["habilitation_id"],
                        "decision": ReviewDecision.Decision.KEEP,
                        "comment": row["comment"],
                    },
                }
                for row in rows
            ],
            request,
        )
    return len(rows)


def campaign_close(
    *,
    actor: User,
    campaign: ReviewCampaign,
    request: HttpRequest | None = None,
    scope: Scope | None = None,
) -> ReviewCampaign:
    """Close the campaign: end every right decided "remove", in one transaction.

    Each one is ended through ``habilitation_end`` (reason "revue", its own audit event) with a
    scope that administers the reviewed establishment. A right already ended or expired
    meanwhile is skipped (``already_ended``); undecided rights are left unchanged. Every row
    gets its outcome, and the campaign becomes read-only.
    """
    reviewer = _reviewer_scope(actor, scope)
    if not reviewer.reviews(campaign.establishment_id):
        raise NotAllowed
    # The director's right to review becomes, for the campaign, the right to end rights there.
    end_scope = (
        reviewer
        if reviewer.is_platform_admin
        else Scope(establishment_ids=frozenset({campaign.establishment_id}))
    )
    with transaction.atomic():
        campaign = _lock_campaign(campaign)
        if not campaign.is_open:
            raise CampaignClosedError
        decisions = campaign.decisions.all()
        decisions.filter(decision=ReviewDecision.Decision.KEEP).update(
            outcome=ReviewDecision.Outcome.KEPT
        )
        decisions.filter(decision="").update(outcome=ReviewDecision.Outcome.UNDECIDED)
        removals = decisions.filter(decision=ReviewDecision.Decision.REMOVE).select_related(
            "habilitation"
        )
        ended: dict[str, list[int]] = {}
        for row in removals.order_by("pk"):
            ended.setdefault(_remove(actor, row, end_scope, request), []).append(row.pk)
        for outcome, pks in ended.items():
            decisions.filter(pk__in=pks).update(outcome=outcome)
        counts = {
            outcome: decisions.filter(outcome=outcome).count()
            for outcome in ReviewDecision.Outcome.values
        }
        campaign.closed_at = timezone.now()
        campaign.closed_by = actor
        campaign.save(update_fields=["closed_at", "closed_by"])
        trail.record(
            action=AuditEvent.Action.REVIEW_CLOSED,
            actor=actor,
            establishment=campaign.establishment,
            after={"campaign": campaign.pk, **counts},
            request=request,
        )
    return campaign


def _remove(
    actor: User, row: ReviewDecision, scope: Scope, request: HttpRequest | None
) -> ReviewDecision.Outcome:
    if not row.habilitation.is_open:
        return ReviewDecision.Outcome.ALREADY_ENDED
    try:
        account_services.habilitation_end(
            actor=actor,
            habilitation=row.habilitation,
            reason=END_REASON,
            request=request,
            scope=scope,
        )
    except ValidationError:
        # Ended by a référent between our read and its lock: its savepoint was rolled back.
        return ReviewDecision.Outcome.ALREADY_ENDED
    return ReviewDecision.Outcome.REMOVED
