"""Uploads go through Django's storage API, so with ``S3_BUCKET`` set a CSV import is kept
in an S3-compatible bucket and read back from it by a worker that has no shared disk.

The bucket is a real S3-compatible HTTP server (moto's) on a local port: uploads, reads and
deletes travel over the S3 protocol through boto3, as against AWS or MinIO.
"""

import io
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import boto3
import pytest
from django.utils import timezone

from alignment.settings import file_storage
from leads.imports import services
from leads.imports.models import LeadImport
from leads.models import Lead
from tests.integration.test_worker import REDIS_URL, start_worker

pytestmark = pytest.mark.integration

BUCKET = "tandem-uploads"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "tandem-test", "AWS_SECRET_ACCESS_KEY": "tandem-test-secret"}
CSV = (
    "Email,First Name,Company\n"
    "ada@lovelace.example,Ada,Analytical Engines\n"
    "grace@hopper.example,Grace,Navy\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    """An S3-compatible server on a free local port, with an empty bucket."""
    server = shutil.which("moto_server", path=str(Path(sys.executable).parent))
    if server is None:
        pytest.skip("moto_server is not installed (pip install -e '.[dev]')")
    port = free_port()
    process = subprocess.Popen(
        [server, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the S3-compatible server did not start")
                time.sleep(0.2)
        bucket_client(url).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def bucket_client(url: str):
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def keys(url: str) -> list[str]:
    listed = bucket_client(url).list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def s3_environment(url: str) -> dict[str, str]:
    return {
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": url,
        "S3_REGION": "us-east-1",
        "S3_PREFIX": "uploads",
        **CREDENTIALS,
    }


@pytest.fixture
def in_the_bucket(s3_server, settings, monkeypatch, tmp_path):
    """This process stores uploads in the bucket (the setting read as at start-up), and
    its own MEDIA_ROOT is an empty folder that must stay empty."""
    for name, value in s3_environment(s3_server).items():
        monkeypatch.setenv(name, value)
    settings.STORAGES = {**settings.STORAGES, "default": file_storage()}
    settings.MEDIA_ROOT = tmp_path / "media"
    for key in keys(s3_server):
        bucket_client(s3_server).delete_object(Bucket=BUCKET, Key=key)
    return s3_server


def test_without_a_bucket_uploads_stay_on_the_local_disk(monkeypatch):
    monkeypatch.delenv("S3_BUCKET", raising=False)
    assert file_storage() == {"BACKEND": "django.core.files.storage.FileSystemStorage"}


def test_an_import_is_stored_in_the_bucket_read_back_and_purged(
    in_the_bucket, api_as, marketer, settings
):
    answer = api_as(marketer).post(
        "/api/v1/imports/",
        {"file": io.BytesIO(CSV.encode()), "mapping": ""},
        format="multipart",
    )
    assert answer.status_code == 400  # an empty mapping is not JSON: the file is not kept
    assert keys(in_the_bucket) == []

    upload = io.BytesIO(CSV.encode())
    upload.name = "export.csv"
    answer = api_as(marketer).post("/api/v1/imports/", {"file": upload}, format="multipart")
    assert answer.status_code == 202, answer.json()
    lead_import = LeadImport.objects.get(pk=answer.json()["id"])

    (stored,) = keys(in_the_bucket)
    assert stored == lead_import.file.name.replace("imports/", "uploads/imports/", 1)
    assert not Path(settings.MEDIA_ROOT).exists()

    # The preview and the run read the file back from the bucket.
    assert [row.values["email"] for row in services.preview(lead_import)] == [
        "ada@lovelace.example",
        "grace@hopper.example",
    ]
    lead_import.refresh_from_db()
    if lead_import.status != LeadImport.Status.DONE:  # eager tasks may have run it already
        services.run_import(lead_import.pk)
    lead_import.refresh_from_db()
    assert (lead_import.status, lead_import.created) == (LeadImport.Status.DONE, 2)
    assert set(Lead.objects.values_list("email", flat=True)) == {
        "ada@lovelace.example",
        "grace@hopper.example",
    }

    later = timezone.now() + timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS + 1)
    assert services.purge_old_files(now=later) == (1, 0)
    assert keys(in_the_bucket) == []


@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL and PostgreSQL for a real worker")
def test_a_worker_without_the_web_process_disk_runs_an_import_from_the_bucket(
    transactional_db, in_the_bucket, tmp_path, marketer, api_as
):
    """The web side (this process) keeps the upload in the bucket; a real worker whose
    MEDIA_ROOT is another empty folder reads it from there and captures every row."""
    worker_disk = tmp_path / "worker-media"
    environment = {**s3_environment(in_the_bucket), "MEDIA_ROOT": str(worker_disk)}
    with start_worker(tmp_path / "worker.log", extra_env=environment) as worker:
        upload = io.BytesIO(CSV.encode())
        upload.name = "export.csv"
        answer = api_as(marketer).post("/api/v1/imports/", {"file": upload}, format="multipart")
        assert answer.status_code == 202, answer.json()
        import_id = answer.json()["id"]
        worker.wait_for(
            lambda: LeadImport.objects.filter(pk=import_id, status="done").exists(),
            "the worker to run the import from the bucket",
        )
    lead_import = LeadImport.objects.get(pk=import_id)
    assert (lead_import.created, lead_import.failed) == (2, 0)
    assert Lead.objects.count() == 2
    assert len(keys(in_the_bucket)) == 1
    assert not worker_disk.exists()
