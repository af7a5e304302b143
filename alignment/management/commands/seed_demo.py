"""``python manage.py seed_demo``: a believable demo company, built through the real services.

What the demo is and how it is built: ``alignment.demo``.

Run on every start of the app: when the demo campaigns exist it makes sure the demo users
exist and makes the waiting MQLs minutes old again, their claim clocks started afresh on
the team calendar. ``--reset`` deletes the demo rows and builds them again. Both paths end
with a rescore of the demo leads at the moment of the run, so the scores shown are those a
rescore would give now.

The superuser ``admin`` (with the demo password everyone knows) is made only where the demo
is a demo: with ``DEBUG`` on, as ``./run`` has it, or when ``--with-admin`` asks for it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from alignment.demo.cast import (
    DEMO_DOMAIN,
    DEMO_UTMS,
    FIRST_AGREEMENT_SIGNED,
    OFFICE_HOURS,
    PASSWORD,
    RULE_NAMES,
    USERS,
)
from alignment.demo.goals import set_goals
from alignment.demo.refresh import demo_leads, refresh_queue, rescore_demo_leads
from alignment.demo.story import Simulation
from alignment.models import AgreementVersion, Event, Notification, Preferences, TeamCalendar
from alignment.roles import MANAGER
from campaigns.models import Campaign
from handoffs.models import Handoff
from handoffs.routing.models import RepAvailability, RoutingRule
from kpis.models import Goal
from leads.models import Comment


class Command(BaseCommand):
    help = (
        "Fill the database with a believable demo company; run again, it makes the waiting "
        "MQLs fresh (--reset rebuilds)."
    )
    # ``call_command("seed_demo", now=...)``: build or refresh as of another moment.
    stealth_options = ("now",)

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo rows first, then rebuild."
        )
        parser.add_argument(
            "--with-admin",
            action="store_true",
            help="Also make the superuser admin when DEBUG is off (with DEBUG on it always is).",
        )

    def handle(
        self,
        *args,
        reset: bool = False,
        with_admin: bool = False,
        now: datetime | None = None,
        **options,
    ) -> None:
        now = now or timezone.now()
        # A superuser whose password is printed in the README must not appear by itself
        # on a production server that runs the demo.
        with_admin = with_admin or settings.DEBUG
        with after_commit_jobs_dropped():
            users = ensure_users(reset_passwords=reset, with_admin=with_admin)
            sign_first_agreement(users, now=now)
            if reset:
                delete_demo_rows(users)
            if Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).exists():
                waiting = refresh_queue(now=now)
                changed = rescore_demo_leads(now=now)
                self.stdout.write(
                    f"Demo data is already there (--reset rebuilds it): the {waiting} MQLs in "
                    f"the sales queue arrived minutes ago; {changed} scores moved with decay "
                    "since the last start."
                )
            else:
                Simulation(users=users, now=now).run()
                refresh_queue(now=now)
                rescore_demo_leads(now=now)
                self.stdout.write(self.style.SUCCESS(summary()))
            set_goals(users, now=now)
        self.stdout.write(logins(with_admin=with_admin))


@contextmanager
def after_commit_jobs_dropped() -> Iterator[None]:
    """Run the block in one transaction and drop the jobs it queued for after commit.

    The services queue rescoring and notification delivery after commit. The demo history
    is scored here at its back-dated times and its old notifications are stored as sent,
    so those thousands of jobs would only redo the work with today's clock; the beat
    sweeps still deliver the rows left pending (the fresh MQLs' notifications).
    """
    connection = transaction.get_connection()
    with transaction.atomic():
        queued = len(connection.run_on_commit)
        yield
        del connection.run_on_commit[queued:]


def ensure_users(*, reset_passwords: bool, with_admin: bool = True) -> dict:
    """The demo cast (the superuser only ``with_admin``); a new user (or one reset) gets
    the demo password."""
    hashed = make_password(PASSWORD)  # hashing is slow on purpose: once for the cast
    users = {}
    for username, first, last, roles in USERS:
        if not roles and not with_admin:
            continue
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@brightwave.example",
            },
        )
        if created or reset_passwords:
            user.password = hashed
            if not roles:
                user.is_staff = user.is_superuser = True
            user.save()
        user.groups.add(*Group.objects.filter(name__in=roles))
        users[username] = user
    return users


def sign_first_agreement(users: dict, *, now: datetime) -> None:
    """The first agreement, as the demo's marketing and sales managers signed it before
    the history began; a first version already signed keeps its signatures."""
    signed = {
        side: (users[username], now - timedelta(days=days_ago))
        for side, (username, days_ago) in FIRST_AGREEMENT_SIGNED.items()
    }
    AgreementVersion.objects.filter(
        number=1, marketing_approved_at=None, sales_approved_at=None
    ).update(
        **{f"{side}_approved_by": user for side, (user, _) in signed.items()},
        **{f"{side}_approved_at": at for side, (_, at) in signed.items()},
        effective_at=max(at for _, at in signed.values()),
    )


def delete_demo_rows(users: dict) -> None:
    leads = demo_leads()
    handoffs = Handoff.objects.filter(lead__in=leads).values_list("pk", flat=True)
    subjects = [f"lead:{pk}" for pk in leads.values_list("pk", flat=True)]
    subjects += [f"handoff:{pk}" for pk in handoffs]
    Event.objects.filter(subject__in=subjects).delete()
    Notification.objects.filter(recipient__in=users.values()).delete()
    leads.delete()
    Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).delete()
    Goal.objects.filter(created_by__in=users.values()).delete()
    RoutingRule.objects.filter(name__in=RULE_NAMES).delete()
    RepAvailability.objects.filter(user__in=users.values()).delete()
    Preferences.objects.filter(user__in=users.values()).delete()


def summary() -> str:
    handoffs = Handoff.objects.filter(lead__email__endswith=DEMO_DOMAIN)
    campaigns = Campaign.objects.filter(utm_campaign__in=DEMO_UTMS).count()
    leads = demo_leads().count()
    waiting = handoffs.filter(status=Handoff.Status.OPEN).count()
    routed = handoffs.exclude(routing_rule=None).count()
    escalated = handoffs.exclude(claim_escalated_at=None, contact_escalated_at=None).count()
    comments = Comment.objects.filter(lead__email__endswith=DEMO_DOMAIN).count()
    calendar = TeamCalendar.objects.get(pk=1)
    return (
        f"Brightwave demo: {campaigns} campaigns, {leads} leads, {handoffs.count()} handoffs "
        f"({waiting} waiting in the sales queue, {routed} routed by a rule, {escalated} "
        f"escalated), {comments} comments; {RoutingRule.objects.count()} routing rules; "
        f"business hours Mon–Fri {'–'.join(OFFICE_HOURS)} {calendar.time_zone}."
    )


def logins(*, with_admin: bool = True) -> str:
    lines = [f"Demo logins (password {PASSWORD!r}, unless you changed it):"]
    for username, first, last, roles in USERS:
        if not roles and not with_admin:
            continue
        lines.append(f"  {role_label(roles):<18} {username:<9} {first} {last}")
    return "\n".join(lines)


def role_label(roles: tuple[str, ...]) -> str:
    """How a cast member's roles read in the logins: a manager of one team is that team's
    manager ("sales manager"), the superuser says so, anyone else shows their roles."""
    if not roles:
        return "admin (superuser)"
    teams = [role for role in roles if role != MANAGER]
    if MANAGER in roles and len(teams) == 1:
        return f"{teams[0]} manager"
    return " + ".join(roles)
