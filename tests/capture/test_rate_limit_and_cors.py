"""Protection of the anonymous form: a rate limit per address, cross-site posts allowed."""

import json
import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from alignment.http import client_ip
from leads.models import Lead
from leads.web_form.views import TRIES_PER_SUBMISSION
from tests.factories import CampaignFactory


@pytest.fixture
def limit_of_two(settings):
    settings.CAPTURE_RATE_LIMIT = 2
    settings.CAPTURE_RATE_WINDOW = 600


def url(campaign) -> str:
    return reverse("capture:form", args=[campaign.form_key])


def send(client, campaign, email, **extra):
    return client.post(
        url(campaign),
        json.dumps({"email": email, "first_name": "Ana"}),
        content_type="application/json",
        **extra,
    )


def test_submissions_past_the_limit_are_refused_with_429(client, campaign, limit_of_two):
    send(client, campaign, "one@example.com")
    send(client, campaign, "two@example.com")

    response = send(client, campaign, "three@example.com")

    assert response.status_code == 429
    assert "Too many submissions" in response.json()["detail"]
    assert 0 < int(response["Retry-After"]) <= 600
    assert not Lead.objects.filter(email="three@example.com").exists()


def test_a_browser_past_the_limit_gets_a_page_that_says_when_to_try_again(
    client, campaign, limit_of_two
):
    for n in range(2):
        client.post(url(campaign), {"email": f"{n}@example.com", "first_name": "Ana"})

    response = client.post(url(campaign), {"email": "late@example.com", "first_name": "Ana"})

    assert response.status_code == 429
    assert re.search(r"Please try again in \d+ minutes?\.", response.content.decode())


def test_the_limit_counts_per_address(client, campaign, limit_of_two):
    send(client, campaign, "one@example.com")
    send(client, campaign, "two@example.com")

    response = send(client, campaign, "three@example.com", REMOTE_ADDR="203.0.113.9")

    assert response.status_code == 201


def test_the_limit_counts_per_form(client, campaign, limit_of_two):
    other = CampaignFactory(form_fields={})
    send(client, campaign, "one@example.com")
    send(client, campaign, "two@example.com")

    response = send(client, other, "three@example.com")

    assert response.status_code == 201


def test_a_forged_forwarded_for_header_does_not_escape_the_limit(client, campaign, limit_of_two):
    send(client, campaign, "one@example.com", HTTP_X_FORWARDED_FOR="198.51.100.1")
    send(client, campaign, "two@example.com", HTTP_X_FORWARDED_FOR="198.51.100.2")

    response = send(client, campaign, "three@example.com", HTTP_X_FORWARDED_FOR="198.51.100.3")

    assert response.status_code == 429


def test_the_client_address_is_remote_addr_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4")

    assert client_ip(request) == "10.0.0.2"


def test_behind_one_trusted_proxy_the_client_is_the_last_forwarded_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"
    )

    assert client_ip(request) == "203.0.113.7"


def test_behind_two_trusted_proxies_the_client_is_the_second_last(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.1"
    )

    assert client_ip(request) == "203.0.113.7"


def test_a_preflight_request_from_another_site_is_allowed(client, campaign):
    response = client.options(
        url(campaign),
        HTTP_ORIGIN="https://www.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_the_answer_to_a_post_may_be_read_by_the_posting_site(client, campaign):
    response = send(client, campaign, "ana@example.com", HTTP_ORIGIN="https://www.example.com")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_error_answers_may_be_read_by_the_posting_site_too(client, campaign):
    response = send(client, campaign, "not-an-address", HTTP_ORIGIN="https://www.example.com")

    assert response.status_code == 400
    assert response["Access-Control-Allow-Origin"] == "*"


def test_other_pages_of_the_app_allow_no_other_site(client, marketer):
    client.force_login(marketer)

    response = client.get(reverse("campaigns:list"), HTTP_ORIGIN="https://www.example.com")

    assert "Access-Control-Allow-Origin" not in response.headers


def test_other_methods_are_not_allowed(client, campaign):
    response = client.put(url(campaign), "{}", content_type="application/json")

    assert response.status_code == 405


def test_invalid_tries_do_not_count_against_the_limit(client, campaign, limit_of_two):
    for _ in range(5):
        assert send(client, campaign, "ana@example").status_code == 400

    first = send(client, campaign, "one@example.com")
    second = send(client, campaign, "two@example.com")

    assert (first.status_code, second.status_code) == (201, 201)


def test_a_visitor_who_mistypes_in_the_browser_is_not_locked_out(client, campaign, limit_of_two):
    for typo in ("ana@", "ana@example", "ana.example.com"):
        response = client.post(url(campaign), {"email": typo, "first_name": "Ana"})
        assert response.status_code == 400

    response = client.post(url(campaign), {"email": "ana@example.com", "first_name": "Ana"})

    assert response.status_code == 303
    assert Lead.objects.filter(email="ana@example.com").exists()


def test_spam_caught_by_the_honeypot_counts(client, campaign, limit_of_two):
    for n in range(2):
        client.post(url(campaign), {"email": f"bot{n}@example.com", "website": "http://spam"})

    response = send(client, campaign, "real@example.com")

    assert response.status_code == 429


def test_a_broken_json_body_does_not_count(client, campaign, limit_of_two):
    for _ in range(3):
        broken = client.post(url(campaign), "{not json", content_type="application/json")
        assert broken.status_code == 400

    assert send(client, campaign, "one@example.com").status_code == 201
    assert send(client, campaign, "two@example.com").status_code == 201


def test_a_script_posting_broken_forms_in_a_loop_is_held_back(client, campaign, limit_of_two):
    tries = 2 * TRIES_PER_SUBMISSION
    answers = [send(client, campaign, "not-an-email").status_code for _ in range(tries + 1)]

    assert answers[:tries] == [400] * tries
    assert answers[tries] == 429
