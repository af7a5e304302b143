"""No page grows wider than a 1,366 px window when every text field is long and unbroken.

A lead and a campaign carry 100-character values without a space in every text field (a
name, a company, a title, a message, UTM codes, the campaign's texts), the email's local
part is as long as an address allows, scoring rules have long names and values, and an
8-column export waits at its mapping. Each role then walks every page its navigation
offers plus the pages those values appear on, and each page's document must fit the
window: a wide table may scroll inside its own wrapper, the page may not.

Set ``E2E_SCREENSHOTS=<folder>`` to also save a screenshot of every page of the walk.
"""

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.services import add_cost, create_campaign
from handoffs.routing.services import create_rule
from handoffs.services import claim_handoff
from handoffs.services.work import log_activity
from leads import lifecycle
from leads.capture import capture_lead
from leads.comments import add_comment
from leads.imports.services import create_import
from leads.models import Lead, ScoringRuleSet, Stage, TouchpointKind
from leads.scoring import Rule
from leads.scoring.rules import services as rules
from leads.scoring.rules.queries import rules_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WINDOW = 1366
SHOT_NAME = re.compile(r"\W+")


def unbroken(prefix: str, length: int = 100) -> str:
    """``prefix`` run on with wide letters to ``length`` characters, without a break."""
    return (prefix + "Wm" * length)[:length]


# An address's local part may be 64 characters and a domain label 63 (RFC 5321).
LONG_EMAIL = f"{'w' * 64}@{'m' * 63}.example"


@dataclass
class WideWorld:
    lead: Lead
    claimed: Lead
    campaign_id: int
    draft_id: int
    import_id: int


def build_wide_world(*, marketer, rep, manager) -> WideWorld:
    """The long values, through the same services the pages and the API use."""
    campaign = create_campaign(
        owner=marketer,
        name=unbroken("CampaignName"),
        channel="webinar",
        status="active",
        objective=unbroken("Objective"),
        starts_on=timezone.localdate(),
        budget=Decimal("123456789.00"),
        utm_campaign=unbroken("utmcampaign").lower(),
        target_leads=100,
        target_mqls=40,
        form_headline=unbroken("Headline"),
        form_intro=unbroken("Intro"),
        form_button_label=unbroken("Button", 60),
        form_consent_text=unbroken("Consent"),
        form_thank_you=unbroken("ThankYou"),
        form_redirect_url=f"https://www.example.com/{unbroken('thanks')}",
        form_allowed_origins=[f"https://{unbroken('origin', 60).lower()}.example"],
    )
    add_cost(
        campaign, date=timezone.localdate(), amount=Decimal("9999999.99"), note=unbroken("Cost")
    )

    def person(tag: str, email: str) -> Lead:
        return capture_lead(
            email=email,
            campaign=campaign,
            touchpoint_kind=TouchpointKind.DEMO_REQUESTED,
            url=f"https://www.example.com/{unbroken('path')}",
            referrer=f"https://{unbroken('referrer').lower()}.example/",
            consent=True,
            consent_text=unbroken("ConsentText"),
            note=unbroken(f"{tag}Message"),
            first_name=unbroken(f"{tag}First"),
            last_name=unbroken(f"{tag}Last"),
            company=unbroken(f"{tag}Company"),
            job_title=unbroken(f"{tag}Title"),
            phone="+49" + "1" * 40,
            country="DE",
            company_size=250,
            industry=unbroken(f"{tag}Industry"),
            utm_source=unbroken("utmsource"),
            utm_medium=unbroken("utmmedium"),
            utm_campaign=campaign.utm_campaign,
        ).lead

    lead = person("Open", LONG_EMAIL)
    claimed = person("Claimed", f"{'c' * 64}@{'m' * 63}.example")
    for one in (lead, claimed):
        # Scoring may have made it an MQL already (a demo request in a target market).
        one.refresh_from_db()
        if one.stage == Stage.NEW:
            lifecycle.advance(one, Stage.MQL, automatic=True, reason=unbroken("Reason"))
    handoff = claimed.handoffs.get()
    owner = handoff.routed_to or rep
    claim_handoff(handoff, rep=owner)
    log_activity(claimed, rep=owner, kind="call", outcome="connected", note=unbroken("CallNote"))
    add_comment(lead, author=marketer, body=f"See https://example.com/{unbroken('link')}")
    create_rule(
        by=manager,
        name=unbroken("RoutingRuleName"),
        conditions=[{"field": "industry", "operator": "contains", "value": unbroken("routing")}],
        action="team_queue",
    )

    draft = rules.create_draft(by=marketer, based_on=None)
    rules.update_draft(
        draft,
        by=marketer,
        name=unbroken("RuleSetName"),
        decay_half_life_days=30,
        note=unbroken("RuleSetNote"),
        rules=[
            *rules_of(ScoringRuleSet.objects.get(status=ScoringRuleSet.Status.ACTIVE)),
            Rule(
                kind="fit",
                points=5,
                label=unbroken("FitRuleLabel"),
                field="company",
                operator="contains",
                value=unbroken("fitrulevalue"),
            ),
            Rule(
                kind="fit",
                points=-50,
                label=unbroken("CompetitorLabel"),
                field="email_domain",
                operator="one_of",
                value=",".join(unbroken(f"competitor{n}").lower() + ".example" for n in range(3)),
                disqualifies=True,
            ),
            Rule(
                kind="engagement",
                points=3,
                label=unbroken("EngagementLabel"),
                touchpoint_kind=TouchpointKind.PAGE_VIEW,
                cap=9,
            ),
        ],
    )

    lead_import = create_import(
        file=SimpleUploadedFile("crm-export.csv", export_of_eight_columns(), "text/csv"),
        by=marketer,
        campaign=campaign,
    )
    return WideWorld(
        lead=lead,
        claimed=claimed,
        campaign_id=campaign.pk,
        draft_id=draft.pk,
        import_id=lead_import.pk,
    )


