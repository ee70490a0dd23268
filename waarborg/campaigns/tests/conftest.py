from waarborg.api.tests.conftest import api_for  # noqa: F401 - the API tests' fixture
from waarborg.audit.tests.support import committed_db  # noqa: F401 - the fixture
from waarborg.console.tests.conftest import browser, server  # noqa: F401 - the console's
