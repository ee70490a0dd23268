from __future__ import annotations

from django.db import models

# Nothing here holds a personal value: subjects are named by their random id, fields by name.


class SweepRun(models.Model):
    """One run of ``waarborg retention sweep`` and, once finished, its deletion certificate:
    what was deleted under which rule, signed into the audit log (``audit_entry``)."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)
    actor = models.CharField(max_length=200)
    # host:pid of the process working on it; another sweep takes over a run whose process died.
    worker = models.CharField(max_length=200)
    alive_at = models.DateTimeField()
    summary = models.JSONField(default=dict)
    digest = models.CharField(max_length=64, blank=True)
    audit_entry = models.BigIntegerField(null=True)

    NOT_PERSONAL = {
        "id",
        "started_at",
        "finished_at",
        "actor",
        "worker",
        "alive_at",
        "summary",
        "digest",
        "audit_entry",
    }

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"sweep {self.pk}"


class RetentionItem(models.Model):
    """The schedule: per subject and purpose, the event its period counts from and when it ends.
    ``due_at`` is NULL while the event has not happened (the contract still runs).

    A row with a ``record`` is one row of a model whose rows each go when their own period
    ends (``RETENTION["rows"]``: billing's invoices), named by model label and primary key;
    ``subject_id`` is then the subject the record is about, whom it does not hold."""

    subject_id = models.UUIDField()
    purpose = models.CharField(max_length=64)
    record = models.CharField(max_length=64, blank=True, default="", db_default="")
    record_id = models.BigIntegerField(null=True)
    event = models.CharField(max_length=32)
    counted_from = models.DateTimeField(null=True)
    due_at = models.DateTimeField(null=True)
    hold = models.BooleanField(default=False)  # a statutory period (the rule names its law)
    claimed_by = models.ForeignKey(SweepRun, null=True, on_delete=models.PROTECT, related_name="+")
    claimed_at = models.DateTimeField(null=True)
    done_at = models.DateTimeField(null=True)
    run = models.ForeignKey(SweepRun, null=True, on_delete=models.PROTECT, related_name="items")
    outcome = models.CharField(max_length=16, blank=True)
    fields = models.JSONField(default=list)

    NOT_PERSONAL = {
        "id",
        "subject_id",
        "purpose",
        "record",
        "record_id",
        "event",
        "counted_from",
        "due_at",
        "hold",
        "claimed_by",
        "claimed_at",
        "done_at",
        "run",
        "outcome",
        "fields",
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_id", "purpose"],
                condition=models.Q(record_id__isnull=True),
                name="retention_item_unique",
            ),
            models.UniqueConstraint(
                fields=["record", "record_id"],
                condition=models.Q(record_id__isnull=False),
                name="retention_item_record_unique",
            ),
        ]
        indexes = [
            # `waarborg retention sweep` claims due, unclaimed rows in due order (services.py,
            # _claim) and `retention plan` counts them: only open rows are indexed.
            models.Index(
                fields=["due_at"],
                condition=models.Q(done_at__isnull=True),
                name="retention_item_due_idx",
            ),
            # a certificate lists its deletions
            models.Index(fields=["run"], name="retention_item_run_idx"),
            # the sweep's open claims (sweep.py, _claimed, _keeps, _claim after a takeover): only
            # the batch in hand, where the foreign key's index holds every row a run ever claimed
            models.Index(
                fields=["claimed_by"],
                condition=models.Q(done_at__isnull=True),
                name="retention_item_claimed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id}/{self.purpose}"


class RetentionClock(models.Model):
    """An event a period counts from that no other table records (a contract ended, a claim
    was settled), as ``retention_event_record`` was told it."""

    subject_id = models.UUIDField()
    event = models.CharField(max_length=32)
    at = models.DateTimeField()

    NOT_PERSONAL = {"id", "subject_id", "event", "at"}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subject_id", "event"], name="retention_clock_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} {self.event} {self.at}"
