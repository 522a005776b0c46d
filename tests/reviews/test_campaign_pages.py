"""Campagnes de revue: who may open the pages, the list, the report, the CSV, query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import services
from reviews.models import ReviewCampaign


@pytest.fixture
def campaign(director, hospital, agent, establishment_referent, unit_referent) -> ReviewCampaign:
    return services.campaign_start(actor=director, establishment=hospital)


def campaign_urls(campaign: ReviewCampaign) -> list[str]:
    return [
        reverse(name, args=[campaign.pk])
        for name in (
            "reviews:campaign",
            "reviews:campaign_close",
            "reviews:campaign_report",
            "reviews:campaign_report_csv",
        )
    ]


def test_anonymous_is_sent_to_sign_in(client, campaign):
    for url in [reverse("reviews:campaigns"), *campaign_urls(campaign)]:
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("accounts:sign_in") in response["Location"]


@pytest.mark.parametrize("who", ["agent", "establishment_referent", "unit_referent"])
def test_people_who_are_not_directors_get_404(client, request, campaign, who):
    client.force_login(request.getfixturevalue(who))
    for url in [reverse("reviews:campaigns"), *campaign_urls(campaign)]:
        assert client.get(url).status_code == 404
    assert client.post(reverse("reviews:campaign_start"), {"establishment": "1"}).status_code == 404
    assert client.post(reverse("reviews:campaign_close", args=[campaign.pk])).status_code == 404
    assert ReviewCampaign.objects.get().is_open


def test_another_establishments_director_gets_404(client, make, other_hospital, campaign):
    client.force_login(make.director(other_hospital))
    assert client.get(reverse("reviews:campaigns")).status_code == 200
    assert (
        str(campaign.establishment.name)
        not in client.get(reverse("reviews:campaigns")).content.decode().split("campaigns-title")[1]
    )
    for url in campaign_urls(campaign):
        assert client.get(url).status_code == 404
    row = campaign.decisions.first()
    response = client.post(
        reverse("reviews:campaign", args=[campaign.pk]),
        {f"decision_{row.pk}": "remove", f"version_{row.pk}": "0", f"comment_{row.pk}": ""},
    )
    assert response.status_code == 404
    assert client.post(reverse("reviews:campaign_close", args=[campaign.pk])).status_code == 404
    assert not campaign.decisions.exclude(decision="").exists()
    assert ReviewCampaign.objects.get().is_open


@pytest.mark.parametrize("who", ["director", "platform_admin"])
def test_directors_and_platform_admins_open_every_page(client, request, campaign, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("reviews:campaigns")).status_code == 200
    for url in campaign_urls(campaign):
        assert client.get(url).status_code == 200


def test_start_is_post_only(client, director):
    client.force_login(director)
    assert client.get(reverse("reviews:campaign_start")).status_code == 405


def test_the_list_shows_the_open_campaign_first(client, director, hospital, campaign):
    services.campaign_close(actor=director, campaign=campaign)
    newer = services.campaign_start(actor=director, establishment=hospital)
    client.force_login(director)
    page = client.get(reverse("reviews:campaigns")).content.decode()
    first = page.index(reverse("reviews:campaign", args=[newer.pk]))
    second = page.index(reverse("reviews:campaign", args=[campaign.pk]))
    assert first < second
    assert "status--active" in page
    assert "status--ended" in page


def test_progress_is_shown(client, director, campaign, agent):
    row = campaign.decisions.get(user=agent)
    services.campaign_decide(
        actor=director,
        campaign=campaign,
        changes=[services.DecisionChange(row.pk, "keep", "", row.version)],
    )
    client.force_login(director)
    response = client.get(reverse("reviews:campaign", args=[campaign.pk]))
    assert response.context["counts"]["decided"] == 1
    assert response.context["counts"]["total"] == 4
    assert 'value="1"' in response.content.decode()


def test_the_report_is_printable_and_exports_as_csv(client, director, campaign, agent):
    row = campaign.decisions.get(user=agent)
    services.campaign_decide(
        actor=director,
        campaign=campaign,
        changes=[services.DecisionChange(row.pk, "remove", "=HYPERLINK(1)", row.version)],
    )
    services.campaign_close(actor=director, campaign=campaign)
    client.force_login(director)
    report = client.get(reverse("reviews:campaign_report", args=[campaign.pk])).content.decode()
    # Printed through app.css's print rules (tests/browser/test_tables.py prints it): the
    # export and the hint to print stay on the screen.
    assert "css/app.css" in report
    assert 'class="screen-only"' in report
    response = client.get(reverse("reviews:campaign_report_csv", args=[campaign.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    lines = body.lstrip("\ufeff").splitlines()
    assert len(lines) == 1 + 4
    line = next(line for line in lines if agent.email in line)
    cells = line.split(";")
    assert row.snapshot_start_date.strftime("%d/%m/%Y") in cells
    assert "'=HYPERLINK(1)" in cells


def _make_people(make, hospital, cardiology, count: int) -> None:
    for n in range(count):
        make.habilitation(make.user(), cardiology if n % 2 else hospital, profile="medecin")


@pytest.mark.parametrize("name", ["reviews:campaign", "reviews:campaign_report"])
def test_query_count_does_not_grow_with_the_rights(
    client, make, director, hospital, cardiology, name
):
    client.force_login(director)
    counts = []
    for size in (3, 60):
        _make_people(make, hospital, cardiology, size)
        for campaign in ReviewCampaign.objects.filter(closed_at__isnull=True):
            services.campaign_close(actor=director, campaign=campaign)
        campaign = services.campaign_start(actor=director, establishment=hospital)
        # Half the rights changed and some rights granted after the snapshot.
        for row in campaign.decisions.select_related("habilitation")[: size // 2]:
            right = row.habilitation
            right.end_date = right.end_date.replace(year=right.end_date.year + 1)
            right.save()
        _make_people(make, hospital, cardiology, size)
        url = reverse(name, args=[campaign.pk])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_list_query_count_does_not_grow(client, make, director, hospital):
    client.force_login(director)
    counts = []
    for _ in range(2):
        for _n in range(3):
            campaign = services.campaign_start(actor=director, establishment=hospital)
            services.campaign_close(actor=director, campaign=campaign)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reviews:campaigns")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
