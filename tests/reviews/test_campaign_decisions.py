"""Campagnes de revue: starting, deciding and closing, through the pages and the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Habilitation, Profile
from accounts.scope import Scope
from accounts.selectors import referents_for
from audit.models import AuditEvent
from reviews import services
from reviews.models import ReviewCampaign, ReviewDecision
from tests.factory import days, today

LIST = reverse("reviews:campaigns")
START = reverse("reviews:campaign_start")


@pytest.fixture
def nurse_right(agent) -> Habilitation:
    return agent.habilitations.get()


@pytest.fixture
def campaign(director, hospital, agent, establishment_referent, unit_referent) -> ReviewCampaign:
    return services.campaign_start(actor=director, establishment=hospital)


def decision_of(campaign: ReviewCampaign, habilitation: Habilitation) -> ReviewDecision:
    return campaign.decisions.get(habilitation=habilitation)


def text(response) -> str:
    """The page with its e-mail addresses whole (they may wrap before the @: ``<wbr>``)."""
    return response.content.decode().replace("<wbr>", "")


def decide(client, campaign, row: ReviewDecision, decision: str, comment: str = ""):
    return client.post(
        reverse("reviews:campaign", args=[campaign.pk]),
        {
            f"decision_{row.pk}": decision,
            f"comment_{row.pk}": comment,
            f"version_{row.pk}": row.version,
        },
    )


# --- Starting


def test_a_director_starts_a_review_that_snapshots_the_active_rights(
    client, director, hospital, agent, establishment_referent, make, other_hospital
):
    expired = make.habilitation(
        make.user(), hospital, start=today() - days(400), end=today() - days(1)
    )
    make.habilitation(make.user(), other_hospital)
    client.force_login(director)
    response = client.post(START, {"establishment": hospital.pk})
    campaign = ReviewCampaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:campaign", args=[campaign.pk])
    reviewed = set(campaign.decisions.values_list("habilitation_id", flat=True))
    assert agent.habilitations.get().pk in reviewed
    assert establishment_referent.habilitations.get().pk in reviewed
    assert director.habilitations.get().pk in reviewed
    assert expired.pk not in reviewed
    assert len(reviewed) == 3
    row = decision_of(campaign, agent.habilitations.get())
    right = agent.habilitations.get()
    assert (row.user, row.snapshot_profile, row.snapshot_unit) == (agent, right.profile, right.unit)
    assert (row.snapshot_start_date, row.snapshot_end_date) == (right.start_date, right.end_date)
    assert row.decision == ""
    assert AuditEvent.objects.get(action=AuditEvent.Action.REVIEW_STARTED).actor == director


def test_only_one_open_campaign_per_establishment(client, director, hospital, campaign):
    client.force_login(director)
    response = client.post(START, {"establishment": hospital.pk})
    assert response.status_code == 400
    assert ReviewCampaign.objects.count() == 1
    assert "déjà en cours" in response.content.decode()  # French first
    with pytest.raises(IntegrityError), transaction.atomic():
        ReviewCampaign.objects.create(
            establishment=hospital, started_by=director, snapshot_date=today()
        )


def test_a_new_campaign_can_start_once_the_previous_is_closed(director, hospital, campaign):
    services.campaign_close(actor=director, campaign=campaign)
    again = services.campaign_start(actor=director, establishment=hospital)
    assert again.is_open
    assert ReviewCampaign.objects.count() == 2


def test_a_director_cannot_start_a_review_of_another_establishment(
    client, director, other_hospital
):
    client.force_login(director)
    response = client.post(START, {"establishment": other_hospital.pk})
    assert response.status_code == 400
    assert not ReviewCampaign.objects.exists()
    with pytest.raises(services.NotAllowed):
        services.campaign_start(actor=director, establishment=other_hospital)


def test_a_platform_admin_starts_a_review_by_finess_number(client, platform_admin, hospital):
    client.force_login(platform_admin)
    assert client.post(START, {"establishment": hospital.finess}).status_code == 302
    assert ReviewCampaign.objects.get().establishment == hospital
    assert client.post(START, {"establishment": "999999999"}).status_code == 400


# --- Deciding


def test_keep_then_change_the_decision_while_open(client, director, campaign, nurse_right):
    row = decision_of(campaign, nurse_right)
    client.force_login(director)
    assert decide(client, campaign, row, "keep", "Still in the ward").status_code == 302
    row.refresh_from_db()
    assert (row.decision, row.comment, row.decided_by) == ("keep", "Still in the ward", director)
    assert row.decided_at is not None
    assert decide(client, campaign, row, "remove", "Left in May").status_code == 302
    row.refresh_from_db()
    assert (row.decision, row.comment) == ("remove", "Left in May")
    events = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_DECIDED)
    assert events.count() == 2
    assert events.first().target_user == nurse_right.user


def test_the_page_form_saves_only_what_changed(
    client, director, campaign, nurse_right, establishment_referent
):
    rows = list(campaign.decisions.exclude(user=director))
    client.force_login(director)
    data = {}
    for row in rows:
        data[f"decision_{row.pk}"] = "keep" if row.habilitation == nurse_right else ""
        data[f"comment_{row.pk}"] = ""
        data[f"version_{row.pk}"] = row.version
    assert client.post(reverse("reviews:campaign", args=[campaign.pk]), data).status_code == 302
    assert campaign.decisions.filter(decision="keep").count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_DECIDED).count() == 1


def test_a_stale_page_does_not_overwrite_another_directors_decision(
    client, director, make, hospital, campaign, nurse_right
):
    delegate = make.director(hospital, email="adjoint@example.test")
    row = decision_of(campaign, nurse_right)
    seen_version = row.version
    services.campaign_decide(
        actor=delegate,
        campaign=campaign,
        changes=[services.DecisionChange(row.pk, "keep", "", seen_version)],
    )
    client.force_login(director)
    client.post(
        reverse("reviews:campaign", args=[campaign.pk]),
        {
            f"decision_{row.pk}": "remove",
            f"comment_{row.pk}": "",
            f"version_{row.pk}": seen_version,
        },
    )
    row.refresh_from_db()
    assert (row.decision, row.decided_by) == ("keep", delegate)


def test_a_delegate_director_of_the_same_establishment_can_decide(
    client, make, hospital, campaign, nurse_right
):
    delegate = make.director(hospital, email="adjoint@example.test")
    row = decision_of(campaign, nurse_right)
    client.force_login(delegate)
    assert decide(client, campaign, row, "remove").status_code == 302
    row.refresh_from_db()
    assert (row.decision, row.decided_by) == ("remove", delegate)


def test_nobody_decides_on_their_own_right(client, director, campaign):
    own = campaign.decisions.get(user=director)
    client.force_login(director)
    decide(client, campaign, own, "keep")
    own.refresh_from_db()
    assert own.decision == ""


def test_a_comment_too_long_is_refused_with_a_message(client, director, campaign, nurse_right):
    row = decision_of(campaign, nurse_right)
    client.force_login(director)
    response = decide(client, campaign, row, "keep", "x" * 1001)
    assert response.status_code == 200
    assert "field__errors" in response.content.decode()
    row.refresh_from_db()
    assert row.decision == ""


def test_bad_input_never_gives_a_server_error(client, director, campaign, nurse_right):
    row = decision_of(campaign, nurse_right)
    client.force_login(director)
    url = reverse("reviews:campaign", args=[campaign.pk])
    for data in [
        {},
        {f"version_{row.pk}": "abc", f"decision_{row.pk}": "keep"},
        {f"version_{row.pk}": "9" * 30, f"decision_{row.pk}": "delete"},
        {"version_" + "9" * 30: "0"},
        {f"version_{row.pk}": "-1"},
    ]:
        assert client.post(url, data).status_code in (200, 302)
    row.refresh_from_db()
    assert row.decision == ""
    assert client.post(START, {"establishment": "9" * 30}).status_code == 400


# --- Closing


def test_close_applies_remove_keeps_keep_and_leaves_undecided(
    client, director, campaign, nurse_right, establishment_referent, unit_referent
):
    removed = decision_of(campaign, nurse_right)
    kept = decision_of(campaign, establishment_referent.habilitations.get())
    undecided = decision_of(campaign, unit_referent.habilitations.get())
    client.force_login(director)
    decide(client, campaign, removed, "remove", "Left")
    decide(client, campaign, kept, "keep")
    url = reverse("reviews:campaign_close", args=[campaign.pk])
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:campaign_report", args=[campaign.pk])

    campaign.refresh_from_db()
    assert not campaign.is_open
    assert campaign.closed_by == director
    nurse_right.refresh_from_db()
    assert nurse_right.ended_at is not None
    assert nurse_right.end_reason == "revue"
    assert nurse_right.ended_by == director
    ended = AuditEvent.objects.get(action=AuditEvent.Action.HABILITATION_ENDED)
    assert ended.after["habilitation"] == nurse_right.pk
    assert ended.after["end_reason"] == "revue"
    assert ended.actor == director
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_CLOSED).count() == 1

    for right in (establishment_referent, unit_referent):
        assert right.habilitations.get().ended_at is None
    removed.refresh_from_db()
    kept.refresh_from_db()
    undecided.refresh_from_db()
    assert removed.outcome == ReviewDecision.Outcome.REMOVED
    assert kept.outcome == ReviewDecision.Outcome.KEPT
    assert undecided.outcome == ReviewDecision.Outcome.UNDECIDED

    report = text(client.get(reverse("reviews:campaign_report", args=[campaign.pk])))
    assert unit_referent.email in report  # undecided, listed
    assert nurse_right.user.email in report
    assert "Left" in report


def test_close_skips_rights_ended_meanwhile(
    director, establishment_referent, campaign, nurse_right
):
    row = decision_of(campaign, nurse_right)
    services.campaign_decide(
        actor=director,
        campaign=campaign,
        changes=[services.DecisionChange(row.pk, "remove", "", row.version)],
    )
    account_services.habilitation_end(
        actor=establishment_referent, habilitation=nurse_right, reason="départ"
    )
    services.campaign_close(actor=director, campaign=campaign)
    nurse_right.refresh_from_db()
    assert nurse_right.end_reason == "départ"
    row.refresh_from_db()
    assert row.outcome == ReviewDecision.Outcome.ALREADY_ENDED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.HABILITATION_ENDED).count() == 1


def test_a_closed_campaign_is_read_only(client, director, campaign, nurse_right):
    row = decision_of(campaign, nurse_right)
    services.campaign_close(actor=director, campaign=campaign)
    client.force_login(director)
    response = decide(client, campaign, row, "remove")
    assert response.status_code == 302
    assert response["Location"] == reverse("reviews:campaign_report", args=[campaign.pk])
    row.refresh_from_db()
    assert row.decision == ""
    nurse_right.refresh_from_db()
    assert nurse_right.ended_at is None
    # Closing again changes nothing either.
    response = client.post(reverse("reviews:campaign_close", args=[campaign.pk]))
    assert response.status_code == 302
    assert ReviewCampaign.objects.get().closed_by == director
    with pytest.raises(services.CampaignClosedError):
        services.campaign_decide(
            actor=director,
            campaign=campaign,
            changes=[services.DecisionChange(row.pk, "keep", "", row.version)],
        )
    with pytest.raises(ValidationError):
        services.campaign_close(actor=director, campaign=campaign)
    # The page shows no form any more.
    page = client.get(reverse("reviews:campaign", args=[campaign.pk])).content.decode()
    assert f'name="decision_{row.pk}"' not in page


def test_a_removed_referent_right_no_longer_serves_its_structure(
    director, hospital, cardiology, unit_referent, establishment_referent, agent
):
    assert unit_referent in [h.user for h in referents_for(cardiology).referents]
    campaign = services.campaign_start(actor=director, establishment=hospital)
    row = campaign.decisions.get(user=unit_referent)
    assert row.snapshot_profile.code == Profile.REFERENT
    services.campaign_decide(
        actor=director,
        campaign=campaign,
        changes=[services.DecisionChange(row.pk, "remove", "", row.version)],
    )
    services.campaign_close(actor=director, campaign=campaign)
    lookup = referents_for(cardiology)
    assert unit_referent not in [h.user for h in lookup.referents]
    assert lookup.inherited  # the establishment's référent serves the unit now


def test_a_platform_admin_can_run_the_whole_campaign(platform_admin, hospital, agent):
    campaign = services.campaign_start(actor=platform_admin, establishment=hospital)
    row = campaign.decisions.get()
    services.campaign_decide(
        actor=platform_admin,
        campaign=campaign,
        changes=[services.DecisionChange(row.pk, "remove", "", row.version)],
    )
    services.campaign_close(actor=platform_admin, campaign=campaign)
    assert agent.habilitations.get().end_reason == "revue"


def test_the_services_refuse_a_director_of_another_establishment(
    make, other_hospital, campaign, nurse_right
):
    stranger = make.director(other_hospital)
    row = decision_of(campaign, nurse_right)
    with pytest.raises(services.NotAllowed):
        services.campaign_decide(
            actor=stranger,
            campaign=campaign,
            changes=[services.DecisionChange(row.pk, "remove", "", row.version)],
        )
    with pytest.raises(services.NotAllowed):
        services.campaign_close(actor=stranger, campaign=campaign)
    assert Scope.for_user(stranger).reviews(other_hospital.pk)


# --- Changes since the snapshot


def test_changes_since_the_snapshot_are_shown(
    client, director, establishment_referent, make, hospital, cardiology, campaign, nurse_right
):
    old_end = nurse_right.end_date
    new_end = old_end + days(30)
    account_services.habilitation_extend(
        actor=establishment_referent, habilitation=nurse_right, end_date=new_end
    )
    ref_right = establishment_referent.habilitations.get()
    other_director = make.director(hospital)  # not in the snapshot: granted afterwards
    ended_person = campaign.decisions.get(user__email="ref.unite@example.test").habilitation
    account_services.habilitation_end(
        actor=establishment_referent, habilitation=ended_person, reason="mutation"
    )
    newcomer = make.user(email="newcomer@example.test")
    account_services.habilitation_grant(
        actor=establishment_referent,
        user=newcomer,
        profile=Profile.objects.get(code="medecin"),
        establishment=hospital,
        unit=cardiology,
    )
    client.force_login(director)
    page = text(client.get(reverse("reviews:campaign", args=[campaign.pk])))
    row = decision_of(campaign, nurse_right)
    changes = {c["kind"]: c for c in row.changes_since_snapshot()}
    assert changes["end_date"]["before"] == old_end
    assert changes["end_date"]["after"] == new_end
    ended_row = campaign.decisions.get(habilitation=ended_person)
    ended_row.habilitation.refresh_from_db()
    assert "ended" in {c["kind"] for c in ended_row.changes_since_snapshot()}
    assert not decision_of(campaign, ref_right).changes_since_snapshot()
    assert old_end.strftime("%d/%m/%Y") in page
    assert new_end.strftime("%d/%m/%Y") in page
    assert "mutation" in page
    # Granted after the snapshot: listed apart, not decided in this campaign.
    assert "newcomer@example.test" in page
    assert other_director.email in page
    assert not campaign.decisions.filter(user=newcomer).exists()
    changed = client.get(
        reverse("reviews:campaign", args=[campaign.pk]), {"filtre": "modifiees"}
    ).content.decode()
    assert f'name="decision_{row.pk}"' in changed
    assert f'name="decision_{decision_of(campaign, ref_right).pk}"' not in changed


def test_dormant_and_blocked_accounts_are_hinted(client, director, hospital, make):
    asleep = make.user(email="asleep@example.test", last_login=timezone.now() - days(120))
    make.habilitation(asleep, hospital)
    awake = make.user(email="awake@example.test", last_login=timezone.now() - days(3))
    make.habilitation(awake, hospital)
    blocked = make.user(
        email="blocked@example.test",
        last_login=timezone.now(),
        blocked_at=timezone.now(),
        blocked_reason="x",
    )
    make.habilitation(blocked, hospital)
    campaign = services.campaign_start(actor=director, establishment=hospital)
    client.force_login(director)
    page = text(client.get(reverse("reviews:campaign", args=[campaign.pk])))

    def cell(email: str) -> str:
        start = page.index(email)
        return page[start : page.index("</td>", start)]

    assert "status--expired" in cell("asleep@example.test")
    assert "status--expired" not in cell("awake@example.test")
    assert "status--ended" in cell("blocked@example.test")


# --- Conserver tous les droits non décidés


def test_keep_every_undecided_right_in_one_action(
    client, director, campaign, nurse_right, establishment_referent
):
    client.force_login(director)
    removed = decision_of(campaign, establishment_referent.habilitations.get())
    decide(client, campaign, removed, "remove", "parti")
    url = reverse("reviews:campaign_keep_undecided", args=[campaign.pk])
    undecided = campaign.decisions.filter(decision="").exclude(user=director).count()
    page = client.get(url).content.decode()
    assert f"{undecided} droits ne sont pas encore décidés" in page
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_DECIDED).count() == 1

    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("reviews:campaign", args=[campaign.pk])
    assert f"{undecided} droits non décidés marqués «\u00a0conserver\u00a0»" in (
        response.content.decode()
    )
    removed.refresh_from_db()
    assert removed.decision == ReviewDecision.Decision.REMOVE  # a decision taken is kept
    kept = campaign.decisions.exclude(pk=removed.pk).exclude(user=director)
    assert campaign.decisions.get(user=director).decision == ""  # another director decides
    assert {row.decision for row in kept} == {ReviewDecision.Decision.KEEP}
    assert {row.decided_by_id for row in kept} == {director.pk}
    events = AuditEvent.objects.filter(action=AuditEvent.Action.REVIEW_DECIDED, actor=director)
    assert events.count() == undecided + 1
    nurse_event = events.get(target_user=nurse_right.user)
    assert nurse_event.after["decision"] == "keep"
    assert nurse_event.establishment_id == campaign.establishment_id
    assert nurse_event.ip_address == "127.0.0.1"


def test_keep_every_undecided_right_leaves_the_directors_own(client, make, hospital, agent):
    director = make.director(hospital)
    other = make.director(hospital)
    campaign = services.campaign_start(actor=other, establishment=hospital)
    client.force_login(director)
    client.post(reverse("reviews:campaign_keep_undecided", args=[campaign.pk]))
    own = campaign.decisions.get(user=director)
    assert own.decision == ""
    assert campaign.decisions.get(user=agent).decision == ReviewDecision.Decision.KEEP


def test_keep_every_undecided_right_on_a_closed_campaign_changes_nothing(
    client, director, campaign
):
    services.campaign_close(actor=director, campaign=campaign)
    client.force_login(director)
    response = client.post(reverse("reviews:campaign_keep_undecided", args=[campaign.pk]))
    assert response.status_code == 302
    assert not campaign.decisions.exclude(decision="").exists()
