"""A Content-Security-Policy on every answer, and templates that need nothing it forbids."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from alignment.security import HEADER, POLICY, parse
from tests.factories import CampaignFactory

TEMPLATES = Path(settings.BASE_DIR) / "templates"
TAG = re.compile(r"<([a-zA-Z][\w-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
EVENT_HANDLER = re.compile(r"(?:^|\s)on[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"(?:^|\s)style\s*=", re.IGNORECASE)
SRC_ATTRIBUTE = re.compile(r"(?:^|\s)src\s*=", re.IGNORECASE)


def policy(response) -> dict[str, str]:
    return parse(response[HEADER])


@pytest.fixture
def open_campaign(marketer):
    return CampaignFactory(owner=marketer, status="active")


def test_a_page_carries_the_whole_policy(client_as, manager):
    response = client_as(manager).get(reverse("kpis:dashboard"))

    assert response[HEADER] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
        "object-src 'none'"
    )


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/api/v1/campaigns/",
        "/api/v1/schema/",
        "/no-such-page/",
        "/api/v1/no-such-thing/",
        "/admin/login/",
    ],
)
def test_every_answer_carries_the_policy(client, path):
    response = client.get(path)

    assert policy(response) == POLICY


def test_the_api_answers_with_the_policy(api_as, marketer):
    response = api_as(marketer).get("/api/v1/campaigns/")

    assert response.status_code == 200
    assert policy(response) == POLICY


def test_the_swagger_ui_page_and_its_start_up_script_carry_the_policy(client_as, manager):
    browser = client_as(manager)
    page = browser.get(reverse("api-docs"))
    script = browser.get(reverse("api-docs") + "?script=")

    assert page.status_code == script.status_code == 200
    assert policy(page) == policy(script) == POLICY
    assert script["Content-Type"].startswith("application/javascript")
    assert "<style" not in page.content.decode()


def test_the_redoc_page_allows_only_its_own_inline_styles_and_search_worker(client_as, manager):
    response = client_as(manager).get(reverse("api-redoc"))

    assert response.status_code == 200
    assert policy(response) == {
        **POLICY,
        "style-src": "'self' 'unsafe-inline'",
        "worker-src": "'self' blob:",
    }
    assert "fonts.googleapis.com" not in response.content.decode()


def test_the_public_form_carries_the_policy_and_may_be_framed_anywhere(client, open_campaign):
    response = client.get(reverse("capture:form", args=[open_campaign.form_key]))

    expected = {name: value for name, value in POLICY.items() if name != "frame-ancestors"}
    assert response.status_code == 200
    assert policy(response) == expected


def test_the_public_form_may_lead_to_its_campaigns_thank_you_page(client, open_campaign):
    open_campaign.form_redirect_url = "https://www.acme.example/thanks?from=form"
    open_campaign.save()

    response = client.get(reverse("capture:form", args=[open_campaign.form_key]))

    assert policy(response)["form-action"] == "'self' https://www.acme.example"


def test_a_thank_you_address_cannot_widen_the_policy(client, open_campaign):
    open_campaign.form_redirect_url = "https://www.acme.example/a;script-src%20*"
    open_campaign.save()

    response = client.get(reverse("capture:form", args=[open_campaign.form_key]))

    assert policy(response)["script-src"] == "'self'"
    assert policy(response)["form-action"] == "'self' https://www.acme.example"


def test_the_embed_script_is_served_with_the_policy(client, open_campaign):
    response = client.get(reverse("capture:embed", args=[open_campaign.form_key]))

    assert response.status_code == 200
    assert HEADER in response


def html_templates() -> list[Path]:
    return sorted(TEMPLATES.rglob("*.html"))


def tags(path: Path) -> list[tuple[str, str]]:
    """``(tag name, attributes)`` of each opening tag, template comments left out."""
    text = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.DOTALL)
    text = re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, flags=re.DOTALL)
    return [(name.lower(), attributes) for name, attributes in TAG.findall(text)]


def offences(path: Path) -> tuple[list[str], list[str], list[str]]:
    """The tags of a template the policy would refuse: inline scripts, event handler
    attributes, inline styles."""
    found = tags(path)
    return (
        [name for name, attrs in found if name == "script" and not SRC_ATTRIBUTE.search(attrs)],
        [name for name, attrs in found if EVENT_HANDLER.search(attrs)],
        [name for name, attrs in found if name == "style" or STYLE_ATTRIBUTE.search(attrs)],
    )


def test_the_scan_finds_every_template():
    assert len(html_templates()) > 50


@pytest.mark.parametrize(
    "path", html_templates(), ids=lambda path: str(path.relative_to(TEMPLATES))
)
def test_no_template_needs_an_inline_script_or_style(path):
    assert offences(path) == ([], [], [])


def test_the_scan_sees_what_it_looks_for(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<script>alert(1)</script><button class="x" onclick="go()">Go</button>'
        '<p style="color: red">Hi</p><style>p {}</style><script src="/a.js" defer></script>'
        '<a href="/" title="online=yes">{# <b style="x"> #}</a>'
    )

    assert offences(page) == (["script"], ["button"], ["p", "style"])
