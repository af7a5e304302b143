"""The dashboard, the agreement page and the notification inbox."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from alignment.models import Notification
from alignment.services import notify
from tests.factories import CampaignFactory
from tests.pages.dashboard_page import dashboard


def test_the_dashboard_shows_the_funnel_and_numbers(client_as, manager, mql_lead):
    response = dashboard(client_as(manager))

    numbers = response.context["numbers"]
    body = response.content.decode()
    assert (numbers.leads, numbers.mqls) == (1, 1)
    assert 'aria-label="Leads: 1"' in body
    assert "SLA compliance" in body


def test_the_dashboard_narrows_to_a_campaign(client_as, manager, mql_lead):
    other = CampaignFactory()

    response = dashboard(client_as(manager), {"campaign": other.pk})

    assert response.context["numbers"].leads == 0


def test_the_dashboard_narrows_to_a_channel(client_as, manager, mql_lead):
    response = dashboard(client_as(manager), {"channel": "email"})

    assert response.context["numbers"].mqls == 1


def test_the_dashboard_takes_a_custom_period(client_as, manager, mql_lead):
    today = timezone.localdate()
    start, end = today - timedelta(days=200), today - timedelta(days=100)

    response = dashboard(client_as(manager), {"start": start.isoformat(), "end": end.isoformat()})

    assert response.context["numbers"].leads == 0
    assert response.context["period"].start.date() == start


def test_the_dashboard_explains_a_period_that_ends_before_it_starts(client_as, manager):
    today = timezone.localdate()

    response = client_as(manager).get(
        reverse("kpis:dashboard"),
        {"start": today.isoformat(), "end": (today - timedelta(days=3)).isoformat()},
    )

    assert response.status_code == 200
    assert "The end comes before the start." in response.content.decode()


def test_the_agreement_page_shows_the_version_in_force(client_as, manager):
    response = client_as(manager).get(reverse("agreement"))

    body = response.content.decode()
    assert "Alignment agreement v1" in body
    assert "1 h" in body
    assert "4 h" in body


def test_the_inbox_lists_my_notifications_only(client_as, rep, other_rep):
    notify([rep], kind="handoff.opened", title="New MQL: Ana", url=reverse("handoffs:queue"))
    notify([other_rep], kind="handoff.opened", title="Not yours")

    response = client_as(rep).get(reverse("notifications"))

    body = response.content.decode()
    assert "New MQL: Ana" in body
    assert "Not yours" not in body
    assert '<span class="nav__count" aria-label="1 unread">1</span>' in body


def test_marking_a_notification_read(client_as, rep):
    (notification,) = notify([rep], kind="x", title="Hello")

    response = client_as(rep).post(reverse("notification_read", args=[notification.pk]))

    notification.refresh_from_db()
    assert response.status_code == 302
    assert notification.read_at is not None


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_as, rep):
    (notification,) = notify([rep], kind="x", title="Go", url=reverse("handoffs:queue"))

    response = client_as(rep).post(
        reverse("notification_read", args=[notification.pk]), {"open": "1"}
    )

    notification.refresh_from_db()
    assert response["Location"] == reverse("handoffs:queue")
    assert notification.read_at is not None


def test_an_htmx_mark_read_swaps_the_row(client_as, rep):
    (notification,) = notify([rep], kind="x", title="Hello")

    response = client_as(rep).post(
        reverse("notification_read", args=[notification.pk]), HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert f'id="notification-{notification.pk}"' in body
    assert "inbox__item--unread" not in body


def test_nobody_reads_another_users_notification(client_as, rep, other_rep):
    (notification,) = notify([other_rep], kind="x", title="Private")

    response = client_as(rep).post(reverse("notification_read", args=[notification.pk]))

    notification.refresh_from_db()
    assert response.status_code == 404
    assert notification.read_at is None


def test_mark_all_read(client_as, rep):
    notify([rep], kind="x", title="One")
    notify([rep], kind="x", title="Two")

    client_as(rep).post(reverse("notification_read_all"))

    assert not Notification.objects.filter(recipient=rep, read_at__isnull=True).exists()


def test_the_unread_tab_shows_only_unread(client_as, rep):
    (read,) = notify([rep], kind="x", title="Old news")
    notify([rep], kind="x", title="Fresh")
    browser = client_as(rep)
    browser.post(reverse("notification_read", args=[read.pk]))

    response = browser.get(reverse("notifications"), {"show": "unread"})

    assert [n.title for n in response.context["page"].object_list] == ["Fresh"]
