"""API: notifications/ and notifications/{id}/read/."""

from alignment.models import Notification
from alignment.services import notify

URL = "/api/v1/notifications/"


def test_it_lists_only_the_callers_own_notifications(api_as, rep, other_rep):
    [mine] = notify([rep], kind="handoff.opened", title="New MQL")
    notify([other_rep], kind="handoff.opened", title="Not yours")

    response = api_as(rep).get(URL)

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    assert response.json()["results"][0]["is_read"] is False


def test_a_user_without_a_role_still_reads_their_own_inbox(api_as, outsider):
    notify([outsider], kind="welcome", title="Welcome")

    response = api_as(outsider).get(URL)

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_it_marks_a_notification_read(api_as, rep):
    [notification] = notify([rep], kind="handoff.opened", title="New MQL")

    response = api_as(rep).post(f"{URL}{notification.pk}/read/")

    assert response.status_code == 200
    assert response.json()["is_read"] is True
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_nobody_can_mark_someone_elses_notification_read(api_as, rep, other_rep):
    [notification] = notify([other_rep], kind="handoff.opened", title="New MQL")

    response = api_as(rep).post(f"{URL}{notification.pk}/read/")

    assert response.status_code == 404
    assert Notification.objects.get(pk=notification.pk).read_at is None


def test_anonymous_callers_have_no_inbox(api, db):
    assert api.get(URL).status_code == 401
