"""The system check that keeps ``check``, ``runserver`` and every command but ``backup`` off a
restored database whose replay of the erasure ledger has not finished."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, register

from waarborg.retention.markers import restore_refusal


@register()
def restore_finished(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    refusal = restore_refusal()
    return [Error(refusal, id="retention.E001")] if refusal else []