def export_of_eight_columns() -> bytes:
    """An ordinary CRM export: 8 columns, one row of long values among ordinary ones."""
    headers = [
        "Email",
        "First Name",
        "Last Name",
        "Company",
        "Job Title",
        "Country",
        "Phone",
        "Lead Source",
    ]
    rows = [
        [
            f"{'x' * 64}@{'m' * 63}.example",
            unbroken("ImportFirst"),
            unbroken("ImportLast"),
            unbroken("ImportCompany"),
            unbroken("ImportTitle"),
            "Germany",
            "+49" + "2" * 40,
            unbroken("ImportSource"),
        ],
        *(
            [
                f"person{n}@example.com",
                "Ada",
                "Lovelace",
                "Analytical Engines Ltd",
                "Head of Marketing",
                "United Kingdom",
                "+44 20 7946 0000",
                "Webinar",
            ]
            for n in range(5)
        ),
    ]
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([headers, *rows])
    return text.getvalue().encode()


def nav_links(page) -> list[str]:
    """The pages the navigation offers (same site, not the logout form's target)."""
    return page.eval_on_selector_all(
        "nav a[href^='/']",
        "links => [...new Set(links.map(a => a.getAttribute('href')))]",
    )


def overflow(page) -> dict:
    """The document's width and, when it is too wide, what makes it so: the innermost
    elements that reach past the window without a scrolling box around them."""
    return page.evaluate(
        """(limit) => {
            const width = document.documentElement.scrollWidth;
            if (width <= limit) return {width, culprits: []};
            const past = el => el.getBoundingClientRect().right > limit + 1;
            const scrolled = el => {
                for (let box = el.parentElement; box; box = box.parentElement) {
                    if (getComputedStyle(box).overflowX !== 'visible') return true;
                }
                return false;
            };
            const culprits = [...document.querySelectorAll('body *')]
                .filter(el => past(el) && !scrolled(el) && ![...el.children].some(past))
                .slice(0, 5)
                .map(el => `${el.tagName.toLowerCase()}.${el.className}: `
                    + (el.textContent || '').trim().slice(0, 40));
            return {width, culprits};
        }""",
        WINDOW,
    )


def pages_for(world: WideWorld, role: str) -> list[str]:
    """The pages those long values appear on, besides the navigation's."""
    urls = [
        # The lead page with its handoff brief, for a lead waiting and for one claimed.
        reverse("leads:detail", args=[world.lead.pk]),
        reverse("leads:detail", args=[world.claimed.pk]),
        reverse("campaigns:detail", args=[world.campaign_id]),
        reverse("leads:rules_detail", args=[world.draft_id]),
        reverse("leads:rules"),
        reverse("kpis:dashboard"),
        f"{reverse('kpis:dashboard')}?campaign={world.campaign_id}",
        f"{reverse('leads:list')}?campaign={world.campaign_id}",
        reverse("agreement"),
        reverse("handoffs:routing"),
    ]
    if role in ("marketer", "manager"):
        urls += [
            reverse("leads:import_mapping", args=[world.import_id]),
            reverse("leads:import_detail", args=[world.import_id]),
            reverse("leads:import"),
            reverse("campaigns:edit", args=[world.campaign_id]),
        ]
    if role == "manager":
        urls += [reverse("handoffs:calendar"), reverse("handoffs:team")]
    return urls


@pytest.mark.parametrize(
    ("role", "username"), [("marketer", "mia"), ("rep", "sam"), ("manager", "max")]
)
def test_no_page_is_wider_than_the_window_with_long_values(
    role, username, open_as, live_server, shots, marketer, rep, manager, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = build_wide_world(marketer=marketer, rep=rep, manager=manager)
    page = open_as(username, width=WINDOW, height=900)

    urls = list(dict.fromkeys([*nav_links(page), *pages_for(world, role)]))
    assert len(urls) > 8, urls
    too_wide = {}
    for url in urls:
        answer = page.goto(f"{live_server.url}{url}")
        assert answer is not None and answer.ok, f"{url} answered {answer and answer.status}"
        page.wait_for_load_state("networkidle")
        measured = overflow(page)
        if measured["width"] > WINDOW:
            too_wide[url] = measured
        shots.take(page, f"wide-{role}-{SHOT_NAME.sub('-', url).strip('-') or 'home'}")
    assert too_wide == {}

    # The long values were there to be measured: the lead's name in full, its company.
    page.goto(f"{live_server.url}{reverse('leads:detail', args=[world.lead.pk])}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(unbroken("OpenFirst"))
    expect(page.locator(".page-header__meta")).to_contain_text(unbroken("OpenCompany"))
