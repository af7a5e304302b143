"""A CSV import of leads and the rows it could not capture.

These models belong to the ``leads`` app (``leads.models`` imports them).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from alignment.models import Job
from campaigns.models import Campaign


class LeadImport(models.Model):
    """One uploaded CSV file on its way to leads.

    Uploaded, it is a ``draft`` until someone confirms the column mapping; then it is
    ``queued`` as a few parts (``LeadImportPart``) that workers run side by side, each
    capturing the rows of its share of the email addresses. The counts here add up the
    chunks every part committed; the last part to finish marks the import ``done``.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    file = models.FileField(upload_to="imports/%Y/%m/", max_length=300)
    file_name = models.CharField(max_length=255, help_text="The name it was uploaded with.")
    delimiter = models.CharField(max_length=1, default=",")
    headers = models.JSONField(default=list, help_text="The file's column headers, in order.")
    mapping = models.JSONField(default=dict, help_text='{"CSV header": "lead field"}')
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
        help_text="Every row's touchpoint campaign (and first-touch campaign of new leads).",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    job = models.OneToOneField(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="lead_import"
    )
    total = models.PositiveIntegerField(default=0, help_text="Rows in the file (not blank).")
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0, help_text="Rows that made a new lead.")
    updated = models.PositiveIntegerField(
        default=0, help_text="Rows that matched a lead this import had already captured."
    )
    merged = models.PositiveIntegerField(
        default=0, help_text="Rows merged into a lead that existed before the import."
    )
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the whole import failed.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_imports",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["created_by", "-created_at"], name="lead_import_creator"),
            models.Index(fields=["status", "-created_at"], name="lead_import_status"),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk}: {self.file_name}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class LeadImportPart(models.Model):
    """One worker's share of an import: the rows whose email hashes to ``number``.

    Every part reads the whole file and captures only its own rows, so one person's rows
    are all in one part and are captured in file order. ``next_row`` is where the part's
    next chunk starts; it moves in the transaction that commits the chunk, so a part
    whose worker died resumes there and no row is captured twice.
    """

    lead_import = models.ForeignKey(LeadImport, on_delete=models.CASCADE, related_name="parts")
    number = models.PositiveSmallIntegerField(help_text="Rows whose email hashes to it.")
    next_row = models.PositiveIntegerField(
        default=2, help_text="File row the part's next chunk starts at (the header is row 1)."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lead_import", "number"]
        constraints = [
            models.UniqueConstraint(fields=["lead_import", "number"], name="lead_import_part"),
            models.CheckConstraint(condition=Q(next_row__gte=2), name="lead_import_part_next_row"),
        ]

    def __str__(self) -> str:
        return f"Import {self.lead_import_id} part {self.number}"

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


class LeadImportError(models.Model):
    """One row an import could not capture: where, why, and its cells as read."""

    lead_import = models.ForeignKey(LeadImport, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField(help_text="Row number in the file (the header is row 1).")
    errors = models.JSONField(help_text='{"field": ["message", …]}')
    values = models.JSONField(default=list, help_text="The row's cells, for errors.csv.")

    class Meta:
        ordering = ["lead_import", "row"]
        constraints = [
            # One report line per file row; the pair is also the report's order.
            models.UniqueConstraint(fields=["lead_import", "row"], name="lead_import_error_row"),
        ]

    def __str__(self) -> str:
        return f"Import {self.lead_import_id} row {self.row}"
