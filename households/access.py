"""The one way a full phone or ID number reaches a response: every such response writes an
access-log row.

Views do not call ``access_log_record`` for reads of full numbers themselves; they are
wrapped once, where they are declared, and the wrapper writes the row whenever the view answers
with a page or a file (a 2xx response), and not for redirects, refusals or 404s:

- function views: ``@reveals(AccessLog.Action.FILE, "import_batch", object_id_kwarg="pk")``;
- class-based views (Wagtail's generic views): ``RevealsMixin`` with ``reveal_action`` and
  ``reveal_object_type`` (``reveal_object_id_kwarg`` defaults to ``"pk"``);
- a view that already writes its own, more precise row (a list with its filters and row count,
  an export) calls ``reveal_record(request, …)``; the wrappers then add no second row.

``tests/households/test_access.py`` walks every register URL as staff and fails when a response
shows a full number without a row written by that request: a new screen that forgets the
wrapper fails there.

Searches by (part of) a number are logged by the search selectors themselves through
``number_search_record``, with the term masked, and counted against an hourly limit per user
(``number_search_allow``): with a masked mobile (``136****0043``) 10,000 whole-number searches
find the number, so the search must not be an unthrottled lookup.

What a user sees of a member when not unmasked comes from ``masking_for``: people who may not
unmask get the birth year and the ID's first four characters only, since the full birth date
next to ``3309**********1234`` rebuilds the whole ID.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any

from allauth.core.exceptions import RateLimited
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from core.masking import mask_birth_date, mask_id_number, mask_id_number_head, mask_phone

from .models import AccessLog
from .rules import user_may_unmask

logger = logging.getLogger(__name__)

#: Set on the request once a row was written for it (the log row itself).
_LOGGED_ATTR = "_households_access_log"

_ID_LIKE = re.compile(r"\d{6,17}[\dXx]")


def access_log_record(
    *,
    user,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
) -> AccessLog:
    """One row per read of register data (list, detail, export, import, unmask, stats)."""
    clean = {k: v for k, v in (filters or {}).items() if v not in ("", None, [], ())}
    return AccessLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        filters=clean,
        row_count=row_count,
    )


def mask_term(term: str) -> str:
    """A search term as it may be stored in the log: numbers masked, other text kept."""
    text = (term or "").strip()
    compact = re.sub(r"[\s\-]", "", text)
    if _ID_LIKE.fullmatch(compact) and len(compact) >= 15:
        return mask_id_number(compact.upper())
    if compact.lstrip("+").isdigit():
        return mask_phone(compact)
    return text


def reveal_record(
    request: HttpRequest,
    *,
    action: str,
    object_type: str,
    object_id: int | None = None,
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
) -> AccessLog:
    """Write an access-log row for this request; the wrappers then write none of their own."""
    filters = dict(filters or {})
    if "q" in filters:
        filters["q"] = mask_term(str(filters["q"]))
    log = access_log_record(
        user=getattr(request, "user", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        filters=filters,
        row_count=row_count,
    )
    setattr(request, _LOGGED_ATTR, log)
    return log


def reveal_logged(request: HttpRequest) -> bool:
    """Whether a row was written for this request."""
    return getattr(request, _LOGGED_ATTR, None) is not None


def _object_id(kwargs: dict, key: str | None) -> int | None:
    if not key or key not in kwargs:
        return None
    try:
        return int(kwargs[key])
    except (TypeError, ValueError):
        return None


def _after_response(
    request: HttpRequest,
    response: HttpResponse,
    *,
    action: str,
    object_type: str,
    object_id: int | None,
) -> None:
    if 200 <= response.status_code < 300 and not reveal_logged(request):
        reveal_record(request, action=action, object_type=object_type, object_id=object_id)


def reveals(
    action: str, object_type: str, *, object_id_kwarg: str | None = "pk"
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a function view whose pages or files show full numbers."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            _after_response(
                request,
                response,
                action=action,
                object_type=object_type,
                object_id=_object_id(kwargs, object_id_kwarg),
            )
            return response

        wrapped.reveals_full_numbers = True  # type: ignore[attr-defined]
        return wrapped

    return decorator


class RevealsMixin:
    """For class-based views whose pages show full numbers (edit forms)."""

    reveal_action: str = AccessLog.Action.DETAIL
    reveal_object_type: str = ""
    reveal_object_id_kwarg: str | None = "pk"
    reveals_full_numbers = True

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        _after_response(
            request,
            response,
            action=self.reveal_action,
            object_type=self.reveal_object_type,
            object_id=_object_id(kwargs, self.reveal_object_id_kwarg),
        )
        return response


def number_search_record(
    *,
    user,
    term: str,
    object_type: str,
    by_part: bool,
    object_id: int | None = None,
    row_count: int | None = None,
    refused: bool = False,
) -> AccessLog:
    """Log a search by (part of) a phone or ID number, with the term masked."""
    filters = {"q": mask_term(term), "by_part": by_part}
    if refused:
        filters["refused"] = True
    return access_log_record(
        user=user,
        action=AccessLog.Action.SEARCH,
        object_type=object_type,
        object_id=object_id,
        filters=filters,
        row_count=row_count,
    )


# --- what a user sees of a member -------------------------------------------------------------


@dataclass(frozen=True)
class Masking:
    """A member's numbers and birth date as ``user`` sees them without unmasking.

    ``may_unmask``: the user may see the numbers in full anyway (each time logged), so the
    masked ID keeps its last four and the birth date is shown in full. Anyone else sees the
    birth year and the ID's province and city only: the full birth date beside
    ``3309**********1234`` would leave only the district digits to guess.
    """

    may_unmask: bool

    def id_number(self, number: str) -> str:
        if not number:
            return ""
        return mask_id_number(number) if self.may_unmask else mask_id_number_head(number)

    def birth_date(self, born: date | None) -> date | str | None:
        if born is None or self.may_unmask:
            return born
        return mask_birth_date(born)


def masking_for(user) -> Masking:
    return Masking(
        may_unmask=bool(user is not None and user.is_authenticated and user_may_unmask(user))
    )


# --- the hourly limit on searches by number ---------------------------------------------------


class NumberSearchRefused(RateLimited):
    """Too many searches by number within the hour. Lists catch it and show ``message`` with no
    rows; raised anywhere else it becomes the 429 page (accounts.ratelimits)."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


