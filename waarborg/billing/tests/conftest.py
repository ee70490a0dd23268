from waarborg.api.tests.conftest import _fresh_rate_limits, api_for  # noqa: F401 - fixtures
