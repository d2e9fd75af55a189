"""Rate-limit refusals as a 429 page in the site's look.

allauth raises ``RateLimited`` from inside some of its flows and expects the view to catch it;
several do not (the phone verification that a login by password starts, for one: a second login
within 30 seconds of an unverified number answered with a 500). This middleware is the one place
that turns the exception into allauth's own 429 response (``templates/429.html``) wherever it is
raised, so no view can forget.
"""

from __future__ import annotations

from allauth.core.exceptions import RateLimited
from allauth.core.ratelimit import respond_429


class RateLimitedMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimited):
            return respond_429(request)
        return None
