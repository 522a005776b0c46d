"""Two directors closing, deciding or starting at once stay consistent (PostgreSQL)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from accounts.models import Habilitation, User
from audit.models import AuditEvent
from reviews import services
from reviews.models import ReviewCampaign, ReviewDecision
from structures.models import Establishment
from tests.concurrency import run_together
from tests.factory import Factory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL (SQLite serialises)"
    ),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def two_directors(reference_data):
    make = Factory()
    hospital = make.establishment()
    first, second = make.director(hospital), make.director(hospital)
    nurse = make.user()
    right = make.habilitation(nurse, hospital)
    return hospital, first, second, right


def test_two_starts_at_once_open_one_campaign(two_directors):
    hospital, first, second, _right = two_directors
    results = run_together(
        *(
            lambda who=who: services.campaign_start(
                actor=User.objects.get(pk=who.pk),
                establishment=Establishment.objects.get(pk=hospital.pk),
            )
            for who in (first, second)
        )
    )
    assert ReviewCampaign.objects.count() == 1
    assert sum(isinstance(result, ValidationError) for result in results) == 1


def test_two_closes_at_once_end_the_right_once(two_directors):
    hospital, first, second, right = two_directors
    campaign = services.campaign_start(actor=first, establishment=hospital)
    row = campaign.decisions.get(habilitation=right)
    services.campaign_decide(
        actor=first,
        campaign=campaign,
        changes=[services.DecisionChange(row.pk, "remove", "", row.version)],
    )
    results = run_together(
        *(
            lambda who=who: services.campaign_close(
                actor=User.objects.get(pk=who.pk),
                campaign=ReviewCampaign.objects.get(pk=campaign.pk),
            )
            for who in (first, second)
        )
    )
    assert sum(isinstance(result, services.CampaignClosedError) for result in results) == 1
    assert Habilitation.objects.get(pk=right.pk).end_reason == "revue"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.HABILITATION_ENDED).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_CLOSED).count() == 1


def test_a_decision_racing_the_close_is_applied_before_or_refused(two_directors):
    hospital, first, second, right = two_directors
    campaign = services.campaign_start(actor=first, establishment=hospital)
    row = campaign.decisions.get(habilitation=right)
    results = run_together(
        lambda: services.campaign_decide(
            actor=User.objects.get(pk=second.pk),
            campaign=ReviewCampaign.objects.get(pk=campaign.pk),
            changes=[services.DecisionChange(row.pk, "remove", "", row.version)],
        ),
        lambda: services.campaign_close(
            actor=User.objects.get(pk=first.pk),
            campaign=ReviewCampaign.objects.get(pk=campaign.pk),
        ),
    )
    row.refresh_from_db()
    decided_first = not isinstance(results[0], ValidationError)
    # Decided before the close: applied. Otherwise refused: never saved on a closed campaign.
    assert row.decision == ("remove" if decided_first else "")
    assert row.outcome == (
        ReviewDecision.Outcome.REMOVED if decided_first else ReviewDecision.Outcome.UNDECIDED
    )
    assert (Habilitation.objects.get(pk=right.pk).ended_at is not None) == decided_first
