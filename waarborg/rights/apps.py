from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "waarborg.rights"
    label = "rights"
    verbose_name = "Data-subject requests"

    def ready(self) -> None:
        from waarborg.rights import checks  # noqa: F401 - registers the system checks
