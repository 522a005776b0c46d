"""French by default, English on request (language switcher)."""

from django.urls import reverse


def test_french_by_default_and_english_after_switching(client, agent):
    client.force_login(agent)
    page = client.get(reverse("referents:mine")).content.decode()
    assert '<html lang="fr">' in page
    assert "Mes référents" in page
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("referents:mine")}
    )
    assert response.status_code == 302
    page = client.get(reverse("referents:mine")).content.decode()
    assert '<html lang="en">' in page
    assert "My referents" in page
    assert "See referents" in page


def test_the_switcher_refuses_to_redirect_elsewhere(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]
