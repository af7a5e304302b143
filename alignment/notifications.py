"""What Tandem tells people, and how: the kinds of notification, the channels each user
chose for them, and messages in the reader's own time zone.

``alignment.services.notify`` writes the rows; this module knows the kinds, the
channels and how a time reads to one person ("due Mon 09:55").
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from alignment.business_hours import CalendarError, time_zone

IN_APP = "in_app"
EMAIL = "email"
DIGEST = "digest"
CHANNELS: dict[str, str] = {
    IN_APP: "In the app",
    EMAIL: "Email",
    DIGEST: "Daily digest email",
}
CHANNEL_CHOICES = list(CHANNELS.items())


@dataclass(frozen=True)
class Kind:
    """A kind of notification: its name in the preferences (and the subject of its email,
    which never carries lead data) and the channels it uses until the user chooses."""

    label: str
    default: tuple[str, ...]


ROUTED = "handoff.routed"
QUEUED = "handoff.opened"
SLA_WARNING = "sla.warning"
SLA_BREACH = "sla.breach"
REQUEUED = "handoff.requeued"
LEAD_REJECTED = "lead.rejected"
LEAD_WON = "lead.won"
MENTION = "mention"
AGREEMENT_PROPOSED = "agreement.proposed"
AGREEMENT_APPROVED = "agreement.approved"
AGREEMENT_IN_FORCE = "agreement.in_force"
WEBHOOK_PAUSED = "webhook.paused"

KINDS: dict[str, Kind] = {
    ROUTED: Kind("A lead is routed or reassigned to you", (IN_APP, EMAIL)),
    QUEUED: Kind("A new MQL waits in the team queue", (IN_APP,)),
    SLA_WARNING: Kind("An SLA deadline of yours is near", (IN_APP, EMAIL)),
    SLA_BREACH: Kind("An SLA deadline was missed", (IN_APP, EMAIL)),
    REQUEUED: Kind("A lead went back to the team queue", (IN_APP,)),
    LEAD_REJECTED: Kind("Sales sent back a lead of your campaign", (IN_APP, EMAIL)),
    LEAD_WON: Kind("A lead of your campaign was won", (IN_APP, EMAIL)),
    MENTION: Kind("Someone mentioned you", (IN_APP, EMAIL)),
    AGREEMENT_PROPOSED: Kind("A new version of the agreement was proposed", (IN_APP, EMAIL)),
    AGREEMENT_APPROVED: Kind("A manager approved a proposed agreement", (IN_APP, EMAIL)),
    AGREEMENT_IN_FORCE: Kind("A new version of the agreement is in force", (IN_APP, EMAIL)),
    WEBHOOK_PAUSED: Kind("A webhook of yours kept failing and was paused", (IN_APP, EMAIL)),
}
OTHER = Kind("Tandem notification", (IN_APP, EMAIL))


def kind_of(name: str) -> Kind:
    return KINDS.get(name, OTHER)


def channels_for(chosen: Mapping[str, list[str]] | None, kind: str) -> tuple[str, ...]:
    """The channels a user with preferences ``chosen`` gets ``kind`` by."""
    if chosen and kind in chosen:
        return tuple(chosen[kind])
    return kind_of(kind).default


def all_channels(chosen: Mapping[str, list[str]] | None) -> dict[str, list[str]]:
    """Every kind with the channels it uses for this user (defaults filled in)."""
    return {kind: list(channels_for(chosen, kind)) for kind in KINDS}


def channel_errors(value: object) -> dict[str, list[str]]:
    """What is wrong with ``{kind: [channels]}``, by kind."""
    if not isinstance(value, Mapping):
        return {"non_field_errors": ['Give {"kind": ["in_app", "email"]} per kind.']}
    errors: dict[str, list[str]] = {}
    for kind, channels in value.items():
        if kind not in KINDS:
            errors[str(kind)[:60]] = [f"Unknown kind; use one of {', '.join(KINDS)}."]
            continue
        if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
            errors[kind] = ["Give a list of channels (an empty list turns it off)."]
            continue
        unknown = [c for c in channels if c not in CHANNELS]
        if unknown:
            errors[kind] = [f"Unknown channel {unknown[0][:40]!r}; use {', '.join(CHANNELS)}."]
        elif EMAIL in channels and DIGEST in channels:
            errors[kind] = ["Choose an email now or the daily digest, not both."]
    return errors


def normalised(value: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
    """Channels in a fixed order, each once."""
    return {kind: [c for c in CHANNELS if c in set(channels)] for kind, channels in value.items()}


def zone_of(zone_name: str, fallback: str) -> tzinfo:
    """The zone called ``zone_name``, else ``fallback``, else the server's."""
    for name in (zone_name, fallback, settings.TIME_ZONE):
        if name:
            try:
                return time_zone(name)
            except CalendarError:
                continue
    return ZoneInfo("UTC")


@dataclass(frozen=True)
class Reader:
    """The person a message is written for: their name and their time zone."""

    user: Any
    tz: tzinfo
    now: datetime | None = None  # the moment the message is written for

    def time(self, when: datetime) -> str:
        return local_time(when, self.tz, now=self.now)


def local_time(when: datetime, tz: tzinfo, *, now: datetime | None = None) -> str:
    """``when`` as a person in ``tz`` says it: "today 09:55", "Mon 09:55" within the
    week, "Mon 14 Dec 09:55" further off, with the year when it is not this one."""
    local = when.astimezone(tz)
    today = (now or timezone.now()).astimezone(tz).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return f"today {clock}"
    if abs((local.date() - today).days) < 7:
        return f"{local:%a} {clock}"
    if local.year == today.year:
        return f"{local:%a} {local.day} {local:%b} {clock}"
    return f"{local:%a} {local.day} {local:%b} {local.year} {clock}"


def person(user) -> str:
    """A user as people name them: full name, else username."""
    if user is None:
        return "Nobody"
    return user.get_full_name() or user.username