_WINDOW = 3600


def _number_search_count(user) -> int | None:
    """Count one search by number for ``user`` in the window that began with their first;
    None when the shared cache cannot count. ``add`` and ``incr`` are atomic on Redis, so every
    web process shares one count."""
    key = f"households:number-search:{user.pk}"
    try:
        for _attempt in range(3):
            caches["limits"].add(key, 0, timeout=_WINDOW)
            try:
                return caches["limits"].incr(key)
            except ValueError:  # expired between add and incr: start the window again
                continue
    except Exception:
        logger.exception("number search limit could not be counted")
    return None


def number_search_allow(*, user, term: str, object_type: str, by_part: bool) -> None:
    """Count and log one search by (part of) a number; raise NumberSearchRefused, after logging
    the refusal, when the user is over their hourly limit.

    Who may not unmask: ``REGISTER_NUMBER_SEARCH_HOURLY_LIMIT`` (20) an hour, enough to check
    the numbers people give over the phone, far too few to try the 1,000–10,000 numbers a
    masked one leaves. Who may unmask: ``REGISTER_NUMBER_SEARCH_UNMASK_HOURLY_LIMIT`` (200),
    against a stolen session. When the cache is down the search is allowed (and logged): the
    register keeps working, as it does for everything else that uses the cache.
    """
    may_unmask = masking_for(user).may_unmask
    limit = (
        settings.REGISTER_NUMBER_SEARCH_UNMASK_HOURLY_LIMIT
        if may_unmask
        else settings.REGISTER_NUMBER_SEARCH_HOURLY_LIMIT
    )
    count = _number_search_count(user)
    refused = count is not None and count > limit
    number_search_record(
        user=user,
        term=term,
        object_type=object_type,
        by_part=by_part,
        refused=refused,
        row_count=0 if refused else None,
    )
    if refused:
        if may_unmask:
            raise NumberSearchRefused(_("按号码查找太频繁，请一小时后再试。"))
        raise NumberSearchRefused(
            _("按号码查找太频繁，请一小时后再试；如需核对号码，请联系社区侨务干部。")
        )
