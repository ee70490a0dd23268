import pytest

from waarborg.connectors.tests.receiver import SECRET
from waarborg.rights.tests.conftest import committed  # noqa: F401 - the rights tests' fixture


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The key the test receiver checks signatures with, where the policy's systems find it."""
    monkeypatch.setenv("WAARBORG_WEBHOOK_CRM_SECRET", SECRET)
