"""API: leads/{id}/comments/ — both teams talk on a lead, and @username mentions notify."""

import pytest

from alignment.models import Event, Notification
from leads.comments import MAX_MENTIONS, add_comment, mentioned_usernames
from leads.models import Comment
from tests.factories import LeadFactory, UserFactory


def comments_url(lead) -> str:
    return f"/api/v1/leads/{lead.pk}/comments/"


@pytest.fixture
def lead(db):
    return LeadFactory(first_name="Ana", last_name="Lima")


def mentions_of(user):
    return Notification.objects.filter(recipient=user, kind="mention")


def post(client, lead, body):
    return client.post(comments_url(lead), {"body": body}, format="json")


# Writing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_comments_on_a_lead(api_as, persona, role, lead):
    author = persona(role)

    response = post(api_as(author), lead, "Called, left a message.")

    assert response.status_code == 201
    data = response.json()
    assert set(data) >= {"id", "author", "body", "mentions", "created_at"}
    assert (data["author"], data["body"], data["mentions"]) == (
        author.pk,
        "Called, left a message.",
        [],
    )
    assert Comment.objects.get().author == author


def test_a_mention_notifies_the_colleague(api_as, marketer, rep, lead):
    response = post(api_as(marketer), lead, "@sam can you call Ana today?")

    assert response.json()["mentions"] == ["sam"]
    (news,) = mentions_of(rep)
    assert news.title == "Mia Marketer mentioned you on Ana Lima"
    assert news.body == "@sam can you call Ana today?"
    assert news.url == f"/leads/{lead.pk}/#comment-{response.json()['id']}"


def test_a_mention_is_emailed_by_default_with_a_subject_from_the_kind(
    api_as, marketer, rep, lead, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(api_as(marketer), lead, "@sam Re: urgent\nBcc: victim@example.com")

    (mail,) = mailoutbox
    assert mail.subject == "[Tandem] Someone mentioned you"
    assert mail.to == [rep.email]


def test_a_mention_respects_the_colleagues_channels(api_as, marketer, rep, lead):
    from alignment.services import update_preferences

    update_preferences(rep, channels={"mention": []})

    response = post(api_as(marketer), lead, "@sam fyi")

    assert response.json()["mentions"] == ["sam"]
    assert not mentions_of(rep).exists()


def test_an_unknown_name_is_kept_as_text_and_notifies_nobody(api_as, marketer, lead):
    response = post(api_as(marketer), lead, "Ask @nobody-here about it")

    assert response.status_code == 201
    assert response.json()["mentions"] == []
    assert response.json()["body"] == "Ask @nobody-here about it"
    assert not Notification.objects.filter(kind="mention").exists()


def test_an_email_address_is_not_a_mention(api_as, marketer, rep, lead):
    response = post(api_as(marketer), lead, "Her colleague is bob@sam.com, cc x@sam")

    assert response.json()["mentions"] == []
    assert not mentions_of(rep).exists()


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("@sam", ["sam"]),
        ("Thanks @sam.", ["sam"]),
        ("(@sam) and @rob!", ["sam", "rob"]),
        ("@sam, @sam and @SAM", ["sam", "SAM"]),
        ("mail sam@acme.com", []),
        ("@@sam", []),
        ("x@sam", []),
        ("@", []),
        ("@first.last-name", ["first.last-name"]),
        ("line\n@sam", ["sam"]),
    ],
)
def test_mentions_are_read_from_the_text(text, names):
    assert mentioned_usernames(text) == names


def test_a_mention_in_any_case_finds_the_user_once(api_as, marketer, rep, lead):
    response = post(api_as(marketer), lead, "@SAM and @sam again, @Sam.")

    assert response.json()["mentions"] == ["sam"]
    assert mentions_of(rep).count() == 1
    assert Event.objects.get(name="comment.added").payload["mentions"] == ["sam"]


def test_several_colleagues_are_each_notified(api_as, marketer, rep, other_rep, manager, lead):
    response = post(api_as(marketer), lead, "@sam @rob @max please look")

    assert sorted(response.json()["mentions"]) == ["max", "rob", "sam"]
    assert all(mentions_of(user).count() == 1 for user in (rep, other_rep, manager))


def test_mentioning_yourself_notifies_nobody(api_as, rep, lead):
    response = post(api_as(rep), lead, "Note to self @sam")

    assert response.json()["mentions"] == ["sam"]
    assert not mentions_of(rep).exists()


def test_someone_without_a_role_cannot_be_mentioned(api_as, marketer, outsider, lead):
    response = post(api_as(marketer), lead, "@olly look")

    assert response.json()["mentions"] == []
    assert not mentions_of(outsider).exists()


