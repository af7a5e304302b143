"""API throttles: per token, counted in the shared cache, open when the cache is down.

DRF keys an authenticated caller by its user, and a user has one API token, so the
limits are per token (an anonymous caller is keyed by address). The capture endpoints
(``leads/``, ``leads/bulk/``, ``touchpoints/``, ``imports/``) have a scope of their own,
``capture``, so an integration pushing leads neither starves nor is starved by its reads.
Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (environment variables
``API_THROTTLE_USER``, ``API_THROTTLE_ANON``, ``API_THROTTLE_CAPTURE``). A throttled
call answers 429 with ``Retry-After``.

The counters live in the cache, Redis in production, so every web process counts
together. If Redis is unreachable the throttle lets the request through: capture must
keep working when Redis is down, and a limiter is not worth an outage.
"""

import logging
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from rest_framework.views import APIView as _View
else:
    _View = object


class _SharedRate(SimpleRateThrottle):
    """Reads its rate when used (so settings overrides apply) and fails open."""

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as error:
            logger.warning("Throttle %s skipped: the cache is unreachable (%s).", self.scope, error)
            return True


class UserThrottle(_SharedRate, UserRateThrottle):
    scope = "user"


class AnonThrottle(_SharedRate, AnonRateThrottle):
    scope = "anon"


class CaptureThrottle(_SharedRate, UserRateThrottle):
    """The capture endpoints' own budget per token."""

    scope = "capture"


class CaptureThrottled(_View):
    """Viewset mixin: the actions in ``capture_actions`` count against ``capture``."""

    capture_actions: tuple[str, ...] = ("create",)

    def get_throttles(self):
        if getattr(self, "action", None) in self.capture_actions:
            return [CaptureThrottle()]
        return super().get_throttles()
