"""API plumbing shared by every app: pagination and error mapping.

Errors raised by services become the status codes of the API contract: Django's
``ValidationError`` → 400 with field messages; a ``DomainError`` (``alignment.exceptions``:
``Forbidden`` → 403, ``Conflict`` → 409, whichever app raised it) → its ``status_code``
with ``{"detail": ...}``.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from alignment.exceptions import DomainError


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def validation_error_data(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A Django ``ValidationError`` in the API's shape: ``{"field": ["message", ...]}``.

    Model-wide errors (``full_clean`` puts them under ``__all__``) use DRF's
    ``non_field_errors`` key, so clients see one name for them whichever layer spoke.
    """
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: [str(m) for m in exc.messages]}
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if field == NON_FIELD_ERRORS else field): [
            str(m) for m in messages
        ]
        for field, messages in exc.message_dict.items()
    }


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_data(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DomainError):
        return Response({"detail": str(exc)}, status=exc.status_code)
    return drf_exception_handler(exc, context)


class ErrorDetailSerializer(serializers.Serializer):
    """The body of a 403, 404 or 409 answer (documents the error shape in the schema)."""

    detail = serializers.CharField()


_ERROR_RESPONSES = {
    400: OpenApiResponse(description='Invalid input: `{"field": ["message", ...]}`.'),
    403: OpenApiResponse(ErrorDetailSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorDetailSerializer, description="Not found."),
    409: OpenApiResponse(ErrorDetailSerializer, description="A conflict of state."),
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """The error answers an endpoint documents besides its success, for ``extend_schema``."""
    return {code: _ERROR_RESPONSES[code] for code in codes}


_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "description": '`{"field": ["message", ...]}`, or `{"detail": "..."}` for the whole body.',
    "additionalProperties": {},
}
#: The answers any operation may give, whatever it does (see the API's conventions).
_EVERY_OPERATION = {
    "401": "No token, or one that is unknown, revoked or expired.",
    "403": "Your role may not do this.",
    "429": "Throttled: wait `Retry-After` seconds.",
    "503": "The database cannot be reached for a moment: retry after `Retry-After` seconds.",
}


def document_error_answers(result, generator, request, public):
    """drf-spectacular hook: every operation documents the error answers it can give, so
    a client (and a schema-driven test) finds no status code the schema does not name:
    401, 403, 429 and 503 everywhere; 404 for what is named by id and for a page past the last
    of a list; 400 for a body or parameters it checks; 413 for a body too large."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            answers = dict(_EVERY_OPERATION)
            parameters = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
            if "{" in path or any(p.get("name") == "page" for p in parameters):
                answers["404"] = "Not found, or not visible to you (or a page past the last)."
            # Headers count too: every POST checks its Idempotency-Key.
            if "requestBody" in operation or operation.get("parameters"):
                answers["400"] = "Invalid input."
            if "requestBody" in operation:
                answers["413"] = "The body is larger than the server accepts."
            for code, description in answers.items():
                shape = _FIELD_ERRORS if code == "400" else _DETAIL
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": shape}},
                    },
                )
    return result
