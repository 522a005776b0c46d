"""Word-prefix search over a stored, accent- and case-folded text column.

The column holds ``structures.finess.fold`` of the searchable fields (words of [0-9a-z]
separated by spaces), written when the row is saved. Each word of the query must start a word
of the column: "hop st j" finds "hopital saint jean".
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL


def matching_every_word(queryset: QuerySet, field: str, words: list[str]) -> QuerySet:
    """``queryset`` restricted to rows where each folded word starts a word of ``field``.

    On PostgreSQL, a prefix full-text query, answered by a GIN index on
    ``to_tsvector('simple', <column>)`` created by the model's migrations (the words are
    [0-9a-z]+ by construction: nothing to escape). Elsewhere, a LIKE on the word at the start of
    the text or after a space.
    """
    if connection.vendor == "postgresql":
        meta, quote = queryset.model._meta, connection.ops.quote_name
        qualified = f"{quote(meta.db_table)}.{quote(meta.get_field(field).column)}"
        # The text holds only the model's own quoted names; the words are a parameter.
        return queryset.filter(
            RawSQL(  # noqa: S611
                f"to_tsvector('simple'::regconfig, {qualified})"
                " @@ to_tsquery('simple'::regconfig, %s)",
                [" & ".join(f"{word}:*" for word in words)],
                output_field=BooleanField(),
            )
        )
    for word in words:
        queryset = queryset.filter(
            Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})
        )
    return queryset
