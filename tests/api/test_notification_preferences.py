"""API: notifications/preferences/ — the channels each kind of notification reaches the
caller by (``{kind: [channels]}``)."""

import pytest

from alignment import notifications
from alignment.models import Notification, Preferences
from alignment.services import notify

URL = "/api/v1/notifications/preferences/"
DEFAULTS = {kind: list(info.default) for kind, info in notifications.KINDS.items()}


@pytest.mark.parametrize("role", ["marketer", "rep", "manager", "outsider"])
def test_everyone_signed_in_reads_their_channels_with_the_defaults(api_as, persona, role):
    response = api_as(persona(role)).get(URL)

    assert response.status_code == 200
    assert response.json() == DEFAULTS


def test_anonymous_callers_get_401(api, db):
    assert api.get(URL).status_code == 401
    assert api.put(URL, {}, format="json").status_code == 401
    assert api.patch(URL, {}, format="json").status_code == 401


def test_put_sets_the_kinds_given_and_resets_the_rest(api_as, rep):
    client = api_as(rep)
    client.patch(URL, {"sla.warning": ["in_app"]}, format="json")

    response = client.put(URL, {"mention": ["in_app", "digest"]}, format="json")

    assert response.status_code == 200
    assert response.json() == {**DEFAULTS, "mention": ["in_app", "digest"]}


def test_patch_changes_only_the_kinds_given(api_as, rep):
    client = api_as(rep)
    client.patch(URL, {"sla.warning": ["in_app"]}, format="json")

    response = client.patch(URL, {"mention": ["email"]}, format="json")

    assert response.json() == {**DEFAULTS, "sla.warning": ["in_app"], "mention": ["email"]}


def test_an_empty_list_turns_a_kind_off(api_as, rep):
    api_as(rep).patch(URL, {"mention": []}, format="json")

    assert notify([rep], kind="mention", title="x") == []
    assert not Notification.objects.exists()


def test_channels_are_stored_once_each_in_a_fixed_order(api_as, rep):
    response = api_as(rep).patch(URL, {"mention": ["email", "in_app", "email"]}, format="json")

    assert response.json()["mention"] == ["in_app", "email"]


def test_one_users_choice_is_not_anothers(api_as, rep, other_rep):
    api_as(rep).patch(URL, {"mention": []}, format="json")

    assert api_as(other_rep).get(URL).json()["mention"] == DEFAULTS["mention"]
    assert Preferences.objects.get().user == rep


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"gossip": ["email"]}, "gossip"),
        ({"time_zone": "Europe/Berlin"}, "time_zone"),
        ({"mention": ["pigeon"]}, "mention"),
        ({"mention": ["email", "digest"]}, "mention"),
        ({"mention": "email"}, "mention"),
        ({"mention": None}, "mention"),
        ({"mention": [["email"]]}, "mention"),
        ({"mention": [{"channel": "email"}]}, "mention"),
        ({"mention": {"email": True}}, "mention"),
        ({"mention": [1]}, "mention"),
        ({"mention": ["email\x00"]}, "mention"),
        ({"mention\x00": ["email"]}, "mention\x00"),
    ],
)
@pytest.mark.parametrize("method", ["put", "patch"])
def test_bad_channels_answer_400_by_kind_and_change_nothing(api_as, rep, body, key, method):
    response = getattr(api_as(rep), method)(URL, body, format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert errors[key] and all(isinstance(m, str) for m in errors[key])
    assert not Preferences.objects.exists()


def test_email_now_and_the_digest_together_are_refused_in_words(api_as, rep):
    response = api_as(rep).put(URL, {"mention": ["email", "digest"]}, format="json")

    assert response.json() == {"mention": ["Choose an email now or the daily digest, not both."]}


@pytest.mark.parametrize("body", ['["mention"]', '"email"', "5", "null", "{not json"])
def test_a_body_that_is_not_an_object_answers_400(api_as, rep, body):
    response = api_as(rep).put(URL, body, content_type="application/json")

    assert response.status_code == 400
    assert all(isinstance(m, str) for messages in response.json().values() for m in messages)


def test_a_very_long_unknown_kind_answers_400_with_a_short_key(api_as, rep):
    response = api_as(rep).patch(URL, {"k" * 10_000: ["email"]}, format="json")

    assert response.status_code == 400
    assert all(len(key) <= 60 for key in response.json())


def test_reading_the_preferences_takes_a_fixed_number_of_queries(
    api_as, rep, django_assert_max_num_queries
):
    client = api_as(rep)
    client.patch(URL, {"mention": ["in_app"]}, format="json")

    with django_assert_max_num_queries(1):
        response = client.get(URL)

    assert response.json()["mention"] == ["in_app"]


def test_post_is_405_json(api_as, rep):
    response = api_as(rep).post(URL, {}, format="json")

    assert response.status_code == 405
    assert "detail" in response.json()