def test_a_deactivated_colleague_cannot_be_mentioned(api_as, marketer, rep, lead):
    rep.is_active = False
    rep.save()

    assert post(api_as(marketer), lead, "@sam look").json()["mentions"] == []


def test_at_most_fifty_mentions_count(db, marketer, lead):
    people = [UserFactory(username=f"p{n}", roles=["sales"]) for n in range(MAX_MENTIONS + 5)]

    comment = add_comment(lead, author=marketer, body=" ".join(f"@{p.username}" for p in people))

    assert comment.mentions.count() == MAX_MENTIONS
    assert Notification.objects.filter(kind="mention").count() == MAX_MENTIONS


def test_a_comment_is_an_event_and_on_the_timeline(api_as, marketer, rep, lead):
    response = post(api_as(marketer), lead, "@sam hot one")

    event = Event.objects.get(name="comment.added")
    assert event.payload["mentions"] == ["sam"]
    timeline = api_as(rep).get(f"/api/v1/leads/{lead.pk}/timeline/").json()
    entries = timeline if isinstance(timeline, list) else timeline["results"]
    comment = next(entry for entry in entries if entry["kind"] == "comment")
    assert (comment["detail"], comment["actor"]) == ("@sam hot one", "Mia Marketer")
    assert comment["data"] == {"comment": response.json()["id"], "mentions": ["sam"]}


def test_control_characters_are_dropped_and_line_breaks_kept(api_as, marketer, lead):
    response = post(api_as(marketer), lead, "First\x07 line\r\nsecond\x1b line\ttab")

    assert response.json()["body"] == "First line\nsecond line\ttab"


@pytest.mark.parametrize(
    "body",
    ["", "   ", "\x01\x02\x03", "a\x00b", "x" * 5001, None, {"text": "hi"}, ["hi"]],
)
def test_a_bad_body_answers_400(api_as, marketer, lead, body):
    response = post(api_as(marketer), lead, body)

    assert response.status_code == 400, response.content
    messages = response.json()["body"]
    assert messages and all(isinstance(m, str) for m in messages)
    assert not Comment.objects.exists()


def test_a_missing_body_answers_400(api_as, marketer, lead):
    response = api_as(marketer).post(comments_url(lead), {}, format="json")

    assert response.json() == {"body": ["This field is required."]}


def test_an_outsider_cannot_read_or_write_comments(api_as, outsider, lead):
    client = api_as(outsider)

    assert client.get(comments_url(lead)).status_code == 403
    assert post(client, lead, "hi").status_code == 403


def test_anonymous_callers_get_401(api, lead):
    assert api.get(comments_url(lead)).status_code == 401
    assert api.post(comments_url(lead), {"body": "hi"}, format="json").status_code == 401


def test_comments_on_an_unknown_lead_are_404(api_as, marketer, db):
    assert api_as(marketer).get("/api/v1/leads/999999/comments/").status_code == 404
    assert api_as(marketer).get(f"/api/v1/leads/{'9' * 30}/comments/").status_code == 404
    assert (
        api_as(marketer).post("/api/v1/leads/999999/comments/", {"body": "x"}, format="json")
    ).status_code == 404


# Reading ----------------------------------------------------------------------------------


def test_comments_are_listed_oldest_first_and_paginated(api_as, marketer, rep, lead):
    for text in ("first", "second", "third"):
        add_comment(lead, author=marketer, body=text)
    add_comment(LeadFactory(), author=marketer, body="another lead")

    response = api_as(rep).get(comments_url(lead), {"page_size": 2})

    data = response.json()
    assert data["count"] == 3
    assert [row["body"] for row in data["results"]] == ["first", "second"]
    assert data["next"] is not None
    assert data["previous"] is None


def test_the_comment_list_takes_a_fixed_number_of_queries(
    api_as, marketer, rep, other_rep, lead, django_assert_max_num_queries
):
    for n in range(25):
        add_comment(lead, author=marketer if n % 2 else rep, body=f"@sam @rob note {n}")
    client = api_as(rep)

    with django_assert_max_num_queries(5):
        response = client.get(comments_url(lead), {"page_size": 100})

    assert len(response.json()["results"]) == 25
    assert all(sorted(row["mentions"]) == ["rob", "sam"] for row in response.json()["results"])


def test_filters_on_the_lead_list_do_not_apply_to_comments(api_as, marketer, lead):
    add_comment(lead, author=marketer, body="hello")

    response = api_as(marketer).get(comments_url(lead), {"stage": "nonsense", "search": "zzz"})

    assert (response.status_code, response.json()["count"]) == (200, 1)
