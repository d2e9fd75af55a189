"""A paginator that stops counting: an exact ``COUNT(*)`` over a million rows costs more than the
rest of a list page, and nobody pages through ten thousand rows to reach the end.

``CappedCountPaginator`` counts at most ``count_limit + 1`` rows (``SELECT count(*) FROM (SELECT
id … LIMIT n)``, which stops reading at the limit). Up to the limit the count is exact and the
paginator is Wagtail's. Past it, ``count_capped`` is true and all that is known is that there
are more than ``count_limit`` rows and more than ``pages_counted`` pages: ``count`` is
``count_limit + 1``, and the page range offers no last page, only "…". The limit is at least the
rows up to the page asked for, so every page that exists can be reached and its rows are never
cut short; "next" goes on from there.
"""

from __future__ import annotations

from django.utils.functional import cached_property
from wagtail.admin.paginator import WagtailPaginator


class CappedCountPaginator(WagtailPaginator):
    def __init__(self, object_list, per_page, *, count_limit: int, **kwargs):
        self.count_limit = count_limit
        super().__init__(object_list, per_page, **kwargs)

    @staticmethod
    def limit_for(*, page: object, per_page: int, at_least: int) -> int:
        """The count limit for a request of ``page``: ``at_least``, or the rows up to the end of
        that page when it lies further (a page number that is not one counts as page 1)."""
        try:
            number = max(int(page), 1)
        except (TypeError, ValueError):
            number = 1
        return max(at_least, number * per_page)

    @cached_property
    def count(self) -> int:
        counting = getattr(self.object_list, "order_by", None)
        if counting is None:  # a list, not a queryset
            return min(len(self.object_list), self.count_limit + 1)
        # only the ids, no ordering, joins or annotations: the database stops at the limit
        return counting().values("pk")[: self.count_limit + 1].count()

    @property
    def count_capped(self) -> bool:
        """Whether there are more rows than ``count_limit`` (uncounted beyond it)."""
        return self.count > self.count_limit

    @property
    def pages_counted(self) -> int:
        """Full pages within the limit: when the count is capped there are more pages than
        this."""
        return self.count_limit // self.per_page

    def get_elided_page_range(self, page_number):
        pages = list(super().get_elided_page_range(page_number))
        if not self.count_capped:
            return pages
        # the last page counted is not the last page: end on "…" instead
        if pages and pages[-1] == self.num_pages:
            pages.pop()
        if not pages or pages[-1] != self.ELLIPSIS:
            pages.append(self.ELLIPSIS)
        return pages
