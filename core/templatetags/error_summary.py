"""The error summary at the top of a form (RGAA 11.10 and 11.11): each error once, each
field's error a link to the field, so that a long form's errors are found without scrolling
and without JavaScript."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.forms import BaseForm, BoundField

register = template.Library()


@dataclass(frozen=True)
class SummaryError:
    message: str
    # The field's label and the id of the element its link moves to; None for the errors of
    # the whole form and of hidden fields (nothing to move to).
    label: str | None = None
    target: str | None = None


def _target(field: BoundField) -> str | None:
    """The id of the field's input: its first option for radio buttons and checkboxes, whose
    group has no single input (Django gives their label no ``for``)."""
    if field.is_hidden:
        return None
    if field.id_for_label:
        return field.id_for_label
    subwidgets = field.subwidgets
    return (subwidgets[0].id_for_label or None) if subwidgets else None


@register.simple_tag
def error_summary(form: BaseForm | None) -> list[SummaryError]:
    """Every error of ``form``: the whole form's first, then each field's in the form's order."""
    if form is None or not form.errors:
        return []
    errors = [SummaryError(str(message)) for message in form.non_field_errors()]
    for field in form:
        target = _target(field)
        for message in field.errors:
            if target is None:
                errors.append(SummaryError(str(message)))
            else:
                errors.append(SummaryError(str(message), str(field.label), target))
    return errors
