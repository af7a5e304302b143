"""The public web form in a real browser: on its own page, and embedded in another site.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of the form, the host page and
the campaign page with its snippets.
"""

import http.server
import re
import threading
from functools import partial

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from leads.models import Lead, Touchpoint
from tests.factories import CampaignFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()


@pytest.fixture
def campaign(marketer):
    return CampaignFactory(
        name="Spring webinar",
        owner=marketer,
        utm_campaign="spring-webinar",
        form_headline="Save your seat at the spring webinar",
        form_intro="Forty minutes on revenue analytics, live, with time for questions.",
        form_button_label="Register",
        form_fields={
            "first_name": "required",
            "last_name": "optional",
            "company": "optional",
            "company_size": "optional",
            "message": "optional",
            "consent": "required",
        },
        form_consent_text="Brightwave may email me about this webinar.",
        form_thank_you="You're registered. The link to join is on its way.",
    )


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
        pass


@pytest.fixture
def host_site(tmp_path):
    """Another web site: a static file server on its own port, so its own origin."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(QuietHandler, directory=str(tmp_path))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_visitor_sends_the_standalone_form_and_sees_the_thank_you(
    new_page, live_server, shots, campaign
):
    page = new_page()
    page.goto(f"{live_server.url}/f/{campaign.form_key}/?utm_source=newsletter&utm_medium=email")
    expect(page.get_by_role("heading", name="Save your seat")).to_be_visible()
    shots.take(page, "form-1-standalone")

    page.get_by_role("button", name="Register").click()
    expect(page.locator("#id_email_error")).to_be_visible()
    expect(page.locator("#id_consent_error")).to_contain_text("Please tick this box")
    shots.take(page, "form-2-standalone-errors")

    page.get_by_role("textbox", name="Email", exact=True).fill("lena.fischer@tailspin.example")
    page.get_by_label("First name").fill("Lena")
    page.get_by_label("Company size").select_option(label="201–500 people")
    page.get_by_label("Brightwave may email me about this webinar.").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("status")).to_contain_text("You're registered.")
    shots.take(page, "form-3-standalone-thanks")
    lead = Lead.objects.get(email="lena.fischer@tailspin.example")
    assert (lead.first_name, lead.company_size, lead.consent) == ("Lena", 201, True)
    assert (lead.utm_source, lead.utm_medium) == ("newsletter", "email")
    assert lead.campaign == campaign


def test_a_visitor_sends_the_form_embedded_in_another_site(
    new_page, live_server, host_site, shots, campaign
):
    folder, origin = host_site
    (folder / "webinar.html").write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Brightwave webinar</title>
<style>body {{ font: 18px Georgia, serif; color: #333; margin: 40px; }}
label {{ color: red; }} .btn {{ background: orange; }}</style></head>
<body><h1>Revenue analytics, live</h1><p>Join us on Thursday.</p>
<div data-tandem-form="{campaign.form_key}"><noscript>
<a href="{live_server.url}/f/{campaign.form_key}/">Register</a></noscript></div>
<script src="{live_server.url}/f/{campaign.form_key}/embed.js" async></script>
</body></html>""",
        encoding="utf-8",
    )
    host_page = f"{origin}/webinar.html?utm_source=partner&utm_medium=referral"
    page = new_page()
    page.goto(host_page, referer="https://www.example.org/events")
    expect(page.get_by_role("heading", name="Save your seat")).to_be_visible()
    shots.take(page, "form-4-embedded")

    page.get_by_role("textbox", name="Email", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    shots.take(page, "form-5-embedded-errors")
    assert not Lead.objects.exists()

    page.get_by_role("textbox", name="Email", exact=True).fill("omar.haddad@globex.example")
    page.get_by_label("First name").fill("Omar")
    page.get_by_label("Message").fill("Will there be a recording?")
    page.get_by_label("Brightwave may email me about this webinar.").check()
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("status")).to_contain_text("You're registered.")
    expect(page.get_by_role("heading", name="Revenue analytics, live")).to_be_visible()
    shots.take(page, "form-6-embedded-thanks")
    lead = Lead.objects.get(email="omar.haddad@globex.example")
    assert (lead.utm_source, lead.utm_medium) == ("partner", "referral")
    assert lead.campaign == campaign
    touchpoint = Touchpoint.objects.get(lead=lead)
    assert touchpoint.url == host_page
    assert touchpoint.referrer == "https://www.example.org/events"
    assert touchpoint.note == "Will there be a recording?"


