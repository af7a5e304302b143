"""The API tokens page: every role makes, lists and revokes its own tokens; a new key is
shown once; forms work without JavaScript."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from alignment.models import ApiToken, Preferences
from alignment.services.tokens import create_token, revoke_token

PAGE = reverse("api_tokens")


def key_on(response) -> str:
    found = re.search(
        r'id="new-key" class="mono" value="([0-9a-f]{40})"', response.content.decode()
    )
    assert found, "no key on the page"
    return found.group(1)


@pytest.mark.parametrize("role", ["marketer", "rep", "manager"])
def test_every_role_has_the_page_linked_from_the_sidebar(client_as, request, role):
    response = client_as(request.getfixturevalue(role)).get(PAGE)

    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="{PAGE}" aria-current="page"' in body
    assert '<label for="id_name">' in body
    assert "No tokens yet" in body


def test_a_user_without_a_role_is_refused(client_as, outsider):
    assert client_as(outsider).get(PAGE).status_code == 403


def test_a_visitor_is_sent_to_log_in(client, db):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_new_token_shows_its_key_once_and_the_key_opens_the_api(client_as, marketer):
    browser = client_as(marketer)

    made = browser.post(PAGE, {"name": "Website forms", "expires_on": ""})

    key = key_on(made)
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    assert "not shown again" in made.content.decode()
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.expires_at) == (marketer, "Website forms", None)
    assert key not in browser.get(PAGE).content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/leads/").status_code == 200


def test_the_list_shows_the_callers_tokens_with_prefix_and_dates(client_as, marketer, rep):
    mine = create_token(marketer, name="CRM sync", expires_at=timezone.now() + timedelta(days=9))
    create_token(rep, name="Dialer")

    body = client_as(marketer).get(PAGE).content.decode()

    assert "CRM sync" in body
    assert f"{mine.key[:8]}…" in body
    assert mine.key not in body
    assert "Dialer" not in body
    assert "Never" in body  # not used yet


def test_an_expiry_date_lasts_to_the_end_of_that_day_in_the_users_time_zone(client_as, marketer):
    Preferences.objects.create(user=marketer, time_zone="Asia/Tokyo")
    day = timezone.localdate() + timedelta(days=30)

    client_as(marketer).post(PAGE, {"name": "Trial", "expires_on": day.isoformat()})

    expected = datetime.combine(day, time.max, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert ApiToken.objects.get().expires_at == expected


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"name": "", "expires_on": ""}, "This field is required."),
        ({"name": "x" * 101, "expires_on": ""}, "at most 100 characters"),
        ({"name": "Trial", "expires_on": "2001-01-01"}, "Choose a time in the future."),
        ({"name": "Trial", "expires_on": "9999-12-31"}, "Choose an earlier date."),
        ({"name": "Trial", "expires_on": "soon"}, "Enter a valid date."),
    ],
    ids=["no name", "long name", "past date", "last date", "not a date"],
)
def test_bad_input_is_shown_on_the_form_and_makes_nothing(client_as, marketer, form, message):
    response = client_as(marketer).post(PAGE, form)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert 'class="field-errors"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it_and_says_so(client_as, marketer):
    issued = create_token(marketer, name="CRM sync")
    browser = client_as(marketer)

    response = browser.post(PAGE, {"revoke": issued.token.pk}, follow=True)

    issued.token.refresh_from_db()
    assert issued.token.revoked_at is not None
    body = response.content.decode()
    assert "Revoked “CRM sync”" in body
    assert 'name="revoke"' not in body  # a revoked token has no button left
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.key}")
    assert api.get("/api/v1/leads/").status_code == 401


def test_revoked_and_expired_tokens_are_labelled(client_as, marketer):
    revoke_token(create_token(marketer, name="Old CRM").token)
    expiring = create_token(marketer, name="Trial", expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=expiring.token.pk).update(
        created_at=timezone.now() - timedelta(days=2),
        expires_at=timezone.now() - timedelta(days=1),
    )

    body = client_as(marketer).get(PAGE).content.decode()

    assert 'status--closed">Revoked' in body
    assert 'status--rejected">Expired' in body


@pytest.mark.parametrize("revoke", ["other", "unknown", "not-a-number"])
def test_revoking_anothers_or_no_token_is_a_404(client_as, marketer, rep, revoke):
    theirs = create_token(rep, name="Dialer").token
    pk = {"other": theirs.pk, "unknown": 10**30, "not-a-number": "x"}[revoke]

    response = client_as(marketer).post(PAGE, {"revoke": pk})

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_forms_carry_the_csrf_token(client_as, marketer):
    create_token(marketer, name="CRM sync")

    body = client_as(marketer).get(PAGE).content.decode()

    assert body.count('name="csrfmiddlewaretoken"') >= 3  # log out, new token, revoke


def test_the_page_reads_as_many_queries_for_25_tokens_as_for_5(client_as, marketer):
    browser = client_as(marketer)

    def queries() -> int:
        with CaptureQueriesContext(connection) as done:
            assert browser.get(PAGE).status_code == 200
        return len(done)

    for n in range(5):
        create_token(marketer, name=f"Token {n}")
    few = queries()
    for n in range(20):
        create_token(marketer, name=f"More {n}")

    assert queries() == few
