"""A comment with an @mention in real browsers: a rep asks a colleague on the lead's
timeline, the colleague finds it in the inbox and follows it to the comment.

Set ``E2E_SCREENSHOTS=<folder>`` to also save the timeline with the comment, the inbox
with the mention and the lead page it leads to.
"""

import re

import pytest
from playwright.sync_api import expect

from alignment.models import Notification
from alignment.notifications import MENTION
from alignment.services import mark_all_read
from leads.models import Comment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_rep_mentions_a_colleague_who_finds_it_in_the_inbox(
    open_as, live_server, shots, claimed_handoff, other_rep
):
    lead = claimed_handoff.lead
    # Rob has read the news of the lead's arrival; only what comes next is unread.
    mark_all_read(other_rep)

    page = open_as("sam")
    page.goto(f"{live_server.url}/leads/{lead.pk}/")
    expect(page.get_by_role("heading", name=str(lead))).to_be_visible()
    box = page.get_by_label("Comment for both teams")
    expect(page.locator("#comment-help")).to_contain_text("@rob (Rob Rival)")
    box.fill("@rob can you take this? They asked for a call on Thursday.")
    page.get_by_role("button", name="Post comment").click()

    expect(page).to_have_url(re.compile(rf"/leads/{lead.pk}/#comment-\d+$"))
    expect(page.locator("#toasts")).to_contain_text("Comment posted and notified Rob Rival.")
    comment = Comment.objects.get(lead=lead)
    entry = page.locator(f"#comment-{comment.pk}")
    expect(entry).to_contain_text("Sam Seller")
    expect(entry.locator(".comment-body")).to_have_text(
        "@rob can you take this? They asked for a call on Thursday."
    )
    expect(box).to_have_value("")
    shots.take(page, "mentions-1-comment-on-timeline")
    assert (comment.author.username, list(comment.mentions.values_list("username", flat=True))) == (
        "sam",
        ["rob"],
    )
    mention = Notification.objects.get(recipient=other_rep, kind=MENTION)
    assert mention.read_at is None

    # Rob, in his own browser, sees one unread notification and the mention in the inbox.
    rob = open_as("rob")
    inbox_link = rob.get_by_role("link", name=re.compile("^Notifications"))
    expect(inbox_link.locator(".nav__count")).to_have_text("1")
    expect(inbox_link.locator(".nav__count")).to_have_attribute("aria-label", "1 unread")
    inbox_link.click()
    expect(rob.get_by_role("heading", name="Notifications")).to_be_visible()
    item = rob.locator(f"#notification-{mention.pk}")
    expect(item).to_have_class(re.compile(r"\binbox__item--unread\b"))
    expect(item).to_contain_text(f"Sam Seller mentioned you on {lead}")
    expect(item).to_contain_text("@rob can you take this?")
    shots.take(rob, "mentions-2-inbox")

    # Opening it lands on the comment and marks it read.
    item.get_by_role("button", name="Open").click()
    expect(rob).to_have_url(re.compile(rf"/leads/{lead.pk}/#comment-{comment.pk}$"))
    expect(rob.locator(f"#comment-{comment.pk}")).to_be_in_viewport()
    expect(rob.locator(f"#comment-{comment.pk} .comment-body")).to_contain_text(
        "can you take this?"
    )
    expect(
        rob.get_by_role("link", name=re.compile("^Notifications")).locator(".nav__count")
    ).to_have_count(0)
    shots.take(rob, "mentions-3-comment-opened")
    mention.refresh_from_db()
    assert mention.read_at is not None
