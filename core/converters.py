"""URL converters.

``<id:pk>`` is ``<int:pk>`` limited to 18 digits: a larger number cannot be a database id,
and passing it on would make SQLite or PostgreSQL fail with an overflow (a 500) instead of
the 404 that any unknown id gets.
"""

import re

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

_ID = re.compile(IdConverter.regex)


def parse_id(value: str) -> int | None:
    """An id read from a query string or a form field name, as ``<id:...>`` reads one; None
    when ``value`` cannot be an id.

    Not ``str.isdigit()``: it accepts "²" and "⑦", which ``int()`` refuses, and 10,000 digits,
    which overflow the database (a 500 either way).
    """
    return int(value) if _ID.fullmatch(value) else None
