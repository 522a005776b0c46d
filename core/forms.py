"""Form fields shared by the apps."""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

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
        return super()._check_values(value)  # type: ignore[misc]


class DateField(forms.DateField):
    """A DateField refusing, as invalid dates, days too far off to compute with.

    Python's dates stop at 9999-12-31: a default end one year after 9999-12-31, or the day
    after it, or 0001-01-01 turned into UTC, would overflow (a 500). No right and no audit
    event is dated outside these years.
    """

    first_day = datetime.date(1900, 1, 1)
    last_day = datetime.date(2999, 12, 31)

    def to_python(self, value):
        day = super().to_python(value)
        if day is not None and not self.first_day <= day <= self.last_day:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return day


class PlainSelect(forms.Select):
    """A <select> whose options are written in Python rather than one template each.

    Django renders every option through its own template, about 50 µs apiece: the unit filter
    of a teaching hospital (1,000 units) took longer than the rest of the page. Flat choices
    only (no groups); the attributes and the selected value are those of ``forms.Select``.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = {"name": name, **self.build_attrs(self.attrs, attrs)}
        selected = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (choice, " selected" if str(choice) in selected else "", label)
                for choice, label in self.choices
            ),
        )
        return format_html("<select{}>{}</select>", flatatt(final_attrs), options)


def check_period(form: forms.Form, start: str, end: str) -> None:
    """The one check of a period typed in a form: an end before its start is an error on the
    end field (the services check the same rule again)."""
    first, last = form.cleaned_data.get(start), form.cleaned_data.get(end)
    if first and last and last < first:
        form.add_error(end, _("The end date must be on or after the start date."))
