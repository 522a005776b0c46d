"""Word-prefix search over a stored, accent- and case-folded text column.

The column holds ``structures.finess.fold`` of the searchable fields (words of [0-9a-z]
separated by spaces), written when the row is saved. Each word of the query must start a word
of the column: "hop st j" finds "hopital saint jean".
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Value


class _PrefixMatch(Func):
    """``to_tsvector('simple', <column>) @@ to_tsquery('simple', <query>)``: an expression
    rather than raw SQL, so that the column is named by the alias the query gives its table
    (a search used as a subquery: the bulk actions' "all the people this search finds")."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    arg_joiner = ") @@ to_tsquery('simple'::regconfig, "
    output_field = BooleanField()


def matching_every_word(queryset: QuerySet, field: str, words: list[str]) -> QuerySet:
    """``queryset`` restricted to rows where each folded word starts a word of ``field``.

    On PostgreSQL, a prefix full-text query, answered by a GIN index on
    ``to_tsvector('simple', <column>)`` created by the model's migrations (the words are
    [0-9a-z]+ by construction: nothing to escape). Elsewhere, a LIKE on the word at the start of
    the text or after a space.
    """
    if connection.vendor == "postgresql":
        # The words are a parameter.
        query = " & ".join(f"{word}:*" for word in words)
        return queryset.filter(_PrefixMatch(F(field), Value(query)))
    for word in words:
        queryset = queryset.filter(
            Q(**{f"{field}__startswith": word}) | Q(**{f"{field}__contains": f" {word}"})
        )
    return queryset
