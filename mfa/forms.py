from django import forms
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts import lockout
from accounts.forms import WRONG_CURRENT_PASSWORD


class CodeForm(forms.Form):
    """The second step: a code from the authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("The 6 digits your authenticator app shows, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class PasskeyForm(forms.Form):
    """The browser's answer to a WebAuthn ceremony, filled in by static/js/passkeys.js."""

    credential = forms.CharField(widget=forms.HiddenInput, max_length=20_000)


class FactorNameField(forms.CharField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Name of this factor"))
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault(
            "help_text", _("To recognise it in your account, e.g. “Work phone” or “Blue key”.")
        )
        super().__init__(**kwargs)


class TotpEnrolForm(forms.Form):
    name = FactorNameField()
    code = forms.CharField(
        label=_("Code shown by the app"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasskeyEnrolForm(PasskeyForm):
    name = FactorNameField()

    field_order = ["name", "credential"]


class PasswordConfirmForm(forms.Form):
    """The password again, before a first factor is enrolled in a session signed in a while
    ago. A wrong one counts towards the lockout."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, request, **kwargs) -> None:
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    @sensitive_variables("password")
    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            lockout.signin_fail(user=self.user, request=self.request)
            raise forms.ValidationError(WRONG_CURRENT_PASSWORD, code="password_incorrect")
        return password
