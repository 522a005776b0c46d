"""Form fields shared by the apps."""

import re

from django import forms
from django.core.exceptions import ValidationError

_ID = re.compile(r"^[0-9]{1,18}$")


class IdModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses values that cannot be an id before querying.

    Django catches ValueError for non-numbers, but a 30-digit number reaches the database and
    overflows there (a 500): refuse it as an invalid choice like any unknown id.
    """

    def to_python(self, value):
        if value not in self.empty_values and not _ID.match(str(value)):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value if isinstance(value, (list, tuple)) else [value]:
            if not _ID.match(str(pk)):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)
