"""URL converters.

``<id:pk>`` is ``<int:pk>`` limited to 18 digits: a larger number cannot be a database id,
and passing it on would make SQLite or PostgreSQL fail with an overflow (a 500) instead of
the 404 that any unknown id gets.
"""

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
