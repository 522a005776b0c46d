from typing import cast

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from accounts import lockout
from core.after_response import after_response
from core.forms import IdModelMultipleChoiceField

SIGN_IN_FAILED = _(
    "Sign-in failed: check your e-mail address and password. After several failures your "
    "account is blocked; your referent can unblock it."
)


BLOCKED = _(
    "Your account is blocked. Only a referent of your structures (or the support desk) can "
    "unblock it: write to one of them below."
)

WRONG_CURRENT_PASSWORD = _(
    "This is not your current password. After several failures your account is blocked; "
    "your referent can unblock it."
)


class SignInForm(AuthenticationForm):
    """E-mail and password. One neutral message for every failure (docs/domain.md)."""

    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    # The same message whether the account exists, is blocked or the password is wrong.
    error_messages = {"invalid_login": SIGN_IN_FAILED, "inactive": SIGN_IN_FAILED}

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    @property
    def blocked_account(self):
        """The blocked account whose right password was typed (the backend says so)."""
        return getattr(self.request, "blocked_account", None)

    def get_invalid_login_error(self) -> forms.ValidationError:
        if self.blocked_account is not None:
            return forms.ValidationError(BLOCKED, code="blocked")
        return super().get_invalid_login_error()


class AccountPasswordResetForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def get_users(self, email: str):
        # Addresses are stored lower-cased; blocked people may reset too (it does not unblock).
        return super().get_users(email.strip().lower())

    def save(self, *args, **kwargs) -> None:
        self._request = kwargs.get("request")
        super().save(*args, **kwargs)

    def send_mail(self, *args, **kwargs) -> None:
        # Built and sent after the response: an unknown address, which sends nothing, must
        # not answer faster than a known one (``core.after_response``).
        send = super().send_mail
        after_response(self._request, lambda: send(*args, **kwargs))


class AccountSetPasswordForm(SetPasswordForm):
    """A new password, typed twice (activation link, password reset, Mon compte).

    The rules' errors go under the new password, where the person types it; the confirmation
    only says when the two differ (Django puts both under the confirmation). The rules are
    shown as plain text under the field, in the person's language.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )
        self.fields["new_password2"].help_text = ""

    def clean(self) -> dict:
        self.validate_passwords("new_password1", "new_password2")
        self.validate_password_for_user(self.user, "new_password1")
        # Not super().clean(): SetPasswordForm's would check the rules again, on the
        # confirmation.
        return self.cleaned_data


class PasswordChangeForm(AccountSetPasswordForm):
    """Mon compte: the current password, then the new one twice.

    A wrong current password counts as a failed sign-in (``lockout.signin_fail``): whoever
    holds a stolen session cannot try passwords here more than at the sign-in page, since
    the account is blocked (and signed out everywhere) at the same threshold, and the client
    address is throttled the same way.
    """

    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, *args, request: HttpRequest, **kwargs) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    @sensitive_variables("old_password")
    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        if not self.user.check_password(old_password):
            lockout.signin_fail(user=self.user, request=self.request)
            raise forms.ValidationError(WRONG_CURRENT_PASSWORD, code="password_incorrect")
        return old_password


class DigestPreferenceForm(forms.Form):
    receives_digest = forms.BooleanField(required=False)


class BlockedHelpForm(forms.Form):
    """ "Account blocked?": the address to send the référents' contacts to."""

    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class CharterAcceptForm(forms.Form):
    # The version the person read: if a newer one was published meanwhile, they must read it.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CharterRemindForm(forms.Form):
    """The people to remind (those of one page of the pending list), limited to the scope."""

    people = IdModelMultipleChoiceField(queryset=None, widget=forms.MultipleHiddenInput)

    def __init__(self, *args, pending, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["people"]).queryset = pending


class ReminderPreferenceForm(forms.Form):
    email_reminders = forms.BooleanField(required=False)
