"""core.forms.PlainSelect: the same <select> as Django's, written without a template per option."""

from __future__ import annotations

import re

import pytest
from django import forms

from core.forms import PlainSelect

CHOICES = [("", "All units"), ("1", "Cardiologie"), ("2", 'Soins <palliatifs> & "SSR"')]


def options(html: str) -> list[tuple[str, bool, str]]:
    return [
        (value, bool(selected), label)
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html
        )
    ]


@pytest.mark.parametrize("value", [None, "", "2", "999"])
def test_same_options_and_selection_as_djangos_select(value):
    attrs = {"id": "id_unite", "aria-describedby": "unite-help"}
    plain = PlainSelect(choices=CHOICES).render("unite", value, attrs)
    django = forms.Select(choices=CHOICES).render("unite", value, attrs)
    assert options(plain) == options(django)
    assert len(options(plain)) == 3
    start_tag = plain[: plain.index(">") + 1]
    assert sorted(re.findall(r'(\S+)="([^"]*)"', start_tag)) == [
        ("aria-describedby", "unite-help"),
        ("id", "id_unite"),
        ("name", "unite"),
    ]


def test_labels_are_escaped():
    html = PlainSelect(choices=CHOICES).render("unite", None)
    assert "Soins &lt;palliatifs&gt; &amp; &quot;SSR&quot;" in html
    assert "<palliatifs>" not in html
