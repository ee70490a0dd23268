from django.apps import AppConfig


class RetentionConfig(AppConfig):
    name = "waarborg.retention"
    label = "retention"

    def ready(self) -> None:
        from waarborg.retention import checks  # noqa: F401 - registers the system check
