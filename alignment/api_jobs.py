"""REST API for long tasks' progress (``/api/v1/jobs/{id}/``)."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets

from alignment.jobs import visible_jobs
from alignment.models import Job
from alignment.roles import HasRole


class JobSerializer(serializers.ModelSerializer):
    result = serializers.JSONField(
        read_only=True, help_text="The outcome once done (an import's counts, say)."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "done",
            "total",
            "result",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class JobViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A job is visible to whoever asked for it and to managers; to others it is a 404."""

    serializer_class = JobSerializer
    permission_classes = [HasRole.of()]
    queryset = Job.objects.none()

    def get_queryset(self):
        return visible_jobs(self.request.user)

    @extend_schema(summary="A long task's progress")
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)
