"""REST API for the caller's own API tokens (``/api/v1/tokens/``): list them, make one
(its key is in that answer only), revoke one."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from alignment.api import error_responses
from alignment.models import ApiToken
from alignment.roles import ALL_ROLES, HasRole
from alignment.services.tokens import NAME_MAX_LENGTH, IssuedToken, create_token, revoke_token


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time that says its offset: a token's expiry is a moment, not a time of
    day somewhere."""

    default_error_messages = {
        "naive": "Give the time with its offset, such as 2030-01-31T18:00:00+01:00.",
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it; the key is never among its fields."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
        read_only_fields = fields


class NewTokenSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH, help_text="What it is for.")
    expires_at = AwareDateTimeField(
        required=False, allow_null=True, help_text="When it stops working; empty: never."
    )


class IssuedTokenSerializer(ApiTokenSerializer):
    """A token just made, with its key."""

    key = serializers.CharField(
        read_only=True, help_text="Send it as `Authorization: Token <key>`. Shown this once."
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields

    def to_representation(self, instance: IssuedToken):
        return {**super().to_representation(instance.token), "key": instance.key}


@extend_schema_view(
    list=extend_schema(summary="Your API tokens, newest first (never their keys)"),
    create=extend_schema(
        summary="Make an API token: its key is in this answer only",
        request=NewTokenSerializer,
        responses={201: IssuedTokenSerializer, **error_responses(400, 403)},
    ),
    destroy=extend_schema(
        summary="Revoke one of your API tokens",
        responses={204: None, **error_responses(403, 404)},
    ),
)
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Everyone with a role manages their own tokens; another's token is a 404. A revoked
    token stays listed, with the time it was revoked."""

    serializer_class = ApiTokenSerializer
    permission_classes = [HasRole.of(read=ALL_ROLES, write=ALL_ROLES)]
    queryset = ApiToken.objects.none()

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user)

    def create(self, request, *args, **kwargs):
        given = NewTokenSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        issued = create_token(request.user, **given.validated_data)
        # The key must not linger in a cache (or in the Idempotency-Key store).
        return Response(
            IssuedTokenSerializer(issued).data,
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )

    def destroy(self, request, *args, **kwargs):
        revoke_token(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
