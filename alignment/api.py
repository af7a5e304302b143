"""API plumbing shared by every app: pagination and error mapping.

Domain exceptions raised by services become the status codes of the API contract:
``ValidationError`` → 400 with field messages, ``NotAllowed`` → 403, a conflict of state
(``IllegalTransition``, ``AlreadyClaimed``, ``HandoffClosed``, ``CampaignInUse``) → 409
``{"detail": ...}``.
"""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _conflicts() -> tuple[type[Exception], ...]:
    from campaigns.services import CampaignInUse
    from handoffs.services import AlreadyClaimed, HandoffClosed
    from leads.lifecycle import IllegalTransition

    return (IllegalTransition, AlreadyClaimed, HandoffClosed, CampaignInUse)


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
    from handoffs.services import NotAllowed

    if isinstance(exc, DjangoValidationError):
        return Response(validation_error_data(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, _conflicts()):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
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
