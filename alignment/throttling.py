"""API throttles: per user, counted in the shared cache, open when the cache is down.

DRF keys an authenticated caller by its user, so the limits are per user: all of a
user's API tokens share them, and making more tokens buys no more calls (an anonymous
caller is keyed by address). The capture endpoints (``leads/``, ``leads/bulk/``,
``touchpoints/``, ``imports/``) have a scope of their own, ``capture``, so an
integration pushing leads neither starves nor is starved by its reads.
Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (environment variables
``API_THROTTLE_USER``, ``API_THROTTLE_ANON``, ``API_THROTTLE_CAPTURE``). A throttled
call answers 429 with ``Retry-After``.

The counters live in the cache, Redis in production, so every web process counts
together. If Redis is unreachable the throttle lets the request through: capture must
keep working when Redis is down, and a limiter is not worth an outage.

The rule is DRF's: at most N requests in any window of the rate's period, a refused
request does not count, and ``Retry-After`` is when the oldest counted request leaves
the window. DRF keeps that history as one pickled list that every request reads and
writes whole (up to N timestamps, twice per request); on Redis the history is a sorted
set trimmed and counted by one script, so a request costs one small round trip whatever
the rate. Other caches (the in-process one without ``REDIS_URL``) use DRF's own code.
"""

import logging
import uuid
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

if TYPE_CHECKING:
    from rest_framework.views import APIView as _View
else:
    _View = object

#: KEYS[1] the history; ARGV: now, period (seconds), limit, a unique member for this
#: request. Drops what left the window, then counts this request when there is room.
#: Answers ``{1}`` (allowed) or ``{0, oldest}`` (refused; the oldest timestamp, as text).
_SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, oldest[2] or ARGV[1]}  -- none counted: a limit of 0 refuses everything
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(period))
return {1}
"""

#: Per Redis cache: one client and the registered script (building a client per call
#: costs more than the round trip).
_scripts: "WeakKeyDictionary[RedisCache, Any]" = WeakKeyDictionary()


def _sliding_window(cache: RedisCache) -> Any:
    script = _scripts.get(cache)
    if script is None:
        client = cache._cache.get_client(write=True)
        script = _scripts[cache] = client.register_script(_SLIDING_WINDOW)
    return script


class _SharedRate(SimpleRateThrottle):
    """Reads its rate when used (so settings overrides apply) and fails open."""

    @property
    def cache(self) -> BaseCache:
        return caches[DEFAULT_CACHE_ALIAS]

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        try:
            cache = self.cache
            if not isinstance(cache, RedisCache):
                return super().allow_request(request, view)
            return self._allow_on_redis(cache, request, view)
        except (RedisError, OSError) as error:
            logger.warning("Throttle %s skipped: the cache is unreachable (%s).", self.scope, error)
            return True

    def _allow_on_redis(self, cache: RedisCache, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        answer = _sliding_window(cache)(
            # Not DRF's key: a history DRF left there (a pickled list) has another type.
            keys=[cache.make_and_validate_key(f"{self.key}:window")],
            args=[repr(self.now), self.duration, self.num_requests, uuid.uuid4().hex],
        )
        self._oldest = None if answer[0] else float(answer[1])
        return self._oldest is None

    def wait(self) -> float | None:
        oldest = getattr(self, "_oldest", None)
        if oldest is None:
            return super().wait()
        return max(0.0, self.duration - (self.now - oldest))


class UserThrottle(_SharedRate, UserRateThrottle):
    scope = "user"


class AnonThrottle(_SharedRate, AnonRateThrottle):
    scope = "anon"


class CaptureThrottle(_SharedRate, UserRateThrottle):
    """The capture endpoints' own budget per user."""

    scope = "capture"


class CaptureThrottled(_View):
    """Viewset mixin: the actions in ``capture_actions`` count against ``capture``."""

    capture_actions: tuple[str, ...] = ("create",)

    def get_throttles(self):
        if getattr(self, "action", None) in self.capture_actions:
            return [CaptureThrottle()]
        return super().get_throttles()
