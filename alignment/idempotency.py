"""``Idempotency-Key`` on every POST of the API.

A client that sends ``Idempotency-Key: <key>`` with a POST under ``/api/`` may retry the
same request safely:

- the same key with the same request (method, path and body) within 24 hours answers
  the first response again (status and body, with ``Idempotent-Replayed: true``) and
  writes nothing a second time;
- the same key with a different request answers 422 ``{"detail": ...}``;
- keys are per user: two users may use the same key;
- two requests with one key at the same time: the key's row is written in the
  transaction of the request, so the second waits on the unique constraint until the
  first commits, then replays its answer (it never runs twice, and never gets a 409);
- an answer of 5xx or 429 is not kept (the request did not run, or failed): the key
  stays free for a retry;
- an answer marked ``Cache-Control: no-store`` (a new API token's key) is replayed with
  its status but not its body: the secret is stored nowhere.

It is a middleware rather than a viewset mixin so it covers every API POST, including
those of apps added later. It authenticates the caller with DRF's own authenticators
(token or session) before the view does; a caller it cannot authenticate passes through
and the view answers 401 or 403. Expired keys are deleted by the beat task
``alignment.tasks.purge_idempotency_keys``.
"""

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.settings import api_settings

from alignment.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


def request_hash(request: HttpRequest) -> str:
    """SHA-256 of what makes two requests the same: method, path with query, and body.

    A JSON body is compared by its content, not its spacing or key order. A form or a
    file upload is compared by its fields and the files' names and bytes (the multipart
    boundary differs on every retry).
    """
    digest = hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode())
    if request.content_type in FORM_TYPES:
        for name, values in sorted(request.POST.lists()):
            digest.update(json.dumps([name, values]).encode())
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                digest.update(json.dumps([name, upload.name, upload.size]).encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()
    body = request.body
    if request.content_type == "application/json":
        try:
            body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, RecursionError):  # RecursionError: nested past Python's limit
            pass  # not JSON after all: the raw bytes are what counts
    digest.update(body)
    return digest.hexdigest()


def _api_user(request: HttpRequest):
    """The caller as DRF's authenticators see it, or None (the view will refuse it)."""
    authenticators = [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    # DRF writes what it found onto the Django request; the view must authenticate
    # from a clean one (a refused session would otherwise turn its 403 into a 401).
    saved: dict[str, Any] = {
        name: request.__dict__[name] for name in ("user", "auth") if name in request.__dict__
    }
    try:
        user = Request(request, authenticators=authenticators).user
    except APIException:
        return None
    finally:
        for name in ("user", "auth"):
            request.__dict__.pop(name, None)
        request.__dict__.update(saved)
    return user if user is not None and user.is_authenticated else None


def _claim(user, key: str, fingerprint: str, now: datetime) -> IdempotencyKey:
    """This request's row for ``key``: new, or the first request's (a replay).

    The INSERT of a key another transaction holds waits until that one ends: committed,
    it finds the key taken and the stored answer is read; rolled back, this insert goes
    through.
    """
    row = IdempotencyKey(
        user=user, key=key, request_hash=fingerprint, status_code=0, created_at=now
    )
    if not _insert_unless_taken(row):
        stored = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
        if stored.created_at > now - KEY_LIFETIME:
            return stored
        stored.delete()  # expired: the key is free again
        row.save(force_insert=True)
    return row


def _insert_unless_taken(row: IdempotencyKey) -> bool:
    """Insert ``row`` unless its user already holds its key; whether it was inserted.

    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` where the database has it: one
    statement, where an INSERT that may fail needs a savepoint around it (two more round
    trips) to keep the request's transaction usable.
    """
    if not connection.features.can_return_columns_from_insert:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    meta = IdempotencyKey._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({quote('user_id')}, {quote('key')}) DO NOTHING "
        f"RETURNING {quote(str(meta.pk.column))}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
        )
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk = inserted[0]
    row._state.adding = False
    row._state.db = connection.alias
    return True


def _replay(stored: IdempotencyKey) -> HttpResponse:
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type=stored.content_type
    )
    if stored.location:
        response["Location"] = stored.location
    response["Idempotent-Replayed"] = "true"
    return response


def _keeps(response: HttpResponse) -> bool:
    """Whether the answer is the request's outcome (5xx and 429 are not: retry those)."""
    return not response.streaming and response.status_code < 500 and response.status_code != 429


#: What is kept of an answer marked ``Cache-Control: no-store`` (a new API token, with
#: its key): the key is shown once and stored nowhere, so a replay says only that it ran.
SECRET_NOT_KEPT = b'{"detail": "Done. The answer held a secret, which is shown only once."}'


def _kept_body(response: HttpResponse) -> bytes:
    if "no-store" in response.get("Cache-Control", ""):
        return SECRET_NOT_KEPT
    return response.content


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method != "POST"
            or not request.path_info.startswith(settings.IDEMPOTENCY_PATH_PREFIX)
        ):
            return self.get_response(request)
        user = _api_user(request)
        if user is None:
            return self.get_response(request)
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isprintable():
            return JsonResponse(
                {"detail": f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable characters."},
                status=400,
            )
        try:
            fingerprint = request_hash(request)
        except RequestDataTooBig:
            return self.get_response(request)  # the view refuses it the same way
        with transaction.atomic():
            row = _claim(user, key, fingerprint, timezone.now())
            if row.status_code:
                if row.request_hash != fingerprint:
                    return JsonResponse(
                        {
                            "detail": f"This {HEADER} was used for a different request; "
                            "use a new key for a new request."
                        },
                        status=422,
                    )
                return _replay(row)
            response = self.get_response(request)
            if not _keeps(response):
                # Nothing of this request stays, so a retry with the key runs it afresh.
                transaction.set_rollback(True)
                return response
            row.status_code = response.status_code
            row.content_type = response.get("Content-Type", "")
            row.location = response.get("Location", "")[:500]
            row.body = _kept_body(response)
            row.save(update_fields=["status_code", "content_type", "location", "body"])
        return response


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete keys past their lifetime; returns how many."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def document_idempotency_key(result, generator, request, public):
    """drf-spectacular hook: every POST of the schema takes the header and may answer 422."""
    for operations in result.get("paths", {}).values():
        operation = operations.get("post")
        if operation is None:
            continue
        operation.setdefault("parameters", []).append(
            {
                "in": "header",
                "name": HEADER,
                "required": False,
                "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
                "description": "Retry safely: the same key and body within 24 hours "
                "answer the first response again and write nothing twice.",
            }
        )
        operation.setdefault("responses", {}).setdefault(
            "422", {"description": "This Idempotency-Key was used for a different request."}
        )
    return result