def test_a_marketer_finds_the_snippets_on_the_campaign_page(open_as, live_server, shots, campaign):
    page = open_as("mia")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")

    snippet = page.get_by_label("Script: the form drawn into the page")
    expect(snippet).to_have_value(re.compile(f'data-tandem-form="{campaign.form_key}"'))
    shots.take(page, "form-7-campaign-snippets")
    if shots:
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/edit/")
        page.get_by_role("heading", name="Web form").scroll_into_view_if_needed()
        shots.take(page, "form-8-campaign-form-settings")


def test_a_visitor_sends_the_form_in_an_iframe_on_another_site(
    new_page, live_server, host_site, shots, campaign
):
    folder, origin = host_site
    iframe = (
        f'<iframe src="{live_server.url}/f/{campaign.form_key}/?embed=1" title="Register" '
        'width="100%" height="900" style="border:0;max-width:560px" '
        'referrerpolicy="no-referrer-when-downgrade"></iframe>'
    )
    (folder / "framed.html").write_text(
        f"<!doctype html><title>Webinar</title><h1>Webinar</h1>{iframe}", encoding="utf-8"
    )
    host_page = f"{origin}/framed.html?utm_source=partner&utm_campaign=spring-webinar"
    page = new_page()
    page.goto(host_page)
    form = page.frame_locator("iframe")

    form.get_by_role("textbox", name="Email", exact=True).fill("mei.lin@fabrikam.example")
    form.get_by_label("First name").fill("Mei")
    form.get_by_label("Brightwave may email me about this webinar.").check()
    form.get_by_role("button", name="Register").click()

    expect(form.get_by_role("status")).to_contain_text("You're registered.")
    shots.take(page, "form-9-iframe-thanks")
    lead = Lead.objects.get(email="mei.lin@fabrikam.example")
    assert (lead.utm_source, lead.utm_campaign) == ("partner", "spring-webinar")
    assert Touchpoint.objects.get(lead=lead).url == host_page


def host_page_with_script(folder, live_server, campaign, name: str) -> None:
    (folder / name).write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Host</title>
</head><body><h1>Revenue analytics, live</h1>
<div data-tandem-form="{campaign.form_key}"></div>
<script src="{live_server.url}/f/{campaign.form_key}/embed.js" async></script>
</body></html>""",
        encoding="utf-8",
    )


def test_only_the_campaigns_own_websites_may_use_its_form(
    new_page, live_server, host_site, shots, campaign
):
    folder, origin = host_site
    host_page_with_script(folder, live_server, campaign, "allowed.html")
    campaign.form_allowed_origins = [origin]
    campaign.save()

    page = new_page()
    page.goto(f"{origin}/allowed.html")
    page.get_by_role("textbox", name="Email", exact=True).fill("ana.silva@contoso.example")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Brightwave may email me about this webinar.").check()
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("You're registered.")
    assert Lead.objects.filter(email="ana.silva@contoso.example").exists()

    # Another website: the script says the form is not for it, and the browser cannot
    # post there behind the script's back either (no CORS answer, and a 403).
    campaign.form_allowed_origins = ["https://www.brightwave.example"]
    campaign.save()
    page = new_page()  # a visitor whose browser has not cached the script
    page.goto(f"{origin}/allowed.html")
    expect(page.get_by_role("status")).to_contain_text("only from its campaign's own websites")
    expect(page.get_by_role("button", name="Register")).to_have_count(0)
    shots.take(page, "form-10-other-website")
    status = page.evaluate(
        """async (action) => {
            try {
                const answer = await fetch(action, {method: "POST", mode: "cors",
                    headers: {"Content-Type": "application/json"},
                    body: JSON.stringify({email: "sneaky@evil.example", first_name: "S"})});
                return "read " + answer.status;
            } catch (error) {
                return "blocked";
            }
        }""",
        f"{live_server.url}/f/{campaign.form_key}/",
    )
    assert status == "blocked"
    assert not Lead.objects.filter(email="sneaky@evil.example").exists()
