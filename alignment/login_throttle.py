"""Login throttling: after repeated wrong passwords, later tries wait and are told so.

Failures are counted per username (normalised, so ``Sam`` and ``sam `` are one account)
and per client address, in the shared cache (Redis in production) so every web process
counts together. A window opens at the first failure; once ``LOGIN_FAILURE_LIMIT``
failures for a username (``LOGIN_FAILURE_ADDRESS_LIMIT`` for an address: an office
behind one address holds many people) fall in it, every try until the window closes is
refused without looking at the password. A successful login clears the username's count,
never the address's: an attacker who owns one account cannot wipe the count of the
passwords they guessed for others from the same address.

The backend is where Django checks passwords (the login page, the admin login, anything
calling ``authenticate``); the forms in ``alignment.accounts`` ask first so they can say
how long to wait. If the cache is unreachable the throttle lets the try through, as the
API throttles do: logging in must keep working when Redis is down.
"""

import hashlib
import logging
import math
import time
import unicodedata
from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from alignment.http import client_ip

logger = logging.getLogger(__name__)


class LoginLocked(PermissionDenied):
    """Too many recent failures: ``authenticate`` stops here without a password check."""


def address_of(request: HttpRequest | None) -> str:
    """The client's address as the app sees it behind its trusted proxies ("" without a
    request, such as a login from a script)."""
    return client_ip(request) if request is not None else ""


def normalise_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _counters(*, username: str, address: str) -> Iterator[tuple[str, int]]:
    """The cache key and limit of each count a try falls under."""
    name = normalise_username(username or "")
    if name:
        digest = hashlib.sha256(name.encode()).hexdigest()
        yield f"login-failures:user:{digest}", settings.LOGIN_FAILURE_LIMIT
    if address:
        yield f"login-failures:address:{address}", settings.LOGIN_FAILURE_ADDRESS_LIMIT


def _window() -> int:
    return max(settings.LOGIN_FAILURE_WINDOW, 1)


def seconds_locked(*, username: str, address: str) -> int:
    """0 while tries are allowed, else the seconds until the username or the address may
    try again (the longer of the two)."""
    now = time.time()
    waits = [0]
    try:
        for key, limit in _counters(username=username, address=address):
            if limit <= 0:
                continue
            found = cache.get_many([f"{key}:count", f"{key}:since"])
            if found.get(f"{key}:count", 0) < limit:
                continue
            since = found.get(f"{key}:since")
            # The start is written first, so it may expire a hair sooner than the count.
            left = math.ceil(since + _window() - now) if since is not None else 1
            if left > 0:
                waits.append(left)
    except Exception as error:  # any cache failure: let the try through
        logger.warning("Login throttle skipped: the cache is unreachable (%s).", error)
        return 0
    return max(waits)


def record_failure(*, username: str, address: str) -> None:
    """Count one wrong password against the username and the address."""
    window = _window()
    try:
        for key, _limit in _counters(username=username, address=address):
            cache.add(f"{key}:since", time.time(), timeout=window)
            cache.add(f"{key}:count", 0, timeout=window)
            try:
                cache.incr(f"{key}:count")
            except ValueError:  # the window closed between add and incr
                cache.set(f"{key}:count", 1, timeout=window)
    except Exception as error:  # any cache failure: the try is not counted
        logger.warning("Login failure not counted: the cache is unreachable (%s).", error)


def forget_failures(*, username: str = "", address: str = "") -> None:
    """Clear the counts of a username and/or an address (a success clears the username's)."""
    keys = [
        f"{key}:{part}"
        for key, _limit in _counters(username=username, address=address)
        for part in ("count", "since")
    ]
    try:
        cache.delete_many(keys)
    except Exception as error:  # the counts expire by themselves
        logger.warning("Login failures not cleared: the cache is unreachable (%s).", error)


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"Too many failed attempts. Try again in {minutes} {unit}."


class ThrottledModelBackend(ModelBackend):
    """Django's username and password check, refused while the username or the client's
    address has too many recent failures; each failure counts, a success clears the
    username's count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = address_of(request)
        if seconds_locked(username=username, address=address):
            raise LoginLocked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(username=username, address=address)
        else:
            forget_failures(username=username)
        return user

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        # ModelBackend's async twin checks the password on its own: go through the throttle.
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)
