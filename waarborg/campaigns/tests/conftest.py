from waarborg.audit.tests.support import committed_db  # noqa: F401 - the fixture
