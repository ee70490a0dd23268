from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:  # for django-stubs: assigned and read as a dict, not as the text it stores
    _JSONText = models.Field[dict[str, Any], dict[str, Any]]
else:
    _JSONText = models.TextField


class OrderedJSONField(_JSONText):
    """JSON stored as text, so the order of keys survives the database.

    PostgreSQL's ``jsonb`` (behind ``JSONField``) sorts object keys; the order of a policy's
    purposes, products and categories is the order a reader sees them in the statement, so a
    stored version must keep it.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else json.loads(value)

    def to_python(self, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), ensure_ascii=False)


class PolicyVersion(models.Model):
    """A policy, one row per distinct canonical hash.

    ``effective_at`` is when it first took effect; ``activated_at`` is when it was last put in
    force, which differs when a policy is edited A -> B -> A (A is in force again since then).
    """

    digest = models.CharField(max_length=64, unique=True)
    effective_at = models.DateTimeField()
    activated_at = models.DateTimeField()
    document = OrderedJSONField()
    source = models.CharField(max_length=500)

    # The policy itself and the path of its file: no personal data.
    NOT_PERSONAL = {"id", "digest", "effective_at", "activated_at", "document", "source"}

    class Meta:
        ordering = ["-activated_at", "-id"]

    def __str__(self) -> str:
        return f"{self.digest[:12]} ({self.effective_at:%Y-%m-%d %H:%M})"

    @property
    def short(self) -> str:
        return self.digest[:12]
