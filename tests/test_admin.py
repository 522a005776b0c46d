"""Platform administrators manage every model in Django's admin site, with search and filters."""

import pytest
from django.contrib import admin
from django.urls import reverse

from audit import trail
from audit.models import AuditEvent


@pytest.fixture
def every_kind_of_row(agent, establishment_referent, director, cardiology):
    trail.record(action=AuditEvent.Action.ACCOUNT_CREATED, target_user=agent, unit=cardiology)


def model_admins():
    return [(model._meta.app_label, model._meta.model_name) for model in admin.site._registry]


@pytest.mark.parametrize(("app", "model"), model_admins())
def test_each_model_lists_searches_and_opens_for_a_platform_admin(
    client, platform_admin, every_kind_of_row, app, model
):
    client.force_login(platform_admin)
    changelist = reverse(f"admin:{app}_{model}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "Hôpital é 31"}).status_code == 200
    obj = (
        admin.site._registry
        and next(m for m in admin.site._registry if m._meta.model_name == model).objects.first()
    )
    if obj is not None:
        change = reverse(f"admin:{app}_{model}_change", args=[obj.pk])
        assert client.get(change).status_code == 200


def test_a_referent_cannot_enter_the_admin_site(client, establishment_referent):
    client.force_login(establishment_referent)
    response = client.get(reverse("admin:accounts_habilitation_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_audit_trail_cannot_be_edited_or_deleted_in_the_admin(
    client, platform_admin, every_kind_of_row
):
    client.force_login(platform_admin)
    event = AuditEvent.objects.get()
    response = client.post(
        reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
