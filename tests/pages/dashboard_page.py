"""The dashboard as a browser shows it once htmx has loaded each of its sections."""

import html
import re
from types import SimpleNamespace

from django.urls import reverse

URL = reverse("kpis:dashboard")
#: A section's place on the page, as the page sends it before htmx loads the section.
PLACEHOLDER = re.compile(
    r'<div class="dashboard-section dashboard-section--loading" id="section-(?P<name>[\w-]+)"'
    r' hx-get="(?P<url>[^"]+)".*?</noscript></div>\s*</div>',
    re.DOTALL,
)


def _flat(context) -> dict:
    """A response's template context as one dict (a list of contexts when it rendered
    several templates)."""
    if hasattr(context, "flatten"):
        return context.flatten()
    merged: dict = {}
    for part in context:
        merged.update(part.flatten())
    return merged


def dashboard(client, params=None):
    """GET the page, then each section in its place as htmx would (``HX-Request``):
    the whole page's HTML as ``content``, the page's and every section's context merged
    as ``context``, the sections' own responses as ``sections``. A refusal (not a 200)
    is answered as it is."""
    page = client.get(URL, params or {})
    if page.status_code != 200:
        return page
    body = page.content.decode()
    context = _flat(page.context)
    sections = {}

    def load(match: re.Match) -> str:
        response = client.get(html.unescape(match["url"]), headers={"HX-Request": "true"})
        assert response.status_code == 200, (match["name"], response.status_code)
        sections[match["name"]] = response
        context.update(_flat(response.context))
        return response.content.decode()

    body = PLACEHOLDER.sub(load, body)
    return SimpleNamespace(
        status_code=200, content=body.encode(), context=context, sections=sections, page=page
    )
