"""The campaign, lead and import lists share one filtered-list shell: the same filter bar
(a GET form that htmx re-renders the results with), the same results card, and the same
behaviour: a chosen filter stays chosen, an htmx request gets the results alone."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads.imports import services
from leads.imports.models import LeadImport
from tests.factories import CampaignFactory, LeadFactory, UserFactory
from tests.imports.conftest import hubspot_file, upload

LISTS = [
    # (path, results id, a filter and its value, what the filtered page shows)
    ("/campaigns/", "results", ("channel", "email"), "Spring digest"),
    ("/leads/", "results", ("stage", "mql"), "Quinn Quality"),
    ("/leads/import/", "history", ("status", "draft"), "spring.csv"),
]


@pytest.fixture
def lists_data(marketer, other_rep):
    CampaignFactory(name="Spring digest", channel="email", owner=marketer)
    CampaignFactory(name="Trade fair", channel="events", owner=marketer)
    LeadFactory(first_name="Quinn", last_name="Quality", stage="mql", owner=other_rep)
    LeadFactory(first_name="Nora", last_name="New", stage="new")
    draft = services.create_import(file=upload(hubspot_file(2)), by=marketer)
    LeadImport.objects.filter(pk=draft.pk).update(file_name="spring.csv")
    done = services.create_import(file=upload(hubspot_file(2)), by=UserFactory(roles=["manager"]))
    LeadImport.objects.filter(pk=done.pk).update(file_name="autumn.csv", status="done")


def filter_bar(html: str) -> str:
    return re.search(r'<form class="card filters[^"]*"[^>]*role="search".*?</form>', html, re.S)[0]


@pytest.mark.parametrize(("path", "results_id", "chosen", "shown"), LISTS)
def test_each_list_has_the_shared_filter_bar_and_keeps_a_chosen_filter(
    client_as, marketer, lists_data, path, results_id, chosen, shown
):
    name, value = chosen
    page = client_as(marketer).get(path, {name: value})
    assert page.status_code == 200
    html = page.content.decode()
    bar = filter_bar(html)
    assert f'hx-get="{path}"' in bar and f'hx-target="#{results_id}"' in bar
    assert f'action="{path}"' in bar
    assert re.search(
        rf'<select id="[\w-]+" name="{name}">.*?<option value="{value}" selected>', bar, re.S
    )
    assert f'<a class="btn btn-ghost" href="{path}">Clear</a>' in bar  # filtered: "Clear"
    assert f'<section id="{results_id}" class="card"' in html
    assert shown in html


@pytest.mark.parametrize(("path", "results_id", "chosen", "shown"), LISTS)
def test_an_htmx_request_gets_the_results_alone(
    client_as, marketer, lists_data, path, results_id, chosen, shown
):
    name, value = chosen
    browser = client_as(marketer)
    with CaptureQueriesContext(connection) as queries:
        answer = browser.get(path, {name: value}, HTTP_HX_REQUEST="true")
    html = answer.content.decode()
    assert answer.status_code == 200
    assert html.lstrip().startswith(f'<section id="{results_id}" class="card"')
    assert 'role="search"' not in html and "<html" not in html
    assert shown in html
    # The filter bar's choices (owners, campaigns) are not read for the results alone.
    assert len(queries) <= 8, [query["sql"] for query in queries]


def test_the_import_history_filters_by_status_campaign_and_uploader(
    client_as, marketer, lists_data
):
    browser = client_as(marketer)
    everything = browser.get("/leads/import/").content.decode()
    assert "spring.csv" in everything and "autumn.csv" in everything

    done = browser.get("/leads/import/", {"status": "done"}).content.decode()
    assert "autumn.csv" in done and "spring.csv" not in done

    mine = browser.get("/leads/import/", {"mine": "true"}).content.decode()
    assert "spring.csv" in mine and "autumn.csv" not in mine

    nothing = browser.get("/leads/import/", {"status": "failed"}).content.decode()
    assert "No import matches these filters" in nothing


def test_a_bad_filter_value_is_no_error(client_as, marketer, lists_data):
    browser = client_as(marketer)
    for path in ("/campaigns/", "/leads/", "/leads/import/"):
        answer = browser.get(path, {"status": "\x00<nope>", "campaign": "x", "owner": "-1"})
        assert answer.status_code == 200, path


def test_owners_are_offered_by_name(client_as, marketer, other_rep, lists_data):
    html = client_as(marketer).get("/leads/").content.decode()
    owner_select = re.search(r'<select id="lead-owner" name="owner">.*?</select>', html, re.S)[0]
    assert f'<option value="{other_rep.pk}">Rob Rival</option>' in owner_select
