"""Forms with errors open with a summary (RGAA 11.10, 11.11): "The form contains N errors",
then each error, those of a field a link to its input, so that the person finds every error of
a long form from the top of the page, without JavaScript.

The rules of a new password show under the new password, never under its confirmation.
"""

from __future__ import annotations

import html
import re

import pytest
from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from core.templatetags.error_summary import error_summary

PASSWORD = "mon ancien mot de passe"


def summary_of(page: str) -> str:
    found = re.search(r'<div class="form-errors" role="alert".*?</div>', page, re.S)
    assert found, "no error summary"
    return found[0]


def summary_links(page: str) -> list[str]:
    return re.findall(r'<li><a href="#([^"]+)">', summary_of(page))


def summary_count(page: str) -> int:
    return len(re.findall(r"<li>", summary_of(page)))


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<div class="field__errors" id="id_{field}_error">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found[1])).strip() if found else ""


def assert_summary_leads_to_each_field(page: str, fields: list[str]) -> None:
    """The summary links to each field in error, in the form's order, and each link's target
    is the field's input (the element a click, or Enter, moves to)."""
    links = summary_links(page)
    assert links == [f"id_{name}" for name in fields]
    for target in links:
        assert re.search(rf'<(input|select|textarea)[^>]* id="{target}"', page), target
        # The input says it is wrong and which text says why.
        tag = re.search(rf'<(?:input|select|textarea)[^>]* id="{target}"[^>]*>', page)[0]
        assert 'aria-invalid="true"' in tag
        assert f"{target}_error" in tag


@pytest.fixture
def as_referent(client, establishment_referent):
    client.force_login(establishment_referent)
    return client


def test_account_creation_lists_each_error_and_links_to_its_field(as_referent, hospital):
    page = as_referent.post(
        reverse("administration:person_create"),
        {"last_name": "", "first_name": "", "email": "pas une adresse", "start_date": "hier"},
    ).content.decode()
    fields = ["last_name", "first_name", "email", "profile", "structure", "start_date"]
    assert_summary_leads_to_each_field(page, fields)
    assert summary_count(page) == 6
    assert "The form contains 6 errors" in page or "Le formulaire contient 6 erreurs" in page
    # Before the fields: met first when reading the page from the top.
    assert page.index('id="form-errors"') < page.index('id="id_last_name"')


def test_the_summary_heading_reads_in_french(as_referent, hospital):
    # Needs the French translations compiled.
    page = as_referent.post(reverse("administration:person_create"), {}).content.decode()
    assert "Le formulaire contient 6 erreurs" in summary_of(page)


@pytest.mark.parametrize(
    ("name", "args", "data", "fields"),
    [
        (
            "administration:habilitation_grant",
            lambda w: [w["nurse"].pk],
            {"start_date": "31/02/2026", "end_date": "x"},
            ["profile", "structure", "start_date", "end_date"],
        ),
        ("administration:habilitation_extend", lambda w: [w["right"].pk], {}, ["end_date"]),
        (
            "administration:habilitation_modify",
            lambda w: [w["right"].pk],
            {"profile": "999999", "start_date": "x", "end_date": ""},
            ["profile", "start_date", "end_date"],
        ),
        (
            "administration:establishment",
            lambda w: [w["hospital"].pk],
            {"phone": "pas un numéro", "email": "x", "website": "pas un site"},
            ["phone", "email", "website"],
        ),
        (
            "administration:unit_create",
            lambda w: [w["hospital"].pk],
            {"name": " ", "phone": "abc", "email": "x"},
            ["name", "phone", "email"],
        ),
        (
            "administration:unit_edit",
            lambda w: [w["hospital"].pk, w["cardiology"].pk],
            {"name": "", "email": "x"},
            ["name", "email"],
        ),
    ],
)
def test_every_long_form_opens_with_the_summary(
    as_referent, make, hospital, cardiology, name, args, data, fields
):
    nurse = make.user(email="nurse@example.test")
    world = {
        "nurse": nurse,
        "right": make.habilitation(nurse, cardiology),
        "hospital": hospital,
        "cardiology": cardiology,
    }
    response = as_referent.post(reverse(name, args=args(world)), data)
    assert response.status_code in (200, 400)
    page = response.content.decode()
    assert_summary_leads_to_each_field(page, fields)
    assert summary_count(page) == len(fields)


