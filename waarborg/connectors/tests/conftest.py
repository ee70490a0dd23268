from waarborg.rights.tests.conftest import committed  # noqa: F401 - the rights tests' fixture
