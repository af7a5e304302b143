"""Conversations on a lead: comments both teams read, with ``@username`` mentions."""

import re
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from alignment import events, notifications
from alignment.notifications import person
from alignment.roles import ALL_ROLES, has_any_role
from alignment.services import notify
from leads.models import Comment, Lead

MAX_LENGTH = 5000
#: ``@`` after a space, a bracket or the start, then a username (Django allows letters,
#: digits and ``@ . + - _``); an email address in the text is not a mention.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")
#: Control characters a comment never needs (line breaks and tabs are kept).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EXCERPT = 300
MAX_MENTIONS = 50


def mentioned_usernames(body: str) -> list[str]:
    """The usernames ``@mentioned`` in ``body``, in order, each once (a full stop or dash
    ending a sentence is not part of the name)."""
    names = (match.rstrip(".-") for match in MENTION.findall(body))
    return list(dict.fromkeys(name for name in names if name))


def people_who_can_be_mentioned() -> QuerySet:
    """Active colleagues with a role (or admins): whoever can read a lead."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(groups__name__in=ALL_ROLES) | Q(is_superuser=True))
        .distinct()
    )


def clean_body(body: object) -> str:
    if not isinstance(body, str):
        raise ValidationError({"body": ["Write the comment as text."]})
    text = _CONTROL.sub("", body.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not text:
        raise ValidationError({"body": ["Write something."]})
    if len(text) > MAX_LENGTH:
        message = f"At most {MAX_LENGTH} characters (this has {len(text)})."
        raise ValidationError({"body": [message]})
    return text


def add_comment(lead: Lead, *, author, body: str, now: datetime | None = None) -> Comment:
    """Write a comment on ``lead`` and notify each colleague it mentions (not the author).

    A mention of a name nobody has is kept as text; only real colleagues are linked.
    """
    if not has_any_role(author):
        raise PermissionDenied("Only marketing, sales and managers comment on leads.")
    text = clean_body(body)
    now = now or timezone.now()
    # Usernames are matched without case, so "@Sam" and "@sam" are one mention.
    wanted = list(dict.fromkeys(name.lower() for name in mentioned_usernames(text)))
    wanted = wanted[:MAX_MENTIONS]
    mentioned = []
    if wanted:
        named = Q()
        for name in wanted:
            named |= Q(username__iexact=name)
        by_name = {
            user.username.lower(): user for user in people_who_can_be_mentioned().filter(named)
        }
        mentioned = [by_name[name] for name in wanted if name in by_name]
    with transaction.atomic():
        comment = Comment.objects.create(lead=lead, author=author, body=text, created_at=now)
        if mentioned:
            comment.mentions.set(mentioned)
        excerpt = text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"
        notify(
            [user for user in mentioned if user.pk != author.pk],
            kind=notifications.MENTION,
            title=f"{person(author)} mentioned you on {lead}",
            body=excerpt,
            url=reverse("leads:detail", args=[lead.pk]) + f"#comment-{comment.pk}",
            subject=f"lead:{lead.pk}",
            now=now,
        )
        events.publish(
            events.COMMENT_ADDED,
            subject=f"lead:{lead.pk}",
            payload={
                "comment": comment.pk,
                "lead": lead.pk,
                "author": author.username,
                "body": text,
                "mentions": [user.username for user in mentioned],
            },
        )
    return comment
