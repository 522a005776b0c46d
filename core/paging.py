"""Paging helpers shared by the lists."""

from __future__ import annotations

from collections.abc import Callable

from django.core.paginator import Page, Paginator
from django.utils.functional import cached_property
from django.utils.http import urlencode


class CountedPaginator(Paginator):
    """A paginator told how to count its rows with a cheaper query giving the same number.

    Counting "people with a right in this establishment" through the people table reads every
    person; counting distinct people in the establishment's rights reads one index.
    """

    def __init__(self, object_list, per_page: int, count: Callable[[], int]) -> None:
        super().__init__(object_list, per_page)
        self._count = count

    @cached_property
    def count(self) -> int:
        return self._count()


def page_url(base: str = "", anchor: str = "", **params: object) -> str:
    """``base`` with the non-empty ``params`` as its query string (and ``#anchor``)."""
    query = urlencode({k: str(v) for k, v in params.items() if v not in (None, "")})
    return f"{base}?{query}" + (f"#{anchor}" if anchor else "")


def page_links(
    current: Page, base: str = "", anchor: str = "", param: str = "page", **params: object
) -> dict[str, str]:
    """Previous/next links of a page, keeping the other parameters."""
    links = {}
    if current.has_previous():
        links["previous"] = page_url(
            base, anchor, **{**params, param: current.previous_page_number()}
        )
    if current.has_next():
        links["next"] = page_url(base, anchor, **{**params, param: current.next_page_number()})
    return links
