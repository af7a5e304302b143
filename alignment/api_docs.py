"""The Redoc page under the Content-Security-Policy (``alignment.security``).

Redoc writes its styles into ``<style>`` elements as it renders (styled-components, and a
scroll bar's styles injected when its script loads, before any nonce could reach it) and
searches in a worker it starts from a ``blob:`` URL. This page alone allows inline styles
and ``blob:`` workers; scripts still come only from Tandem's own files, and the page shows
nothing but the API's own schema.
"""

from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularRedocView


class RedocView(SpectacularRedocView):
    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response["Content-Security-Policy"] = (
            "style-src 'self' 'unsafe-inline'; worker-src 'self' blob:"
        )
        return response
