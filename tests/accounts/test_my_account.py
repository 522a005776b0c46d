"""Mon compte: my details, my habilitations and their e-mail reminders."""

from django.urls import reverse

from audit.models import AuditEvent

URL = reverse("accounts:my_account")


def test_my_habilitations_with_structure_dates_and_status(client, agent, cardiology):
    client.force_login(agent)
    page = client.get(URL).content.decode()
    assert agent.email in page
    assert "Cardiologie" in page
    assert "Infirmier(e)" in page


def test_i_can_stop_and_restart_reminders_for_my_right(client, agent):
    habilitation = agent.habilitations.get()
    client.force_login(agent)
    url = reverse("accounts:set_reminders", args=[habilitation.pk])
    assert client.post(url, {"email_reminders": ""}).status_code == 302
    habilitation.refresh_from_db()
    assert not habilitation.email_reminders
    event = AuditEvent.objects.get()
    assert event.actor == agent
    assert event.after["email_reminders"] is False
    client.post(url, {"email_reminders": "on"})
    habilitation.refresh_from_db()
    assert habilitation.email_reminders


def test_i_cannot_touch_someone_elses_right(client, agent, establishment_referent):
    other = establishment_referent.habilitations.get()
    client.force_login(agent)
    url = reverse("accounts:set_reminders", args=[other.pk])
    assert client.post(url, {"email_reminders": ""}).status_code == 404
    other.refresh_from_db()
    assert other.email_reminders


def test_reminder_change_is_a_post(client, agent):
    client.force_login(agent)
    url = reverse("accounts:set_reminders", args=[agent.habilitations.get().pk])
    assert client.get(url).status_code == 405
