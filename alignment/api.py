"""API plumbing shared by every app: pagination and error mapping.

Domain exceptions raised by services become the status codes of the API contract:
``ValidationError`` → 400 with field messages, ``NotAllowed`` → 403, a conflict of state
(``IllegalTransition``, ``AlreadyClaimed``, ``HandoffClosed``) → 409 ``{"detail": ...}``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def _conflicts() -> tuple[type[Exception], ...]:
    from handoffs.services import AlreadyClaimed, HandoffClosed
    from leads.lifecycle import IllegalTransition

    return (IllegalTransition, AlreadyClaimed, HandoffClosed)


def exception_handler(exc, context):
    from handoffs.services import NotAllowed

    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            data = {
                field: [str(m) for m in messages] for field, messages in exc.message_dict.items()
            }
        else:
            data = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, NotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, _conflicts()):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