def test_no_summary_without_errors(as_referent):
    page = as_referent.get(reverse("administration:person_create")).content.decode()
    assert 'id="form-errors"' not in page


def test_a_sign_in_failure_is_the_summary_s_only_error(client, agent):
    page = client.post(
        reverse("accounts:sign_in"), {"username": agent.email, "password": "faux"}
    ).content.decode()
    assert summary_count(page) == 1
    assert summary_links(page) == []  # the whole form's error: nothing to move to


# --- Which element each error leads to


class Sample(forms.Form):
    name = forms.CharField()
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self):
        raise forms.ValidationError("The whole form is wrong.")


def test_errors_lead_to_inputs_first_options_or_nowhere():
    form = Sample({"version": "x"})
    errors = error_summary(form)
    assert [(e.label, e.target) for e in errors] == [
        (None, None),  # the whole form's, first
        ("Name", "id_name"),
        ("Kind", "id_kind_0"),  # a radio group: its first button
        (None, None),  # a hidden field: nothing to move to
    ]
    assert errors[0].message == "The whole form is wrong."
    assert error_summary(Sample()) == []  # unbound: no error
    assert error_summary(None) == []


# --- New passwords: the rules under the new password


def reset_form_url(client, person) -> str:
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    token = default_token_generator.make_token(person)
    link = reverse("accounts:password_reset_confirm", args=[uid, token])
    return client.get(link)["Location"]  # Django swaps the token for a session marker


def expected(message) -> str:
    with translation.override("fr"):
        return str(message)


def test_activation_shows_rule_errors_under_the_new_password(client, make):
    person = make.user(email="nouvelle@example.test")  # no password yet: an activation
    page = client.post(
        reset_form_url(client, person), {"new_password1": "court", "new_password2": "court"}
    ).content.decode()
    too_short = expected(password_validation.MinimumLengthValidator(12).get_error_message())
    assert too_short in field_error(page, "new_password1")
    assert field_error(page, "new_password2") == ""
    assert_summary_leads_to_each_field(page, ["new_password1"])
    person.refresh_from_db()
    assert not person.has_usable_password()


def test_reset_confirmation_shows_only_the_mismatch(client, make):
    person = make.user(email="oubli@example.test", password=PASSWORD)
    page = client.post(
        reset_form_url(client, person),
        {"new_password1": "password", "new_password2": "un autre mot de passe"},
    ).content.decode()
    mismatch = expected(SetPasswordForm.error_messages["password_mismatch"])
    common = expected(password_validation.CommonPasswordValidator().get_error_message())
    assert common in field_error(page, "new_password1")
    assert field_error(page, "new_password2") == mismatch
    assert_summary_leads_to_each_field(page, ["new_password1", "new_password1", "new_password2"])


def test_the_rules_are_listed_under_the_new_password_in_plain_text(client, make):
    person = make.user(email="oubli@example.test", password=PASSWORD)
    page = client.get(reset_form_url(client, person)).content.decode()
    help_text = re.search(r'id="id_new_password1_helptext">(.*?)</p>', page)[1]
    assert "&lt;" not in help_text  # Django's rules come as HTML: shown as text here
    for rule in password_validation.password_validators_help_texts():
        with translation.override("fr"):
            assert str(rule) in html.unescape(help_text)
    assert 'id="id_new_password2_helptext"' not in page


def test_mon_compte_password_change_shows_the_summary(client, make):
    person = make.user(email="moi@example.test", password=PASSWORD)
    client.force_login(person)
    page = client.post(
        reverse("accounts:password_change"),
        {"old_password": "faux", "new_password1": "court", "new_password2": "autre"},
    ).content.decode()
    assert_summary_leads_to_each_field(page, ["old_password", "new_password1", "new_password2"])
