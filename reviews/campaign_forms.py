"""Forms of the review campaigns: starting one, and the decisions of a page of 50 rights."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from core.converters import parse_id
from core.forms import IdModelChoiceField
from reviews.models import ReviewDecision
from reviews.services import DecisionChange
from structures.models import Establishment

COMMENT_MAX_LENGTH = 1000


class CampaignStartForm(forms.Form):
    """The establishment to review: a list for directors, a FINESS number for the support."""

    establishment = IdModelChoiceField(
        label=_("Establishment"), queryset=Establishment.objects.none()
    )

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if scope.is_platform_admin:
            # Every establishment (100,000) would make an unusable list: type its number.
            self.fields["establishment"] = forms.ModelChoiceField(
                label=_("Establishment (FINESS number)"),
                queryset=Establishment.objects.filter(is_active=True),
                to_field_name="finess",
                widget=forms.TextInput(attrs={"maxlength": 9, "autocomplete": "off"}),
                error_messages={"invalid_choice": _("No open establishment has this number.")},
            )
        else:
            field = cast(forms.ModelChoiceField, self.fields["establishment"])
            field.queryset = Establishment.objects.filter(
                pk__in=scope.reviewed_establishment_ids
            ).order_by("name")


class DecisionPageForm(forms.Form):
    """The decisions of the rights shown on one page: decision, comment and row version.

    The fields are named after each row (``decision_<id>``, ``comment_<id>``, ``version_<id>``)
    so that one plain form saves the whole page without JavaScript.
    """

    def __init__(self, *args: Any, rows: list[ReviewDecision], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        choices = [("", _("Not decided")), *ReviewDecision.Decision.choices]
        for row in rows:
            self.fields[f"decision_{row.pk}"] = forms.ChoiceField(
                label=_("Decision"),
                choices=choices,
                required=False,
                initial=row.decision,
                widget=forms.RadioSelect,
            )
            self.fields[f"comment_{row.pk}"] = forms.CharField(
                label=_("Comment"),
                required=False,
                max_length=COMMENT_MAX_LENGTH,
                initial=row.comment,
                widget=forms.Textarea(attrs={"rows": 2, "cols": 30}),
            )
            self.fields[f"version_{row.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=2**31 - 1,
                initial=row.version,
                widget=forms.HiddenInput,
            )

    def changes(self) -> list[DecisionChange]:
        return [
            DecisionChange(
                decision_id=row.pk,
                decision=self.cleaned_data[f"decision_{row.pk}"],
                comment=self.cleaned_data[f"comment_{row.pk}"],
                version=self.cleaned_data[f"version_{row.pk}"],
            )
            for row in self.rows
        ]


def submitted_ids(data: Any, decisions: QuerySet[ReviewDecision], limit: int) -> list[int]:
    """The ids of the campaign's rows present in a submitted page (at most ``limit``)."""
    ids = [
        pk for key in data if key.startswith("version_") and (pk := parse_id(key[8:])) is not None
    ]
    return list(decisions.filter(pk__in=ids[:limit]).values_list("pk", flat=True))
