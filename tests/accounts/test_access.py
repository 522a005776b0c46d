"""The one gate: areas answer 404 to people without the scope they need, and a service's
refusal is a 404 even in a view that does not catch it (nothing tells the object exists)."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from accounts import access, services


def unblock_without_catching(request, pk):
    from accounts.models import User

    services.account_unblock(actor=request.user, user=User.objects.get(pk=pk))
    return HttpResponse("unblocked")


urlpatterns = [path("unblock/<int:pk>/", unblock_without_catching)]


@override_settings(ROOT_URLCONF=__name__)
def test_a_refusal_a_view_forgot_to_catch_is_a_404(client, other_referent, agent):
    client.force_login(other_referent)
    response = client.get(f"/unblock/{agent.pk}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("gate", "allowed"),
    [
        (access.referent_scope, {"unit_referent", "establishment_referent", "platform_admin"}),
        (access.reviewer_scope, {"director", "platform_admin"}),
        (access.campaign_scope, {"director", "platform_admin"}),
    ],
)
@pytest.mark.parametrize(
    "role", ["agent", "unit_referent", "establishment_referent", "director", "platform_admin"]
)
def test_each_gate(rf, request, gate, allowed, role):
    from django.http import Http404

    http_request = rf.get("/")
    http_request.user = request.getfixturevalue(role)
    if role in allowed:
        assert gate(http_request) is access.scope_of(http_request)
    else:
        with pytest.raises(Http404):
            gate(http_request)
