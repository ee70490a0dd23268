from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from waarborg.api.tests.conftest import api_for  # noqa: F401 - the API tests' fixture


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """``committed(service, **kwargs)``: call a service and run what it left for after commit
    (its mail), as a real commit would; the test's own transaction never commits."""

    def call(service: Callable[..., Any], **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return service(**kwargs)

    return call
