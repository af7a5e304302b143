"""The imports API (``imports/``) and the jobs API (``jobs/{id}/``)."""

import json

import pytest

from alignment.models import Job
from leads.imports.models import LeadImport
from leads.models import Lead
from tests.factories import CampaignFactory
from tests.imports.conftest import HUBSPOT_HEADERS, csv_bytes, hubspot_file, hubspot_row, upload

IMPORTS = "/api/v1/imports/"


def post_file(client, data: bytes, **fields):
    return client.post(IMPORTS, {"file": upload(data), **fields}, format="multipart")


def bad_rows_file(bad: int = 2) -> bytes:
    rows = [hubspot_row(1), *(hubspot_row(n, Email=f"broken-{n}") for n in range(2, 2 + bad))]
    return csv_bytes([HUBSPOT_HEADERS, *rows])


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run what a request queues on commit (the import task, eagerly)."""

    def post(client, data: bytes, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return post_file(client, data, **fields)

    return post


def test_a_marketer_posts_a_file_and_gets_202_with_the_job_and_mapping(api_as, marketer):
    response = post_file(api_as(marketer), hubspot_file(3))
    assert response.status_code == 202
    lead_import = LeadImport.objects.get()
    assert response.json() == {
        "id": lead_import.pk,
        "job": lead_import.job_id,
        "mapping": lead_import.mapping,
    }
    assert response.json()["mapping"]["Email"] == "email"
    assert lead_import.status == LeadImport.Status.QUEUED


def test_the_posted_import_runs_and_captures_its_rows(api_as, marketer, run_on_commit):
    response = run_on_commit(api_as(marketer), hubspot_file(3))
    assert LeadImport.objects.get(pk=response.json()["id"]).status == "done"
    assert Lead.objects.count() == 3


def test_a_given_mapping_and_campaign_are_used(api_as, manager, run_on_commit):
    campaign = CampaignFactory()
    mapping = {"Email": "email", "Company Name": "company"}
    response = run_on_commit(
        api_as(manager), hubspot_file(1), mapping=json.dumps(mapping), campaign=campaign.pk
    )
    assert response.status_code == 202
    assert response.json()["mapping"] == mapping
    lead = Lead.objects.get()
    assert (lead.company, lead.first_name, lead.campaign) == ("Company 1", "", campaign)


def test_an_invalid_mapping_answers_400_with_field_errors(api_as, marketer):
    mapping = json.dumps({"Email": "email", "Fax": "phone", "Industry": "revenue"})
    response = post_file(api_as(marketer), hubspot_file(1), mapping=mapping)
    assert response.status_code == 400
    assert response.json() == {
        "mapping": [
            "The file has no column “Fax”.",
            "“revenue” is not a lead field (column “Industry”).",
        ]
    }
    assert not LeadImport.objects.exists()


def test_a_mapping_that_is_not_json_answers_400(api_as, marketer):
    response = post_file(api_as(marketer), hubspot_file(1), mapping="{email")
    assert response.status_code == 400
    assert response.json() == {"mapping": ["Not valid JSON."]}


def test_a_file_without_an_email_column_answers_400(api_as, marketer):
    response = post_file(api_as(marketer), csv_bytes([["Name", "Company"], ["Ada", "Acme"]]))
    assert response.status_code == 400
    assert response.json() == {"mapping": ["Map a column to email: every lead needs one."]}


def test_a_file_that_is_not_utf8_answers_400(api_as, marketer):
    response = post_file(api_as(marketer), "Email\r\nzoë@example.com\r\n".encode("cp1252"))
    assert response.status_code == 400
    assert list(response.json()) == ["file"]


def test_a_missing_file_answers_400(api_as, marketer):
    response = api_as(marketer).post(IMPORTS, {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()


def test_an_unknown_campaign_answers_400(api_as, marketer):
    response = post_file(api_as(marketer), hubspot_file(1), campaign=99999)
    assert response.status_code == 400
    assert "campaign" in response.json()


def test_anonymous_callers_get_401(api):
    assert post_file(api, hubspot_file(1)).status_code == 401
    assert api.get(IMPORTS).status_code == 401


def test_sales_may_neither_import_nor_read_imports(api_as, rep):
    client = api_as(rep)
    assert post_file(client, hubspot_file(1)).status_code == 403
    assert client.get(IMPORTS).status_code == 403


def test_the_list_shows_imports_newest_first(api_as, marketer, manager):
    post_file(api_as(manager), hubspot_file(1))
    post_file(api_as(marketer), hubspot_file(2))
    results = api_as(marketer).get(IMPORTS).json()["results"]
    assert [(row["total"], row["status"]) for row in results] == [(2, "queued"), (1, "queued")]


def test_the_list_filters_the_callers_own_imports(api_as, marketer, manager):
    post_file(api_as(manager), hubspot_file(1))
    post_file(api_as(marketer), hubspot_file(2))
    results = api_as(marketer).get(IMPORTS, {"mine": "true"}).json()["results"]
    assert [row["created_by"] for row in results] == [marketer.pk]


def test_the_list_costs_a_fixed_number_of_queries(api_as, marketer, django_assert_max_num_queries):
    client = api_as(marketer)
    for _ in range(3):
        post_file(client, hubspot_file(1))
    with django_assert_max_num_queries(6):
        assert len(client.get(IMPORTS).json()["results"]) == 3


def test_an_import_reports_its_counts_and_failed_rows(api_as, marketer, run_on_commit):
    client = api_as(marketer)
    import_id = run_on_commit(client, bad_rows_file()).json()["id"]
    body = client.get(f"{IMPORTS}{import_id}/").json()
    assert {key: body[key] for key in ("status", "total", "created", "updated", "merged")} == {
        "status": "done",
        "total": 3,
        "created": 1,
        "updated": 0,
        "merged": 0,
    }
    assert body["failed"] == 2
    assert body["errors"] == [
        {"row": 3, "errors": {"email": ["Enter a valid email address."]}},
        {"row": 4, "errors": {"email": ["Enter a valid email address."]}},
    ]
    assert body["errors_csv_url"].endswith(f"/api/v1/imports/{import_id}/errors.csv")


def test_failed_rows_page_through_all_of_them(api_as, marketer, run_on_commit):
    client = api_as(marketer)
    import_id = run_on_commit(client, bad_rows_file(5)).json()["id"]
    page = client.get(f"{IMPORTS}{import_id}/errors/", {"page_size": 2, "page": 3}).json()
    assert page["count"] == 5
    assert [row["row"] for row in page["results"]] == [7]


def test_errors_csv_downloads_the_failed_rows(api_as, marketer, run_on_commit):
    client = api_as(marketer)
    import_id = run_on_commit(client, bad_rows_file(1)).json()["id"]
    response = client.get(f"{IMPORTS}{import_id}/errors.csv", HTTP_ACCEPT="text/csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == [
        ",".join([*HUBSPOT_HEADERS, "Row", "Reason"]),
        ",".join([*hubspot_row(2, Email="broken-2"), "3", "Email: Enter a valid email address."]),
    ]


def test_errors_csv_is_for_marketing_and_managers_only(api_as, marketer, rep, run_on_commit):
    import_id = run_on_commit(api_as(marketer), bad_rows_file(1)).json()["id"]
    assert api_as(rep).get(f"{IMPORTS}{import_id}/errors.csv").status_code == 403


def test_an_unknown_import_is_404(api_as, marketer):
    assert api_as(marketer).get(f"{IMPORTS}4242/").status_code == 404
    assert api_as(marketer).get(f"{IMPORTS}4242/errors.csv").status_code == 404


def test_the_job_shows_an_imports_progress_to_its_creator(api_as, marketer, run_on_commit):
    client = api_as(marketer)
    job_id = run_on_commit(client, bad_rows_file(1)).json()["job"]
    body = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert {key: body[key] for key in ("id", "kind", "status", "done", "total")} == {
        "id": job_id,
        "kind": "lead_import",
        "status": "done",
        "done": 2,
        "total": 2,
    }
    assert body["result"]["created"] == 1
    assert body["result"]["failed"] == 1


def test_a_queued_job_has_nothing_done_yet(api_as, marketer):
    client = api_as(marketer)
    job_id = post_file(client, hubspot_file(4)).json()["job"]
    body = client.get(f"/api/v1/jobs/{job_id}/").json()
    assert (body["status"], body["done"], body["total"], body["result"]) == ("queued", 0, 4, {})


def test_managers_read_anyones_job(api_as, marketer, manager):
    job = Job.objects.create(kind="lead_import", created_by=marketer)
    assert api_as(manager).get(f"/api/v1/jobs/{job.pk}/").status_code == 200


def test_another_users_job_is_404(api_as, marketer, rep):
    job = Job.objects.create(kind="lead_import", created_by=marketer)
    assert api_as(rep).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


def test_jobs_need_a_role_and_a_login(api, api_as, outsider):
    job = Job.objects.create(kind="lead_import")
    assert api.get(f"/api/v1/jobs/{job.pk}/").status_code == 401
    assert api_as(outsider).get(f"/api/v1/jobs/{job.pk}/").status_code == 403
