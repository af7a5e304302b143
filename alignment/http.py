"""Facts about an HTTP request that several apps need."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The visitor's address: REMOTE_ADDR, or the X-Forwarded-For entry our own proxies
    added when ``TRUSTED_PROXY_COUNT`` says there are any (entries further left are
    whatever the client claimed)."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-proxies] if len(hops) >= proxies else hops[0]
    return request.META.get("REMOTE_ADDR", "")
